package v2

const (
	// ReleasedCondition represents the status of the last release attempt
	// (install/upgrade/test) against the latest desired state.
	ReleasedCondition string = "Released"
	// TestSuccessCondition represents the status of the last test attempt
	// against the latest desired state.
	TestSuccessCondition string = "TestSuccess"
	// RemediatedCondition represents the status of the last remediation
	// attempt (uninstall/rollback) due to a failure of the last release
	// attempt against the latest desired state.
	RemediatedCondition string = "Remediated"
	// DriftedCondition represents the status of the drift detection of the
	// release objects.
	DriftedCondition string = "Drifted"
)

const (
	// InstallSucceededReason represents the fact that the Helm install for
	// the HelmRelease succeeded.
	InstallSucceededReason string = "InstallSucceeded"
	// InstallFailedReason represents the fact that the Helm install for the
	// HelmRelease failed.
	InstallFailedReason string = "InstallFailed"
	// UpgradeSucceededReason represents the fact that the Helm upgrade for
	// the HelmRelease succeeded.
	UpgradeSucceededReason string = "UpgradeSucceeded"
	// UpgradeFailedReason represents the fact that the Helm upgrade for the
	// HelmRelease failed.
	UpgradeFailedReason string = "UpgradeFailed"
	// TestSucceededReason represents the fact that the Helm tests for the
	// HelmRelease succeeded.
	TestSucceededReason string = "TestSucceeded"
	// TestFailedReason represents the fact that the Helm tests for the
	// HelmRelease failed.
	TestFailedReason string = "TestFailed"
	// RollbackSucceededReason represents the fact that the Helm rollback for
	// the HelmRelease succeeded.
	RollbackSucceededReason string = "RollbackSucceeded"
	// RollbackFailedReason represents the fact that the Helm rollback for
	// the HelmRelease failed.
	RollbackFailedReason string = "RollbackFailed"
	// UninstallSucceededReason represents the fact that the Helm uninstall
	// for the HelmRelease succeeded.
	UninstallSucceededReason string = "UninstallSucceeded"
	// UninstallFailedReason represents the fact that the Helm uninstall for
	// the HelmRelease failed.
	UninstallFailedReason string = "UninstallFailed"
	// ArtifactFailedReason represents the fact that the artifact download
	// for the HelmRelease failed.
	ArtifactFailedReason string = "ArtifactFailed"
	// InitFailedReason represents the fact that the initialization of the
	// Helm configuration failed.
	InitFailedReason string = "InitFailed"
	// GetLastReleaseFailedReason represents the fact that observing the
	// last release failed.
	GetLastReleaseFailedReason string = "GetLastReleaseFailed"
	// DependencyNotReadyReason represents the fact that one of the
	// dependencies is not ready.
	DependencyNotReadyReason string = "DependencyNotReady"
	// ReconciliationSucceededReason is a reconciliation that reached the
	// desired state.
	ReconciliationSucceededReason string = "ReconciliationSucceeded"
	// ValuesError is a failure to compose the values.
	ValuesError string = "ValuesError"
	// HelmChartNotReadyReason is a HelmChart that has no artifact for the
	// desired chart yet.
	HelmChartNotReadyReason string = "HelmChartNotReady"
	// NoDriftDetectedReason is a release whose objects match it.
	NoDriftDetectedReason string = "NoDriftDetected"
	// DriftDetectedReason is a release whose objects differ from it.
	DriftDetectedReason string = "DriftDetected"
	// DriftCorrectedReason is drift ferry patched back.
	DriftCorrectedReason string = "DriftCorrected"
	// DriftCorrectionFailedReason is drift ferry could not patch back.
	DriftCorrectionFailedReason string = "DriftCorrectionFailed"
	// UnsupportedFieldReason is a field ferry cannot honour yet.
	UnsupportedFieldReason string = "UnsupportedField"
	// LegacyFieldReason is a field of an older API version ferry converted.
	LegacyFieldReason string = "LegacyField"
	// RetriesExhaustedReason is a release whose remediation retries are used
	// up; forceAt, resetAt or a new revision starts it again.
	RetriesExhaustedReason string = "RetriesExhausted"
	// StaleReleaseRecoveredReason is a release left pending by a crash that
	// ferry marked failed so the next action can run.
	StaleReleaseRecoveredReason string = "StaleReleaseRecovered"
)
