// Package simulated holds the integration tests of the Kustomization
// controller that need workloads to become ready for real: health checks
// (spec.wait, spec.healthChecks, spec.timeout), their cancellation by a new
// source revision, and dependsOn ordering. Its TestMain starts a simulated
// control plane (kube-controller-manager, kube-scheduler and kwok with one
// fake Node) so that Deployments become Available or fail as in a cluster.
package simulated
