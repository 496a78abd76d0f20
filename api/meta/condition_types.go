package meta

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition types shared by all kinds. They follow kstatus: Ready is always
// present; Reconciling and Stalled are "abnormal-true" and only present when
// True.
const (
	// ReadyCondition indicates the object is ready and fully reconciled.
	ReadyCondition string = "Ready"

	// ReconcilingCondition indicates the controller is working on the latest
	// changes of the object.
	ReconcilingCondition string = "Reconciling"

	// StalledCondition indicates the reconciliation cannot progress without a
	// change to the object (e.g. misconfiguration).
	StalledCondition string = "Stalled"

	// HealthyCondition records the result of the last health assessment of
	// the applied objects.
	HealthyCondition string = "Healthy"
)

// Source condition types (source.toolkit.fluxcd.io).
const (
	// ArtifactInStorageCondition indicates the Artifact is available in
	// storage. Only present when the Artifact was stored successfully.
	ArtifactInStorageCondition string = "ArtifactInStorage"

	// ArtifactOutdatedCondition indicates the current Artifact of the source
	// is outdated. Abnormal-true: only present when True.
	ArtifactOutdatedCondition string = "ArtifactOutdated"

	// SourceVerifiedCondition indicates the result of the integrity
	// verification of the source. Only present when verification is enabled.
	SourceVerifiedCondition string = "SourceVerified"

	// FetchFailedCondition indicates a fetch failure of the upstream source.
	// Abnormal-true: only present when True.
	FetchFailedCondition string = "FetchFailed"

	// BuildFailedCondition indicates a failure to build the Artifact of a
	// source. Abnormal-true: only present when True.
	BuildFailedCondition string = "BuildFailed"

	// StorageOperationFailedCondition indicates a storage (filesystem)
	// failure. Abnormal-true: only present when True.
	StorageOperationFailedCondition string = "StorageOperationFailed"

	// IncludeUnavailableCondition indicates one of the included GitRepository
	// objects is not available. Abnormal-true: only present when True.
	IncludeUnavailableCondition string = "IncludeUnavailable"
)

// Generic reasons.
const (
	// SucceededReason indicates an operation or reconciliation succeeded.
	SucceededReason string = "Succeeded"

	// FailedReason indicates an operation or reconciliation failed.
	FailedReason string = "Failed"

	// ProgressingReason indicates a reconciliation is underway.
	ProgressingReason string = "Progressing"

	// ProgressingWithRetryReason indicates a reconciliation met an error that
	// will be retried.
	ProgressingWithRetryReason string = "ProgressingWithRetry"

	// SuspendedReason indicates the reconciliation of the object is suspended.
	SuspendedReason string = "Suspended"

	// DependencyNotReadyReason indicates one of the dependencies of the
	// object is not ready.
	DependencyNotReadyReason string = "DependencyNotReady"

	// ReconciliationSucceededReason indicates the reconciliation succeeded.
	ReconciliationSucceededReason string = "ReconciliationSucceeded"

	// ReconciliationFailedReason indicates the reconciliation failed.
	ReconciliationFailedReason string = "ReconciliationFailed"

	// InvalidPathReason indicates a path (e.g. Kustomization spec.path) is
	// invalid or escapes its root.
	InvalidPathReason string = "InvalidPath"
)

// Kustomization reasons (kustomize.toolkit.fluxcd.io).
const (
	// ArtifactFailedReason indicates the source Artifact could not be fetched.
	ArtifactFailedReason string = "ArtifactFailed"

	// BuildFailedReason indicates the kustomize build failed.
	BuildFailedReason string = "BuildFailed"

	// HealthCheckFailedReason indicates one of the health checks failed.
	HealthCheckFailedReason string = "HealthCheckFailed"

	// PruneFailedReason indicates the garbage collection of removed objects
	// failed.
	PruneFailedReason string = "PruneFailed"
)

// Source reasons (source.toolkit.fluxcd.io).
const (
	// GitOperationSucceedReason indicates a Git operation (clone, checkout)
	// succeeded.
	GitOperationSucceedReason string = "GitOperationSucceeded"

	// GitOperationFailedReason indicates a Git operation (clone, checkout)
	// failed.
	GitOperationFailedReason string = "GitOperationFailed"

	// URLInvalidReason indicates the source URL is invalid.
	URLInvalidReason string = "URLInvalid"

	// AuthenticationFailedReason indicates the referenced Secret lacks the
	// required fields, or the credentials were refused.
	AuthenticationFailedReason string = "AuthenticationFailed"

	// VerificationError indicates the verification of the source failed.
	VerificationError string = "VerificationError"

	// StorageOperationFailedReason indicates a storage operation failed.
	StorageOperationFailedReason string = "StorageOperationFailed"

	// DirCreationFailedReason indicates a directory could not be created.
	DirCreationFailedReason string = "DirectoryCreationFailed"

	// StatOperationFailedReason indicates a stat operation on a path failed.
	StatOperationFailedReason string = "StatOperationFailed"

	// ReadOperationFailedReason indicates a read operation failed.
	ReadOperationFailedReason string = "ReadOperationFailed"

	// AcquireLockFailedReason indicates a lock could not be acquired.
	AcquireLockFailedReason string = "AcquireLockFailed"

	// ArchiveOperationFailedReason indicates the Artifact archive could not be
	// written.
	ArchiveOperationFailedReason string = "ArchiveOperationFailed"

	// SymlinkUpdateFailedReason indicates the latest-Artifact symlink could
	// not be updated.
	SymlinkUpdateFailedReason string = "SymlinkUpdateFailed"

	// ArtifactUpToDateReason indicates the existing Artifact is up to date
	// with the source.
	ArtifactUpToDateReason string = "ArtifactUpToDate"

	// ArtifactOutdatedReason indicates the existing Artifact is outdated.
	ArtifactOutdatedReason string = "ArtifactOutdated"

	// NewRevisionReason indicates a new upstream revision was found.
	NewRevisionReason string = "NewRevision"
)

// ObjectWithConditions is an object that exposes its status conditions.
// +k8s:deepcopy-gen=false
type ObjectWithConditions interface {
	// GetConditions returns the status conditions of the object.
	GetConditions() []metav1.Condition
}

// ObjectWithConditionsSetter is an object whose status conditions can be set.
// +k8s:deepcopy-gen=false
type ObjectWithConditionsSetter interface {
	// SetConditions replaces the status conditions of the object.
	SetConditions([]metav1.Condition)
}
