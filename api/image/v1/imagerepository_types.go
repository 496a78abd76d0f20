package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

const (
	// ImageRepositoryKind is the kind of ImageRepository objects.
	ImageRepositoryKind = "ImageRepository"

	// ImageFinalizer is the finalizer of ImageRepositories, under which
	// ferry forgets their scanned tags.
	ImageFinalizer = "finalizers.fluxcd.io"

	// DefaultExclusion is Flux's default spec.exclusionList: cosign's
	// signature tags.
	DefaultExclusion = "^.*\\.sig$"

	// ProviderGeneric authenticates with spec.secretRef and the
	// ServiceAccount's imagePullSecrets.
	ProviderGeneric = "generic"

	// ScanFailedReason is an ImageRepository whose tags could not be listed.
	ScanFailedReason = "ScanFailed"
	// ImageURLInvalidReason is an ImageRepository whose spec.image is not
	// an image name.
	ImageURLInvalidReason = "ImageURLInvalid"
)

// ImageRepositorySpec specifies the image whose tags are scanned, as in
// Flux's image.toolkit.fluxcd.io/v1.
type ImageRepositorySpec struct {
	// Image is the name of the image repository, without tag or digest,
	// e.g. 'ghcr.io/acme/web'.
	// +required
	Image string `json:"image,omitempty"`

	// Interval is the length of time to wait between scans of the image
	// repository.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval,omitempty"`

	// Timeout for image scanning, defaulting to the interval duration.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// SecretRef can be given the name of a secret containing credentials
	// to use for the image registry. The secret should be created with
	// `kubectl create secret docker-registry`, or the equivalent.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// ServiceAccountName is the name of the Kubernetes ServiceAccount whose
	// imagePullSecrets are used to authenticate the image pull.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// CertSecretRef can be given the name of a Secret containing either or
	// both of 'tls.crt' and 'tls.key' (a client certificate and key) and
	// 'ca.crt' (a CA certificate), or the older 'certFile', 'keyFile' and
	// 'caFile'.
	// +optional
	CertSecretRef *meta.LocalObjectReference `json:"certSecretRef,omitempty"`

	// ProxySecretRef specifies the Secret containing the proxy
	// configuration ('address', and optionally 'username' and 'password')
	// to use while communicating with the container registry.
	// +optional
	ProxySecretRef *meta.LocalObjectReference `json:"proxySecretRef,omitempty"`

	// This flag tells the controller to suspend subsequent image scans. It
	// does not apply to already started scans.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// AccessFrom defines an ACL for allowing cross-namespace references to
	// the ImageRepository object based on the caller's namespace labels.
	// +optional
	AccessFrom *sourcev1.AccessFrom `json:"accessFrom,omitempty"`

	// ExclusionList is a list of regex strings used to exclude certain
	// tags from being stored in the database.
	// +kubebuilder:default:={"^.*\\.sig$"}
	// +kubebuilder:validation:MaxItems=25
	// +optional
	ExclusionList []string `json:"exclusionList,omitempty"`

	// The provider used for authentication, can be 'aws', 'azure', 'gcp'
	// or 'generic'. When not specified, defaults to 'generic'.
	// +kubebuilder:validation:Enum=generic;aws;azure;gcp
	// +kubebuilder:default:=generic
	// +optional
	Provider string `json:"provider,omitempty"`

	// Insecure allows connecting to a non-TLS HTTP container registry.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
}

// ScanResult is the outcome of the last scan that changed the tag list.
type ScanResult struct {
	// Revision is a stable digest of the scanned tags ('sha256:<hex>'),
	// which changes only when the tag list does.
	// +optional
	Revision string `json:"revision,omitempty"`

	// TagCount is how many tags the scan found, after the exclusion list.
	// +required
	TagCount int `json:"tagCount"`

	// ScanTime is when the scan found this tag list. A later scan that
	// finds the same list does not update it (ferry writes no status for
	// a scan that changed nothing).
	// +optional
	ScanTime metav1.Time `json:"scanTime,omitempty"`

	// LatestTags is a small sample of the tags found: the first ten in
	// descending alphabetical order.
	// +optional
	LatestTags []string `json:"latestTags,omitempty"`
}

// ImageRepositoryStatus records the observed state of the ImageRepository.
type ImageRepositoryStatus struct {
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the last reconciled generation.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// CanonicalName is the name of the image repository with all the
	// implied bits made explicit; e.g., `docker.io/library/alpine` rather
	// than `alpine`.
	// +optional
	CanonicalImageName string `json:"canonicalImageName,omitempty"`

	// LastScanResult contains the number of fetched tags.
	// +optional
	LastScanResult *ScanResult `json:"lastScanResult,omitempty"`

	// ObservedExclusionList is a list of observed exclusion list. It
	// reflects the exclusion rules used for the observed scan result in
	// spec.lastScanResult.
	// +optional
	ObservedExclusionList []string `json:"observedExclusionList,omitempty"`

	meta.ReconcileRequestStatus `json:",inline"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=imgrepo
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.spec.image`
// +kubebuilder:printcolumn:name="Tags",type=integer,JSONPath=`.status.lastScanResult.tagCount`
// +kubebuilder:printcolumn:name="Last scan",type=date,JSONPath=`.status.lastScanResult.scanTime`
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""

// ImageRepository is the Schema for the imagerepositories API.
type ImageRepository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ImageRepositorySpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status ImageRepositoryStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions of the object.
func (in *ImageRepository) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions sets the status conditions of the object.
func (in *ImageRepository) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// IsSuspended reports whether spec.suspend stops the scans.
func (in *ImageRepository) IsSuspended() bool { return in.Spec.Suspend }

// SetObservedGeneration records the generation the status describes.
func (in *ImageRepository) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// SetLastHandledReconcileRequest records the reconcile request the status
// answers.
func (in *ImageRepository) SetLastHandledReconcileRequest(token string) {
	in.Status.SetLastHandledReconcileRequest(token)
}

// GetRequeueAfter returns spec.interval, defaulting to one minute.
func (in *ImageRepository) GetRequeueAfter() time.Duration {
	if in.Spec.Interval.Duration > 0 {
		return in.Spec.Interval.Duration
	}
	return time.Minute
}

// GetTimeout returns spec.timeout, defaulting to spec.interval.
func (in *ImageRepository) GetTimeout() time.Duration {
	if in.Spec.Timeout != nil && in.Spec.Timeout.Duration > 0 {
		return in.Spec.Timeout.Duration
	}
	return in.GetRequeueAfter()
}

// GetExclusionList returns spec.exclusionList; nil (the field absent, as
// objects written before the default existed) means Flux's default. An
// explicitly empty list excludes nothing.
func (in *ImageRepository) GetExclusionList() []string {
	if in.Spec.ExclusionList == nil {
		return []string{DefaultExclusion}
	}
	return in.Spec.ExclusionList
}

// GetProvider returns spec.provider, defaulting to generic.
func (in *ImageRepository) GetProvider() string {
	if in.Spec.Provider == "" {
		return ProviderGeneric
	}
	return in.Spec.Provider
}

// +kubebuilder:object:root=true

// ImageRepositoryList contains a list of ImageRepository objects.
type ImageRepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ImageRepository `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ImageRepository{}, &ImageRepositoryList{})
}
