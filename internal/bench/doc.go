// Package bench measures ferry at scale on the local simulated cluster, in
// the shape of Flux's own benchmark: N Kustomizations with `wait: true`,
// each applying four objects (a Deployment scaled to 0, a ServiceAccount, a
// Service and a ConfigMap) from one GitRepository served by a real
// `git http-backend`.
//
// Kustomizations starts the simulated cluster, installs the CRDs, commits the
// manifests, and runs `ferry controller` as a separate process so that the
// memory it reports is ferry's alone. It measures the time from creating the
// Kustomizations until all are Ready, the peak resident memory of the
// controller process (VmHWM), and a no-change pass: every Kustomization is
// asked to reconcile (reconcile.fluxcd.io/requestedAt) with no new commit,
// and the pass is timed and checked for objects the controller rewrote (a
// changed resourceVersion). Then one commit changes one app's directory
// only, the GitRepository is asked to reconcile, and the changed app's apply,
// all Kustomizations reaching the commit, the controller's CPU time and the
// objects rewritten are measured. Last, with ferry idle, the floor: the same
// 4N objects applied by server-side apply from one client without a rate
// limit, in namespaces of their own, until their Deployments are Current,
// at a few concurrencies; the first apply is reported as a multiple of the
// fastest. Everything it starts is stopped before it returns. `ferry bench kustomizations` is the command line for it;
// HelmReleases (`ferry bench helmreleases`) is the same for charts.
//
// Push (`ferry bench receiver`) times a real `git push` through a
// post-receive hook calling a Receiver until the Kustomization has applied
// the commit, stage by stage. Notifications (`ferry bench notifications`)
// drives a steady rate of events to generic Providers and compares the
// commit-to-applied latency with and without Alerts.
package bench
