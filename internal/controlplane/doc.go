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
// otherwise EnsureBinaries builds them once from their Go modules at pinned
// versions (KubernetesVersion, EtcdVersion, KwokVersion) into the user cache
// directory. The build is locked, so parallel test packages build once, and
// installed atomically, so a half-built cache is never used.
//
// A test package typically starts one plane in TestMain:
//
//	cp, err := controlplane.Start(context.Background(), controlplane.Options{Progress: os.Stderr})
//	...
//	code := m.Run()
//	_ = cp.Stop()
//
// The first run builds the binaries (about 6 minutes for the API-only shape on
// two cores, more for the simulated one), so give `go test` a generous
// -timeout the first time.
package controlplane
