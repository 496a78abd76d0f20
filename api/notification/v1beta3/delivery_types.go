package v1beta3

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Results of a Delivery.
const (
	// DeliveryDelivered is a notification the service accepted.
	DeliveryDelivered = "Delivered"
	// DeliveryFailed is a notification given up after its retries.
	DeliveryFailed = "Failed"
	// DeliveryDropped is a notification dropped because the Provider's
	// queue was full.
	DeliveryDropped = "Dropped"
)

// Delivery is one notification a Provider sent, or failed to send.
type Delivery struct {
	// Time is when the delivery ended.
	Time metav1.Time `json:"time"`
	// Alert names the Alert, in the Provider's namespace, that selected
	// the event.
	Alert string `json:"alert"`
	// InvolvedObject is the event's object, as Kind/namespace/name.
	InvolvedObject string `json:"involvedObject"`
	// Reason is the event's reason.
	Reason string `json:"reason"`
	// Severity is the event's severity: info or error.
	// +optional
	Severity string `json:"severity,omitempty"`
	// Revision is the event's revision, if it has one.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Result is Delivered, Failed (given up after the retries) or Dropped
	// (the Provider's queue was full).
	Result string `json:"result"`
	// Attempts is how many times the notification was posted.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// Message says why a delivery failed; it never holds the Provider's
	// address, token or headers.
	// +optional
	Message string `json:"message,omitempty"`
}
