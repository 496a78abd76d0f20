// Package crash holds the HelmRelease crash test (issue 9): ferry's
// controller runs as a child process against a simulated control plane, is
// killed with SIGKILL while a Helm upgrade is in flight, and is started
// again; the release must recover (the version left pending-upgrade is
// marked failed, a StaleReleaseRecovered event says so) and converge on the
// desired values, every time.
//
// The package has no code of its own: everything is in its tests.
package crash
