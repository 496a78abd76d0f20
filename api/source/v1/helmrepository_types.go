package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
)

const (
	// HelmRepositoryKind is the kind of HelmRepository objects.
	HelmRepositoryKind = "HelmRepository"

	// HelmRepositoryTypeDefault is an HTTP(S) chart repository with an
	// index.yaml.
	HelmRepositoryTypeDefault = "default"
	// HelmRepositoryTypeOCI is an OCI registry holding charts as artifacts.
	HelmRepositoryTypeOCI = "oci"

	// IndexationFailedReason is a HelmRepository whose index could not be
	// fetched or parsed.
	IndexationFailedReason = "IndexationFailed"
	// IndexationSucceededReason is a HelmRepository whose index was fetched.
	IndexationSucceededReason = "IndexationSucceed"
)

// HelmRepositorySpec specifies the Helm repository to index.
type HelmRepositorySpec struct {
	// URL of the Helm repository, a valid URL contains at least a protocol
	// and host.
	// +kubebuilder:validation:Pattern="^(http|https|oci)://.*$"
	// +required
	URL string `json:"url"`

	// SecretRef specifies the Secret containing authentication credentials
	// for the HelmRepository. For HTTP/S basic auth the secret must contain
	// 'username' and 'password' fields. Support for TLS auth using the
	// 'certFile' and 'keyFile', and/or 'caFile' keys is deprecated. Please
	// use `.spec.certSecretRef` instead.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// CertSecretRef can be given the name of a Secret containing either or
	// both of 'tls.crt' and 'tls.key' (a TLS client certificate and key),
	// and 'ca.crt' (a CA certificate).
	// +optional
	CertSecretRef *meta.LocalObjectReference `json:"certSecretRef,omitempty"`

	// PassCredentials allows the credentials from the SecretRef to be passed
	// on to a host that does not match the host as defined in URL. This may
	// be required if the host of the advertised chart URLs in the index
	// differ from the defined URL.
	// +optional
	PassCredentials bool `json:"passCredentials,omitempty"`

	// Interval at which the HelmRepository URL is checked for updates.
	// This interval is approximate and may be subject to jitter to ensure
	// efficient use of resources.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval metav1.Duration `json:"interval,omitempty"`

	// Insecure allows connecting to a non-TLS HTTP container registry.
	// This field is only taken into account if the .spec.type field is set
	// to 'oci'.
	// +optional
	Insecure bool `json:"insecure,omitempty"`

	// Timeout is used for the index fetch operation for an HTTPS helm
	// repository, and for remote OCI Repository operations like pulling for
	// an OCI helm chart by the associated HelmChart. Its default value is
	// 60s.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Suspend tells the controller to suspend the reconciliation of this
	// HelmRepository.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// AccessFrom specifies an Access Control List for allowing
	// cross-namespace references to this object.
	// +optional
	AccessFrom *AccessFrom `json:"accessFrom,omitempty"`

	// Type of the HelmRepository. When this field is set to "oci", the URL
	// field value must be prefixed with "oci://".
	// +kubebuilder:validation:Enum=default;oci
	// +optional
	Type string `json:"type,omitempty"`

	// Provider used for authentication, can be 'aws', 'azure', 'gcp' or
	// 'generic'. This field is optional, and only taken into account if the
	// .spec.type field is set to 'oci'. When not specified, defaults to
	// 'generic'.
	// +kubebuilder:validation:Enum=generic;aws;azure;gcp
	// +kubebuilder:default:=generic
	// +optional
	Provider string `json:"provider,omitempty"`
}

// AccessFrom defines an Access Control List for allowing cross-namespace
// references to a source object based on Kubernetes namespace selectors.
type AccessFrom struct {
	// NamespaceSelectors is the list of namespace selectors to which this
	// ACL applies. Items in this list are evaluated using a logical OR
	// operation.
	// +required
	NamespaceSelectors []NamespaceSelector `json:"namespaceSelectors"`
}

// NamespaceSelector selects the namespaces to which this ACL applies. An
// empty map of MatchLabels matches all namespaces in a cluster.
type NamespaceSelector struct {
	// MatchLabels is a map of {key,value} pairs.
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// HelmRepositoryStatus records the observed state of the HelmRepository.
type HelmRepositoryStatus struct {
	// ObservedGeneration is the last observed generation of the
	// HelmRepository object.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions holds the conditions for the HelmRepository.
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// URL is the dynamic fetch link for the latest Artifact. It is provided
	// on a "best effort" basis, and using the precise
	// HelmRepositoryStatus.Artifact data is recommended.
	// +optional
	URL string `json:"url,omitempty"`

	// Artifact represents the last successful HelmRepository
	// reconciliation.
	// +optional
	Artifact *meta.Artifact `json:"artifact,omitempty"`

	meta.ReconcileRequestStatus `json:",inline"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=helmrepo,categories=all;fluxcd;fluxcd-sources
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.spec.url`
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""

// HelmRepository is the Schema for the helmrepositories API.
type HelmRepository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec HelmRepositorySpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status HelmRepositoryStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions of the object.
func (in *HelmRepository) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions sets the status conditions of the object.
func (in *HelmRepository) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// IsSuspended reports whether spec.suspend stops the reconciliation.
func (in *HelmRepository) IsSuspended() bool { return in.Spec.Suspend }

// SetObservedGeneration records the generation the status describes.
func (in *HelmRepository) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// SetLastHandledReconcileRequest records the reconcile request the status
// answers.
func (in *HelmRepository) SetLastHandledReconcileRequest(token string) {
	in.Status.SetLastHandledReconcileRequest(token)
}

// GetRequeueAfter returns spec.interval, defaulting to one minute like
// Flux's.
func (in *HelmRepository) GetRequeueAfter() time.Duration {
	if in.Spec.Interval.Duration > 0 {
		return in.Spec.Interval.Duration
	}
	return time.Minute
}

// GetTimeout returns spec.timeout, defaulting to 60s.
func (in *HelmRepository) GetTimeout() time.Duration {
	if in.Spec.Timeout != nil && in.Spec.Timeout.Duration > 0 {
		return in.Spec.Timeout.Duration
	}
	return 60 * time.Second
}

// GetArtifact returns the latest Artifact (the index), or nil; an OCI
// HelmRepository has none.
func (in *HelmRepository) GetArtifact() *meta.Artifact { return in.Status.Artifact }

// IsOCI reports whether the repository is an OCI registry.
func (in *HelmRepository) IsOCI() bool { return in.Spec.Type == HelmRepositoryTypeOCI }

// GetProvider returns spec.provider, defaulting to generic.
func (in *HelmRepository) GetProvider() string {
	if in.Spec.Provider == "" {
		return GitProviderGeneric
	}
	return in.Spec.Provider
}

// +kubebuilder:object:root=true

// HelmRepositoryList contains a list of HelmRepository objects.
type HelmRepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []HelmRepository `json:"items"`
}

func init() {
	SchemeBuilder.Register(&HelmRepository{}, &HelmRepositoryList{})
}

// Selectors returns the matchLabels of each namespace selector.
func (in *AccessFrom) Selectors() []map[string]string {
	if in == nil {
		return nil
	}
	out := make([]map[string]string, len(in.NamespaceSelectors))
	for i, s := range in.NamespaceSelectors {
		out[i] = s.MatchLabels
	}
	return out
}
