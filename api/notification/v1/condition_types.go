package v1

// NotificationFinalizer is the finalizer of Receivers, Providers and Alerts.
const NotificationFinalizer = "finalizers.fluxcd.io"

// Reasons of the Ready condition of notification objects, as Flux's.
const (
	// InitializedReason is an object whose spec was validated and that is
	// in use: a Receiver serving its webhook path, an Alert or Provider
	// ready to forward events.
	InitializedReason string = "Initialized"

	// ValidationFailedReason is an object whose spec could not be validated
	// (a bad regular expression, a missing Secret key).
	ValidationFailedReason string = "ValidationFailed"

	// TokenNotFoundReason is a Receiver whose Secret has no token.
	TokenNotFoundReason string = "TokenNotFound"

	// InvalidConfigReason is an object with a part of its configuration
	// that cannot be used, e.g. an invalid CEL expression.
	InvalidConfigReason string = "InvalidConfig"

	// NotificationDispatchFailedReason is a failure to send a notification
	// to a Provider.
	NotificationDispatchFailedReason string = "NotificationDispatchFailed"
)
