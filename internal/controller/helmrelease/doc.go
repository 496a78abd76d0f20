// Package helmrelease reconciles Flux HelmReleases with the Helm 4 SDK
// (internal/helm/release): it keeps the HelmChart of spec.chart, waits for
// its artifact and the dependencies, composes the values, and then takes
// one step after another (install, upgrade, test, remediate by rollback or
// uninstall) until the release in Helm's storage is the desired one, as
// helm-controller does. docs/api.md says what each field does.
package helmrelease
