package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
)

const (
	// HelmChartKind is the kind of HelmChart objects.
	HelmChartKind = "HelmChart"

	// ReconcileStrategyChartVersion makes a new artifact only when the
	// chart's version changes.
	ReconcileStrategyChartVersion = "ChartVersion"
	// ReconcileStrategyRevision makes a new artifact whenever the source
	// revision changes (charts from Git or a Bucket).
	ReconcileStrategyRevision = "Revision"

	// ChartPullSucceededReason is a chart pulled from a repository.
	ChartPullSucceededReason = "ChartPullSucceeded"
	// ChartPullFailedReason is a chart that could not be pulled.
	ChartPullFailedReason = "ChartPullFailed"
	// ChartPackageSucceededReason is a chart packaged from a source.
	ChartPackageSucceededReason = "ChartPackageSucceeded"
	// ChartPackageFailedReason is a chart that could not be packaged.
	ChartPackageFailedReason = "ChartPackageFailed"
)

// HelmChartSpec specifies the desired state of a Helm chart.
type HelmChartSpec struct {
	// Chart is the name or path the Helm chart is available at in the
	// SourceRef.
	// +required
	Chart string `json:"chart"`

	// Version is the chart version semver expression, ignored for charts
	// from GitRepository and Bucket sources. Defaults to latest when
	// omitted.
	// +kubebuilder:default:=*
	// +optional
	Version string `json:"version,omitempty"`

	// SourceRef is the reference to the Source the chart is available at.
	// +required
	SourceRef LocalHelmChartSourceReference `json:"sourceRef"`

	// Interval at which the HelmChart SourceRef is checked for updates.
	// This interval is approximate and may be subject to jitter to ensure
	// efficient use of resources.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// ReconcileStrategy determines what enables the creation of a new
	// artifact. Valid values are ('ChartVersion', 'Revision'). See the
	// documentation of the values for an explanation on their behavior.
	// Defaults to ChartVersion when omitted.
	// +kubebuilder:validation:Enum=ChartVersion;Revision
	// +kubebuilder:default:=ChartVersion
	// +optional
	ReconcileStrategy string `json:"reconcileStrategy,omitempty"`

	// ValuesFiles is an alternative list of values files to use as the
	// chart values (values.yaml is not included by default), expected to be
	// a relative path in the SourceRef. Values files are merged in the
	// order of this list with the last file overriding the first. Ignored
	// when omitted.
	// +optional
	ValuesFiles []string `json:"valuesFiles,omitempty"`

	// ValuesFile is the deprecated single values file of the v1beta1 and
	// v1beta2 APIs. When set it is merged before ValuesFiles, as Flux did.
	// +optional
	ValuesFile string `json:"valuesFile,omitempty"`

	// IgnoreMissingValuesFiles controls whether to silently ignore missing
	// values files rather than failing.
	// +optional
	IgnoreMissingValuesFiles bool `json:"ignoreMissingValuesFiles,omitempty"`

	// Suspend tells the controller to suspend the reconciliation of this
	// source.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// Verify contains the secret name containing the trusted public keys
	// used to verify the signature and specifies which provider to use to
	// check whether OCI image is authentic. This field is only supported
	// when using HelmRepository source with spec.type 'oci'. Chart
	// dependencies, which are not bundled in the umbrella chart artifact,
	// are not verified.
	// +optional
	Verify *OCIRepositoryVerification `json:"verify,omitempty"`

	// AccessFrom is the deprecated cross-namespace ACL of v1beta1; ferry
	// keeps it so old objects round-trip, and ignores it.
	// +optional
	AccessFrom *AccessFrom `json:"accessFrom,omitempty"`
}

// LocalHelmChartSourceReference contains enough information to let you
// locate the typed referenced object at namespace level.
type LocalHelmChartSourceReference struct {
	// APIVersion of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent, valid values are ('HelmRepository',
	// 'GitRepository', 'Bucket').
	// +kubebuilder:validation:Enum=HelmRepository;GitRepository;Bucket
	// +required
	Kind string `json:"kind"`

	// Name of the referent.
	// +required
	Name string `json:"name"`
}

// OCIRepositoryVerification verifies the authenticity of an OCI Artifact.
type OCIRepositoryVerification struct {
	// Provider specifies the technology used to sign the OCI Artifact.
	// +kubebuilder:validation:Enum=cosign;notation
	// +kubebuilder:default:=cosign
	Provider string `json:"provider"`

	// SecretRef specifies the Kubernetes Secret containing the trusted
	// public keys.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// MatchOIDCIdentity specifies the identity matching criteria to use
	// while verifying an OCI artifact which was signed using Cosign keyless
	// signing.
	// +optional
	MatchOIDCIdentity []OIDCIdentityMatch `json:"matchOIDCIdentity,omitempty"`
}

// OIDCIdentityMatch specifies options for verifying the certificate
// identity, i.e. the issuer and the subject of the certificate.
type OIDCIdentityMatch struct {
	// Issuer specifies the regex pattern to match against to verify the
	// OIDC issuer in the Fulcio certificate.
	// +required
	Issuer string `json:"issuer"`
	// Subject specifies the regex pattern to match against to verify the
	// identity subject in the Fulcio certificate.
	// +required
	Subject string `json:"subject"`
}

// HelmChartStatus records the observed state of the HelmChart.
type HelmChartStatus struct {
	// ObservedGeneration is the last observed generation of the HelmChart
	// object.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// ObservedSourceArtifactRevision is the last observed
	// Artifact.Revision of the HelmChartSpec.SourceRef.
	// +optional
	ObservedSourceArtifactRevision string `json:"observedSourceArtifactRevision,omitempty"`

	// ObservedChartName is the last observed chart name as specified by the
	// resolved chart reference.
	// +optional
	ObservedChartName string `json:"observedChartName,omitempty"`

	// ObservedValuesFiles are the observed value files of the last
	// successful reconciliation. It matches the chart in the last
	// successfully reconciled artifact.
	// +optional
	ObservedValuesFiles []string `json:"observedValuesFiles,omitempty"`

	// Conditions holds the conditions for the HelmChart.
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// URL is the dynamic fetch link for the latest Artifact. It is provided
	// on a "best effort" basis, and using the precise BucketStatus.Artifact
	// data is recommended.
	// +optional
	URL string `json:"url,omitempty"`

	// Artifact represents the output of the last successful reconciliation.
	// +optional
	Artifact *meta.Artifact `json:"artifact,omitempty"`

	meta.ReconcileRequestStatus `json:",inline"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=hc,categories=all;fluxcd;fluxcd-sources
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Chart",type=string,JSONPath=`.spec.chart`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`
// +kubebuilder:printcolumn:name="Source Kind",type=string,JSONPath=`.spec.sourceRef.kind`
// +kubebuilder:printcolumn:name="Source Name",type=string,JSONPath=`.spec.sourceRef.name`
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""

// HelmChart is the Schema for the helmcharts API.
type HelmChart struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec HelmChartSpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status HelmChartStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions of the object.
func (in *HelmChart) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions sets the status conditions of the object.
func (in *HelmChart) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// IsSuspended reports whether spec.suspend stops the reconciliation.
func (in *HelmChart) IsSuspended() bool { return in.Spec.Suspend }

// SetObservedGeneration records the generation the status describes.
func (in *HelmChart) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// SetLastHandledReconcileRequest records the reconcile request the status
// answers.
func (in *HelmChart) SetLastHandledReconcileRequest(token string) {
	in.Status.SetLastHandledReconcileRequest(token)
}

// GetRequeueAfter returns spec.interval.
func (in *HelmChart) GetRequeueAfter() time.Duration { return in.Spec.Interval.Duration }

// GetArtifact returns the latest Artifact (the packaged chart), or nil.
func (in *HelmChart) GetArtifact() *meta.Artifact { return in.Status.Artifact }

// GetValuesFiles returns the values files to merge, the deprecated
// spec.valuesFile first.
func (in *HelmChart) GetValuesFiles() []string {
	if in.Spec.ValuesFile == "" {
		return in.Spec.ValuesFiles
	}
	return append([]string{in.Spec.ValuesFile}, in.Spec.ValuesFiles...)
}

// GetReconcileStrategy returns spec.reconcileStrategy, defaulting to
// ChartVersion.
func (in *HelmChart) GetReconcileStrategy() string {
	if in.Spec.ReconcileStrategy == "" {
		return ReconcileStrategyChartVersion
	}
	return in.Spec.ReconcileStrategy
}

// +kubebuilder:object:root=true

// HelmChartList contains a list of HelmChart objects.
type HelmChartList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []HelmChart `json:"items"`
}

func init() {
	SchemeBuilder.Register(&HelmChart{}, &HelmChartList{})
}

var (
	_ Source = &HelmRepository{}
	_ Source = &HelmChart{}
)
