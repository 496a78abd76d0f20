package v1

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
)

const (
	// ReceiverKind is the kind of Receiver objects.
	ReceiverKind = "Receiver"

	// ReceiverWebhookPath is the path prefix of every Receiver's webhook.
	ReceiverWebhookPath = "/hook/"
)

// Receiver types: the sender of the webhook, which decides how a request is
// authenticated and how its payload is read.
const (
	GenericReceiver     = "generic"
	GenericHMACReceiver = "generic-hmac"
	GitHubReceiver      = "github"
	GitLabReceiver      = "gitlab"
	BitbucketReceiver   = "bitbucket"
	HarborReceiver      = "harbor"
	DockerHubReceiver   = "dockerhub"
	QuayReceiver        = "quay"
	GCRReceiver         = "gcr"
	NexusReceiver       = "nexus"
	ACRReceiver         = "acr"
	CDEventsReceiver    = "cdevents"
)

// ReceiverSpec specifies the webhook a Receiver serves and the objects a
// valid request reconciles.
type ReceiverSpec struct {
	// Type of the webhook sender: it decides how a request is authenticated
	// and how its payload is read.
	// +kubebuilder:validation:Enum=generic;generic-hmac;github;gitlab;bitbucket;harbor;dockerhub;quay;gcr;nexus;acr;cdevents
	// +required
	Type string `json:"type"`

	// Interval at which the Receiver is reconciled with its Secret (the
	// token, hence the webhook path). Defaults to 10m.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +kubebuilder:default:="10m"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Events lists the event types to act on, e.g. 'push' for GitHub or
	// 'Push Hook' for GitLab; empty means every event.
	// +optional
	Events []string `json:"events,omitempty"`

	// Resources lists the objects a valid request asks to reconcile.
	// +required
	Resources []CrossNamespaceObjectReference `json:"resources"`

	// ResourceFilter is a CEL expression evaluated for each object of
	// Resources when a request arrives; only those for which it returns
	// true are reconciled. An expression that does not parse, or does not
	// return a boolean, stalls the Receiver.
	// +optional
	ResourceFilter string `json:"resourceFilter,omitempty"`

	// SecretRef names the Secret whose 'token' key authenticates requests
	// and goes into the webhook path. A gcr Receiver also reads 'email' and
	// 'audience' from it.
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

	// WebhookPath is the path the Receiver serves:
	// '/hook/' + hex(sha256(token + name + namespace)).
	// +optional
	WebhookPath string `json:"webhookPath,omitempty"`

	// ObservedGeneration is the last observed generation of the Receiver
	// object.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// URL is the webhook path under the name v1beta1 and v1beta2 gave it.
	// Deprecated: kept so that objects written as v1beta1 or v1beta2 are
	// stored whole; ferry writes WebhookPath only.
	// +optional
	URL string `json:"url,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
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

// GetConditions returns the status conditions of the object.
func (in *Receiver) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions sets the status conditions of the object.
func (in *Receiver) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// IsSuspended reports whether spec.suspend stops the reconciliation.
func (in *Receiver) IsSuspended() bool { return in.Spec.Suspend }

// SetObservedGeneration records the generation the status describes.
func (in *Receiver) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// SetLastHandledReconcileRequest records the reconcile request the status
// answers.
func (in *Receiver) SetLastHandledReconcileRequest(token string) {
	in.Status.SetLastHandledReconcileRequest(token)
}

// GetInterval returns spec.interval, defaulting to ten minutes like Flux's.
func (in *Receiver) GetInterval() time.Duration {
	if in.Spec.Interval != nil && in.Spec.Interval.Duration > 0 {
		return in.Spec.Interval.Duration
	}
	return 10 * time.Minute
}

// GetRequeueAfter returns GetInterval.
func (in *Receiver) GetRequeueAfter() time.Duration { return in.GetInterval() }

// WebhookPath returns the path the Receiver serves for token:
// ReceiverWebhookPath followed by the hex SHA-256 of token, name and
// namespace, the same path Flux computes.
func (in *Receiver) WebhookPath(token string) string {
	sum := sha256.Sum256([]byte(token + in.GetName() + in.GetNamespace()))
	return ReceiverWebhookPath + hex.EncodeToString(sum[:])
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
