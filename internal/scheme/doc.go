// Package scheme is ferry's one runtime.Scheme: the Kubernetes built-in
// kinds, apiextensions.k8s.io/v1 (to install CRDs) and every ferry API group
// version that ferry's controllers serve. The manager, the CLI, the
// benchmark and the tests all build their clients from it, so a new API
// version is registered here once.
package scheme
