package v1

import "fmt"

// CrossNamespaceSourceReference locates the source object that provides the
// Artifact of a Kustomization.
type CrossNamespaceSourceReference struct {
	// API version of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +kubebuilder:validation:Enum=OCIRepository;GitRepository;Bucket;ExternalArtifact
	// +required
	Kind string `json:"kind"`

	// Name of the referent.
	// +required
	Name string `json:"name"`

	// Namespace of the referent, defaults to the namespace of the Kubernetes
	// resource object that contains the reference.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// String returns "Kind/Name", or "Kind/Namespace/Name" when a namespace is set.
func (in *CrossNamespaceSourceReference) String() string {
	if in.Namespace != "" {
		return fmt.Sprintf("%s/%s/%s", in.Kind, in.Namespace, in.Name)
	}
	return fmt.Sprintf("%s/%s", in.Kind, in.Name)
}

// DependencyReference names an object that must be ready before this
// Kustomization is reconciled. Flux only knows Kustomizations here; ferry
// also takes a HelmRelease (kind: HelmRelease, apiVersion optional). The
// apiVersion and kind fields are ferry's: Flux's CRD prunes them, so YAML
// that uses them needs ferry.
type DependencyReference struct {
	// APIVersion of the referent; ferry only. Optional: the kind decides.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent: Kustomization (the default, Flux's only kind)
	// or HelmRelease (ferry only).
	// +kubebuilder:validation:Enum=Kustomization;HelmRelease
	// +optional
	Kind string `json:"kind,omitempty"`

	// Name of the referent.
	// +required
	Name string `json:"name"`

	// Namespace of the referent, defaults to the namespace of the Kustomization
	// resource object that contains the reference.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// ReadyExpr is a CEL expression that can be used to assess the readiness
	// of a dependency. When specified, the built-in readiness check
	// is replaced by the logic defined in the CEL expression.
	// +optional
	ReadyExpr string `json:"readyExpr,omitempty"`
}
