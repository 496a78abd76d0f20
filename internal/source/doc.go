// Package source is the one path through which consumers (Kustomization
// today, HelmChart and HelmRelease as they land) read sources: the table of
// source kinds, and Get, which returns any of them as a sourcev1.Source.
// Adding a source kind to Kinds makes every consumer get, index and watch
// it.
package source
