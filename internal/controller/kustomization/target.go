package kustomization

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/impersonation"
)

// The target cluster is where a Kustomization's objects are applied, pruned,
// health-checked and deleted: ferry's own cluster or the remote cluster of
// spec.kubeConfig, with ferry's own rights or those of an impersonated
// ServiceAccount (internal/impersonation).

// target is what obj says about where and as whom its objects are applied.
func target(obj *kustomizev1.Kustomization) impersonation.Target {
	return impersonation.Target{Namespace: obj.Namespace, ServiceAccountName: obj.Spec.ServiceAccountName, KubeConfig: obj.Spec.KubeConfig}
}

// impersonator makes the clients of the Kustomizations' targets from the
// reconciler's own client and configuration.
func (r *Reconciler) impersonator() *impersonation.Impersonator {
	return &impersonation.Impersonator{Client: r.Client, RESTConfig: r.RESTConfig, APIReader: r.APIReader,
		DefaultServiceAccount: r.DefaultServiceAccount}
}

// targetClient returns the client (and its configuration) that applies,
// prunes, health-checks and deletes obj's objects.
func (r *Reconciler) targetClient(ctx context.Context, obj *kustomizev1.Kustomization) (client.Client, *rest.Config, error) {
	return r.impersonator().ClientFor(ctx, target(obj))
}

// actingAs describes, for messages, whose rights obj's objects are applied
// with and on which cluster, e.g. " as ServiceAccount ns/tenant"; empty
// for ferry's own rights on its own cluster.
func (r *Reconciler) actingAs(obj *kustomizev1.Kustomization) string {
	return r.impersonator().ActingAs(target(obj))
}

// deletionClient returns the client that deletes what obj applied, when it
// is deleted; nil (and no error) when the ServiceAccount to impersonate or
// the kubeconfig Secret is gone, as when its namespace is being deleted: as
// in Flux, the objects are then left in place (logged and reported in an
// event) rather than blocking the deletion forever.
func (r *Reconciler) deletionClient(ctx context.Context, obj *kustomizev1.Kustomization) (client.Client, error) {
	imp, t := r.impersonator(), target(obj)
	missing, err := imp.Missing(ctx, t)
	if err != nil {
		return nil, err
	}
	if missing != "" {
		msg := fmt.Sprintf("skipping garbage collection: %s not found; the applied objects are left in place", missing)
		log.FromContext(ctx).Info(msg)
		r.warning(obj, obj.Status.LastAppliedRevision, meta.PruneFailedReason, msg)
		return nil, nil
	}
	c, _, err := imp.ClientFor(ctx, t)
	return c, err
}
