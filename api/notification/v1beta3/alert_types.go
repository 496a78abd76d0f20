package v1beta3

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
)

const (
	// AlertKind is the kind of Alert objects.
	AlertKind = "Alert"

	// EventSeverityInfo matches every event.
	EventSeverityInfo = "info"
	// EventSeverityError matches error events only.
	EventSeverityError = "error"
)

// AlertSpec specifies which events of which objects an Alert forwards, and
// to which Provider.
type AlertSpec struct {
	// ProviderRef names the Provider, in the Alert's namespace, that the
	// matching events are sent to.
	// +required
	ProviderRef meta.LocalObjectReference `json:"providerRef"`

	// EventSeverity is the lowest severity forwarded: 'info' forwards every
	// event, 'error' only errors. Defaults to info.
	// +kubebuilder:validation:Enum=info;error
	// +kubebuilder:default:=info
	// +optional
	EventSeverity string `json:"eventSeverity,omitempty"`

	// EventSources lists the objects whose events are forwarded, by kind,
	// name (or "*"), namespace and labels.
	// +required
	EventSources []notificationv1.CrossNamespaceObjectReference `json:"eventSources"`

	// InclusionList holds Go regular expressions; when set, only events
	// whose message matches one of them are forwarded.
	// +optional
	InclusionList []string `json:"inclusionList,omitempty"`

	// EventMetadata is added to the metadata of every forwarded event; a
	// key the event already has keeps the event's value.
	// +optional
	EventMetadata map[string]string `json:"eventMetadata,omitempty"`

	// ExclusionList holds Go regular expressions; events whose message
	// matches one of them are not forwarded. It applies after
	// InclusionList.
	// +optional
	ExclusionList []string `json:"exclusionList,omitempty"`

	// Summary is a short description of the impact and the affected
	// cluster, added to the event metadata.
	// Deprecated: use EventMetadata with a 'summary' key.
	// +kubebuilder:validation:MaxLength:=255
	// +optional
	Summary string `json:"summary,omitempty"`

	// Suspend tells the controller to stop forwarding events for this
	// Alert.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// AlertStatus records the observed state of the Alert. Flux's v1beta3 Alert
// has none; ferry keeps the one of v1beta2.
type AlertStatus struct {
	meta.ReconcileRequestStatus `json:",inline"`

	// Conditions holds the conditions for the Alert.
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the last observed generation.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""

// Alert is the Schema for the alerts API.
type Alert struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AlertSpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status AlertStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions of the object.
func (in *Alert) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions sets the status conditions of the object.
func (in *Alert) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// IsSuspended reports whether spec.suspend stops the reconciliation.
func (in *Alert) IsSuspended() bool { return in.Spec.Suspend }

// SetObservedGeneration records the generation the status describes.
func (in *Alert) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// SetLastHandledReconcileRequest records the reconcile request the status
// answers.
func (in *Alert) SetLastHandledReconcileRequest(token string) {
	in.Status.SetLastHandledReconcileRequest(token)
}

// GetRequeueAfter returns zero: an Alert has no interval, so it is
// reconciled when it or its Provider changes, not periodically.
func (in *Alert) GetRequeueAfter() time.Duration { return 0 }

// GetEventSeverity returns spec.eventSeverity, defaulting to info.
func (in *Alert) GetEventSeverity() string {
	if in.Spec.EventSeverity == "" {
		return EventSeverityInfo
	}
	return in.Spec.EventSeverity
}

// +kubebuilder:object:root=true

// AlertList contains a list of Alert objects.
type AlertList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Alert `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Alert{}, &AlertList{})
}
