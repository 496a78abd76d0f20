// Package chart turns a Helm chart from a source artifact or a chart
// repository into the packaged chart a HelmChart stores, as Flux's
// source-controller does: it loads a chart directory confined to the
// unpacked artifact, merges values files into the chart's values.yaml,
// resolves the dependencies Chart.yaml lists and packages the result.
//
// Loading (LoadDir) reads every file through an os.Root on the artifact, so
// an absolute chart path, a ".." that leaves the artifact and a symlink
// pointing outside it are refused with ErrOutsideRoot, where Flux's
// securejoin would silently clamp the path. Files over 5 MiB and charts
// over 100 MiB are refused (Helm's limits; WithLimits changes them).
// .helmignore is honoured as Helm's directory loader does.
//
// Values files (MergeValuesFiles) are merged in order, later files winning,
// maps merged deeply and everything else replaced, as Flux does. For a
// chart from a source artifact a path is looked up relative to the root of
// the artifact first (Flux's rule) and, where it is not found there,
// relative to the chart directory (ferry's addition, which only takes
// effect where Flux would have failed). For a chart from a repository the
// names are files of the chart itself. ReplaceValues writes the result
// over the chart's values.yaml.
//
// Dependencies (BuildDependencies) that charts/ does not already hold are
// added: "file://" ones loaded from the artifact (confined to it, as
// LoadDir), the others fetched through a Repositories, which resolves a
// repository URL or a "@name"/"alias:name" reference. Conditions and tags
// are left to Helm at render time.
//
// Package writes the chart as Helm's chartutil.Save lays it out, but
// deterministically: entries sorted, fixed timestamps, no gzip header
// time, so the same chart always packages to the same bytes (and so to the
// same artifact digest).
package chart
