package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/engine"
	"github.com/fluxcd/cli-utils/pkg/object"
	"github.com/fluxcd/pkg/ssa"
	"github.com/fluxcd/pkg/ssa/jsondiff"
	"github.com/fluxcd/pkg/ssa/normalize"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// Owner is the object that owns the applied objects (a Flux
// Kustomization; a HelmRelease's post-rendered objects as they land): the
// server-side apply field manager its controller applies with and the API
// group of the owner labels every applied object carries.
type Owner struct {
	// Field is the field manager, Flux's controller name
	// ("kustomize-controller"), so that ferry takes over the fields Flux
	// managed (and back).
	Field string
	// Group prefixes the owner labels <group>/name and <group>/namespace.
	Group string
	// Name and Namespace name the owning object.
	Name      string
	Namespace string
}

// Labels returns the owner labels: <group>/name and <group>/namespace.
func (o Owner) Labels() map[string]string {
	return map[string]string{
		o.Group + "/name":      o.Name,
		o.Group + "/namespace": o.Namespace,
	}
}

// SetLabels sets the owner labels on each of objs.
func (o Owner) SetLabels(objs []*unstructured.Unstructured) {
	for _, obj := range objs {
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		for k, v := range o.Labels() {
			labels[k] = v
		}
		obj.SetLabels(labels)
	}
}

func (o Owner) ssa() ssa.Owner { return ssa.Owner{Field: o.Field, Group: o.Group} }

// Options tunes Apply.
type Options struct {
	// Force recreates objects whose immutable fields changed (spec.force).
	// Objects annotated kustomize.toolkit.fluxcd.io/force: enabled are
	// always recreated when needed.
	Force bool

	// WaitTimeout bounds the wait for CRDs, Namespaces and ClusterRoles to
	// be established before the objects that need them are applied
	// (default one minute).
	WaitTimeout time.Duration

	// WaitInterval is how often that wait polls (default two seconds).
	WaitInterval time.Duration

	// DriftIgnoreRules are JSON pointer paths (with a target selector)
	// that are neither compared with nor written to the cluster, as
	// spec.driftIgnoreRules; Diff honours them the same way.
	DriftIgnoreRules []jsondiff.IgnoreRule
}

// Selectors of the per-object annotations, shared by Apply and Diff so
// that a diff shows what an apply would do.
var (
	exclusionSelector = map[string]string{
		kustomizev1.ReconcileAnnotation: kustomizev1.DisabledValue,
		kustomizev1.SSAAnnotation:       kustomizev1.IgnoreValue,
	}
	ifNotPresentSelector = map[string]string{kustomizev1.SSAAnnotation: kustomizev1.IfNotPresentValue}
	forceSelector        = map[string]string{kustomizev1.ForceAnnotation: kustomizev1.EnabledValue}
)

// Manager applies and prunes the objects of one owner.
type Manager struct {
	c     client.Client
	rm    *ssa.ResourceManager
	owner Owner
}

// NewManager returns a Manager that talks to the cluster through c, which
// must read unstructured objects from the API server (controller-runtime's
// default client does; it does not cache unstructured objects).
func NewManager(c client.Client, owner Owner) *Manager {
	rm := ssa.NewResourceManager(c, newPoller(c, nil), owner.ssa())
	rm.SetConcurrency(4)
	return &Manager{c: c, rm: rm, owner: owner}
}

// newPoller returns a kstatus poller that reads each object it waits for
// directly (a GET per object and poll, all at once: see prefetchReader)
// rather than through kstatus's caching reader, which lists every object of
// each kind in the namespaces involved at every poll: with many
// Kustomizations applying into shared namespaces, that is most of the load
// of their health checks. Deployments are assessed from the Deployment
// alone (see deploymentStatusReader); readers (spec.healthCheckExprs) come
// first.
func newPoller(c client.Client, readers []engine.StatusReader) *polling.StatusPoller {
	readers = append(slices.Clone(readers), newDeploymentStatusReader(c.RESTMapper()))
	return polling.NewStatusPoller(c, c.RESTMapper(), polling.Options{
		CustomStatusReaders:  readers,
		ClusterReaderFactory: engine.ClusterReaderFactoryFunc(newPrefetchReader),
	})
}

// Owner returns the owner the manager labels objects with.
func (m *Manager) Owner() Owner { return m.owner }

// RESTMapper returns the mapper of the cluster the manager talks to.
func (m *Manager) RESTMapper() apimeta.RESTMapper { return m.c.RESTMapper() }

// Apply server-side applies objs in stages, as kustomize-controller does:
// cluster definitions (CRDs, Namespaces, ClusterRoles) first, waiting until
// they are ready, then class kinds, then everything else. Each object gets
// the owner labels. Objects that match the cluster already are left alone;
// drifted ones are re-applied. Objects annotated
// kustomize.toolkit.fluxcd.io/reconcile: disabled or
// kustomize.toolkit.fluxcd.io/ssa: Ignore are skipped, and ssa: IfNotPresent
// objects are only created.
//
// A stage is all or nothing: every object of it is dry-run first, and a
// rejection (named Kind/namespace/name) stops the apply before any object of
// that stage is changed. The change set returned holds what was done.
func (m *Manager) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts Options) (*ssa.ChangeSet, error) {
	if err := m.Normalize(objs); err != nil {
		return nil, err
	}

	applyOpts := ssa.DefaultApplyOptions()
	applyOpts.Force = opts.Force
	if opts.WaitTimeout > 0 {
		applyOpts.WaitTimeout = opts.WaitTimeout
	}
	if opts.WaitInterval > 0 {
		applyOpts.WaitInterval = opts.WaitInterval
	}
	applyOpts.ExclusionSelector = exclusionSelector
	applyOpts.IfNotPresentSelector = ifNotPresentSelector
	applyOpts.ForceSelector = forceSelector
	applyOpts.DriftIgnoreRules = opts.DriftIgnoreRules
	applyOpts.Cleanup = ssa.ApplyCleanupOptions{
		Annotations: []string{
			corev1.LastAppliedConfigAnnotation,
			"kustomize.toolkit.fluxcd.io/checksum",
			"fluxcd.io/sync-checksum",
		},
		Labels: []string{"fluxcd.io/sync-gc-mark"},
		// Drop the claims of kubectl and of pre-SSA controllers, so that
		// fields they changed revert to what Git declares.
		FieldManagers: []ssa.FieldManager{
			{Name: "kubectl", OperationType: metav1.ManagedFieldsOperationApply},
			{Name: "kubectl", OperationType: metav1.ManagedFieldsOperationUpdate},
			{Name: "before-first-apply", OperationType: metav1.ManagedFieldsOperationUpdate},
			{Name: m.owner.Field, OperationType: metav1.ManagedFieldsOperationUpdate},
		},
		Exclusions: map[string]string{
			kustomizev1.SSAAnnotation: kustomizev1.MergeValue,
		},
	}
	cs, err := m.rm.ApplyAllStaged(ctx, objs, applyOpts)
	// A CRD of the first stage reports Established a moment before the API
	// server serves its kind in discovery, so the dry run of an object of
	// that kind may not find it yet. The apply is repeated (what it applied
	// already matches and is left alone) until the kind is served.
	for deadline := time.Now().Add(discoveryWait); apimeta.IsNoMatchError(err) && definesKinds(objs) && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return cs, err
		case <-time.After(200 * time.Millisecond):
		}
		var again *ssa.ChangeSet
		again, err = m.rm.ApplyAllStaged(ctx, objs, applyOpts)
		cs = mergeChangeSets(cs, again)
	}
	return cs, err
}

// discoveryWait bounds how long Apply waits for the kinds of the CRDs it
// applied to be served.
const discoveryWait = 10 * time.Second

// definesKinds reports whether objs hold a CustomResourceDefinition.
func definesKinds(objs []*unstructured.Unstructured) bool {
	return slices.ContainsFunc(objs, func(o *unstructured.Unstructured) bool {
		return o.GetKind() == "CustomResourceDefinition" && o.GroupVersionKind().Group == "apiextensions.k8s.io"
	})
}

// mergeChangeSets joins the change sets of a first apply and its repeat:
// what the first one did stands (the repeat finds it unchanged), and the
// repeat adds the objects the first one did not reach.
func mergeChangeSets(first, again *ssa.ChangeSet) *ssa.ChangeSet {
	if first == nil {
		return again
	}
	if again == nil {
		return first
	}
	seen := map[string]bool{}
	for _, e := range first.Entries {
		seen[e.Subject] = true
	}
	for _, e := range again.Entries {
		if !seen[e.Subject] {
			first.Add(e)
		}
	}
	return first
}

// Diff dry-runs the apply of obj (normalized, with the owner labels) as
// Apply would, with the same annotation selectors and opts.Force and
// opts.DriftIgnoreRules, and returns what it would do with the live and
// merged objects (Secret values masked) when it would change something.
func (m *Manager) Diff(ctx context.Context, obj *unstructured.Unstructured, opts Options) (*ssa.ChangeSetEntry, *unstructured.Unstructured, *unstructured.Unstructured, error) {
	return m.rm.Diff(ctx, obj, ssa.DiffOptions{
		Exclusions:           exclusionSelector,
		IfNotPresentSelector: ifNotPresentSelector,
		Force:                opts.Force,
		ForceSelector:        forceSelector,
		DriftIgnoreRules:     opts.DriftIgnoreRules,
	})
}

// Normalize prepares objs as Apply does before it compares them with the
// cluster: defaults filled in, the owner labels set.
func (m *Manager) Normalize(objs []*unstructured.Unstructured) error {
	if err := normalize.UnstructuredList(objs); err != nil {
		return fmt.Errorf("normalizing objects: %w", err)
	}
	m.rm.SetOwnerLabels(objs, m.owner.Name, m.owner.Namespace)
	return nil
}

// Prune deletes objs (typically the stale objects of an inventory diff, or
// the whole inventory when the owner is deleted), but only those whose live
// object still carries this owner's labels and is not annotated
// kustomize.toolkit.fluxcd.io/prune: disabled or
// kustomize.toolkit.fluxcd.io/reconcile: disabled. Objects already gone count
// as deleted; kept ones are reported as skipped. Deletion propagates in the
// background.
func (m *Manager) Prune(ctx context.Context, objs []*unstructured.Unstructured) (*ssa.ChangeSet, error) {
	if len(objs) == 0 {
		return ssa.NewChangeSet(), nil
	}
	return m.rm.DeleteAll(ctx, objs, ssa.DeleteOptions{
		PropagationPolicy: metav1.DeletePropagationBackground,
		Inclusions:        m.owner.Labels(),
		Exclusions: map[string]string{
			kustomizev1.PruneAnnotation:     kustomizev1.DisabledValue,
			kustomizev1.ReconcileAnnotation: kustomizev1.DisabledValue,
		},
	})
}

// WaitForTermination waits until the objects the change set deleted are gone.
func (m *Manager) WaitForTermination(cs *ssa.ChangeSet, timeout time.Duration) error {
	return m.rm.WaitForSetTermination(cs, ssa.WaitOptions{Interval: 2 * time.Second, Timeout: timeout})
}

// WaitOptions tunes Wait.
type WaitOptions struct {
	// Timeout bounds the wait; the error then names every object that is
	// not ready.
	Timeout time.Duration

	// Interval is how often the objects are polled (default five seconds,
	// kustomize-controller's).
	Interval time.Duration

	// StatusReaders compute the status of the kinds they support instead
	// of kstatus (see cel.StatusReaders, for spec.healthCheckExprs).
	StatusReaders []engine.StatusReader

	// JobsWithTTL are Jobs deleted once finished (see JobsWithTTL): their
	// absence counts as success.
	JobsWithTTL object.ObjMetadataSet
}

// Wait waits until every object of set is ready per kstatus (Current). It
// fails as soon as every object has settled and one of them reports failure
// (kstatus Failed: a Deployment past its progress deadline, a failed Job),
// instead of waiting out the timeout. The error names the objects that are
// not ready with their status; an object that does not exist is reported as
// NotFound. Cancelling ctx stops the wait with ctx's error.
func (m *Manager) Wait(ctx context.Context, set object.ObjMetadataSet, opts WaitOptions) error {
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	rm := m.rm
	if len(opts.StatusReaders) > 0 {
		rm = ssa.NewResourceManager(m.c, newPoller(m.c, opts.StatusReaders), m.owner.ssa())
	}
	err := rm.WaitForSetWithContext(ctx, set, ssa.WaitOptions{
		Interval: opts.Interval, Timeout: opts.Timeout, FailFast: true, JobsWithTTL: opts.JobsWithTTL,
	})
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	return err
}

// JobsWithTTL returns the Jobs among objs that set
// spec.ttlSecondsAfterFinished: the TTL controller deletes them once they
// finish, so a wait must not take their absence for a failure.
func JobsWithTTL(objs []*unstructured.Unstructured) object.ObjMetadataSet {
	var set object.ObjMetadataSet
	for _, o := range objs {
		if o.GetKind() != "Job" || o.GroupVersionKind().Group != "batch" {
			continue
		}
		if _, ok, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "ttlSecondsAfterFinished"); ok {
			set = append(set, object.UnstructuredToObjMetadata(o))
		}
	}
	return set
}

// WaitSet returns the objects of a change set a health check of every
// applied object waits for: all but those skipped (annotated
// kustomize.toolkit.fluxcd.io/reconcile: disabled or ssa: Ignore).
func WaitSet(cs *ssa.ChangeSet) object.ObjMetadataSet {
	var set object.ObjMetadataSet
	if cs == nil {
		return set
	}
	for _, e := range cs.Entries {
		if e.Action == ssa.SkippedAction {
			continue
		}
		set = append(set, e.ObjMetadata)
	}
	return set
}
