// Package controlplane runs a real Kubernetes control plane on loopback for
// tests and for `ferry dev`.
//
// Two shapes are available:
//
//   - API-only: etcd and kube-apiserver, started through controller-runtime's
//     envtest. Objects are stored and validated, but nothing acts on them:
//     no Deployment ever becomes Available.
//   - Simulated: the API-only plane plus kube-controller-manager,
//     kube-scheduler and kwok, with one fake Node. Pods are scheduled and
//     kwok marks them Running (or Succeeded for Jobs), so Deployments become
//     Available and Jobs complete, without running any container.
//
// The server binaries come from KUBEBUILDER_ASSETS when it holds them;
// otherwise EnsureBinaries installs them once, at pinned versions
// (KubernetesVersion, EtcdVersion, KwokVersion), into the user cache
// directory: etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler are downloaded from their official releases and checked
// against the published SHA-256 checksums when the network allows
// (DownloadEnv turns this off or names a mirror; test binaries do not
// download unless it asks them to); kwok, which publishes no checksums,
// and anything whose download fails are built from their Go modules. The
// install is locked, so parallel test packages install once, and atomic,
// so a half-installed cache is never used.
//
// Progress goes to Options.Progress: one line per step and, while a long
// step runs, its elapsed time beside the typical duration (redrawn in
// place on a terminal, a line every 30 seconds elsewhere).
//
// A test package typically starts one plane in TestMain:
//
//	cp, err := controlplane.Start(context.Background(), controlplane.Options{Progress: os.Stderr})
//	...
//	code := m.Run()
//	_ = cp.Stop()
//
// A first run that builds the binaries takes about 15 minutes for the
// API-only shape on two cores with an empty module cache, and about 8 more
// for the simulated one, so give `go test` a generous -timeout then (or run
// `make controlplane` first).
package controlplane
