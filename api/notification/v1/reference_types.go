package v1

// CrossNamespaceObjectReference names the Flux objects a Receiver requests
// reconciliations of, or an Alert takes events from: one object, or with
// Name "*" every object of the Kind (in Namespace, or in every namespace
// when Namespace is "*" too), optionally narrowed by MatchLabels.
type CrossNamespaceObjectReference struct {
	// APIVersion of the referent; when empty, the version the API server
	// prefers.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +kubebuilder:validation:Enum=Bucket;GitRepository;Kustomization;HelmRelease;HelmChart;HelmRepository;ImageRepository;ImagePolicy;ImageUpdateAutomation;OCIRepository;ArtifactGenerator;ExternalArtifact
	// +required
	Kind string `json:"kind"`

	// Name of the referent, or "*" for every object of the Kind.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Namespace of the referent; when empty, the namespace of the referrer.
	// "*" means every namespace and requires Name "*".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Optional
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// MatchLabels selects, among the objects Name "*" matches, those with
	// every one of these labels. It requires Name "*".
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}
