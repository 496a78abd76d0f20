package v1beta3

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
)

// ProviderKind is the kind of Provider objects.
const ProviderKind = "Provider"

// Provider types: the service a Provider sends notifications to.
const (
	GenericProvider         = "generic"
	GenericHMACProvider     = "generic-hmac"
	SlackProvider           = "slack"
	GrafanaProvider         = "grafana"
	DiscordProvider         = "discord"
	MSTeamsProvider         = "msteams"
	RocketProvider          = "rocket"
	GitHubDispatchProvider  = "githubdispatch"
	GitHubProvider          = "github"
	GitLabProvider          = "gitlab"
	GiteaProvider           = "gitea"
	BitbucketServerProvider = "bitbucketserver"
	BitbucketProvider       = "bitbucket"
	AzureDevOpsProvider     = "azuredevops"
	GoogleChatProvider      = "googlechat"
	GooglePubSubProvider    = "googlepubsub"
	WebexProvider           = "webex"
	SentryProvider          = "sentry"
	AzureEventHubProvider   = "azureeventhub"
	TelegramProvider        = "telegram"
	LarkProvider            = "lark"
	MatrixProvider          = "matrix"
	OpsgenieProvider        = "opsgenie"
	AlertManagerProvider    = "alertmanager"
	PagerDutyProvider       = "pagerduty"
	DataDogProvider         = "datadog"
	NATSProvider            = "nats"
)

// DefaultProviderTimeout is the timeout of a notification when
// spec.timeout is not set.
const DefaultProviderTimeout = 15 * time.Second

// ProviderSpec specifies where and how a Provider sends notifications.
// +kubebuilder:validation:XValidation:rule="self.type == 'github' || self.type == 'gitlab' || self.type == 'gitea' || self.type == 'bitbucketserver' || self.type == 'bitbucket' || self.type == 'azuredevops' || !has(self.commitStatusExpr)", message="spec.commitStatusExpr is only supported for the 'github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops' provider types"
type ProviderSpec struct {
	// Type of the Provider: the service notifications are sent to.
	// +kubebuilder:validation:Enum=slack;discord;msteams;rocket;generic;generic-hmac;github;gitlab;gitea;bitbucketserver;bitbucket;azuredevops;googlechat;googlepubsub;webex;sentry;azureeventhub;telegram;lark;matrix;opsgenie;alertmanager;grafana;githubdispatch;pagerduty;datadog;nats
	// +required
	Type string `json:"type"`

	// Interval at which the Provider was reconciled with its Secrets in
	// v1beta2.
	// Deprecated: not used; kept so that v1beta2 objects are stored whole.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Channel is the destination channel (or room, topic, ...) of the
	// notifications.
	// +kubebuilder:validation:MaxLength:=2048
	// +optional
	Channel string `json:"channel,omitempty"`

	// Username is the name notifications are posted under.
	// +kubebuilder:validation:MaxLength:=2048
	// +optional
	Username string `json:"username,omitempty"`

	// Address is where notifications are sent; its meaning depends on the
	// type: an HTTP(S) URL for generic and the chat services, a repository
	// URL for commit statuses, a project ID or a namespace for others.
	// +kubebuilder:validation:MaxLength:=2048
	// +kubebuilder:validation:Optional
	// +optional
	Address string `json:"address,omitempty"`

	// Timeout of sending one notification. Defaults to 15s.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Proxy is the HTTP(S) address of a proxy server.
	// Deprecated: use ProxySecretRef.
	// +kubebuilder:validation:Pattern="^(http|https)://.*$"
	// +kubebuilder:validation:MaxLength:=2048
	// +kubebuilder:validation:Optional
	// +optional
	Proxy string `json:"proxy,omitempty"`

	// ProxySecretRef names a Secret with the proxy server to use: its
	// 'address' key, and optionally 'username' and 'password'.
	// +optional
	ProxySecretRef *meta.LocalObjectReference `json:"proxySecretRef,omitempty"`

	// SecretRef names a Secret with the credentials of the Provider (for
	// instance 'token', 'address', 'username', 'password', 'headers').
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// ServiceAccountName is a Kubernetes ServiceAccount in the Provider's
	// namespace whose token is exchanged for cloud credentials (workload
	// identity) by the azureeventhub, azuredevops and googlepubsub types.
	// It cannot be combined with static credentials in SecretRef.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// CertSecretRef names a Secret with TLS material: 'ca.crt' to verify
	// the server, 'tls.crt' and 'tls.key' for a client certificate. The
	// keys 'caFile', 'certFile' and 'keyFile' are deprecated aliases.
	// +optional
	CertSecretRef *meta.LocalObjectReference `json:"certSecretRef,omitempty"`

	// Suspend tells the controller to stop sending notifications through
	// this Provider.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// CommitStatusExpr is a CEL expression returning the commit status
	// description for the commit status types (github, gitlab, gitea,
	// bitbucketserver, bitbucket, azuredevops); it can read the variables
	// event, provider and alert.
	// +optional
	CommitStatusExpr string `json:"commitStatusExpr,omitempty"`
}

// ProviderStatus records the observed state of the Provider. Flux's v1beta3
// Provider has none; ferry keeps the one of v1beta2.
type ProviderStatus struct {
	meta.ReconcileRequestStatus `json:",inline"`

	// Conditions holds the conditions for the Provider.
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the last reconciled generation.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Deliveries are the last notifications sent through this Provider,
	// newest first (a ferry addition, which `ferry events` shows).
	// +optional
	Deliveries []Delivery `json:"deliveries,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""

// Provider is the Schema for the providers API.
type Provider struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ProviderSpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status ProviderStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions of the object.
func (in *Provider) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions sets the status conditions of the object.
func (in *Provider) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// IsSuspended reports whether spec.suspend stops the reconciliation.
func (in *Provider) IsSuspended() bool { return in.Spec.Suspend }

// SetObservedGeneration records the generation the status describes.
func (in *Provider) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// SetLastHandledReconcileRequest records the reconcile request the status
// answers.
func (in *Provider) SetLastHandledReconcileRequest(token string) {
	in.Status.SetLastHandledReconcileRequest(token)
}

// GetRequeueAfter returns zero: a v1beta3 Provider has no interval (the
// deprecated spec.interval is ignored, as in Flux), so it is reconciled
// when it or what it references changes, not periodically.
func (in *Provider) GetRequeueAfter() time.Duration { return 0 }

// GetTimeout returns spec.timeout, defaulting to DefaultProviderTimeout
// (15s) like Flux's.
func (in *Provider) GetTimeout() time.Duration {
	if in.Spec.Timeout != nil && in.Spec.Timeout.Duration > 0 {
		return in.Spec.Timeout.Duration
	}
	return DefaultProviderTimeout
}

// +kubebuilder:object:root=true

// ProviderList contains a list of Provider objects.
type ProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Provider `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Provider{}, &ProviderList{})
}
