package v1beta2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
)

// ReceiverKind is the kind of Receiver objects.
const ReceiverKind = "Receiver"

// ReceiverSpec specifies the webhook a Receiver serves and the objects a
// valid request reconciles, as in Flux's last v1beta2 API.
type ReceiverSpec struct {
	// Type of the webhook sender.
	// +kubebuilder:validation:Enum=generic;generic-hmac;github;gitlab;bitbucket;harbor;dockerhub;quay;gcr;nexus;acr
	// +required
	Type string `json:"type"`

	// Interval at which the Receiver is reconciled with its Secret.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Events lists the event types to act on, e.g. 'push' for GitHub or
	// 'Push Hook' for GitLab.
	// +optional
	Events []string `json:"events,omitempty"`

	// Resources lists the objects a valid request asks to reconcile.
	// +required
	Resources []notificationv1.CrossNamespaceObjectReference `json:"resources"`

	// SecretRef names the Secret whose 'token' key authenticates requests.
	// +required
	SecretRef meta.LocalObjectReference `json:"secretRef"`

	// Suspend tells the controller to stop handling requests for this
	// Receiver.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// ReceiverStatus records the observed state of the Receiver.
type ReceiverStatus struct {
	meta.ReconcileRequestStatus `json:",inline"`

	// Conditions holds the conditions for the Receiver.
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// URL is the webhook path.
	// Deprecated: replaced by WebhookPath.
	// +optional
	URL string `json:"url,omitempty"`

	// WebhookPath is the path the Receiver serves:
	// '/hook/' + hex(sha256(token + name + namespace)).
	// +optional
	WebhookPath string `json:"webhookPath,omitempty"`

	// ObservedGeneration is the last observed generation of the Receiver
	// object.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:deprecatedversion:warning="v1beta2 Receiver is deprecated, upgrade to v1"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""

// Receiver is the Schema for the receivers API.
type Receiver struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ReceiverSpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status ReceiverStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ReceiverList contains a list of Receiver objects.
type ReceiverList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Receiver `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Receiver{}, &ReceiverList{})
}
