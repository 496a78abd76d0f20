package helmrelease

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	releasecommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/helm/release"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/status"
)

// maxSteps bounds the actions one reconciliation takes (install, test,
// remediate...); the next reconciliation goes on.
const maxSteps = 4

// desired is the state a HelmRelease asks for.
type desired struct {
	chart        *release.ChartSource
	chartName    string
	chartVersion string
	// ociDigest is the digest of an OCIRepository chart's artifact.
	ociDigest    string
	values       map[string]any
	configDigest string
	// postRenderers and commonMetadata are their digests.
	postRenderers  string
	commonMetadata string
}

// reconcile runs one reconciliation of a HelmRelease that is neither
// deleted nor suspended.
func (r *Reconciler) reconcile(ctx context.Context, hr *helmv2.HelmRelease, patcher *status.Patcher) error {
	if msg := unsupported(hr); msg != "" {
		return r.stall(hr, helmv2.UnsupportedFieldReason, errors.New(msg))
	}
	if err := r.crossNamespaceRefs(hr); err != nil {
		return r.stall(hr, "AccessDenied", err)
	}
	if err := r.checkDependencies(ctx, hr); err != nil {
		msg := fmt.Sprintf("dependencies do not meet ready condition (%s), retrying in %s", err, r.dependencyRequeue())
		status.MarkFalse(hr, meta.ReadyCondition, helmv2.DependencyNotReadyReason, "%s", msg)
		return reconcile.Waiting(helmv2.DependencyNotReadyReason, r.dependencyRequeue(), errors.New(msg))
	}

	hc, err := r.getChart(ctx, hr)
	if err != nil {
		var notReady *chartNotReadyError
		if errors.As(err, &notReady) {
			status.MarkFalse(hr, meta.ReadyCondition, helmv2.HelmChartNotReadyReason, "%s", err)
			return reconcile.Waiting(helmv2.HelmChartNotReadyReason, r.dependencyRequeue(), err)
		}
		status.MarkFalse(hr, meta.ReadyCondition, helmv2.ArtifactFailedReason, "%s", err)
		return err
	}
	values, err := release.ComposeValues(ctx, r.APIReader, hr)
	if err != nil {
		status.MarkFalse(hr, meta.ReadyCondition, helmv2.ValuesError, "%s", err)
		var verr *release.ValuesError
		if errors.As(err, &verr) {
			r.warning(hr, "", helmv2.ValuesError, err.Error())
		}
		return err
	}
	want := &desired{
		chart:          hc,
		values:         values,
		configDigest:   release.Digest(values),
		postRenderers:  release.PostRenderersDigest(hr),
		commonMetadata: release.CommonMetadataDigest(hr),
	}
	if err := r.chartIdentity(ctx, want); err != nil {
		status.MarkFalse(hr, meta.ReadyCondition, helmv2.ArtifactFailedReason, "%s", err)
		return err
	}

	// A new desired state (chart, values) starts the failure counts again,
	// as does a reset request.
	if hr.Status.LastAttemptedRevision != want.chartVersion || hr.Status.LastAttemptedConfigDigest != want.configDigest {
		resetFailures(hr)
	}
	if token, ok := annotation(hr, meta.ResetRequestAnnotation); ok && token != hr.Status.LastHandledResetAt {
		resetFailures(hr)
		hr.Status.LastHandledResetAt = token
	}
	force := false
	if token, ok := annotation(hr, meta.ForceRequestAnnotation); ok && token != hr.Status.LastHandledForceAt {
		if requested, _ := meta.ReconcileAnnotationValue(hr.GetAnnotations()); requested == token {
			force = true
			hr.Status.LastHandledForceAt = token
		}
	}
	hr.Status.LastAttemptedGeneration = hr.Generation
	prevStorage := hr.Status.StorageNamespace
	hr.Status.StorageNamespace = hr.GetStorageNamespace()

	kube, cluster, err := r.cluster(ctx, hr)
	if err != nil {
		status.MarkFalse(hr, meta.ReadyCondition, helmv2.InitFailedReason, "%s", err)
		return err
	}
	cfg, err := cluster.Configuration(ctx, release.Target{
		Namespace: hr.GetReleaseNamespace(), StorageNamespace: hr.GetStorageNamespace(), MaxHistory: hr.GetMaxHistory(),
	})
	if err != nil {
		status.MarkFalse(hr, meta.ReadyCondition, helmv2.InitFailedReason, "could not build the Helm configuration: %s", err)
		return err
	}
	unlock := r.locks.lock(hr.GetStorageNamespace() + "/" + hr.GetReleaseName())
	defer unlock()
	waitCtx, done := r.inflight.start(ctx, client.ObjectKeyFromObject(hr), hr.Generation, hc.Object.GetArtifact().Digest)
	defer done()
	s := &step{
		r: r, hr: hr, want: want, kube: kube, cluster: cluster, force: force, patcher: patcher,
		runner: &release.Runner{Config: cfg, Cluster: cluster, Release: hr, TempDir: r.TempDir, WaitContext: waitCtx},
	}
	if err := s.retarget(ctx, prevStorage); err != nil {
		status.MarkFalse(hr, meta.ReadyCondition, helmv2.UninstallFailedReason, "%s", err)
		return err
	}
	return s.run(ctx)
}

// step takes the actions of one reconciliation.
type step struct {
	r       *Reconciler
	hr      *helmv2.HelmRelease
	want    *desired
	kube    client.Client
	cluster *release.Cluster
	runner  *release.Runner
	force   bool
	patcher *status.Patcher
	chart   *chartv2.Chart
}

// run takes action after action until the release is in sync, an action
// failed, or maxSteps is reached.
func (s *step) run(ctx context.Context) error {
	hr := s.hr
	for i := 0; i < maxSteps; i++ {
		rel, err := s.runner.Last()
		if err != nil {
			status.MarkFalse(hr, meta.ReadyCondition, helmv2.GetLastReleaseFailedReason, "could not get the last release of %s/%s: %s",
				hr.GetStorageNamespace(), hr.GetReleaseName(), err)
			return err
		}
		if rel != nil && rel.Info != nil && rel.Info.Status.IsPending() {
			was := rel.Info.Status
			if _, err := s.runner.Unlock(rel); err != nil {
				status.MarkFalse(hr, meta.ReadyCondition, helmv2.GetLastReleaseFailedReason, "%s", err)
				return err
			}
			msg := fmt.Sprintf("release %s/%s.v%d was left %s by an interrupted operation; ferry marked it failed and continues",
				rel.Namespace, rel.Name, rel.Version, was)
			log.FromContext(ctx).Info(msg)
			s.r.warning(hr, s.want.chartVersion, helmv2.StaleReleaseRecoveredReason, msg)
			continue
		}
		if !s.force {
			if err := s.exhausted(rel); err != nil {
				return err
			}
		}
		s.freshHistory(ctx, rel)
		next, reason := s.next(rel)
		log.FromContext(ctx).V(1).Info("next release action", "action", next, "reason", reason)
		var done bool
		switch next {
		case actionInstall:
			done, err = s.install(ctx)
		case actionUpgrade:
			done, err = s.upgrade(ctx, rel)
		case actionTest:
			done, err = s.test(ctx, rel)
		case actionNone:
			s.inSync(rel)
			return s.detectDrift(ctx, rel)
		}
		s.r.refreshStatus(ctx, s)
		if err != nil || done {
			return err
		}
		s.force = false
	}
	return fmt.Errorf("release not in sync after %d actions, continuing", maxSteps)
}

type releaseAction string

const (
	actionNone    releaseAction = "none"
	actionInstall releaseAction = "install"
	actionUpgrade releaseAction = "upgrade"
	actionTest    releaseAction = "test"
)

// next decides the next action from the release in storage.
func (s *step) next(rel *releasev1.Release) (releaseAction, string) {
	hr := s.hr
	switch {
	case rel == nil:
		return actionInstall, "no release in storage"
	case rel.Info.Status == releasecommon.StatusUninstalled:
		return actionInstall, "release uninstalled"
	case s.force:
		return actionUpgrade, "forced"
	case rel.Info.Status != releasecommon.StatusDeployed:
		return actionUpgrade, "release " + rel.Info.Status.String()
	}
	if diff := s.outOfSync(rel); diff != "" {
		return actionUpgrade, diff
	}
	if hr.GetTest().Enable && !tested(hr, rel) {
		return actionTest, "release untested"
	}
	return actionNone, "in sync"
}

// freshHistory rereads status.history from the API server when it lags
// Helm's storage: the cache may not have seen the status the previous
// reconciliation wrote yet, and a stale history would look like a release
// changed outside of ferry and upgrade it again.
func (s *step) freshHistory(ctx context.Context, rel *releasev1.Release) {
	latest := s.hr.Status.History.Latest()
	if rel == nil || (latest != nil && latest.Version >= rel.Version) || s.r.APIReader == nil {
		return
	}
	fresh := &helmv2.HelmRelease{}
	if err := s.r.APIReader.Get(ctx, client.ObjectKeyFromObject(s.hr), fresh); err != nil {
		return
	}
	if l := fresh.Status.History.Latest(); l != nil && (latest == nil || l.Version > latest.Version) {
		s.hr.Status.History = fresh.Status.History
	}
}

// outOfSync says what differs between rel and the desired state, "" when
// nothing does: then no Helm upgrade runs.
func (s *step) outOfSync(rel *releasev1.Release) string {
	hr, want := s.hr, s.want
	latest := hr.Status.History.Latest()
	switch {
	case rel.Chart == nil || rel.Chart.Metadata == nil:
		return "release has no chart"
	case rel.Chart.Metadata.Name != want.chartName:
		return fmt.Sprintf("chart name %s differs from %s", rel.Chart.Metadata.Name, want.chartName)
	case rel.Chart.Metadata.Version != want.chartVersion:
		return fmt.Sprintf("chart version %s differs from %s", rel.Chart.Metadata.Version, want.chartVersion)
	case release.Digest(nonNil(rel.Config)) != want.configDigest && !hr.GetUpgrade().PreserveValues:
		return "values changed"
	case hr.Status.ObservedPostRenderersDigest != want.postRenderers:
		return "post-renderers changed"
	case hr.Status.ObservedCommonMetadataDigest != want.commonMetadata:
		return "common metadata changed"
	case latest == nil || latest.Version != rel.Version || latest.Digest != release.Snapshot(rel).Digest:
		return "release was changed outside of ferry"
	}
	return ""
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// tested reports whether the tests ran for rel (status.history's entry).
func tested(hr *helmv2.HelmRelease, rel *releasev1.Release) bool {
	latest := hr.Status.History.Latest()
	return latest != nil && latest.Version == rel.Version && latest.TestHooks != nil
}

// loadedChart loads the chart once per reconciliation.
func (s *step) loadedChart(ctx context.Context) (*chartv2.Chart, error) {
	if s.chart == nil {
		ch, err := s.r.loadChart(ctx, s.want.chart)
		if err != nil {
			return nil, err
		}
		s.chart = ch
	}
	return s.chart, nil
}

// prepare loads the chart and applies its CRDs per policy.
func (s *step) prepare(ctx context.Context, policy helmv2.CRDsPolicy, reason string) (*chartv2.Chart, error) {
	ch, err := s.loadedChart(ctx)
	if err != nil {
		status.MarkFalse(s.hr, meta.ReadyCondition, helmv2.ArtifactFailedReason, "%s", err)
		return nil, err
	}
	if _, err := release.ApplyCRDs(ctx, s.kube, s.cluster, ch, policy); err != nil {
		err = fmt.Errorf("applying the chart's CRDs (policy %s): %w", policy, err)
		status.MarkFalse(s.hr, helmv2.ReleasedCondition, reason, "%s", err)
		status.MarkFalse(s.hr, meta.ReadyCondition, reason, "%s", err)
		return nil, err
	}
	return ch, nil
}

func (s *step) progress(ctx context.Context, format string, args ...any) {
	status.MarkReconciling(s.hr, meta.ProgressingReason, format, args...)
	status.MarkUnknown(s.hr, meta.ReadyCondition, meta.ProgressingReason, format, args...)
	if s.patcher != nil {
		if err := s.patcher.Patch(ctx, s.hr); err != nil {
			log.FromContext(ctx).V(1).Info("could not report progress", "error", err.Error())
		}
	}
}

func (s *step) install(ctx context.Context) (bool, error) {
	hr, want := s.hr, s.want
	ch, err := s.prepare(ctx, hr.Spec.Install.GetCRDs(), helmv2.InstallFailedReason)
	if err != nil {
		return false, err
	}
	hr.Status.LastAttemptedReleaseAction = helmv2.ReleaseActionInstall
	s.recordAttempt()
	s.progress(ctx, "Running 'install' action with timeout of %s", release.ActionTimeout(hr.GetInstall().Timeout, hr))
	start := time.Now()
	rel, err := s.runner.Install(ctx, ch, want.values)
	if err == nil {
		err = s.customHealth(ctx, rel, hr.GetInstall().DisableWait, release.ActionTimeout(hr.GetInstall().Timeout, hr))
	}
	hr.Status.LastAttemptedReleaseActionDuration = &metav1.Duration{Duration: time.Since(start).Round(time.Millisecond)}
	if err != nil {
		return s.failed(ctx, helmv2.ReleaseActionInstall, rel, err)
	}
	s.succeeded(helmv2.ReleaseActionInstall, rel)
	return !hr.GetTest().Enable, nil
}

func (s *step) upgrade(ctx context.Context, current *releasev1.Release) (bool, error) {
	hr, want := s.hr, s.want
	ch, err := s.prepare(ctx, hr.Spec.Upgrade.GetCRDs(), helmv2.UpgradeFailedReason)
	if err != nil {
		return false, err
	}
	hr.Status.LastAttemptedReleaseAction = helmv2.ReleaseActionUpgrade
	s.recordAttempt()
	s.progress(ctx, "Running 'upgrade' action with timeout of %s", release.ActionTimeout(hr.GetUpgrade().Timeout, hr))
	start := time.Now()
	rel, err := s.runner.Upgrade(ctx, ch, want.values)
	if err == nil {
		err = s.customHealth(ctx, rel, hr.GetUpgrade().DisableWait, release.ActionTimeout(hr.GetUpgrade().Timeout, hr))
	}
	hr.Status.LastAttemptedReleaseActionDuration = &metav1.Duration{Duration: time.Since(start).Round(time.Millisecond)}
	if err != nil {
		return s.failed(ctx, helmv2.ReleaseActionUpgrade, rel, err)
	}
	s.succeeded(helmv2.ReleaseActionUpgrade, rel)
	return !hr.GetTest().Enable, nil
}

// recordAttempt records the desired state an action is attempted for.
func (s *step) recordAttempt() {
	s.hr.Status.LastAttemptedRevision = s.want.chartVersion
	s.hr.Status.LastAttemptedRevisionDigest = s.want.ociDigest
	s.hr.Status.LastAttemptedConfigDigest = s.want.configDigest
	s.hr.Status.LastAttemptedValuesChecksum = ""
}

func (s *step) test(ctx context.Context, rel *releasev1.Release) (bool, error) {
	hr := s.hr
	s.progress(ctx, "Running 'test' action with timeout of %s", release.ActionTimeout(hr.GetTest().Timeout, hr))
	tested, err := s.runner.Test(ctx)
	if tested == nil {
		tested = rel
	}
	hooks := testHooks(tested)
	if latest := hr.Status.History.Latest(); latest != nil && latest.Version == rel.Version {
		latest.TestHooks = &hooks
	}
	if err != nil {
		msg := fmt.Sprintf("Helm test failed for release %s/%s.v%d with chart %s: %s", rel.Namespace, rel.Name, rel.Version, chartRef(rel), err)
		status.MarkFalse(hr, helmv2.TestSuccessCondition, helmv2.TestFailedReason, "%s", msg)
		s.r.warning(hr, s.want.chartVersion, helmv2.TestFailedReason, msg)
		if s.ignoreTestFailures() {
			s.summarize()
			return true, nil
		}
		action := hr.Status.LastAttemptedReleaseAction
		if action == "" {
			action = helmv2.ReleaseActionUpgrade
		}
		return s.failed(ctx, action, tested, errors.New(msg))
	}
	msg := fmt.Sprintf("Helm test succeeded for release %s/%s.v%d with chart %s: %d test hooks completed successfully",
		rel.Namespace, rel.Name, rel.Version, chartRef(rel), len(hooks))
	status.MarkTrue(hr, helmv2.TestSuccessCondition, helmv2.TestSucceededReason, "%s", msg)
	s.r.normal(hr, s.want.chartVersion, helmv2.TestSucceededReason, msg)
	s.summarize()
	return true, nil
}

func (s *step) ignoreTestFailures() bool {
	hr := s.hr
	ignore := hr.GetTest().IgnoreFailures
	switch hr.Status.LastAttemptedReleaseAction {
	case helmv2.ReleaseActionInstall:
		if rem := hr.GetInstall().Remediation; rem != nil && rem.IgnoreTestFailures != nil {
			ignore = *rem.IgnoreTestFailures
		}
	default:
		if rem := hr.GetUpgrade().Remediation; rem != nil && rem.IgnoreTestFailures != nil {
			ignore = *rem.IgnoreTestFailures
		}
	}
	return ignore
}

func testHooks(rel *releasev1.Release) map[string]*helmv2.TestHookStatus {
	hooks := map[string]*helmv2.TestHookStatus{}
	if rel == nil {
		return hooks
	}
	for _, h := range rel.Hooks {
		isTest := false
		for _, e := range h.Events {
			if e == releasev1.HookTest {
				isTest = true
			}
		}
		if !isTest {
			continue
		}
		hooks[h.Name] = &helmv2.TestHookStatus{
			LastStarted:   metav1.NewTime(h.LastRun.StartedAt),
			LastCompleted: metav1.NewTime(h.LastRun.CompletedAt),
			Phase:         h.LastRun.Phase.String(),
		}
	}
	return hooks
}

// succeeded records a successful install or upgrade.
func (s *step) succeeded(action helmv2.ReleaseAction, rel *releasev1.Release) {
	hr := s.hr
	reason, verb := helmv2.InstallSucceededReason, "install"
	if action == helmv2.ReleaseActionUpgrade {
		reason, verb = helmv2.UpgradeSucceededReason, "upgrade"
	}
	msg := fmt.Sprintf("Helm %s succeeded for release %s/%s.v%d with chart %s", verb, rel.Namespace, rel.Name, rel.Version, chartRef(rel))
	status.MarkTrue(hr, helmv2.ReleasedCondition, reason, "%s", msg)
	status.Delete(hr, helmv2.RemediatedCondition)
	status.Delete(hr, helmv2.TestSuccessCondition)
	hr.Status.ObservedPostRenderersDigest = s.want.postRenderers
	hr.Status.ObservedCommonMetadataDigest = s.want.commonMetadata
	hr.Status.Inventory = release.Inventory(rel, s.cluster.Mapper())
	// Record the release now: refreshStatus replaces the history from
	// Helm's storage, but if that read fails the next reconciliation must
	// still know this release is ferry's.
	snap := release.Snapshot(rel)
	snap.OCIDigest = s.want.ociDigest
	h := helmv2.Snapshots{snap}
	for _, o := range hr.Status.History {
		if o.Version != snap.Version {
			h = append(h, o)
		}
	}
	hr.Status.History = h
	s.r.normal(hr, s.want.chartVersion, reason, msg)
	s.summarize()
}

// failed records a failed install or upgrade and remediates it per spec.
func (s *step) failed(ctx context.Context, action helmv2.ReleaseAction, rel *releasev1.Release, err error) (bool, error) {
	hr := s.hr
	if s.runner.WaitContext != nil && s.runner.WaitContext.Err() != nil && ctx.Err() == nil {
		// A new revision arrived while waiting: not a failure of the new one.
		msg := fmt.Sprintf("Helm %s for release %s/%s was cancelled: a new revision arrived while waiting for its objects", action, hr.GetReleaseNamespace(), hr.GetReleaseName())
		status.MarkFalse(hr, helmv2.ReleasedCondition, reasonFor(action, false), "%s", msg)
		status.MarkFalse(hr, meta.ReadyCondition, reasonFor(action, false), "%s", msg)
		return false, reconcile.Waiting(reasonFor(action, false), time.Second, errors.New(msg))
	}
	hr.Status.Failures++
	name := fmt.Sprintf("%s/%s", hr.GetReleaseNamespace(), hr.GetReleaseName())
	if rel != nil {
		name = fmt.Sprintf("%s/%s.v%d", rel.Namespace, rel.Name, rel.Version)
	}
	reason := reasonFor(action, false)
	msg := fmt.Sprintf("Helm %s failed for release %s with chart %s@%s: %s", action, name, s.want.chartName, s.want.chartVersion, err)
	if strings.HasPrefix(err.Error(), "Helm test failed") {
		msg = err.Error()
		reason = helmv2.TestFailedReason
	} else {
		status.MarkFalse(hr, helmv2.ReleasedCondition, reason, "%s", msg)
	}
	retries, remediateLast, strategy := s.remediation(action)
	var failures int64
	if action == helmv2.ReleaseActionInstall {
		hr.Status.InstallFailures++
		failures = hr.Status.InstallFailures
	} else {
		hr.Status.UpgradeFailures++
		failures = hr.Status.UpgradeFailures
	}
	s.r.warning(hr, s.want.chartVersion, reason, msg)
	status.MarkFalse(hr, meta.ReadyCondition, reason, "%s", msg)

	if s.retryOnFailure(action) {
		interval := s.retryInterval(action)
		return false, reconcile.Waiting(reason, interval, fmt.Errorf("%s; retrying in %s (strategy RetryOnFailure)", msg, interval))
	}
	exhausted := retries >= 0 && failures > int64(retries)
	if !exhausted || remediateLast {
		if rerr := s.remediate(ctx, action, strategy); rerr != nil {
			return false, rerr
		}
	}
	s.summarize()
	if exhausted {
		return false, s.stallExhausted(action, failures, retries, msg)
	}
	return false, fmt.Errorf("%s (attempt %d of %d)", msg, failures, retries+1)
}

func reasonFor(action helmv2.ReleaseAction, ok bool) string {
	switch {
	case action == helmv2.ReleaseActionInstall && ok:
		return helmv2.InstallSucceededReason
	case action == helmv2.ReleaseActionInstall:
		return helmv2.InstallFailedReason
	case ok:
		return helmv2.UpgradeSucceededReason
	}
	return helmv2.UpgradeFailedReason
}

// remediation returns the retries, whether to remediate the last failure
// and the remediation strategy of action, with Flux's defaults.
func (s *step) remediation(action helmv2.ReleaseAction) (retries int, remediateLast bool, strategy helmv2.RemediationStrategy) {
	if action == helmv2.ReleaseActionInstall {
		rem := s.hr.GetInstall().Remediation
		if rem == nil {
			return 0, false, helmv2.UninstallRemediationStrategy
		}
		return rem.Retries, rem.RemediateLastFailure != nil && *rem.RemediateLastFailure, helmv2.UninstallRemediationStrategy
	}
	rem := s.hr.GetUpgrade().Remediation
	if rem == nil {
		return 0, false, helmv2.RollbackRemediationStrategy
	}
	strategy = helmv2.RollbackRemediationStrategy
	if rem.Strategy != nil {
		strategy = *rem.Strategy
	}
	remediateLast = rem.Retries > 0
	if rem.RemediateLastFailure != nil {
		remediateLast = *rem.RemediateLastFailure
	}
	return rem.Retries, remediateLast, strategy
}

func (s *step) retryOnFailure(action helmv2.ReleaseAction) bool {
	if action == helmv2.ReleaseActionInstall {
		st := s.hr.GetInstall().Strategy
		return st != nil && st.Name == helmv2.ActionStrategyRetryOnFailure
	}
	st := s.hr.GetUpgrade().Strategy
	return st != nil && st.Name == helmv2.ActionStrategyRetryOnFailure
}

func (s *step) retryInterval(action helmv2.ReleaseAction) time.Duration {
	var d *metav1.Duration
	if action == helmv2.ReleaseActionInstall {
		if st := s.hr.GetInstall().Strategy; st != nil {
			d = st.RetryInterval
		}
	} else if st := s.hr.GetUpgrade().Strategy; st != nil {
		d = st.RetryInterval
	}
	if d != nil && d.Duration > 0 {
		return d.Duration
	}
	return 5 * time.Minute
}

// remediate rolls back to the previous successful release or uninstalls.
func (s *step) remediate(ctx context.Context, action helmv2.ReleaseAction, strategy helmv2.RemediationStrategy) error {
	hr := s.hr
	if action == helmv2.ReleaseActionUpgrade && strategy == helmv2.RollbackRemediationStrategy {
		prev := s.previousDeployed()
		if prev == nil {
			// Nothing to roll back to: leave the failed release for the next upgrade.
			return nil
		}
		s.progress(ctx, "Running 'rollback' action with timeout of %s", release.ActionTimeout(hr.GetRollback().Timeout, hr))
		if err := s.runner.Rollback(ctx, prev.Version); err != nil {
			msg := fmt.Sprintf("Helm rollback to previous release %s/%s.v%d with chart %s failed: %s", prev.Namespace, prev.Name, prev.Version, chartRef(prev), err)
			status.MarkFalse(hr, helmv2.RemediatedCondition, helmv2.RollbackFailedReason, "%s", msg)
			s.r.warning(hr, s.want.chartVersion, helmv2.RollbackFailedReason, msg)
			return errors.New(msg)
		}
		msg := fmt.Sprintf("Helm rollback to previous release %s/%s.v%d with chart %s succeeded", prev.Namespace, prev.Name, prev.Version, chartRef(prev))
		status.MarkTrue(hr, helmv2.RemediatedCondition, helmv2.RollbackSucceededReason, "%s", msg)
		s.r.normal(hr, s.want.chartVersion, helmv2.RollbackSucceededReason, msg)
		return nil
	}
	s.progress(ctx, "Running 'uninstall' action with timeout of %s", release.ActionTimeout(hr.GetUninstall().Timeout, hr))
	name := fmt.Sprintf("%s/%s", hr.GetReleaseNamespace(), hr.GetReleaseName())
	if err := s.runner.Uninstall(ctx); err != nil {
		msg := fmt.Sprintf("Helm uninstall for release %s failed: %s", name, err)
		status.MarkFalse(hr, helmv2.RemediatedCondition, helmv2.UninstallFailedReason, "%s", msg)
		s.r.warning(hr, s.want.chartVersion, helmv2.UninstallFailedReason, msg)
		return errors.New(msg)
	}
	msg := fmt.Sprintf("Helm uninstall for release %s succeeded", name)
	status.MarkTrue(hr, helmv2.RemediatedCondition, helmv2.UninstallSucceededReason, "%s", msg)
	s.r.normal(hr, s.want.chartVersion, helmv2.UninstallSucceededReason, msg)
	hr.Status.Inventory = nil
	return nil
}

// previousDeployed returns the newest release before the latest that was
// deployed or superseded (a rollback target), nil when there is none.
func (s *step) previousDeployed() *releasev1.Release {
	rels, err := s.runner.History()
	if err != nil || len(rels) < 2 {
		return nil
	}
	for _, rel := range rels[1:] {
		switch rel.Info.Status {
		case releasecommon.StatusDeployed, releasecommon.StatusSuperseded:
			return rel
		}
	}
	return nil
}

// exhausted stalls a HelmRelease whose retries for the desired state are
// used up, so that a failing release is not retried forever; the message
// says how to try again.
func (s *step) exhausted(rel *releasev1.Release) error {
	hr := s.hr
	action := hr.Status.LastAttemptedReleaseAction
	if action == "" || s.retryOnFailure(action) {
		return nil
	}
	retries, _, _ := s.remediation(action)
	failures := hr.Status.UpgradeFailures
	if action == helmv2.ReleaseActionInstall {
		failures = hr.Status.InstallFailures
	}
	if retries < 0 || failures <= int64(retries) {
		return nil
	}
	msg := ""
	if c := status.Get(hr, helmv2.ReleasedCondition); c != nil && c.Status == metav1.ConditionFalse {
		msg = c.Message
	}
	return s.stallExhausted(action, failures, retries, msg)
}

func (s *step) stallExhausted(action helmv2.ReleaseAction, failures int64, retries int, last string) error {
	hr := s.hr
	msg := fmt.Sprintf("%s retries exhausted (%d/%d)", action, failures, retries+1)
	if last != "" {
		msg += ": " + last
	}
	msg += fmt.Sprintf(". To try again: push a new chart version or values, or run `ferry reconcile helmrelease %s -n %s --reset` (annotation %s), or `--force` to upgrade now",
		hr.Name, hr.Namespace, meta.ResetRequestAnnotation)
	status.MarkStalled(hr, helmv2.RetriesExhaustedReason, "%s", msg)
	if c := status.Get(hr, meta.ReadyCondition); c == nil || c.Status != metav1.ConditionFalse || s.readyFromRemediation() {
		status.MarkFalse(hr, meta.ReadyCondition, helmv2.RetriesExhaustedReason, "%s", msg)
	} else {
		status.MarkFalse(hr, meta.ReadyCondition, c.Reason, "%s", msg)
	}
	return reconcile.Stalled(helmv2.RetriesExhaustedReason, errors.New(msg))
}

func (s *step) readyFromRemediation() bool {
	return status.Get(s.hr, helmv2.RemediatedCondition) != nil
}

// inSync records a reconciliation that found the release as desired. When
// no Released condition says so yet (the status of the action that made the
// release was lost, say to a conflict or a restart), the reason is the
// action the release's version implies: the first version was installed.
func (s *step) inSync(rel *releasev1.Release) {
	hr := s.hr
	if c := status.Get(hr, helmv2.ReleasedCondition); c == nil || c.Status != metav1.ConditionTrue {
		msg := fmt.Sprintf("Helm release %s/%s.v%d with chart %s is in sync", rel.Namespace, rel.Name, rel.Version, chartRef(rel))
		reason := helmv2.UpgradeSucceededReason
		if rel.Version == 1 {
			reason = helmv2.InstallSucceededReason
		}
		status.MarkTrue(hr, helmv2.ReleasedCondition, reason, "%s", msg)
	}
	status.Delete(hr, helmv2.RemediatedCondition)
	resetFailures(hr)
	if hr.Status.Inventory == nil {
		hr.Status.Inventory = release.Inventory(rel, s.cluster.Mapper())
	}
	s.summarize()
}

// summarize sets Ready from Remediated, TestSuccess and Released, as
// helm-controller does.
func (s *step) summarize() {
	hr := s.hr
	status.ClearReconciling(hr)
	if c := status.Get(hr, helmv2.RemediatedCondition); c != nil && c.Status == metav1.ConditionTrue {
		status.MarkFalse(hr, meta.ReadyCondition, c.Reason, "%s", c.Message)
		return
	}
	if c := status.Get(hr, helmv2.TestSuccessCondition); c != nil && c.Status == metav1.ConditionFalse && !s.ignoreTestFailures() {
		status.MarkFalse(hr, meta.ReadyCondition, c.Reason, "%s", c.Message)
		return
	}
	if c := status.Get(hr, helmv2.TestSuccessCondition); c != nil && c.Status == metav1.ConditionTrue {
		status.MarkTrue(hr, meta.ReadyCondition, c.Reason, "%s", c.Message)
		return
	}
	if c := status.Get(hr, helmv2.ReleasedCondition); c != nil {
		if c.Status == metav1.ConditionTrue {
			status.MarkTrue(hr, meta.ReadyCondition, c.Reason, "%s", c.Message)
			status.ClearStalled(hr)
		} else {
			status.MarkFalse(hr, meta.ReadyCondition, c.Reason, "%s", c.Message)
		}
	}
}

// refreshStatus reads the release history back into status.history.
func (r *Reconciler) refreshStatus(ctx context.Context, s *step) {
	rels, err := s.runner.History()
	if err != nil {
		log.FromContext(ctx).Info("could not read the release history", "error", err.Error())
		return
	}
	max := s.hr.GetMaxHistory()
	if max <= 0 || max > 10 {
		max = 10
	}
	old := s.hr.Status.History
	snaps := release.Snapshots(rels, max)
	// Helm's storage keeps neither the test hooks ferry observed nor the
	// OCI digest a release was made from: they carry over.
	for _, sn := range snaps {
		for _, o := range old {
			if o.Version != sn.Version {
				continue
			}
			if o.TestHooks != nil {
				sn.TestHooks = o.TestHooks
			}
			sn.OCIDigest = o.OCIDigest
		}
	}
	s.hr.Status.History = snaps
	for _, sn := range snaps {
		if sn.Status == releasecommon.StatusDeployed.String() {
			s.hr.Status.LastAppliedRevision = sn.ChartVersion
			s.hr.Status.LastReleaseRevision = sn.Version
			break
		}
	}
}

func resetFailures(hr *helmv2.HelmRelease) {
	hr.Status.Failures, hr.Status.InstallFailures, hr.Status.UpgradeFailures = 0, 0, 0
	status.ClearStalled(hr)
}

func annotation(hr *helmv2.HelmRelease, key string) (string, bool) {
	v, ok := hr.GetAnnotations()[key]
	return v, ok && v != ""
}

func chartRef(rel *releasev1.Release) string {
	if rel == nil || rel.Chart == nil || rel.Chart.Metadata == nil {
		return "unknown"
	}
	return rel.Chart.Metadata.Name + "@" + rel.Chart.Metadata.Version
}

// stall marks hr Ready=False and Stalled for reason, with a Warning event.
func (r *Reconciler) stall(hr *helmv2.HelmRelease, reason string, err error) error {
	status.MarkFalse(hr, meta.ReadyCondition, reason, "%s", err)
	status.MarkStalled(hr, reason, "%s", err)
	r.warning(hr, "", reason, err.Error())
	return reconcile.Stalled(reason, err)
}

func (r *Reconciler) normal(hr *helmv2.HelmRelease, revision, reason, msg string) {
	r.Events.Normal(hr, reason, msg, map[string]string{events.MetaRevision: revision})
}

func (r *Reconciler) warning(hr *helmv2.HelmRelease, revision, reason, msg string) {
	r.Events.Warning(hr, reason, msg, map[string]string{events.MetaRevision: revision})
}

// unsupported names the fields ferry cannot honour yet, "" when none.
func unsupported(hr *helmv2.HelmRelease) string {
	switch {
	case hr.Spec.Chart != nil && hr.Spec.Chart.Spec.Verify != nil:
		return "spec.chart.spec.verify (cosign/notation chart verification) is not supported yet"
	case hr.Spec.ChartRef != nil && hr.Spec.ChartRef.Kind != sourcev1.HelmChartKind && hr.Spec.ChartRef.Kind != sourcev1.OCIRepositoryKind:
		return fmt.Sprintf("spec.chartRef.kind %s is not supported; use OCIRepository, HelmChart or spec.chart", hr.Spec.ChartRef.Kind)
	}
	return ""
}

// crossNamespaceRefs refuses references to other namespaces under
// --no-cross-namespace-refs.
func (r *Reconciler) crossNamespaceRefs(hr *helmv2.HelmRelease) error {
	if !r.NoCrossNamespaceRefs {
		return nil
	}
	if hr.Spec.Chart != nil {
		if ns := hr.Spec.Chart.Spec.SourceRef.Namespace; ns != "" && ns != hr.Namespace {
			return fmt.Errorf("cannot access %s/%s/%s: cross-namespace references are disabled", hr.Spec.Chart.Spec.SourceRef.Kind, ns, hr.Spec.Chart.Spec.SourceRef.Name)
		}
	}
	if hr.Spec.ChartRef != nil && hr.Spec.ChartRef.Namespace != "" && hr.Spec.ChartRef.Namespace != hr.Namespace {
		return fmt.Errorf("cannot access %s: cross-namespace references are disabled", hr.Spec.ChartRef.String())
	}
	for _, d := range hr.Spec.DependsOn {
		if d.Namespace != "" && d.Namespace != hr.Namespace {
			return fmt.Errorf("cannot depend on %s %s/%s: cross-namespace references are disabled", dependencyKind(d), d.Namespace, d.Name)
		}
	}
	return nil
}
