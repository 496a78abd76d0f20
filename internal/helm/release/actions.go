package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/kube"
	releasecommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
)

// Runner runs the Helm actions of one HelmRelease with one action
// configuration.
type Runner struct {
	Config *action.Configuration
	// Cluster is the Config's cluster, whose discovery is reset after CRDs
	// were applied.
	Cluster *Cluster
	Release *helmv2.HelmRelease
	// TempDir holds the post-renderer's files; empty is the system's.
	TempDir string
	// WaitContext, when set, cancels a wait for the release's objects
	// (a new revision arrived); the action itself still completes and
	// records its outcome in the storage.
	WaitContext context.Context
}

// waitStrategy returns how Helm waits for the objects: the watcher (kstatus)
// unless disabled or spec.waitStrategy says legacy.
func (r *Runner) waitStrategy(disableWait bool) kube.WaitStrategy {
	if disableWait {
		return kube.HookOnlyStrategy
	}
	if ws := r.Release.Spec.WaitStrategy; ws != nil && ws.Name == "legacy" {
		return kube.LegacyStrategy
	}
	return kube.StatusWatcherStrategy
}

func (r *Runner) waitOptions() []kube.WaitOption {
	if r.WaitContext == nil {
		return nil
	}
	return []kube.WaitOption{kube.WithWaitContext(r.WaitContext)}
}

// ActionTimeout returns an action's own timeout, else spec.timeout (5m).
func ActionTimeout(d *metav1.Duration, hr *helmv2.HelmRelease) time.Duration {
	if d != nil && d.Duration > 0 {
		return d.Duration
	}
	return hr.GetTimeout()
}

// Last returns the newest release in the storage, nil when there is none.
func (r *Runner) Last() (*releasev1.Release, error) {
	rel, err := r.Config.Releases.Last(r.Release.GetReleaseName())
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return toV1(rel)
}

// History returns the release's versions in the storage, newest first.
func (r *Runner) History() ([]*releasev1.Release, error) {
	rels, err := r.Config.Releases.History(r.Release.GetReleaseName())
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]*releasev1.Release, 0, len(rels))
	for _, rel := range rels {
		v, err := toV1(rel)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	sortNewestFirst(out)
	return out, nil
}

// Install installs ch with values. CRDs are applied by ApplyCRDs before,
// per the crds policy; Helm skips them.
func (r *Runner) Install(ctx context.Context, ch *chartv2.Chart, values map[string]any) (*releasev1.Release, error) {
	hr := r.Release
	spec := hr.GetInstall()
	a := action.NewInstall(r.Config)
	a.ReleaseName = hr.GetReleaseName()
	a.Namespace = hr.GetReleaseNamespace()
	a.Timeout = ActionTimeout(spec.Timeout, hr)
	a.WaitStrategy = r.waitStrategy(spec.DisableWait)
	a.WaitOptions = r.waitOptions()
	a.WaitForJobs = !spec.DisableWaitForJobs
	a.DisableHooks = spec.DisableHooks
	a.DisableOpenAPIValidation = spec.DisableOpenAPIValidation
	a.SkipSchemaValidation = spec.DisableSchemaValidation
	a.TakeOwnership = !spec.DisableTakeOwnership
	a.Replace = spec.Replace
	a.CreateNamespace = spec.CreateNamespace
	a.SkipCRDs = true
	a.ServerSideApply = spec.ServerSideApply == nil || *spec.ServerSideApply
	a.ForceConflicts = a.ServerSideApply
	a.PostRenderer = PostRenderer(hr, r.TempDir)
	a.PostRenderStrategy = PostRenderStrategy(hr)
	a.Labels = ownerLabels(hr)
	rel, err := a.RunWithContext(context.WithoutCancel(ctx), ch, values)
	return releaseOf(rel), err
}

// Upgrade upgrades the release to ch with values.
func (r *Runner) Upgrade(ctx context.Context, ch *chartv2.Chart, values map[string]any) (*releasev1.Release, error) {
	hr := r.Release
	spec := hr.GetUpgrade()
	a := action.NewUpgrade(r.Config)
	a.Namespace = hr.GetReleaseNamespace()
	a.Timeout = ActionTimeout(spec.Timeout, hr)
	a.WaitStrategy = r.waitStrategy(spec.DisableWait)
	a.WaitOptions = r.waitOptions()
	a.WaitForJobs = !spec.DisableWaitForJobs
	a.DisableHooks = spec.DisableHooks
	a.DisableOpenAPIValidation = spec.DisableOpenAPIValidation
	a.SkipSchemaValidation = spec.DisableSchemaValidation
	a.TakeOwnership = !spec.DisableTakeOwnership
	a.ForceReplace = spec.Force
	a.ReuseValues = spec.PreserveValues
	a.ResetValues = !spec.PreserveValues
	a.CleanupOnFail = spec.CleanupOnFail
	a.MaxHistory = hr.GetMaxHistory()
	a.SkipCRDs = true
	a.ServerSideApply = applyMethod(spec.ServerSideApply)
	// Helm refuses forced conflicts together with a forced replace.
	a.ForceConflicts = a.ServerSideApply != "false" && !a.ForceReplace
	a.PostRenderer = PostRenderer(hr, r.TempDir)
	a.PostRenderStrategy = PostRenderStrategy(hr)
	a.Labels = ownerLabels(hr)
	rel, err := a.RunWithContext(context.WithoutCancel(ctx), hr.GetReleaseName(), ch, values)
	return releaseOf(rel), err
}

// applyMethod maps enabled|disabled|auto to Helm's true|false|auto.
func applyMethod(s string) string {
	switch s {
	case "enabled":
		return "true"
	case "disabled":
		return "false"
	}
	return "auto"
}

// Test runs the release's test hooks, with spec.test.filters.
func (r *Runner) Test(ctx context.Context) (*releasev1.Release, error) {
	hr := r.Release
	spec := hr.GetTest()
	a := action.NewReleaseTesting(r.Config)
	a.Namespace = hr.GetReleaseNamespace()
	a.Timeout = ActionTimeout(spec.Timeout, hr)
	a.WaitOptions = r.waitOptions()
	if spec.Filters != nil {
		a.Filters = map[string][]string{}
		for _, f := range *spec.Filters {
			if f.Exclude {
				a.Filters["!name"] = append(a.Filters["!name"], f.Name)
			} else {
				a.Filters["name"] = append(a.Filters["name"], f.Name)
			}
		}
	}
	rel, shutdown, err := a.Run(hr.GetReleaseName())
	if shutdown != nil {
		_ = shutdown()
	}
	return releaseOf(rel), err
}

// Rollback rolls the release back to version (0 is the previous one).
func (r *Runner) Rollback(ctx context.Context, version int) error {
	hr := r.Release
	spec := hr.GetRollback()
	a := action.NewRollback(r.Config)
	a.Version = version
	a.Timeout = ActionTimeout(spec.Timeout, hr)
	a.WaitStrategy = r.waitStrategy(spec.DisableWait)
	a.WaitOptions = r.waitOptions()
	a.WaitForJobs = !spec.DisableWaitForJobs
	a.DisableHooks = spec.DisableHooks
	a.ForceReplace = spec.Force
	a.CleanupOnFail = spec.CleanupOnFail
	a.MaxHistory = hr.GetMaxHistory()
	a.ServerSideApply = applyMethod(spec.ServerSideApply)
	a.ForceConflicts = a.ServerSideApply != "false" && !a.ForceReplace
	return a.Run(hr.GetReleaseName())
}

// Uninstall uninstalls the release; a release already gone is not an
// error.
func (r *Runner) Uninstall(ctx context.Context) error {
	hr := r.Release
	spec := hr.GetUninstall()
	a := action.NewUninstall(r.Config)
	a.Timeout = ActionTimeout(spec.Timeout, hr)
	a.DisableHooks = spec.DisableHooks
	a.KeepHistory = spec.KeepHistory
	a.WaitStrategy = r.waitStrategy(spec.DisableWait)
	a.WaitOptions = r.waitOptions()
	a.DeletionPropagation = spec.GetDeletionPropagation()
	a.IgnoreNotFound = true
	_, err := a.Run(hr.GetReleaseName())
	return err
}

// Unlock marks a release left pending-install, pending-upgrade or
// pending-rollback (by a crash: ferry serialises its own actions) as
// failed, so that the next action may run instead of failing with
// "another operation is in progress". It returns whether it did.
func (r *Runner) Unlock(rel *releasev1.Release) (bool, error) {
	if rel == nil || !rel.Info.Status.IsPending() {
		return false, nil
	}
	was := rel.Info.Status
	rel.Info.Status = releasecommon.StatusFailed
	rel.Info.Description = fmt.Sprintf("Release marked failed by ferry: it was left %s by an interrupted operation", was)
	if err := r.Config.Releases.Update(rel); err != nil {
		return false, fmt.Errorf("marking %s release %s.v%d failed: %w", was, rel.Name, rel.Version, err)
	}
	return true, nil
}

// ownerLabels are stored on the release (Helm's storage Secret labels) to
// say which HelmRelease made it.
func ownerLabels(hr *helmv2.HelmRelease) map[string]string {
	return map[string]string{NameLabel: hr.Name, NamespaceLabel: hr.Namespace}
}
