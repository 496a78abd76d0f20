package v2

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
)

const (
	// HelmReleaseKind is the kind of HelmRelease objects.
	HelmReleaseKind = "HelmRelease"
	// HelmReleaseFinalizer is set on HelmRelease objects so the release is
	// uninstalled on deletion.
	HelmReleaseFinalizer = "finalizers.fluxcd.io"
	// DriftDetectionMetadataKey is the label or annotation key of an
	// object that opts out of drift detection when set to "disabled".
	DriftDetectionMetadataKey = GroupName + "/driftDetection"
	// GroupName is the API group of HelmRelease.
	GroupName = "helm.toolkit.fluxcd.io"
	// ReleaseNameMaxLength is the longest release name Helm accepts.
	ReleaseNameMaxLength = 53
)

// HelmReleaseSpec defines the desired state of a Helm release.
// +kubebuilder:validation:XValidation:rule="(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))", message="either chart or chartRef must be set"
type HelmReleaseSpec struct {
	// Chart defines the template of the v1.HelmChart that should be created
	// for this HelmRelease.
	// +optional
	Chart *HelmChartTemplate `json:"chart,omitempty"`

	// ChartRef holds a reference to a source controller resource containing
	// the Helm chart artifact.
	// +optional
	ChartRef *CrossNamespaceSourceReference `json:"chartRef,omitempty"`

	// Interval at which to reconcile the Helm release.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// KubeConfig for reconciling the HelmRelease on a remote cluster. When
	// used in combination with HelmReleaseSpec.ServiceAccountName,
	// forces the controller to act on behalf of that Service Account at the
	// target cluster. If the --default-service-account flag is set, its
	// value will be used as a controller level fallback for when
	// HelmReleaseSpec.ServiceAccountName is empty.
	// +optional
	KubeConfig *meta.KubeConfigReference `json:"kubeConfig,omitempty"`

	// Suspend tells the controller to suspend reconciliation for this
	// HelmRelease, it does not apply to already started reconciliations.
	// Defaults to false.
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

	// DependsOn may contain a DependencyReference slice with references to
	// HelmRelease resources that must be ready before this HelmRelease can
	// be reconciled.
	// +optional
	DependsOn []DependencyReference `json:"dependsOn,omitempty"`

	// Timeout is the time to wait for any individual Kubernetes operation
	// (like Jobs for hooks) during the performance of a Helm action.
	// Defaults to '5m0s'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// MaxHistory is the number of revisions saved by Helm for this
	// HelmRelease. Use '0' for an unlimited number of revisions; defaults
	// to '5'.
	// +optional
	MaxHistory *int `json:"maxHistory,omitempty"`

	// The name of the Kubernetes service account to impersonate when
	// reconciling this HelmRelease.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// PersistentClient tells the controller to use a persistent Kubernetes
	// client for this release. ferry always keeps one per release.
	// +optional
	PersistentClient *bool `json:"persistentClient,omitempty"`

	// DriftDetection holds the configuration for detecting and handling
	// differences between the manifest in the Helm storage and the
	// resources currently existing in the cluster.
	// +optional
	DriftDetection *DriftDetection `json:"driftDetection,omitempty"`

	// Install holds the configuration for Helm install actions for this
	// HelmRelease.
	// +optional
	Install *Install `json:"install,omitempty"`

	// Upgrade holds the configuration for Helm upgrade actions for this
	// HelmRelease.
	// +optional
	Upgrade *Upgrade `json:"upgrade,omitempty"`

	// Test holds the configuration for Helm test actions for this
	// HelmRelease.
	// +optional
	Test *Test `json:"test,omitempty"`

	// Rollback holds the configuration for Helm rollback actions for this
	// HelmRelease.
	// +optional
	Rollback *Rollback `json:"rollback,omitempty"`

	// Uninstall holds the configuration for Helm uninstall actions for this
	// HelmRelease.
	// +optional
	Uninstall *Uninstall `json:"uninstall,omitempty"`

	// ValuesFrom holds references to resources containing Helm values for
	// this HelmRelease, and information about how they should be merged.
	// +optional
	ValuesFrom []ValuesReference `json:"valuesFrom,omitempty"`

	// Values holds the values for this Helm release.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Values *apiextensionsv1.JSON `json:"values,omitempty"`

	// PostRenderers holds an array of Helm PostRenderers, which will be
	// applied in order of their definition.
	// +optional
	PostRenderers []PostRenderer `json:"postRenderers,omitempty"`

	// PostRenderStrategy controls how hooks and regular templates are
	// passed to the post-renderers: nohooks (Helm 3: hooks are not
	// post-rendered), combined (Helm 4's default: one stream) or separate
	// (hooks and templates in separate runs). Defaults to combined.
	// +kubebuilder:validation:Enum=nohooks;combined;separate
	// +optional
	PostRenderStrategy string `json:"postRenderStrategy,omitempty"`

	// CommonMetadata specifies the common labels and annotations that are
	// applied to all resources. Any existing label or annotation will be
	// overridden if its key matches a common one.
	// +optional
	CommonMetadata *CommonMetadata `json:"commonMetadata,omitempty"`

	// WaitStrategy defines the strategy used to wait for the release
	// resources to become ready.
	// +optional
	WaitStrategy *WaitStrategy `json:"waitStrategy,omitempty"`

	// HealthCheckExprs is a list of healthcheck expressions for evaluating
	// the health of custom resources using Common Expression Language
	// (CEL).
	// +optional
	HealthCheckExprs []kustomizev1.CustomHealthCheck `json:"healthCheckExprs,omitempty"`
}

// CommonMetadata defines the common labels and annotations.
type CommonMetadata struct {
	// Annotations to be added to the object's metadata.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// Labels to be added to the object's metadata.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// WaitStrategy selects how ferry waits for the release's objects.
type WaitStrategy struct {
	// Name of the wait strategy: poller (kstatus, the default), watcher, or
	// legacy (Helm 3's readiness checks).
	// +kubebuilder:validation:Enum=poller;watcher;legacy
	// +required
	Name string `json:"name"`
}

// HelmChartTemplate defines the template from which the controller will
// generate a v1.HelmChart object in the same namespace as the referenced
// v1.Source.
type HelmChartTemplate struct {
	// ObjectMeta holds the template for metadata like labels and
	// annotations.
	// +optional
	ObjectMeta *HelmChartTemplateObjectMeta `json:"metadata,omitempty"`

	// Spec holds the template for the v1.HelmChartSpec for this
	// HelmRelease.
	// +required
	Spec HelmChartTemplateSpec `json:"spec"`
}

// HelmChartTemplateObjectMeta defines the template for the ObjectMeta of a
// v1.HelmChart.
type HelmChartTemplateObjectMeta struct {
	// Map of string keys and values that can be used to organize and
	// categorize (scope and select) objects.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations is an unstructured key value map stored with a resource
	// that may be set by external tools to store and retrieve arbitrary
	// metadata.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// HelmChartTemplateSpec defines the template from which the controller
// will generate a v1.HelmChartSpec object.
type HelmChartTemplateSpec struct {
	// The name or path the Helm chart is available at in the SourceRef.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +required
	Chart string `json:"chart"`

	// Version semver expression, ignored for charts from v1.GitRepository
	// and v1beta2.Bucket sources. Defaults to latest when omitted.
	// +kubebuilder:default:=*
	// +optional
	Version string `json:"version,omitempty"`

	// The name and namespace of the v1.Source the chart is available at.
	// +required
	SourceRef CrossNamespaceObjectReference `json:"sourceRef"`

	// Interval at which to check the v1.Source for updates. Defaults to
	// 'HelmReleaseSpec.Interval'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Determines what enables the creation of a new artifact. Valid values
	// are ('ChartVersion', 'Revision'). Defaults to ChartVersion when
	// omitted.
	// +kubebuilder:validation:Enum=ChartVersion;Revision
	// +kubebuilder:default:=ChartVersion
	// +optional
	ReconcileStrategy string `json:"reconcileStrategy,omitempty"`

	// Alternative list of values files to use as the chart values
	// (values.yaml is not included by default), expected to be a relative
	// path in the SourceRef. Values files are merged in the order of this
	// list with the last file overriding the first.
	// +optional
	ValuesFiles []string `json:"valuesFiles,omitempty"`

	// ValuesFile is the deprecated single values file of v2beta1 and
	// v2beta2; it is merged before ValuesFiles.
	// +optional
	ValuesFile string `json:"valuesFile,omitempty"`

	// IgnoreMissingValuesFiles controls whether to silently ignore missing
	// values files rather than failing.
	// +optional
	IgnoreMissingValuesFiles bool `json:"ignoreMissingValuesFiles,omitempty"`

	// Verify contains the secret name containing the trusted public keys
	// used to verify the signature and specifies which provider to use to
	// check whether OCI image is authentic. This field is only supported
	// for OCI sources. Chart dependencies, which are not bundled in the
	// umbrella chart artifact, are not verified.
	// +optional
	Verify *HelmChartTemplateVerification `json:"verify,omitempty"`
}

// GetValuesFiles returns the values files, the deprecated valuesFile first.
func (in HelmChartTemplateSpec) GetValuesFiles() []string {
	if in.ValuesFile == "" {
		return in.ValuesFiles
	}
	return append([]string{in.ValuesFile}, in.ValuesFiles...)
}

// HelmChartTemplateVerification verifies the authenticity of an OCI Helm
// chart.
type HelmChartTemplateVerification struct {
	// Provider specifies the technology used to sign the OCI Helm chart.
	// +kubebuilder:validation:Enum=cosign;notation
	// +kubebuilder:default:=cosign
	Provider string `json:"provider"`

	// SecretRef specifies the Kubernetes Secret containing the trusted
	// public keys.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`
}

// DriftDetectionMode represents the modes in which a controller can detect
// and handle differences between the manifest in the Helm storage and the
// resources currently existing in the cluster.
type DriftDetectionMode string

const (
	// DriftDetectionEnabled instructs the controller to actively detect any
	// changes between the manifest in the Helm storage and the resources
	// currently existing in the cluster, and correct them.
	DriftDetectionEnabled DriftDetectionMode = "enabled"
	// DriftDetectionWarn only reports drift.
	DriftDetectionWarn DriftDetectionMode = "warn"
	// DriftDetectionDisabled does not look for drift.
	DriftDetectionDisabled DriftDetectionMode = "disabled"
)

// DriftDetection defines the strategy for performing differential analysis
// and determining the drift of the release objects.
type DriftDetection struct {
	// Mode defines how differences should be handled between the Helm
	// manifest and the manifest currently applied to the cluster. If not
	// explicitly set, it defaults to DiffModeDisabled.
	// +kubebuilder:validation:Enum=enabled;warn;disabled
	// +optional
	Mode DriftDetectionMode `json:"mode,omitempty"`

	// Ignore contains a list of rules for specifying which changes to
	// ignore during diffing.
	// +optional
	Ignore []IgnoreRule `json:"ignore,omitempty"`
}

// GetMode returns the mode, disabled when unset.
func (in *DriftDetection) GetMode() DriftDetectionMode {
	if in == nil || in.Mode == "" {
		return DriftDetectionDisabled
	}
	return in.Mode
}

// IgnoreRule defines a rule to selectively disregard specific changes
// during the drift detection process.
type IgnoreRule struct {
	// Paths is a list of JSON Pointer (RFC 6901) paths to be excluded from
	// consideration in a Kubernetes object.
	// +required
	Paths []string `json:"paths"`

	// Target is a selector for specifying Kubernetes objects to which this
	// rule applies. If Target is not set, the Paths will be ignored for all
	// Kubernetes objects within the manifest of the Helm release.
	// +optional
	Target *kustomizev1.Selector `json:"target,omitempty"`
}

// CRDsPolicy defines the install/upgrade approach to use for CRDs when
// installing or upgrading a HelmRelease.
type CRDsPolicy string

const (
	// Skip CRDs: neither install new CRDs nor update existing ones.
	Skip CRDsPolicy = "Skip"
	// Create new CRDs which do not already exist; do not update existing
	// ones.
	Create CRDsPolicy = "Create"
	// CreateReplace creates new CRDs and updates (replaces) existing ones.
	CreateReplace CRDsPolicy = "CreateReplace"
)

// Install holds the configuration for Helm install actions performed for
// this HelmRelease.
type Install struct {
	// Timeout is the time to wait for any individual Kubernetes operation
	// (like Jobs for hooks) during the performance of a Helm install
	// action. Defaults to 'HelmReleaseSpec.Timeout'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Remediation holds the remediation configuration for when the Helm
	// install action for the HelmRelease fails. The default is to not
	// perform any action.
	// +optional
	Remediation *InstallRemediation `json:"remediation,omitempty"`

	// Strategy defines the install strategy to use for this HelmRelease.
	// Defaults to 'RemediateOnFailure'.
	// +optional
	Strategy *InstallStrategy `json:"strategy,omitempty"`

	// DisableWait disables the waiting for resources to be ready after a
	// Helm install has been performed.
	// +optional
	DisableWait bool `json:"disableWait,omitempty"`

	// DisableWaitForJobs disables waiting for jobs to complete after a Helm
	// install has been performed.
	// +optional
	DisableWaitForJobs bool `json:"disableWaitForJobs,omitempty"`

	// DisableHooks prevents hooks from running during the Helm install
	// action.
	// +optional
	DisableHooks bool `json:"disableHooks,omitempty"`

	// DisableOpenAPIValidation prevents the Helm install action from
	// validating rendered templates against the Kubernetes OpenAPI Schema.
	// +optional
	DisableOpenAPIValidation bool `json:"disableOpenAPIValidation,omitempty"`

	// DisableSchemaValidation prevents the Helm install action from
	// validating the values against the JSON Schema.
	// +optional
	DisableSchemaValidation bool `json:"disableSchemaValidation,omitempty"`

	// DisableTakeOwnership disables taking ownership of existing resources
	// during the Helm install action. Defaults to false.
	// +optional
	DisableTakeOwnership bool `json:"disableTakeOwnership,omitempty"`

	// Replace tells the Helm install action to re-use the 'ReleaseName',
	// but only if that name is a deleted release which remains in the
	// history.
	// +optional
	Replace bool `json:"replace,omitempty"`

	// SkipCRDs tells the Helm install action to not install any CRDs. By
	// default, CRDs are installed if not already present.
	//
	// Deprecated use CRD policy (`crds`) attribute with value `Skip`
	// instead.
	// +deprecated
	// +optional
	SkipCRDs bool `json:"skipCRDs,omitempty"`

	// CRDs upgrade CRDs from the Helm Chart's crds directory according to
	// the CRD upgrade policy provided here. Valid values are `Skip`,
	// `Create` or `CreateReplace`. Default is `Create` and if omitted CRDs
	// are installed but not updated.
	// +kubebuilder:validation:Enum=Skip;Create;CreateReplace
	// +optional
	CRDs CRDsPolicy `json:"crds,omitempty"`

	// CreateNamespace tells the Helm install action to create the
	// HelmReleaseSpec.TargetNamespace if it does not exist yet. On
	// uninstall, the namespace will not be garbage collected.
	// +optional
	CreateNamespace bool `json:"createNamespace,omitempty"`

	// ServerSideApply enables server-side apply for resources during
	// install. Defaults to true.
	// +optional
	ServerSideApply *bool `json:"serverSideApply,omitempty"`
}

// GetCRDs returns the CRDs policy of an install, Create by default and Skip
// for the deprecated skipCRDs.
func (in *Install) GetCRDs() CRDsPolicy {
	switch {
	case in == nil:
		return Create
	case in.CRDs != "":
		return in.CRDs
	case in.SkipCRDs:
		return Skip
	}
	return Create
}

// InstallStrategy holds the configuration for Helm install strategy.
// +kubebuilder:validation:XValidation:rule="!has(self.retryInterval) || self.name != 'RemediateOnFailure'", message=".retryInterval cannot be set when .name is 'RemediateOnFailure'"
type InstallStrategy struct {
	// Name of the install strategy.
	// +kubebuilder:validation:Enum=RemediateOnFailure;RetryOnFailure
	// +required
	Name string `json:"name"`

	// RetryInterval is the interval at which to retry a failed install. Can
	// be used only when Name is set to RetryOnFailure. Defaults to '5m'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	RetryInterval *metav1.Duration `json:"retryInterval,omitempty"`
}

// UpgradeStrategy holds the configuration for Helm upgrade strategy.
// +kubebuilder:validation:XValidation:rule="!has(self.retryInterval) || self.name == 'RetryOnFailure'", message=".retryInterval can only be set when .name is 'RetryOnFailure'"
type UpgradeStrategy struct {
	// Name of the upgrade strategy.
	// +kubebuilder:validation:Enum=RemediateOnFailure;RetryOnFailure
	// +required
	Name string `json:"name"`

	// RetryInterval is the interval at which to retry a failed upgrade. Can
	// be used only when Name is set to RetryOnFailure. Defaults to '5m'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	RetryInterval *metav1.Duration `json:"retryInterval,omitempty"`
}

const (
	// ActionStrategyRemediateOnFailure remediates a failed action.
	ActionStrategyRemediateOnFailure = "RemediateOnFailure"
	// ActionStrategyRetryOnFailure retries a failed action after
	// retryInterval without remediation.
	ActionStrategyRetryOnFailure = "RetryOnFailure"
)

// InstallRemediation holds the configuration for Helm install remediation.
type InstallRemediation struct {
	// Retries is the number of retries that should be attempted on
	// failures before bailing. Remediation, using an uninstall, is
	// performed between each attempt. Defaults to '0', a negative integer
	// equals to unlimited retries.
	// +optional
	Retries int `json:"retries,omitempty"`

	// IgnoreTestFailures tells the controller to skip remediation when the
	// Helm tests are run after an install action but fail. Defaults to
	// 'Test.IgnoreFailures'.
	// +optional
	IgnoreTestFailures *bool `json:"ignoreTestFailures,omitempty"`

	// RemediateLastFailure tells the controller to remediate the last
	// failure, when no retries remain. Defaults to 'false'.
	// +optional
	RemediateLastFailure *bool `json:"remediateLastFailure,omitempty"`
}

// RemediationStrategy returns the strategy to use to remediate a failed
// install or upgrade.
type RemediationStrategy string

const (
	// RollbackRemediationStrategy represents a Helm remediation strategy of
	// Helm rollback.
	RollbackRemediationStrategy RemediationStrategy = "rollback"
	// UninstallRemediationStrategy represents a Helm remediation strategy of
	// Helm uninstall.
	UninstallRemediationStrategy RemediationStrategy = "uninstall"
)

// Upgrade holds the configuration for Helm upgrade actions for this
// HelmRelease.
type Upgrade struct {
	// Timeout is the time to wait for any individual Kubernetes operation
	// (like Jobs for hooks) during the performance of a Helm upgrade
	// action. Defaults to 'HelmReleaseSpec.Timeout'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Remediation holds the remediation configuration for when the Helm
	// upgrade action for the HelmRelease fails. The default is to not
	// perform any action.
	// +optional
	Remediation *UpgradeRemediation `json:"remediation,omitempty"`

	// Strategy defines the upgrade strategy to use for this HelmRelease.
	// Defaults to 'RemediateOnFailure'.
	// +optional
	Strategy *UpgradeStrategy `json:"strategy,omitempty"`

	// DisableWait disables the waiting for resources to be ready after a
	// Helm upgrade has been performed.
	// +optional
	DisableWait bool `json:"disableWait,omitempty"`

	// DisableWaitForJobs disables waiting for jobs to complete after a Helm
	// upgrade has been performed.
	// +optional
	DisableWaitForJobs bool `json:"disableWaitForJobs,omitempty"`

	// DisableHooks prevents hooks from running during the Helm upgrade
	// action.
	// +optional
	DisableHooks bool `json:"disableHooks,omitempty"`

	// DisableOpenAPIValidation prevents the Helm upgrade action from
	// validating rendered templates against the Kubernetes OpenAPI Schema.
	// +optional
	DisableOpenAPIValidation bool `json:"disableOpenAPIValidation,omitempty"`

	// DisableSchemaValidation prevents the Helm upgrade action from
	// validating the values against the JSON Schema.
	// +optional
	DisableSchemaValidation bool `json:"disableSchemaValidation,omitempty"`

	// DisableTakeOwnership disables taking ownership of existing resources
	// during the Helm upgrade action. Defaults to false.
	// +optional
	DisableTakeOwnership bool `json:"disableTakeOwnership,omitempty"`

	// Force forces resource updates through a replacement strategy.
	// +optional
	Force bool `json:"force,omitempty"`

	// PreserveValues will make Helm reuse the last release's values and
	// merge in overrides from 'Values'. Setting this flag makes the
	// HelmRelease non-declarative.
	// +optional
	PreserveValues bool `json:"preserveValues,omitempty"`

	// CleanupOnFail allows deletion of new resources created during the
	// Helm upgrade action when it fails.
	// +optional
	CleanupOnFail bool `json:"cleanupOnFail,omitempty"`

	// CRDs upgrade CRDs from the Helm Chart's crds directory according to
	// the CRD upgrade policy provided here. Valid values are `Skip`,
	// `Create` or `CreateReplace`. Default is `Skip` and if omitted CRDs
	// are neither installed nor upgraded.
	// +kubebuilder:validation:Enum=Skip;Create;CreateReplace
	// +optional
	CRDs CRDsPolicy `json:"crds,omitempty"`

	// ChartNameChangeStrategy is what a new chart name does to the
	// release: Reinstall (the default) uninstalls the release and installs
	// the new chart, InPlaceUpdate upgrades it (as Flux before 2.2 and Helm
	// do).
	// +kubebuilder:validation:Enum=Reinstall;InPlaceUpdate
	// +optional
	ChartNameChangeStrategy string `json:"chartNameChangeStrategy,omitempty"`

	// ServerSideApply enables server-side apply for resources during
	// upgrade. Can be "enabled", "disabled", or "auto". When "auto",
	// server-side apply usage will be based on the release's previous
	// usage. Defaults to "auto".
	// +kubebuilder:validation:Enum=enabled;disabled;auto
	// +optional
	ServerSideApply string `json:"serverSideApply,omitempty"`
}

// Chart name change strategies (spec.upgrade.chartNameChangeStrategy).
const (
	ChartNameChangeReinstall     = "Reinstall"
	ChartNameChangeInPlaceUpdate = "InPlaceUpdate"
)

// GetCRDs returns the CRDs policy of an upgrade, Skip by default.
func (in *Upgrade) GetCRDs() CRDsPolicy {
	if in == nil || in.CRDs == "" {
		return Skip
	}
	return in.CRDs
}

// UpgradeRemediation holds the configuration for Helm upgrade remediation.
type UpgradeRemediation struct {
	// Retries is the number of retries that should be attempted on
	// failures before bailing. Remediation, using 'Strategy', is performed
	// between each attempt. Defaults to '0', a negative integer equals to
	// unlimited retries.
	// +optional
	Retries int `json:"retries,omitempty"`

	// IgnoreTestFailures tells the controller to skip remediation when the
	// Helm tests are run after an upgrade action but fail. Defaults to
	// 'Test.IgnoreFailures'.
	// +optional
	IgnoreTestFailures *bool `json:"ignoreTestFailures,omitempty"`

	// RemediateLastFailure tells the controller to remediate the last
	// failure, when no retries remain. Defaults to 'false' unless
	// 'Retries' is greater than 0.
	// +optional
	RemediateLastFailure *bool `json:"remediateLastFailure,omitempty"`

	// Strategy to use for failure remediation. Defaults to 'rollback'.
	// +kubebuilder:validation:Enum=rollback;uninstall
	// +optional
	Strategy *RemediationStrategy `json:"strategy,omitempty"`
}

// Test holds the configuration for Helm test actions for this HelmRelease.
type Test struct {
	// Enable enables Helm test actions for this HelmRelease after an Helm
	// install or upgrade action has been performed.
	// +optional
	Enable bool `json:"enable,omitempty"`

	// Timeout is the time to wait for any individual Kubernetes operation
	// during the performance of a Helm test action. Defaults to
	// 'HelmReleaseSpec.Timeout'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// IgnoreFailures tells the controller to skip remediation when the Helm
	// tests are run but fail. Can be overwritten for tests run after
	// install or upgrade actions in 'Install.IgnoreTestFailures' and
	// 'Upgrade.IgnoreTestFailures'.
	// +optional
	IgnoreFailures bool `json:"ignoreFailures,omitempty"`

	// Filters is a list of tests to run or exclude from running.
	// +optional
	Filters *[]Filter `json:"filters,omitempty"`
}

// Filter holds the configuration for individual Helm test filters.
type Filter struct {
	// Name is the name of the test.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
	// Exclude specifies whether the named test should be excluded.
	// +optional
	Exclude bool `json:"exclude,omitempty"`
}

// Rollback holds the configuration for Helm rollback actions for this
// HelmRelease.
type Rollback struct {
	// Timeout is the time to wait for any individual Kubernetes operation
	// (like Jobs for hooks) during the performance of a Helm rollback
	// action. Defaults to 'HelmReleaseSpec.Timeout'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// DisableWait disables the waiting for resources to be ready after a
	// Helm rollback has been performed.
	// +optional
	DisableWait bool `json:"disableWait,omitempty"`

	// DisableWaitForJobs disables waiting for jobs to complete after a Helm
	// rollback has been performed.
	// +optional
	DisableWaitForJobs bool `json:"disableWaitForJobs,omitempty"`

	// DisableHooks prevents hooks from running during the Helm rollback
	// action.
	// +optional
	DisableHooks bool `json:"disableHooks,omitempty"`

	// Recreate performs pod restarts for the resource if applicable.
	// +optional
	Recreate bool `json:"recreate,omitempty"`

	// Force forces resource updates through a replacement strategy.
	// +optional
	Force bool `json:"force,omitempty"`

	// CleanupOnFail allows deletion of new resources created during the
	// Helm rollback action when it fails.
	// +optional
	CleanupOnFail bool `json:"cleanupOnFail,omitempty"`

	// ServerSideApply enables server-side apply for resources during
	// rollback. Can be "enabled", "disabled", or "auto".
	// +kubebuilder:validation:Enum=enabled;disabled;auto
	// +optional
	ServerSideApply string `json:"serverSideApply,omitempty"`
}

// Uninstall holds the configuration for Helm uninstall actions for this
// HelmRelease.
type Uninstall struct {
	// Timeout is the time to wait for any individual Kubernetes operation
	// (like Jobs for hooks) during the performance of a Helm uninstall
	// action. Defaults to 'HelmReleaseSpec.Timeout'.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// DisableHooks prevents hooks from running during the Helm rollback
	// action.
	// +optional
	DisableHooks bool `json:"disableHooks,omitempty"`

	// KeepHistory tells Helm to remove all associated resources and mark
	// the release as deleted, but retain the release history.
	// +optional
	KeepHistory bool `json:"keepHistory,omitempty"`

	// DisableWait disables waiting for all the resources to be deleted
	// after a Helm uninstall is performed.
	// +optional
	DisableWait bool `json:"disableWait,omitempty"`

	// DeletionPropagation specifies the deletion propagation policy when a
	// Helm uninstall is performed.
	// +kubebuilder:default=background
	// +kubebuilder:validation:Enum=background;foreground;orphan
	// +optional
	DeletionPropagation *string `json:"deletionPropagation,omitempty"`
}

// GetDeletionPropagation returns the propagation policy, background by
// default.
func (in *Uninstall) GetDeletionPropagation() string {
	if in == nil || in.DeletionPropagation == nil {
		return "background"
	}
	return *in.DeletionPropagation
}

// ValuesReference contains a reference to a resource containing Helm
// values, and optionally the key they can be found at.
type ValuesReference struct {
	// Kind of the values referent, valid values are ('Secret',
	// 'ConfigMap').
	// +kubebuilder:validation:Enum=Secret;ConfigMap
	// +required
	Kind string `json:"kind"`

	// Name of the values referent. Should reside in the same namespace as
	// the referring resource.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// ValuesKey is the data key where the values.yaml or a specific value
	// can be found at. Defaults to 'values.yaml'.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[\-._a-zA-Z0-9]+$`
	// +optional
	ValuesKey string `json:"valuesKey,omitempty"`

	// TargetPath is the YAML dot notation path the value should be merged
	// at. When set, the ValuesKey is expected to be a single flat value.
	// Defaults to 'None', which results in the values getting merged at the
	// root.
	// +kubebuilder:validation:MaxLength=250
	// +kubebuilder:validation:Pattern=`^([a-zA-Z0-9_\-.\\\/]|\[[0-9]{1,5}\])+$`
	// +optional
	TargetPath string `json:"targetPath,omitempty"`

	// Optional marks this ValuesReference as optional. When set, a not
	// found error for the values reference is ignored, but any ValuesKey,
	// TargetPath or transient error will still result in a reconciliation
	// failure.
	// +optional
	Optional bool `json:"optional,omitempty"`
}

// GetValuesKey returns the values key, values.yaml by default.
func (in ValuesReference) GetValuesKey() string {
	if in.ValuesKey == "" {
		return "values.yaml"
	}
	return in.ValuesKey
}

// PostRenderer contains a Helm PostRenderer specification.
type PostRenderer struct {
	// Kustomization to apply as PostRenderer.
	// +optional
	Kustomize *Kustomize `json:"kustomize,omitempty"`
}

// Kustomize Helm PostRenderer specification.
type Kustomize struct {
	// Strategic merge and JSON patches, defined as inline YAML objects,
	// capable of targeting objects based on kind, label and annotation
	// selectors.
	// +optional
	Patches []kustomizev1.Patch `json:"patches,omitempty"`

	// Images is a list of (image name, new name, new tag or digest) for
	// changing image names, tags or digests. This can also be achieved
	// with a patch, but this operator is simpler to specify.
	// +optional
	Images []kustomizev1.Image `json:"images,omitempty"`

	// PatchesStrategicMerge is the deprecated field of v2beta1 and v2beta2:
	// each entry becomes a strategic merge patch in Patches.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	PatchesStrategicMerge []apiextensionsv1.JSON `json:"patchesStrategicMerge,omitempty"`

	// PatchesJSON6902 is the deprecated field of v2beta1 and v2beta2: each
	// entry becomes a JSON6902 patch in Patches.
	// +optional
	PatchesJSON6902 []JSON6902Patch `json:"patchesJson6902,omitempty"`
}

// JSON6902Patch is a JSON6902 patch with the target it applies to
// (v2beta1/v2beta2 only).
type JSON6902Patch struct {
	// Patch contains the JSON6902 patch document with an array of
	// operation objects.
	// +required
	Patch []JSON6902 `json:"patch"`

	// Target points to the resources that the patch document should be
	// applied to.
	// +required
	Target kustomizev1.Selector `json:"target"`
}

// JSON6902 is one JSON6902 operation.
type JSON6902 struct {
	// Op indicates the operation to perform.
	// +kubebuilder:validation:Enum=test;remove;add;replace;move;copy
	// +required
	Op string `json:"op"`

	// Path contains the JSON-pointer value that references a location
	// within the target document where the operation is performed.
	// +required
	Path string `json:"path"`

	// From contains a JSON-pointer value that references a location within
	// the target document where the operation is performed.
	// +optional
	From string `json:"from,omitempty"`

	// Value contains a valid JSON structure.
	// +optional
	Value *apiextensionsv1.JSON `json:"value,omitempty"`
}

// HelmReleaseStatus defines the observed state of a HelmRelease.
type HelmReleaseStatus struct {
	// ObservedGeneration is the last observed generation.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// ObservedPostRenderersDigest is the digest for the post-renderers of
	// the last successful reconciliation attempt.
	// +optional
	ObservedPostRenderersDigest string `json:"observedPostRenderersDigest,omitempty"`

	// ObservedCommonMetadataDigest is the digest for the common metadata of
	// the last successful reconciliation attempt.
	// +optional
	ObservedCommonMetadataDigest string `json:"observedCommonMetadataDigest,omitempty"`

	// LastAttemptedGeneration is the last generation the controller
	// attempted to reconcile.
	// +optional
	LastAttemptedGeneration int64 `json:"lastAttemptedGeneration,omitempty"`

	// Conditions holds the conditions for the HelmRelease.
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// HelmChart is the namespaced name of the HelmChart resource created by
	// the controller for the HelmRelease.
	// +optional
	HelmChart string `json:"helmChart,omitempty"`

	// StorageNamespace is the namespace of the Helm release storage for the
	// current release.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:MinLength=1
	// +optional
	StorageNamespace string `json:"storageNamespace,omitempty"`

	// History holds the history of Helm releases performed for this
	// HelmRelease up to the last successfully completed release.
	// +optional
	History Snapshots `json:"history,omitempty"`

	// LastAttemptedReleaseAction is the last release action performed for
	// this HelmRelease. It is used to determine the active remediation
	// strategy.
	// +kubebuilder:validation:Enum=install;upgrade
	// +optional
	LastAttemptedReleaseAction ReleaseAction `json:"lastAttemptedReleaseAction,omitempty"`

	// LastAttemptedReleaseActionDuration is the duration of the last
	// release action performed for this HelmRelease.
	// +optional
	LastAttemptedReleaseActionDuration *metav1.Duration `json:"lastAttemptedReleaseActionDuration,omitempty"`

	// Failures is the reconciliation failure count against the latest
	// desired state. It is reset after a successful reconciliation.
	// +optional
	Failures int64 `json:"failures,omitempty"`

	// InstallFailures is the install failure count against the latest
	// desired state. It is reset after a successful reconciliation.
	// +optional
	InstallFailures int64 `json:"installFailures,omitempty"`

	// UpgradeFailures is the upgrade failure count against the latest
	// desired state. It is reset after a successful reconciliation.
	// +optional
	UpgradeFailures int64 `json:"upgradeFailures,omitempty"`

	// LastAttemptedRevision is the Source revision of the last
	// reconciliation attempt. For OCIRepository sources, the 12 first
	// characters of the digest are appended to the chart version e.g.
	// "1.2.3+1234567890ab".
	// +optional
	LastAttemptedRevision string `json:"lastAttemptedRevision,omitempty"`

	// LastAttemptedRevisionDigest is the digest of the last reconciliation
	// attempt. This is only set for OCIRepository sources.
	// +optional
	LastAttemptedRevisionDigest string `json:"lastAttemptedRevisionDigest,omitempty"`

	// LastAttemptedValuesChecksum is the SHA1 checksum for the values of
	// the last reconciliation attempt. Deprecated: Use
	// LastAttemptedConfigDigest instead.
	// +optional
	LastAttemptedValuesChecksum string `json:"lastAttemptedValuesChecksum,omitempty"`

	// LastReleaseRevision is the revision of the last successful Helm
	// release. Deprecated: Use History instead.
	// +optional
	LastReleaseRevision int `json:"lastReleaseRevision,omitempty"`

	// LastAppliedRevision is the chart version of the newest history
	// entry, written for v2beta1 and v2beta2 readers. Deprecated: use
	// History.
	// +optional
	LastAppliedRevision string `json:"lastAppliedRevision,omitempty"`

	// LastAttemptedConfigDigest is the digest for the config (better known
	// as "values") of the last reconciliation attempt.
	// +optional
	LastAttemptedConfigDigest string `json:"lastAttemptedConfigDigest,omitempty"`

	// LastHandledForceAt holds the value of the most recent force request
	// value, so a change of the annotation value can be detected.
	// +optional
	LastHandledForceAt string `json:"lastHandledForceAt,omitempty"`

	// LastHandledResetAt holds the value of the most recent reset request
	// value, so a change of the annotation value can be detected.
	// +optional
	LastHandledResetAt string `json:"lastHandledResetAt,omitempty"`

	// Inventory contains the list of Kubernetes resource object references
	// that have been applied for this release (hooks excluded).
	// +optional
	Inventory *kustomizev1.ResourceInventory `json:"inventory,omitempty"`

	meta.ReconcileRequestStatus `json:",inline"`
}

// ReleaseAction is the action to perform a Helm release.
type ReleaseAction string

const (
	// ReleaseActionInstall represents a Helm install action.
	ReleaseActionInstall ReleaseAction = "install"
	// ReleaseActionUpgrade represents a Helm upgrade action.
	ReleaseActionUpgrade ReleaseAction = "upgrade"
)

// Snapshots is a list of Snapshot objects, newest first.
type Snapshots []*Snapshot

// Latest returns the newest snapshot, or nil.
func (in Snapshots) Latest() *Snapshot {
	if len(in) == 0 {
		return nil
	}
	return in[0]
}

// Previous returns the newest snapshot before the latest with the given
// status ("deployed", "superseded"), or nil.
func (in Snapshots) Previous(statuses ...string) *Snapshot {
	for _, s := range in[min(1, len(in)):] {
		for _, st := range statuses {
			if s.Status == st {
				return s
			}
		}
	}
	return nil
}

// Snapshot captures a point-in-time copy of the status information for a
// Helm release, as managed by the controller.
type Snapshot struct {
	// APIVersion is the API version of the Snapshot. Provisional: when the
	// calculation method of the Digest field is changed, this field will be
	// used to distinguish between the old and new methods.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
	// Digest is the checksum of the release object in storage. It has the
	// format of `<algo>:<checksum>`.
	// +required
	Digest string `json:"digest"`
	// Name is the name of the release.
	// +required
	Name string `json:"name"`
	// Namespace is the namespace the release is deployed to.
	// +required
	Namespace string `json:"namespace"`
	// Version is the version of the release object in storage.
	// +required
	Version int `json:"version"`
	// Status is the current state of the release.
	// +required
	Status string `json:"status"`
	// ChartName is the chart name of the release object in storage.
	// +required
	ChartName string `json:"chartName"`
	// ChartVersion is the chart version of the release object in storage.
	// +required
	ChartVersion string `json:"chartVersion"`
	// AppVersion is the chart app version of the release object in
	// storage.
	// +optional
	AppVersion string `json:"appVersion,omitempty"`
	// ConfigDigest is the checksum of the config (better known as
	// "values") of the release object in storage. It has the format of
	// `<algo>:<checksum>`.
	// +required
	ConfigDigest string `json:"configDigest"`
	// FirstDeployed is when the release was first deployed.
	// +required
	FirstDeployed metav1.Time `json:"firstDeployed"`
	// LastDeployed is when the release was last deployed.
	// +required
	LastDeployed metav1.Time `json:"lastDeployed"`
	// Deleted is when the release was deleted.
	// +optional
	Deleted metav1.Time `json:"deleted,omitempty"`
	// TestHooks is the list of test hooks for the release as observed to
	// be run by the controller.
	// +optional
	TestHooks *map[string]*TestHookStatus `json:"testHooks,omitempty"`
	// OCIDigest is the digest of the OCI artifact associated with the
	// release.
	// +optional
	OCIDigest string `json:"ociDigest,omitempty"`
}

// FullReleaseName returns "<namespace>/<name>.v<version>".
func (in *Snapshot) FullReleaseName() string {
	return fmt.Sprintf("%s/%s.v%d", in.Namespace, in.Name, in.Version)
}

// VersionedChartName returns "<chartName>@<chartVersion>".
func (in *Snapshot) VersionedChartName() string {
	return fmt.Sprintf("%s@%s", in.ChartName, in.ChartVersion)
}

// TestHookStatus holds the status information for a test hook as observed
// to be run by the controller.
type TestHookStatus struct {
	// LastStarted is the time the test hook was last started.
	// +optional
	LastStarted metav1.Time `json:"lastStarted,omitempty"`
	// LastCompleted is the time the test hook last completed.
	// +optional
	LastCompleted metav1.Time `json:"lastCompleted,omitempty"`
	// Phase the test hook was observed to be in.
	// +optional
	Phase string `json:"phase,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=hr,categories=all;fluxcd
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""

// HelmRelease is the Schema for the helmreleases API.
type HelmRelease struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec HelmReleaseSpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status HelmReleaseStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions of the object.
func (in *HelmRelease) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions sets the status conditions of the object.
func (in *HelmRelease) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// IsSuspended reports whether spec.suspend stops the reconciliation.
func (in *HelmRelease) IsSuspended() bool { return in.Spec.Suspend }

// SetObservedGeneration records the generation the status describes.
func (in *HelmRelease) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// SetLastHandledReconcileRequest records the reconcile request the status
// answers.
func (in *HelmRelease) SetLastHandledReconcileRequest(token string) {
	in.Status.SetLastHandledReconcileRequest(token)
}

// GetRequeueAfter returns spec.interval.
func (in *HelmRelease) GetRequeueAfter() time.Duration { return in.Spec.Interval.Duration }

// GetTimeout returns spec.timeout, five minutes by default.
func (in *HelmRelease) GetTimeout() time.Duration {
	if in.Spec.Timeout != nil && in.Spec.Timeout.Duration > 0 {
		return in.Spec.Timeout.Duration
	}
	return 5 * time.Minute
}

// GetMaxHistory returns spec.maxHistory, 5 by default.
func (in *HelmRelease) GetMaxHistory() int {
	if in.Spec.MaxHistory == nil {
		return 5
	}
	return *in.Spec.MaxHistory
}

// GetReleaseNamespace returns where the release's objects go:
// spec.targetNamespace, else the HelmRelease's namespace.
func (in *HelmRelease) GetReleaseNamespace() string {
	if in.Spec.TargetNamespace != "" {
		return in.Spec.TargetNamespace
	}
	return in.Namespace
}

// GetStorageNamespace returns where Helm's release Secrets go:
// spec.storageNamespace, else the HelmRelease's namespace.
func (in *HelmRelease) GetStorageNamespace() string {
	if in.Spec.StorageNamespace != "" {
		return in.Spec.StorageNamespace
	}
	return in.Namespace
}

// GetReleaseName returns spec.releaseName, else "[targetNamespace-]name";
// a default longer than 53 characters becomes its first 40, a dash and the
// first 12 hex digits of its SHA-256, as Flux names it.
func (in *HelmRelease) GetReleaseName() string {
	if in.Spec.ReleaseName != "" {
		return in.Spec.ReleaseName
	}
	name := in.Name
	if in.Spec.TargetNamespace != "" {
		name = in.Spec.TargetNamespace + "-" + in.Name
	}
	if len(name) > ReleaseNameMaxLength {
		sum := sha256.Sum256([]byte(name))
		name = name[:40] + "-" + fmt.Sprintf("%x", sum)[:12]
	}
	return name
}

// GetHelmChartName returns the name of the HelmChart ferry creates from
// spec.chart: "<namespace>-<name>".
func (in *HelmRelease) GetHelmChartName() string {
	return strings.Join([]string{in.Namespace, in.Name}, "-")
}

// GetInstall returns spec.install, never nil.
func (in *HelmRelease) GetInstall() Install {
	if in.Spec.Install == nil {
		return Install{}
	}
	return *in.Spec.Install
}

// GetUpgrade returns spec.upgrade, never nil.
func (in *HelmRelease) GetUpgrade() Upgrade {
	if in.Spec.Upgrade == nil {
		return Upgrade{}
	}
	return *in.Spec.Upgrade
}

// GetTest returns spec.test, never nil.
func (in *HelmRelease) GetTest() Test {
	if in.Spec.Test == nil {
		return Test{}
	}
	return *in.Spec.Test
}

// GetRollback returns spec.rollback, never nil.
func (in *HelmRelease) GetRollback() Rollback {
	if in.Spec.Rollback == nil {
		return Rollback{}
	}
	return *in.Spec.Rollback
}

// GetUninstall returns spec.uninstall, never nil.
func (in *HelmRelease) GetUninstall() Uninstall {
	if in.Spec.Uninstall == nil {
		return Uninstall{}
	}
	return *in.Spec.Uninstall
}

// GetDependsOn returns spec.dependsOn.
func (in *HelmRelease) GetDependsOn() []DependencyReference { return in.Spec.DependsOn }

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
