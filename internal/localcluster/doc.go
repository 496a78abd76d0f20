// Package localcluster brings up the local simulated cluster that
// `ferry dev` and `ferry bench` run ferry against: the simulated control
// plane (internal/controlplane), an admin kubeconfig written to a file, a
// client with ferry's scheme, and ferry's CRDs installed and Established.
// Starting ferry's controllers stays with the caller: `ferry dev` runs them
// in its own process, the benchmark as a separate `ferry controller`
// process so that the memory it measures is the controller's alone.
package localcluster
