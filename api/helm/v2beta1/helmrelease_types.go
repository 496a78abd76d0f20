package v2beta1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/helm/v2beta2"
	"github.com/ferrycd/ferry/api/meta"
)

// HelmReleaseKind is the kind of HelmRelease objects.
const HelmReleaseKind = "HelmRelease"

// HelmReleaseSpec defines the desired state of a Helm release, as in Flux's
// v2beta1 API: spec.chart is required (there is no chartRef).
type HelmReleaseSpec struct {
	// Chart defines the template of the HelmChart that should be created for
	// this HelmRelease.
	// +required
	Chart HelmChartTemplate `json:"chart"`

	// Interval at which to reconcile the Helm release.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// KubeConfig for reconciling the HelmRelease on a remote cluster.
	// +optional
	KubeConfig *meta.KubeConfigReference `json:"kubeConfig,omitempty"`

	// Suspend tells the controller to suspend reconciliation for this
	// HelmRelease, it does not apply to already started reconciliations.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// ReleaseName used for the Helm release. Defaults to a composition of
	// '[TargetNamespace-]Name'.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=53
	// +kubebuilder:validation:Optional
	// +optional
	ReleaseName string `json:"releaseName,omitempty"`

	// TargetNamespace to target when performing operations for the
	// HelmRelease. Defaults to the namespace of the HelmRelease.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Optional
	// +optional
	TargetNamespace string `json:"targetNamespace,omitempty"`

	// StorageNamespace used for the Helm storage. Defaults to the namespace
	// of the HelmRelease.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Optional
	// +optional
	StorageNamespace string `json:"storageNamespace,omitempty"`

	// DependsOn lists HelmReleases that must be ready before this one is
	// reconciled.
	// +optional
	DependsOn []meta.NamespacedObjectReference `json:"dependsOn,omitempty"`

	// Timeout is the time to wait for any individual Kubernetes operation
	// (like Jobs for hooks) during the performance of a Helm action.
	// Defaults to '5m0s'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// MaxHistory is the number of revisions saved by Helm for this
	// HelmRelease. Use '0' for an unlimited number of revisions. Flux's
	// v2beta1 documented a default of '10'; like Flux since the v2beta2
	// reconciler, ferry reads the object as v2, whose default is '5'.
	// +optional
	MaxHistory *int `json:"maxHistory,omitempty"`

	// The name of the Kubernetes service account to impersonate when
	// reconciling this HelmRelease.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// PersistentClient tells the controller to use a persistent Kubernetes
	// client for this release. Defaults to true.
	// +optional
	PersistentClient *bool `json:"persistentClient,omitempty"`

	// DriftDetection holds the configuration for detecting and handling
	// differences between the manifest in the Helm storage and the resources
	// currently existing in the cluster (provisional in Flux's v2beta1;
	// ferry honours it, as v2 does).
	// +optional
	DriftDetection *v2beta2.DriftDetection `json:"driftDetection,omitempty"`

	// Install holds the configuration for Helm install actions.
	// +optional
	Install *v2beta2.Install `json:"install,omitempty"`

	// Upgrade holds the configuration for Helm upgrade actions.
	// +optional
	Upgrade *v2beta2.Upgrade `json:"upgrade,omitempty"`

	// Test holds the configuration for Helm test actions.
	// +optional
	Test *Test `json:"test,omitempty"`

	// Rollback holds the configuration for Helm rollback actions.
	// +optional
	Rollback *v2beta2.Rollback `json:"rollback,omitempty"`

	// Uninstall holds the configuration for Helm uninstall actions.
	// +optional
	Uninstall *v2beta2.Uninstall `json:"uninstall,omitempty"`

	// ValuesFrom holds references to resources containing Helm values for
	// this HelmRelease, and information about how they should be merged.
	ValuesFrom []v2beta2.ValuesReference `json:"valuesFrom,omitempty"`

	// Values holds the values for this Helm release.
	// +optional
	Values *apiextensionsv1.JSON `json:"values,omitempty"`

	// PostRenderers holds an array of Helm PostRenderers, which will be
	// applied in order of their definition.
	// +optional
	PostRenderers []v2beta2.PostRenderer `json:"postRenderers,omitempty"`
}

// HelmChartTemplate defines the template from which the controller
// generates a HelmChart in the namespace of the referenced source.
type HelmChartTemplate struct {
	// ObjectMeta holds the template for metadata like labels and
	// annotations.
	// +optional
	ObjectMeta *v2beta2.HelmChartTemplateObjectMeta `json:"metadata,omitempty"`

	// Spec holds the template for the HelmChartSpec for this HelmRelease.
	// +required
	Spec HelmChartTemplateSpec `json:"spec"`
}

// HelmChartTemplateSpec defines the template from which the controller
// generates a HelmChartSpec.
type HelmChartTemplateSpec struct {
	// The name or path the Helm chart is available at in the SourceRef.
	// +required
	Chart string `json:"chart"`

	// Version semver expression, ignored for charts from GitRepository and
	// Bucket sources. Defaults to latest when omitted.
	// +kubebuilder:default:=*
	// +optional
	Version string `json:"version,omitempty"`

	// The name and namespace of the source the chart is available at.
	// +required
	SourceRef v2beta2.CrossNamespaceObjectReference `json:"sourceRef"`

	// Interval at which to check the source for updates. Defaults to
	// 'HelmReleaseSpec.Interval'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Determines what enables the creation of a new artifact: ChartVersion
	// or Revision. Defaults to ChartVersion.
	// +kubebuilder:validation:Enum=ChartVersion;Revision
	// +kubebuilder:default:=ChartVersion
	// +optional
	ReconcileStrategy string `json:"reconcileStrategy,omitempty"`

	// Alternative list of values files to use as the chart values
	// (values.yaml is not included by default), relative paths in the
	// SourceRef, merged in order.
	// +optional
	ValuesFiles []string `json:"valuesFiles,omitempty"`

	// Alternative values file to use as the default chart values.
	// Deprecated in favor of ValuesFiles: it is merged before them.
	// +optional
	ValuesFile string `json:"valuesFile,omitempty"`

	// Verify contains the secret name containing the trusted public keys
	// used to verify the signature and specifies which provider to use to
	// check whether OCI image is authentic. Only for OCI sources.
	// +optional
	Verify *HelmChartTemplateVerification `json:"verify,omitempty"`
}

// HelmChartTemplateVerification verifies the authenticity of an OCI Helm
// chart; v2beta1 only knows cosign.
type HelmChartTemplateVerification struct {
	// Provider specifies the technology used to sign the OCI Helm chart.
	// +kubebuilder:validation:Enum=cosign
	// +kubebuilder:default:=cosign
	Provider string `json:"provider"`

	// SecretRef specifies the Kubernetes Secret containing the trusted
	// public keys.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`
}

// Test holds the configuration for Helm test actions; v2beta1 has no
// filters.
type Test struct {
	// Enable enables Helm test actions after an install or upgrade.
	// +optional
	Enable bool `json:"enable,omitempty"`

	// Timeout is the time to wait for any individual Kubernetes operation
	// during a Helm test action. Defaults to 'HelmReleaseSpec.Timeout'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// IgnoreFailures tells the controller to skip remediation when the Helm
	// tests are run but fail.
	// +optional
	IgnoreFailures bool `json:"ignoreFailures,omitempty"`
}

// HelmReleaseStatus defines the observed state of a HelmRelease; the fields
// after HelmChart were provisional v2beta2 fields in Flux's v2beta1.
type HelmReleaseStatus struct {
	// ObservedGeneration is the last observed generation.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	meta.ReconcileRequestStatus `json:",inline"`

	// Conditions holds the conditions for the HelmRelease.
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// LastAppliedRevision is the revision of the last successfully applied
	// source.
	// +optional
	LastAppliedRevision string `json:"lastAppliedRevision,omitempty"`

	// LastAttemptedRevision is the revision of the last reconciliation
	// attempt.
	// +optional
	LastAttemptedRevision string `json:"lastAttemptedRevision,omitempty"`

	// LastAttemptedValuesChecksum is the SHA1 checksum of the values of the
	// last reconciliation attempt.
	// +optional
	LastAttemptedValuesChecksum string `json:"lastAttemptedValuesChecksum,omitempty"`

	// LastReleaseRevision is the revision of the last successful Helm
	// release.
	// +optional
	LastReleaseRevision int `json:"lastReleaseRevision,omitempty"`

	// HelmChart is the namespaced name of the HelmChart resource created by
	// the controller for the HelmRelease.
	// +optional
	HelmChart string `json:"helmChart,omitempty"`

	// Failures is the reconciliation failure count against the latest
	// desired state.
	// +optional
	Failures int64 `json:"failures,omitempty"`

	// InstallFailures is the install failure count against the latest
	// desired state.
	// +optional
	InstallFailures int64 `json:"installFailures,omitempty"`

	// UpgradeFailures is the upgrade failure count against the latest
	// desired state.
	// +optional
	UpgradeFailures int64 `json:"upgradeFailures,omitempty"`

	// StorageNamespace is the namespace of the Helm release storage for the
	// current release.
	// +optional
	StorageNamespace string `json:"storageNamespace,omitempty"`

	// History holds the history of Helm releases performed for this
	// HelmRelease up to the last successfully completed release.
	// +optional
	History v2beta2.Snapshots `json:"history,omitempty"`

	// LastAttemptedGeneration is the last generation the controller
	// attempted to reconcile.
	// +optional
	LastAttemptedGeneration int64 `json:"lastAttemptedGeneration,omitempty"`

	// LastAttemptedConfigDigest is the digest for the config (better known
	// as "values") of the last reconciliation attempt.
	// +optional
	LastAttemptedConfigDigest string `json:"lastAttemptedConfigDigest,omitempty"`

	// LastAttemptedReleaseAction is the last release action performed for
	// this HelmRelease.
	// +optional
	LastAttemptedReleaseAction string `json:"lastAttemptedReleaseAction,omitempty"`

	// LastHandledForceAt holds the value of the most recent force request.
	// +optional
	LastHandledForceAt string `json:"lastHandledForceAt,omitempty"`

	// LastHandledResetAt holds the value of the most recent reset request.
	// +optional
	LastHandledResetAt string `json:"lastHandledResetAt,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=hr,categories=all;fluxcd
// +kubebuilder:subresource:status
// +kubebuilder:deprecatedversion:warning="v2beta1 HelmRelease is deprecated, upgrade to v2"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""

// HelmRelease is the Schema for the helmreleases API.
type HelmRelease struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec HelmReleaseSpec `json:"spec,omitempty"`
	// +kubebuilder:default:={"observedGeneration":-1}
	Status HelmReleaseStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions of the object.
func (in *HelmRelease) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions sets the status conditions of the object.
func (in *HelmRelease) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// HelmReleaseList contains a list of HelmRelease objects.
type HelmReleaseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []HelmRelease `json:"items"`
}

func init() {
	SchemeBuilder.Register(&HelmRelease{}, &HelmReleaseList{})
}
