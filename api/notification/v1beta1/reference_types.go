package v1beta1

// CrossNamespaceObjectReference names the Flux objects an Alert takes
// events from or a Receiver reconciles, as in Flux's last v1beta1 API.
type CrossNamespaceObjectReference struct {
	// APIVersion of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +kubebuilder:validation:Enum=Bucket;GitRepository;Kustomization;HelmRelease;HelmChart;HelmRepository;ImageRepository;ImagePolicy;ImageUpdateAutomation;OCIRepository
	// +required
	Kind string `json:"kind"`

	// Name of the referent, or "*".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=53
	// +required
	Name string `json:"name"`

	// Namespace of the referent; when empty, the namespace of the referrer.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=53
	// +kubebuilder:validation:Optional
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// MatchLabels selects, among the objects Name "*" matches, those with
	// every one of these labels.
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}
