// Package build turns a directory of a source artifact into Kubernetes
// objects, the way kustomize-controller does: it runs Kustomize (krusty) over
// a file system confined to the artifact root, generates a kustomization.yaml
// in memory when the directory has none, and applies the Flux Kustomization
// spec fields (targetNamespace, ...) to the kustomization without touching
// the files on disk.
//
// The build never reads outside the root: every path, after its symlinks are
// resolved, must stay inside it, and remote bases and URLs are refused before
// Kustomize would fetch them. Errors name the offending file relative to the
// root, and common mistakes (Flux-only fields such as postBuild inside a
// kustomization.yaml) come with the fix. YAML that would make kustomize
// expand aliases without bound, or spend minutes on one huge mapping, is
// refused before kustomize reads it (MaxAliasNodes, MaxMappingKeys).
package build
