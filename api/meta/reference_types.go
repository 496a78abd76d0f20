package meta

// LocalObjectReference locates an object in the namespace of the referrer.
type LocalObjectReference struct {
	// Name of the referent.
	// +required
	Name string `json:"name"`
}

// NamespacedObjectReference locates an object in any namespace.
type NamespacedObjectReference struct {
	// Name of the referent.
	// +required
	Name string `json:"name"`

	// Namespace of the referent, when not specified it acts as LocalObjectReference.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// NamespacedObjectKindReference locates a typed object in any namespace.
type NamespacedObjectKindReference struct {
	// API version of the referent, if not specified the Kubernetes preferred version will be used.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +required
	Kind string `json:"kind"`

	// Name of the referent.
	// +required
	Name string `json:"name"`

	// Namespace of the referent, when not specified it acts as LocalObjectReference.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// SecretKeyReference locates a Secret in the namespace of the referrer and,
// optionally, a key in it.
type SecretKeyReference struct {
	// Name of the Secret.
	// +required
	Name string `json:"name"`

	// Key in the Secret, when not specified an implementation-specific default key is used.
	// +optional
	Key string `json:"key,omitempty"`
}

// KubeConfigReference locates the Secret that holds a kubeconfig for a
// remote cluster.
type KubeConfigReference struct {
	// SecretRef holds the name of a Secret that contains a key with the
	// kubeconfig file as the value. If no key is set, the key defaults to
	// 'value'.
	// +required
	SecretRef SecretKeyReference `json:"secretRef"`
}
