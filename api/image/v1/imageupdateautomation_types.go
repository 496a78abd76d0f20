package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

const (
	// ImageUpdateAutomationKind is the kind of ImageUpdateAutomation
	// objects.
	ImageUpdateAutomationKind = "ImageUpdateAutomation"

	// UpdateStrategySetters edits the fields marked with $imagepolicy
	// comments, the only strategy Flux has.
	UpdateStrategySetters = "Setters"

	// GitOperationFailedReason is an automation whose clone, commit or
	// push failed.
	GitOperationFailedReason = "GitOperationFailed"
	// GitRepositoryNotFoundReason is an automation whose source does not
	// exist.
	GitRepositoryNotFoundReason = "GitRepositoryNotFound"
	// InvalidSourceConfigReason is an automation whose source or git spec
	// cannot be used.
	InvalidSourceConfigReason = "InvalidSourceConfiguration"
	// InvalidPolicySelectorReason is an automation whose policySelector is
	// not a label selector.
	InvalidPolicySelectorReason = "InvalidPolicySelector"
	// InvalidUpdateStrategyReason is an automation whose update strategy
	// cannot be used.
	InvalidUpdateStrategyReason = "InvalidUpdateStrategy"
	// UpdateFailedReason is an automation whose files could not be updated.
	UpdateFailedReason = "UpdateFailed"
	// RemovedTemplateFieldReason is a commit template that uses the data
	// Flux removed.
	RemovedTemplateFieldReason = "RemovedTemplateField"
)

// ImageUpdateAutomationSpec specifies the repository to update and how,
// as in Flux's image.toolkit.fluxcd.io/v1.
type ImageUpdateAutomationSpec struct {
	// SourceRef refers to the resource giving access details to a git
	// repository.
	// +required
	SourceRef CrossNamespaceSourceReference `json:"sourceRef"`

	// GitSpec contains all the git-specific definitions. This is
	// technically optional, but in practice mandatory until there are
	// other kinds of source allowed.
	// +optional
	GitSpec *GitSpec `json:"git,omitempty"`

	// Interval gives an lower bound for how often the automation run
	// should be attempted.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// PolicySelector allows to filter applied policies based on labels. By
	// default includes all policies in namespace.
	// +optional
	PolicySelector *metav1.LabelSelector `json:"policySelector,omitempty"`

	// Update gives the specification for how to update the files in the
	// repository. This can be left empty, to use the default value.
	// +kubebuilder:default={"strategy":"Setters"}
	// +optional
	Update *UpdateStrategy `json:"update,omitempty"`

	// Suspend tells the controller to not run this automation, until it is
	// unset (or set to false). Defaults to false.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// CrossNamespaceSourceReference contains enough information to let you
// locate the typed Kubernetes resource object at cluster level.
type CrossNamespaceSourceReference struct {
	// API version of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +kubebuilder:validation:Enum=GitRepository
	// +kubebuilder:default:=GitRepository
	// +required
	Kind string `json:"kind"`

	// Name of the referent.
	// +required
	Name string `json:"name"`

	// Namespace of the referent, defaults to the namespace of the
	// Kubernetes resource object that contains the reference.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// UpdateStrategy is a union of the various strategies for updating the
// Git repository.
type UpdateStrategy struct {
	// Strategy names the strategy to be used.
	// +kubebuilder:validation:Enum=Setters
	// +kubebuilder:default=Setters
	// +required
	Strategy string `json:"strategy"`

	// Path to the directory containing the manifests to be updated.
	// Defaults to 'None', which translates to the root path of the
	// GitRepositoryRef.
	// +optional
	Path string `json:"path,omitempty"`
}

// GitSpec contains all the git-specific definitions.
type GitSpec struct {
	// Checkout gives the parameters for cloning the git repository, ready
	// to make changes. If not present, the `spec.ref` field from the
	// referenced `GitRepository` or its default will be used.
	// +optional
	Checkout *GitCheckoutSpec `json:"checkout,omitempty"`

	// Commit specifies how to commit to the git repository.
	// +required
	Commit CommitSpec `json:"commit"`

	// Push specifies how and where to push commits made by the automation.
	// If missing, commits are pushed (back) to `.spec.checkout.branch` or
	// its default.
	// +optional
	Push *PushSpec `json:"push,omitempty"`
}

// GitCheckoutSpec specifies the git reference to check out.
type GitCheckoutSpec struct {
	// Reference gives a branch, tag or commit to clone from the Git
	// repository.
	// +required
	Reference sourcev1.GitRepositoryRef `json:"ref"`
}

// CommitSpec specifies how to commit changes to the git repository.
type CommitSpec struct {
	// Author gives the email and optionally the name to use as the author
	// of commits.
	// +required
	Author CommitUser `json:"author"`

	// SigningKey provides the option to sign commits with a GPG key.
	// +optional
	SigningKey *SigningKey `json:"signingKey,omitempty"`

	// MessageTemplate provides a template for the commit message, into
	// which will be interpolated the details of the change made.
	// +optional
	MessageTemplate string `json:"messageTemplate,omitempty"`

	// MessageTemplateValues provides additional values to be available to
	// the templating rendering.
	// +optional
	MessageTemplateValues map[string]string `json:"messageTemplateValues,omitempty"`
}

// CommitUser is the name and email of a commit's author.
type CommitUser struct {
	// Name gives the name to provide when making a commit.
	// +optional
	Name string `json:"name,omitempty"`

	// Email gives the email to provide when making a commit.
	// +required
	Email string `json:"email"`
}

// SigningKey references a Kubernetes secret that contains a GPG keypair.
type SigningKey struct {
	// SecretRef holds the name to a secret that contains a 'git.asc' key
	// corresponding to the ASCII Armored file containing the GPG signing
	// keypair as the value. It must be in the same namespace as the
	// ImageUpdateAutomation.
	// +required
	SecretRef meta.LocalObjectReference `json:"secretRef"`
}

// PushSpec specifies how and where to push commits.
type PushSpec struct {
	// Branch specifies that commits should be pushed to the branch named.
	// The branch is created using `.spec.checkout.branch` as the starting
	// point, if it doesn't already exist.
	// +optional
	Branch string `json:"branch,omitempty"`

	// Refspec specifies the Git Refspec to use for a push operation. If
	// both Branch and Refspec are provided, then the commit is pushed to
	// the branch and also using the specified refspec.
	// +optional
	Refspec string `json:"refspec,omitempty"`

	// Options specifies the push options that are sent to the Git server
	// when performing a push operation.
	// +optional
	Options map[string]string `json:"options,omitempty"`
}

// ObservedPolicies is a map of policy name and ImageRef of their latest
// ImageRef.
type ObservedPolicies map[string]ImageRef

// ImageUpdateAutomationStatus defines the observed state of
// ImageUpdateAutomation.
type ImageUpdateAutomationStatus struct {
	// LastAutomationRunTime records the last time the controller ran this
	// automation through to completion (even if no updates were made).
	// +optional
	LastAutomationRunTime *metav1.Time `json:"lastAutomationRunTime,omitempty"`

	// LastPushCommit records the SHA1 of the last commit made by the
	// controller, for this automation object.
	// +optional
	LastPushCommit string `json:"lastPushCommit,omitempty"`

	// LastPushTime records the time of the last pushed change.
	// +optional
	LastPushTime *metav1.Time `json:"lastPushTime,omitempty"`

	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedPolicies is the list of observed ImagePolicies that were
	// considered by the ImageUpdateAutomation update process.
	// +optional
	ObservedPolicies ObservedPolicies `json:"observedPolicies,omitempty"`

	// ObservedSourceRevision is the last observed source revision. This can
	// be used to determine if the source has been updated since last
	// observation.
	// +optional
	ObservedSourceRevision string `json:"observedSourceRevision,omitempty"`

	meta.ReconcileRequestStatus `json:",inline"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=iua;imgupd;imgauto
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Last run",type=string,JSONPath=`.status.lastAutomationRunTime`
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""

// ImageUpdateAutomation is the Schema for the imageupdateautomations API.
type ImageUpdateAutomation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ImageUpdateAutomationSpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status ImageUpdateAutomationStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions of the object.
func (in *ImageUpdateAutomation) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions sets the status conditions of the object.
func (in *ImageUpdateAutomation) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// IsSuspended reports whether spec.suspend stops the automation.
func (in *ImageUpdateAutomation) IsSuspended() bool { return in.Spec.Suspend }

// SetObservedGeneration records the generation the status describes.
func (in *ImageUpdateAutomation) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// SetLastHandledReconcileRequest records the reconcile request the status
// answers.
func (in *ImageUpdateAutomation) SetLastHandledReconcileRequest(token string) {
	in.Status.SetLastHandledReconcileRequest(token)
}

// GetRequeueAfter returns spec.interval, defaulting to one minute.
func (in *ImageUpdateAutomation) GetRequeueAfter() time.Duration {
	if in.Spec.Interval.Duration > 0 {
		return in.Spec.Interval.Duration
	}
	return time.Minute
}

// GetPath returns spec.update.path, "" for the repository root.
func (in *ImageUpdateAutomation) GetPath() string {
	if in.Spec.Update == nil {
		return ""
	}
	return in.Spec.Update.Path
}

// +kubebuilder:object:root=true

// ImageUpdateAutomationList contains a list of ImageUpdateAutomation.
type ImageUpdateAutomationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ImageUpdateAutomation `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ImageUpdateAutomation{}, &ImageUpdateAutomationList{})
}
