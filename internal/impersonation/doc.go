// Package impersonation makes the clients that act on an object's target
// cluster: where a Kustomization (or a HelmRelease) applies, prunes,
// health-checks and deletes its objects. That is ferry's own cluster, or the
// remote cluster of spec.kubeConfig; with ferry's own rights, or those of
// the ServiceAccount of spec.serviceAccountName (or of the controller's
// --default-service-account), impersonated as Flux does. Everything else
// (the object itself, its source, its dependencies, its status) stays with
// ferry's own identity on its own cluster.
//
// The owning kind passes a Target (its namespace, spec.serviceAccountName,
// spec.kubeConfig) to an Impersonator; the package knows no kind. ActingAs
// words the identity for messages, and Missing says whether the
// ServiceAccount or kubeconfig Secret is gone, for a deletion that must not
// block on it.
//
// A kubeconfig from a Secret is held to more than Flux's defaults: it may
// not run credential plugins (exec, auth-provider), refer to files on
// ferry's host, or skip TLS verification.
//
// Known gap: impersonated and remote clients, and remote discovery, are
// rebuilt on every reconcile. On ferry's own cluster that is cheap (the
// shared RESTMapper, and client-go's transport cache shares the
// connections); a remote cluster's discovery is redone for every
// reconciliation, which caching keyed by the kubeconfig's content, with
// eviction, would avoid.
package impersonation
