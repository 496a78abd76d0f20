package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
)

const (
	// ImagePolicyKind is the kind of ImagePolicy objects.
	ImagePolicyKind = "ImagePolicy"

	// ReflectNever never records the digest of the chosen tag.
	ReflectNever = "Never"
	// ReflectIfNotPresent records the digest once, when the tag is chosen.
	ReflectIfNotPresent = "IfNotPresent"
	// ReflectAlways records the digest at every spec.interval, so a tag
	// pushed again (e.g. 'latest') is noticed.
	ReflectAlways = "Always"

	// AccessDeniedReason is an ImagePolicy whose ImageRepository does not
	// allow references from its namespace.
	AccessDeniedReason = "AccessDenied"
	// DependencyNotReadyReason is an ImagePolicy whose ImageRepository has
	// not scanned yet.
	DependencyNotReadyReason = "DependencyNotReady"
	// InvalidPolicyReason is an ImagePolicy whose policy or filter cannot
	// be used.
	InvalidPolicyReason = "InvalidPolicy"
	// ImageRepositoryNotFoundReason is an ImagePolicy whose ImageRepository
	// does not exist.
	ImageRepositoryNotFoundReason = "ImageRepositoryNotFound"
	// NoTagReason is an ImagePolicy whose repository has no tag that the
	// policy accepts.
	NoTagReason = "NoTagMatched"
)

// ImagePolicySpec specifies how the newest allowed tag of an
// ImageRepository is chosen, as in Flux's image.toolkit.fluxcd.io/v1.
// +kubebuilder:validation:XValidation:rule="!has(self.interval) || (has(self.digestReflectionPolicy) && self.digestReflectionPolicy == 'Always')",message="spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'"
// +kubebuilder:validation:XValidation:rule="has(self.interval) || !has(self.digestReflectionPolicy) || self.digestReflectionPolicy != 'Always'",message="spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'"
type ImagePolicySpec struct {
	// ImageRepositoryRef points at the object specifying the image being
	// updated.
	// +required
	ImageRepositoryRef meta.NamespacedObjectReference `json:"imageRepositoryRef"`

	// Policy gives the particulars of the policy to be followed in
	// selecting the most recent image.
	// +required
	Policy ImagePolicyChoice `json:"policy"`

	// FilterTags enables filtering for only a subset of tags based on a set
	// of rules. If no rules are provided, all the tags from the repository
	// will be ordered and compared.
	// +optional
	FilterTags *TagFilter `json:"filterTags,omitempty"`

	// DigestReflectionPolicy governs the setting of the
	// `.status.latestRef.digest` field: Never, IfNotPresent or Always.
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	// +kubebuilder:default:=Never
	// +optional
	DigestReflectionPolicy string `json:"digestReflectionPolicy,omitempty"`

	// Interval is the length of time to wait between refreshing the digest
	// of the latest tag when the reflection policy is set to "Always".
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`
}

// ImagePolicyChoice is a union of all the types of policy that can be
// supplied.
// +kubebuilder:validation:XValidation:rule="[has(self.semver), has(self.alphabetical), has(self.numerical)].filter(x, x).size() == 1",message="exactly one of spec.policy.semver, spec.policy.alphabetical and spec.policy.numerical must be set"
type ImagePolicyChoice struct {
	// SemVer gives a semantic version range to check against the tags
	// available.
	// +optional
	SemVer *SemVerPolicy `json:"semver,omitempty"`
	// Alphabetical set of rules to use for alphabetical ordering of the
	// tags.
	// +optional
	Alphabetical *AlphabeticalPolicy `json:"alphabetical,omitempty"`
	// Numerical set of rules to use for numerical ordering of the tags.
	// +optional
	Numerical *NumericalPolicy `json:"numerical,omitempty"`
}

// SemVerPolicy specifies a semantic version policy.
type SemVerPolicy struct {
	// Range gives a semver range for the image tag; the highest version
	// within the range that's a tag yields the latest image.
	// +required
	Range string `json:"range"`
}

// AlphabeticalPolicy specifies a alphabetical ordering policy.
type AlphabeticalPolicy struct {
	// Order specifies the sorting order of the tags. Given the letters of
	// the alphabet as tags, ascending order would select Z, and descending
	// order would select A.
	// +kubebuilder:default:="asc"
	// +kubebuilder:validation:Enum=asc;desc
	// +optional
	Order string `json:"order,omitempty"`
}

// NumericalPolicy specifies a numerical ordering policy.
type NumericalPolicy struct {
	// Order specifies the sorting order of the tags. Given the integer
	// values from 0 to 9 as tags, ascending order would select 9, and
	// descending order would select 0.
	// +kubebuilder:default:="asc"
	// +kubebuilder:validation:Enum=asc;desc
	// +optional
	Order string `json:"order,omitempty"`
}

// TagFilter enables filtering tags based on a set of defined rules.
type TagFilter struct {
	// Pattern specifies a regular expression pattern used to filter for
	// image tags.
	// +optional
	Pattern string `json:"pattern"`
	// Extract allows a capture group to be extracted from the specified
	// regular expression pattern, useful before tag evaluation.
	// +optional
	Extract string `json:"extract"`
}

// ImageRef represents an image reference.
type ImageRef struct {
	// Name is the bare image's name.
	// +required
	Name string `json:"name"`
	// Tag is the image's tag.
	// +required
	Tag string `json:"tag"`
	// Digest is the image's digest.
	// +optional
	Digest string `json:"digest,omitempty"`
}

// String returns the image reference: name:tag, or name:tag@digest when
// the digest is known.
func (r *ImageRef) String() string {
	if r == nil {
		return ""
	}
	s := r.Name + ":" + r.Tag
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// ImagePolicyStatus defines the observed state of ImagePolicy.
type ImagePolicyStatus struct {
	// LatestRef gives the first in the list of images scanned by the image
	// repository, when filtered and ordered according to the policy.
	// +optional
	LatestRef *ImageRef `json:"latestRef,omitempty"`

	// ObservedPreviousRef is the observed previous LatestRef. It is used
	// to keep track of the previous and current images.
	// +optional
	ObservedPreviousRef *ImageRef `json:"observedPreviousRef,omitempty"`

	// LatestImage is LatestRef as one string, 'name:tag', as v1beta2
	// wrote it; kept up to date for the tools that still read it.
	// Deprecated: read latestRef.
	// +optional
	LatestImage string `json:"latestImage,omitempty"`

	// ObservedPreviousImage is ObservedPreviousRef as one string.
	// Deprecated: read observedPreviousRef.
	// +optional
	ObservedPreviousImage string `json:"observedPreviousImage,omitempty"`

	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	meta.ReconcileRequestStatus `json:",inline"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=imgpol;imagepol
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.status.latestRef.name`
// +kubebuilder:printcolumn:name="Tag",type=string,JSONPath=`.status.latestRef.tag`
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""

// ImagePolicy is the Schema for the imagepolicies API.
type ImagePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ImagePolicySpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status ImagePolicyStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions of the object.
func (in *ImagePolicy) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions sets the status conditions of the object.
func (in *ImagePolicy) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// IsSuspended is false: an ImagePolicy has no spec.suspend.
func (in *ImagePolicy) IsSuspended() bool { return false }

// SetObservedGeneration records the generation the status describes.
func (in *ImagePolicy) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// SetLastHandledReconcileRequest records the reconcile request the status
// answers.
func (in *ImagePolicy) SetLastHandledReconcileRequest(token string) {
	in.Status.SetLastHandledReconcileRequest(token)
}

// GetDigestReflectionPolicy returns spec.digestReflectionPolicy,
// defaulting to Never.
func (in *ImagePolicy) GetDigestReflectionPolicy() string {
	if in.Spec.DigestReflectionPolicy == "" {
		return ReflectNever
	}
	return in.Spec.DigestReflectionPolicy
}

// GetRequeueAfter returns spec.interval under digestReflectionPolicy
// Always; otherwise zero, since the policy is recomputed when its
// ImageRepository scans a new tag list.
func (in *ImagePolicy) GetRequeueAfter() time.Duration {
	if in.GetDigestReflectionPolicy() == ReflectAlways && in.Spec.Interval != nil {
		return in.Spec.Interval.Duration
	}
	return 0
}

// +kubebuilder:object:root=true

// ImagePolicyList contains a list of ImagePolicy objects.
type ImagePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ImagePolicy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ImagePolicy{}, &ImagePolicyList{})
}
