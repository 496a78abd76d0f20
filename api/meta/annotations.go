package meta

const (
	// ReconcileRequestAnnotation asks for a reconciliation outside the
	// interval. Its value is opaque: any change triggers a reconciliation and
	// is echoed in status.lastHandledReconcileAt.
	ReconcileRequestAnnotation string = "reconcile.fluxcd.io/requestedAt"

	// ForceRequestAnnotation asks for a forced one-off operation (e.g. a Helm
	// upgrade) when set to the same value as ReconcileRequestAnnotation.
	ForceRequestAnnotation string = "reconcile.fluxcd.io/forceAt"

	// ResetRequestAnnotation asks for the failure counters to be reset when
	// set to the same value as ReconcileRequestAnnotation.
	ResetRequestAnnotation string = "reconcile.fluxcd.io/resetAt"

	// ShardingKeyLabel assigns an object to the shard of that name: the
	// controller started with --watch-label-selector
	// sharding.fluxcd.io/key=<name> reconciles it, the main one (with
	// !sharding.fluxcd.io/key) leaves it alone.
	ShardingKeyLabel string = "sharding.fluxcd.io/key"
)

// ReconcileAnnotationValue returns the value of ReconcileRequestAnnotation
// and whether it is set.
func ReconcileAnnotationValue(annotations map[string]string) (string, bool) {
	requestedAt, ok := annotations[ReconcileRequestAnnotation]
	return requestedAt, ok
}

// ReconcileRequestStatus is embedded (inline) in the status of objects that
// honour ReconcileRequestAnnotation.
type ReconcileRequestStatus struct {
	// LastHandledReconcileAt holds the value of the most recent
	// reconcile request value, so a change of the annotation value
	// can be detected.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`
}

// GetLastHandledReconcileRequest returns the most recent reconcile request
// value handled.
func (in ReconcileRequestStatus) GetLastHandledReconcileRequest() string {
	return in.LastHandledReconcileAt
}

// SetLastHandledReconcileRequest records the most recent reconcile request
// value handled.
func (in *ReconcileRequestStatus) SetLastHandledReconcileRequest(token string) {
	in.LastHandledReconcileAt = token
}
