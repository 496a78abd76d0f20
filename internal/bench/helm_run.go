package bench

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/scheme"
)

// helmRun is one run of HelmReleases: what its steps share once the
// cluster, the registry, the controller and the watch are up.
type helmRun struct {
	opts Options
	say  func(format string, args ...any)
	res  *HelmResult

	c     client.Client
	watch cache.Cache
	ctrl  *controllerProcess
	// installedCPU is the controller's CPU time, in seconds, when all
	// HelmReleases were first Ready.
	installedCPU float64
	// secrets and objects are Helm's storage Secrets and the released
	// objects' resourceVersions after the first install.
	secrets map[string]bool
	objects map[string]string
}

// startHelmWatch starts an informer cache of the source and the target
// namespaces that runs until ctx ends.
func startHelmWatch(ctx context.Context, cfg *rest.Config) (cache.Cache, error) {
	watch, err := cache.New(cfg, cache.Options{Scheme: scheme.New(),
		DefaultNamespaces: map[string]cache.Config{SourceNamespace: {}, TargetNamespace: {}}})
	if err != nil {
		return nil, fmt.Errorf("creating the cache: %w", err)
	}
	go func() { _ = watch.Start(ctx) }()
	return watch, nil
}

// createHelmRepository creates the HelmRepository of type oci for url and
// waits until it is Ready.
func (r *helmRun) createHelmRepository(ctx context.Context, url string) error {
	repo := &sourcev1.HelmRepository{
		ObjectMeta: metav1.ObjectMeta{Name: HelmRepositoryName, Namespace: SourceNamespace},
		Spec: sourcev1.HelmRepositorySpec{
			Type:     sourcev1.HelmRepositoryTypeOCI,
			URL:      url,
			Insecure: true,
			Interval: metav1.Duration{Duration: time.Hour},
		},
	}
	if err := r.c.Create(ctx, repo); err != nil {
		return fmt.Errorf("creating the HelmRepository: %w", err)
	}
	r.say("► waiting for the HelmRepository %s to be Ready", url)
	return r.ctrl.waitFor(ctx, 5*time.Minute, func() (bool, string, error) {
		if err := r.watch.Get(ctx, client.ObjectKeyFromObject(repo), repo); err != nil {
			return false, "", nil
		}
		c := apimeta.FindStatusCondition(repo.Status.Conditions, meta.ReadyCondition)
		if c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == repo.Generation {
			return true, "", nil
		}
		state := "the HelmRepository is not Ready"
		if c != nil {
			state += " (" + c.Reason + ": " + c.Message + ")"
		}
		return false, state, nil
	})
}

// install creates the HelmReleases and times them until all are Ready,
// then records Helm's storage Secrets and the released objects.
func (r *helmRun) install(ctx context.Context) error {
	count := r.opts.Count
	r.say("► creating %d HelmReleases", count)
	cpu0, _ := cpuSecondsOf(r.ctrl.pid())
	start := time.Now()
	err := parallel(ctx, count, func(i int) error {
		hr := helmRelease(i)
		if err := r.c.Create(ctx, hr); err != nil {
			return fmt.Errorf("creating HelmRelease %s: %w", hr.Name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.say("► waiting until all are Ready")
	if err := r.ctrl.waitFor(ctx, r.opts.Timeout, allHelmReleasesReady(ctx, r.watch, count, nil)); err != nil {
		return fmt.Errorf("first install: %w", err)
	}
	r.res.AllReady = time.Since(start)
	r.installedCPU, _ = cpuSecondsOf(r.ctrl.pid())
	r.res.AllReadyCPU = r.installedCPU - cpu0
	r.say("✔ %d HelmReleases Ready in %s", count, r.res.AllReady.Round(time.Millisecond))
	if err := r.recordInstallDurations(ctx); err != nil {
		return err
	}

	if r.secrets, err = helmSecrets(ctx, r.c); err != nil {
		return err
	}
	r.res.ReleaseSecrets = len(r.secrets)
	if r.objects, err = releasedObjects(ctx, r.c); err != nil {
		return err
	}
	r.res.Objects = len(r.objects)
	if want := helmObjectsPerRelease * count; len(r.objects) != want {
		return fmt.Errorf("found %d released objects, want %d", len(r.objects), want)
	}
	return nil
}

// recordInstallDurations records the median and the longest install
// action of the HelmReleases.
func (r *helmRun) recordInstallDurations(ctx context.Context) error {
	var list helmv2.HelmReleaseList
	if err := r.watch.List(ctx, &list, client.InNamespace(TargetNamespace)); err != nil {
		return fmt.Errorf("listing the HelmReleases: %w", err)
	}
	var durations []time.Duration
	for _, hr := range list.Items {
		if d := hr.Status.LastAttemptedReleaseActionDuration; d != nil {
			durations = append(durations, d.Duration)
		}
	}
	if len(durations) == 0 {
		return nil
	}
	slices.Sort(durations)
	r.res.InstallMedian = durations[len(durations)/2]
	r.res.InstallMax = durations[len(durations)-1]
	return nil
}

// noChangePass asks every HelmRelease to reconcile, with no new chart and
// no new values, times them until each has handled the request and is
// Ready, and counts the Helm release revisions (storage Secrets) and the
// rewritten objects the pass left behind.
func (r *helmRun) noChangePass(ctx context.Context) error {
	count := r.opts.Count
	token := time.Now().Format(time.RFC3339Nano)
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, meta.ReconcileRequestAnnotation, token)
	r.say("► requesting a reconciliation of every HelmRelease (no new chart, no new values)")
	start := time.Now()
	err := parallel(ctx, count, func(i int) error {
		hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Name: appName(i), Namespace: TargetNamespace}}
		if err := r.c.Patch(ctx, hr, client.RawPatch(types.MergePatchType, patch)); err != nil {
			return fmt.Errorf("requesting a reconciliation of HelmRelease %s: %w", hr.Name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := r.ctrl.waitFor(ctx, r.opts.Timeout, allHelmReleasesReady(ctx, r.watch, count, &token)); err != nil {
		return fmt.Errorf("no-change pass: %w", err)
	}
	r.res.NoChange = time.Since(start)
	cpu, _ := cpuSecondsOf(r.ctrl.pid())
	r.res.NoChangeCPU = cpu - r.installedCPU
	r.say("✔ no-change pass done in %s", r.res.NoChange.Round(time.Millisecond))

	// Count what the pass wrote.
	secrets, err := helmSecrets(ctx, r.c)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		if !r.secrets[name] {
			r.res.NewRevisions++
			if len(r.res.NewRevisionSecrets) < 10 {
				r.res.NewRevisionSecrets = append(r.res.NewRevisionSecrets, name)
			}
		}
	}
	objects, err := releasedObjects(ctx, r.c)
	if err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(r.objects)) {
		if objects[id] != r.objects[id] {
			r.res.Rewritten++
			if len(r.res.RewrittenObjects) < 10 {
				r.res.RewrittenObjects = append(r.res.RewrittenObjects, id)
			}
		}
	}
	return nil
}

// allHelmReleasesReady is the condition that all count HelmReleases are
// Ready at their generation and, when token is set, have handled that
// reconcile request. A stalled HelmRelease fails at once.
func allHelmReleasesReady(ctx context.Context, r client.Reader, count int, token *string) func() (bool, string, error) {
	return func() (bool, string, error) {
		var list helmv2.HelmReleaseList
		if err := r.List(ctx, &list, client.InNamespace(TargetNamespace)); err != nil {
			return false, "", err
		}
		ready := 0
		var waiting string
		for i := range list.Items {
			hr := &list.Items[i]
			if apimeta.IsStatusConditionTrue(hr.Status.Conditions, meta.StalledCondition) {
				c := apimeta.FindStatusCondition(hr.Status.Conditions, meta.StalledCondition)
				return false, "", fmt.Errorf("HelmRelease %s is stalled: %s", hr.Name, c.Message)
			}
			c := apimeta.FindStatusCondition(hr.Status.Conditions, meta.ReadyCondition)
			ok := c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == hr.Generation
			if ok && token != nil {
				ok = hr.Status.LastHandledReconcileAt == *token
			}
			if ok {
				ready++
			} else if waiting == "" {
				waiting = hr.Name
				if c != nil {
					waiting += " (" + c.Reason + ": " + c.Message + ")"
				}
			}
		}
		return ready == count, fmt.Sprintf("%d of %d done; waiting for %s", ready, count, waiting), nil
	}
}

// helmSecrets returns the names of Helm's release storage Secrets (label
// owner=helm) in the target namespace, reading only their metadata.
func helmSecrets(ctx context.Context, c client.Client) (map[string]bool, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("SecretList"))
	if err := c.List(ctx, list, client.InNamespace(TargetNamespace),
		client.MatchingLabels{helmOwnerLabel: helmOwnerValue}); err != nil {
		return nil, fmt.Errorf("listing Helm's release Secrets: %w", err)
	}
	out := make(map[string]bool, len(list.Items))
	for _, s := range list.Items {
		out[s.Name] = true
	}
	return out, nil
}

// releasedObjects returns the resourceVersion of every Deployment and
// Service the releases hold, by "Kind/name".
func releasedObjects(ctx context.Context, c client.Client) (map[string]string, error) {
	out := map[string]string{}
	opts := []client.ListOption{client.InNamespace(TargetNamespace), client.HasLabels{"app"}}
	var deployments appsv1.DeploymentList
	if err := c.List(ctx, &deployments, opts...); err != nil {
		return nil, fmt.Errorf("listing the released Deployments: %w", err)
	}
	for _, d := range deployments.Items {
		out["Deployment/"+d.Name] = d.ResourceVersion
	}
	var services corev1.ServiceList
	if err := c.List(ctx, &services, opts...); err != nil {
		return nil, fmt.Errorf("listing the released Services: %w", err)
	}
	for _, s := range services.Items {
		out["Service/"+s.Name] = s.ResourceVersion
	}
	return out, nil
}
