package meta

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Artifact represents the output of a Source reconciliation: a tarball stored
// by ferry and served over HTTP to the controllers that consume it.
type Artifact struct {
	// Path is the relative file path of the Artifact inside the storage root
	// of the controller that produced it.
	// +required
	Path string `json:"path"`

	// URL is the HTTP address of the Artifact as served by the controller
	// that produced it.
	// +required
	URL string `json:"url"`

	// Revision is a human-readable identifier traceable in the origin source
	// system, e.g. "main@sha1:<commit>" for a Git branch.
	// +optional
	Revision string `json:"revision"`

	// Digest is the digest of the file in the form of '<algorithm>:<checksum>'.
	// +kubebuilder:validation:Pattern="^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"
	// +optional
	Digest string `json:"digest,omitempty"`

	// LastUpdateTime is the time the Artifact was last updated.
	// +required
	LastUpdateTime metav1.Time `json:"lastUpdateTime,omitempty"`

	// Size is the number of bytes in the file.
	// +optional
	Size *int64 `json:"size,omitempty"`

	// Metadata holds upstream information such as OCI annotations.
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
}

// HasRevision reports whether the Artifact has the given revision. A nil
// Artifact has no revision.
func (in *Artifact) HasRevision(revision string) bool {
	return in != nil && in.Revision == revision
}

// HasDigest reports whether the Artifact has the given digest. A nil Artifact
// has no digest.
func (in *Artifact) HasDigest(digest string) bool {
	return in != nil && in.Digest == digest
}
