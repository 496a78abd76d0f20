// Package config embeds ferry's generated CustomResourceDefinitions and its
// install manifests, installs the CRDs into a cluster, and renders the
// manifests that `ferry install` applies.
package config
