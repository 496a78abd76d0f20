package v1

// Image replaces the name, tag or digest of container images.
type Image struct {
	// Name is a tag-less image name.
	// +required
	Name string `json:"name"`

	// NewName is the value used to replace the original name.
	// +optional
	NewName string `json:"newName,omitempty"`

	// NewTag is the value used to replace the original tag.
	// +optional
	NewTag string `json:"newTag,omitempty"`

	// Digest is the value used to replace the original image tag.
	// If digest is present NewTag value is ignored.
	// +optional
	Digest string `json:"digest,omitempty"`
}

// Selector specifies a set of resources. A resource matching all of its
// fields is selected.
type Selector struct {
	// Group is the API group to select resources from.
	// +optional
	Group string `json:"group,omitempty"`

	// Version of the API Group to select resources from.
	// +optional
	Version string `json:"version,omitempty"`

	// Kind of the API Group to select resources from.
	// +optional
	Kind string `json:"kind,omitempty"`

	// Namespace to select resources from.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Name to match resources with.
	// +optional
	Name string `json:"name,omitempty"`

	// AnnotationSelector is a string that follows the label selection expression
	// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#api
	// It matches with the resource annotations.
	// +optional
	AnnotationSelector string `json:"annotationSelector,omitempty"`

	// LabelSelector is a string that follows the label selection expression
	// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#api
	// It matches with the resource labels.
	// +optional
	LabelSelector string `json:"labelSelector,omitempty"`
}

// Patch holds a strategic merge or JSON6902 patch, inline, and the resources
// it applies to.
type Patch struct {
	// Patch contains an inline StrategicMerge patch or an inline JSON6902 patch with
	// an array of operation objects.
	// +required
	Patch string `json:"patch"`

	// Target points to the resources that the patch document should be applied to.
	// +optional
	Target *Selector `json:"target,omitempty"`
}

// CustomHealthCheck evaluates the health of a custom resource kind with CEL
// expressions.
type CustomHealthCheck struct {
	// APIVersion of the custom resource under evaluation.
	// +required
	APIVersion string `json:"apiVersion"`

	// Kind of the custom resource under evaluation.
	// +required
	Kind string `json:"kind"`

	HealthCheckExpressions `json:",inline"`
}

// HealthCheckExpressions are CEL expressions evaluated against a custom
// resource to compute its status.
type HealthCheckExpressions struct {
	// InProgress is the CEL expression that verifies that the status
	// of the custom resource is in progress.
	// +optional
	InProgress string `json:"inProgress,omitempty"`

	// Failed is the CEL expression that verifies that the status
	// of the custom resource is failed.
	// +optional
	Failed string `json:"failed,omitempty"`

	// Current is the CEL expression that verifies that the status
	// of the custom resource is ready.
	// +required
	Current string `json:"current"`
}
