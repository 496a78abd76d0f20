package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
)

// HelmRepositoryKind is the kind of HelmRepository objects.
const HelmRepositoryKind = "HelmRepository"

// HelmRepositorySpec specifies the Helm repository to index, as in Flux's
// v1beta1 API: an HTTP(S) repository with an index.yaml (v1beta1 has no
// OCI type). Every field is kept by v1, the storage version, under the
// same JSON name. Unlike Flux's v1beta1, url, interval and timeout are
// checked with v1's patterns, so that an object v1 could not decode (a
// duration Go cannot parse) is refused when it is written.
type HelmRepositorySpec struct {
	// URL of the Helm repository, a valid URL contains at least a protocol
	// and host.
	// +kubebuilder:validation:Pattern="^(http|https)://.*$"
	// +required
	URL string `json:"url"`

	// SecretRef names the Secret containing authentication credentials:
	// 'username' and 'password' for basic auth, 'certFile' and 'keyFile'
	// and/or 'caFile' for TLS.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// PassCredentials allows the credentials from the SecretRef to be passed
	// on to a host that does not match the host as defined in URL.
	// +optional
	PassCredentials bool `json:"passCredentials,omitempty"`

	// Interval at which to check the upstream for updates.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// Timeout of the index download, defaults to 60s.
	// +kubebuilder:default:="60s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Suspend tells the controller to suspend the reconciliation of this
	// source.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// AccessFrom defines an Access Control List for allowing cross-namespace
	// references to this object. Not implemented by Flux nor ferry.
	// +optional
	AccessFrom *AccessFrom `json:"accessFrom,omitempty"`
}

// HelmRepositoryStatus records the observed state of the HelmRepository.
// ferry writes the v1 status; the artifact has v1's shape (digest, no
// checksum).
type HelmRepositoryStatus struct {
	// ObservedGeneration is the last observed generation.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions holds the conditions for the HelmRepository.
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// URL is the download link for the last index fetched.
	// +optional
	URL string `json:"url,omitempty"`

	// Artifact represents the output of the last successful repository
	// sync.
	// +optional
	Artifact *meta.Artifact `json:"artifact,omitempty"`

	meta.ReconcileRequestStatus `json:",inline"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=helmrepo,categories=all;fluxcd;fluxcd-sources
// +kubebuilder:subresource:status
// +kubebuilder:deprecatedversion:warning="v1beta1 HelmRepository is deprecated, upgrade to v1"
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.spec.url`
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""

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
