package v2

import "fmt"

// CrossNamespaceObjectReference contains enough information to let you
// locate the typed referenced object at cluster level.
type CrossNamespaceObjectReference struct {
	// APIVersion of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +kubebuilder:validation:Enum=HelmRepository;GitRepository;Bucket
	// +required
	Kind string `json:"kind,omitempty"`

	// Name of the referent.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Namespace of the referent.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// CrossNamespaceSourceReference contains enough information to let you
// locate the typed referenced object at cluster level.
type CrossNamespaceSourceReference struct {
	// APIVersion of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +kubebuilder:validation:Enum=OCIRepository;HelmChart;ExternalArtifact
	// +required
	Kind string `json:"kind"`

	// Name of the referent.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Namespace of the referent, defaults to the namespace of the Kubernetes
	// resource object that contains the reference.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// String returns "Kind/Namespace/Name", without the namespace when unset.
func (in *CrossNamespaceSourceReference) String() string {
	if in.Namespace != "" {
		return fmt.Sprintf("%s/%s/%s", in.Kind, in.Namespace, in.Name)
	}
	return fmt.Sprintf("%s/%s", in.Kind, in.Name)
}

// DependencyReference names an object that must be ready before this
// HelmRelease is reconciled. Flux only knows HelmReleases here; ferry also
// takes a Kustomization (kind: Kustomization, apiVersion optional).
type DependencyReference struct {
	// APIVersion of the referent; ferry only. Optional.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent: HelmRelease (the default, Flux's only kind) or
	// Kustomization (ferry only).
	// +kubebuilder:validation:Enum=HelmRelease;Kustomization
	// +optional
	Kind string `json:"kind,omitempty"`

	// Name of the referent.
	// +required
	Name string `json:"name"`

	// Namespace of the referent, defaults to the namespace of the
	// HelmRelease resource object that contains the reference.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// ReadyExpr is a CEL expression that can be used to assess the
	// readiness of a dependency. When specified, the built-in readiness
	// check is replaced by the logic defined in the CEL expression.
	// +optional
	ReadyExpr string `json:"readyExpr,omitempty"`
}
