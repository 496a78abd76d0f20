// Package chartregistry is an in-process OCI registry on loopback and the
// `helm push` of charts into it: ferry dev serves the charts of the synced
// repository from it, and helmtest serves test charts.
//
// Registry is go-containerregistry's pkg/registry (blobs in memory, its
// logger silenced) behind an optional HTTP basic auth check, plain HTTP on
// 127.0.0.1: a HelmRepository reaches it with `type: oci`,
// `url: oci://HOST/charts` and `insecure: true`.
//
// Push writes a packaged chart the way `helm push` does (Helm 4's
// pkg/registry): repository "charts/<name>", tag the chart version with
// "+" written "_", an OCI image manifest whose config is the chart's
// Chart.yaml as JSON (ConfigMediaType) and whose one layer is the .tgz
// (ChartLayerMediaType), annotated with the chart's name, version,
// description, home, first source, maintainers and its own annotations.
// Unlike `helm push`, the creation time is fixed unless given, so the same
// chart always gives the same manifest digest.
//
// PushDir packages a chart directory as `helm package` does
// (internal/helm/chart: .helmignore honoured, "file://" dependencies
// resolved next to the chart) and pushes it; PushCharts does that for every
// chart directory directly under a directory.
package chartregistry
