package kustomization

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/fluxcd/pkg/ssa/jsondiff"
)

// ControllerName is the name the controller's events and logs carry, and
// its server-side apply field manager: Flux's, so that ferry takes over the
// fields kustomize-controller managed (and back).
const ControllerName = "kustomize-controller"

// DriftIgnoreRules returns spec.driftIgnoreRules as the apply package
// takes them.
func DriftIgnoreRules(spec *kustomizev1.KustomizationSpec) []jsondiff.IgnoreRule {
	var rules []jsondiff.IgnoreRule
	for _, r := range spec.DriftIgnoreRules {
		rule := jsondiff.IgnoreRule{Paths: r.Paths}
		if r.Target != nil {
			rule.Selector = &jsondiff.Selector{
				Group: r.Target.Group, Version: r.Target.Version, Kind: r.Target.Kind,
				Name: r.Target.Name, Namespace: r.Target.Namespace,
				AnnotationSelector: r.Target.AnnotationSelector, LabelSelector: r.Target.LabelSelector,
			}
		}
		rules = append(rules, rule)
	}
	return rules
}

// Owner is the owner of what obj applies: the field manager and the
// kustomize.toolkit.fluxcd.io/name and /namespace labels, as Flux sets them.
func Owner(obj *kustomizev1.Kustomization) apply.Owner {
	return apply.Owner{Field: ControllerName, Group: kustomizev1.GroupVersion.Group, Name: obj.Name, Namespace: obj.Namespace}
}

// Reconciler reconciles Flux Kustomizations.
type Reconciler struct {
	client.Client

	// Events records the events about Kustomizations (Kubernetes Events and
	// the in-process bus); nil records none.
	Events *events.Recorder

	// Fetcher gets and unpacks source artifacts.
	Fetcher *artifact.Fetcher

	// TempDir is where artifacts are unpacked for a build; empty means the
	// system temporary directory.
	TempDir string

	// DependencyRequeueInterval is how long to wait for a source that has no
	// artifact yet, or for a dependency (spec.dependsOn) that is not Ready,
	// before trying again; zero means 30 seconds. A dependency that becomes
	// Ready starts its dependents at once, whatever this interval.
	DependencyRequeueInterval time.Duration

	// HealthCheckInterval is how often a health check that the shared
	// informers cannot answer (a spec.kubeConfig cluster, or spec.healthChecks
	// of an impersonated ServiceAccount) polls the objects it waits for;
	// zero means 500ms. Other checks follow their objects' informers.
	HealthCheckInterval time.Duration

	// memory keeps what is remembered per Kustomization between reconciliations.
	memory memory

	// health goes on with health checks off the workers; wakeups enqueues
	// the Kustomizations whose check ended.
	health  *apply.Watcher
	wakeups chan event.GenericEvent

	// artifacts shares unpacked artifacts between reconciliations.
	artifactsOnce sync.Once
	artifacts     *artifact.Cache

	// RESTConfig is ferry's own configuration, from which the clients that
	// impersonate a ServiceAccount are made; nil means the manager's.
	RESTConfig *rest.Config

	// APIReader reads ServiceAccounts and kubeconfig Secrets straight from
	// the API server (no cache of every Secret); nil means the manager's.
	APIReader client.Reader

	// DefaultServiceAccount is impersonated for Kustomizations without
	// spec.serviceAccountName (--default-service-account); empty means
	// ferry's own rights.
	DefaultServiceAccount string

	// NoCrossNamespaceRefs refuses Kustomizations whose sourceRef or
	// dependsOn names another namespace (--no-cross-namespace-refs).
	NoCrossNamespaceRefs bool

	// IntervalJitterPercentage spreads the requeue after a success over
	// spec.interval ± this percentage; zero means
	// reconcile.DefaultJitterPercentage, negative disables the jitter.
	IntervalJitterPercentage int
}

// artifactCache returns the reconciler's cache of unpacked artifacts.
func (r *Reconciler) artifactCache() *artifact.Cache {
	r.artifactsOnce.Do(func() { r.artifacts = artifact.NewCache(r.Fetcher, r.TempDir, 0) })
	return r.artifacts
}

// wake enqueues the Kustomization key.
func (r *Reconciler) wake(key client.ObjectKey) {
	ev := event.GenericEvent{Object: &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}}
	select {
	case r.wakeups <- ev:
	default:
		go func() { r.wakeups <- ev }()
	}
}

// impersonates reports whether obj's objects are applied with the rights
// of a ServiceAccount rather than ferry's own.
func (r *Reconciler) impersonates(obj *kustomizev1.Kustomization) bool {
	return obj.Spec.ServiceAccountName != "" || r.DefaultServiceAccount != ""
}

// Reconcile brings one Kustomization in line with its source, on the
// shared skeleton (internal/reconcile): the finalizer, the status finish
// and patch, metrics and suspend are handled there.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*kustomizev1.Kustomization]{
		Client:           r.Client,
		Kind:             kustomizev1.KustomizationKind,
		Finalizer:        kustomizev1.KustomizationFinalizer,
		New:              func() *kustomizev1.Kustomization { return &kustomizev1.Kustomization{} },
		Phases:           r.reconcile,
		Finalize:         r.finalize,
		Forget:           r.forget,
		JitterPercentage: r.IntervalJitterPercentage,
	}
	return s.Reconcile(ctx, req)
}

// finalize deletes what the Kustomization applied, when its deletionPolicy
// says so, before the skeleton removes the finalizer.
func (r *Reconciler) finalize(ctx context.Context, obj *kustomizev1.Kustomization) error {
	logger := log.FromContext(ctx)
	policy := obj.GetDeletionPolicy()
	prune := policy == kustomizev1.DeletionPolicyDelete || policy == kustomizev1.DeletionPolicyWaitForTermination ||
		policy == kustomizev1.DeletionPolicyMirrorPrune && obj.Spec.Prune
	if !prune || obj.Spec.Suspend || obj.Status.Inventory == nil || len(obj.Status.Inventory.Entries) == 0 {
		return nil
	}
	objs, err := apply.Objects(obj.Status.Inventory)
	if err != nil {
		// A corrupt inventory cannot be pruned; do not block the deletion on it.
		logger.Error(err, "skipping garbage collection of a corrupt inventory")
		return nil
	}
	kube, err := r.deletionClient(ctx, obj)
	if err != nil {
		return fmt.Errorf("garbage collection of the deleted Kustomization failed: %w", err)
	}
	if kube == nil {
		return nil
	}
	m := apply.NewManager(kube, Owner(obj))
	cs, err := m.Prune(ctx, objs)
	if err != nil {
		r.warning(obj, obj.Status.LastAppliedRevision, meta.PruneFailedReason,
			fmt.Sprintf("garbage collection of the deleted Kustomization failed%s: %v", r.actingAs(obj), err))
		return fmt.Errorf("garbage collection of the deleted Kustomization failed: %w", err)
	}
	if msg := changeSetMessage(cs, true); msg != "" {
		logger.Info("garbage collection completed", "changes", msg)
		r.normal(obj, obj.Status.LastAppliedRevision, "GarbageCollectionSucceeded", msg)
	}
	if policy == kustomizev1.DeletionPolicyWaitForTermination {
		if err := m.WaitForTermination(cs, obj.GetTimeout()); err != nil {
			return fmt.Errorf("waiting for the deleted objects to terminate: %w", err)
		}
	}
	return nil
}
