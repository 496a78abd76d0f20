// Package faults holds ferry's fault tests (issue 16): `ferry controller`
// runs as a child process against a simulated control plane and the tests
// inject the faults a production controller meets, then check that it
// converges and loses nothing:
//
//   - SIGKILL while a HelmRelease upgrade is in flight (the release left
//     pending is recovered);
//   - SIGKILL at a random moment while a Kustomization applies and prunes a
//     repository of many objects (every object converges to Git, none lost,
//     none with a second owner, none stuck Reconciling);
//   - kube-apiserver restarted while Kustomizations reconcile;
//   - two replicas with leader election, the leader killed mid-reconcile
//     (the other takes over within the lease, never two applying at once);
//   - a crash while an artifact is written, and a corrupted stored artifact.
//
// Long runs are behind environment variables (FERRY_CRASH_KILLS,
// FERRY_APISERVER_RESTARTS, ...; see each test); docs/benchmarks.md and
// docs/security.md keep their figures. The package has no code of its own.
package faults
