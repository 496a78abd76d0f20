package cli

import (
	"slices"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller/alert"
)

// kinds are the Flux kinds that get, export, suspend, resume and reconcile
// act on: each of these verbs has one subcommand per kind, built from its
// entry here. Adding a kind to the CLI is one more entry.
var kinds = []*kind{gitRepositories, helmRepositories, helmCharts, ociRepositories, buckets, kustomizations, helmReleases, providers, alerts, receivers,
	imageRepositories, imagePolicies, imageUpdateAutomations}

// kindRules are what some kinds add to the reconcile request and wait that
// every kind shares (see reconcileRules).
var kindRules = map[*kind]reconcileRules{
	// An OCI HelmRepository has no index to fetch and no artifact, so only
	// its Ready condition says how it is.
	helmRepositories: {static: func(obj fluxObject) bool { return obj.(*sourcev1.HelmRepository).IsOCI() }},
	helmReleases: {
		flags: []annotationFlag{
			{name: "force", annotation: meta.ForceRequestAnnotation, usage: "force a one-off install or upgrade of the HelmRelease"},
			{name: "reset", annotation: meta.ResetRequestAnnotation, usage: "reset the failure counters of the HelmRelease, so that its remediation retries start again"},
		},
		pending: helmReleasePending,
	},
	// An Alert created with its Provider waits until the Provider is
	// checked.
	alerts: {pending: func(obj fluxObject) bool { return readyFalseBecause(obj, alert.ProviderNotReadyReason) }},
	// An ImagePolicy created with its ImageRepository waits until the
	// repository has scanned.
	imagePolicies: {pending: func(obj fluxObject) bool { return readyFalseBecause(obj, imagev1.DependencyNotReadyReason) }},
}

// sources groups the source kinds: `ferry get sources git`, `ferry
// reconcile source git`.
var sources = &group{name: "source", plural: "sources"}

var gitRepositories = &kind{
	gvk:        sourcev1.GroupVersion.WithKind(sourcev1.GitRepositoryKind),
	plural:     "GitRepositories",
	group:      sources,
	command:    "git",
	newObject:  func() fluxObject { return &sourcev1.GitRepository{} },
	newList:    func() client.ObjectList { return &sourcev1.GitRepositoryList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*sourcev1.GitRepository).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*sourcev1.GitRepository).Status.GetLastHandledReconcileRequest()
	},
	revision: artifactRevision,
	done:     "fetched",
	help: kindHelp{
		get: help{"Get the status of GitRepository sources", `  # List the GitRepositories in flux-system
  ferry get sources git

  # List them in every namespace
  ferry get sources git -A`},
		export: help{"Print GitRepositories as Flux v1 YAML", `  # Export one GitRepository
  ferry export source git podinfo

  # Export every GitRepository of flux-system into a file
  ferry export source git --all > sources.yaml`},
		suspend: help{"Suspend a GitRepository: it stops fetching until resumed", `  # Stop fetching podinfo
  ferry suspend source git podinfo

  # Suspend every GitRepository in flux-system
  ferry suspend source git --all`},
		resume: help{"Resume a suspended GitRepository and wait until it has fetched", `  # Resume podinfo and wait for its artifact
  ferry resume source git podinfo`},
		reconcile: help{"Fetch a GitRepository now and wait for the new artifact", `  # Fetch the latest commit of the flux-system repository
  ferry reconcile source git flux-system`},
	},
}

var kustomizations = &kind{
	gvk:        kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind),
	plural:     "Kustomizations",
	command:    "kustomization",
	aliases:    []string{"ks"},
	newObject:  func() fluxObject { return &kustomizev1.Kustomization{} },
	newList:    func() client.ObjectList { return &kustomizev1.KustomizationList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*kustomizev1.Kustomization).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*kustomizev1.Kustomization).Status.GetLastHandledReconcileRequest()
	},
	revision: func(obj fluxObject) string { return obj.(*kustomizev1.Kustomization).Status.LastAppliedRevision },
	done:     "applied",
	sourceRef: func(obj fluxObject) (string, types.NamespacedName) {
		ref := obj.(*kustomizev1.Kustomization).Spec.SourceRef
		return ref.Kind, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
	},
	help: kindHelp{
		get: help{"Get the status of Kustomizations", `  # List the Kustomizations in flux-system
  ferry get kustomizations

  # List them in every namespace
  ferry get ks -A`},
		export: help{"Print Kustomizations as Flux v1 YAML", `  # Export one Kustomization
  ferry export kustomization apps

  # Export every Kustomization of flux-system
  ferry export kustomization --all > kustomizations.yaml`},
		suspend: help{"Suspend a Kustomization: it stops applying until resumed", `  # Stop applying apps
  ferry suspend kustomization apps`},
		resume: help{"Resume a suspended Kustomization and wait until it has applied", `  # Resume apps and wait for the apply
  ferry resume kustomization apps`},
		reconcile: help{"Apply a Kustomization now and wait for the outcome", `  # Apply the Kustomization outside of its interval
  ferry reconcile kustomization apps

  # Fetch its source first, then apply what it fetched
  ferry reconcile kustomization apps --with-source`},
	},
}

var helmRepositories = &kind{
	gvk:        sourcev1.GroupVersion.WithKind(sourcev1.HelmRepositoryKind),
	plural:     "HelmRepositories",
	group:      sources,
	command:    "helm",
	newObject:  func() fluxObject { return &sourcev1.HelmRepository{} },
	newList:    func() client.ObjectList { return &sourcev1.HelmRepositoryList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*sourcev1.HelmRepository).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*sourcev1.HelmRepository).Status.GetLastHandledReconcileRequest()
	},
	revision: artifactRevision,
	done:     "fetched",
	help: kindHelp{
		get: help{"Get the status of HelmRepository sources", `  # List the HelmRepositories in flux-system
  ferry get sources helm

  # List them in every namespace
  ferry get sources helm -A`},
		export: help{"Print HelmRepositories as Flux v1 YAML", `  # Export one HelmRepository
  ferry export source helm podinfo

  # Export every HelmRepository of flux-system into a file
  ferry export source helm --all > helmrepositories.yaml`},
		suspend: help{"Suspend a HelmRepository: it stops fetching its index until resumed", `  # Stop fetching the podinfo index
  ferry suspend source helm podinfo`},
		resume: help{"Resume a suspended HelmRepository and wait until it is ready", `  # Resume podinfo and wait for its index
  ferry resume source helm podinfo`},
		reconcile: help{"Fetch a HelmRepository's index now and wait for the new artifact", `  # Fetch the podinfo index outside of its interval
  ferry reconcile source helm podinfo`},
	},
}

var helmCharts = &kind{
	gvk:        sourcev1.GroupVersion.WithKind(sourcev1.HelmChartKind),
	plural:     "HelmCharts",
	group:      sources,
	command:    "chart",
	newObject:  func() fluxObject { return &sourcev1.HelmChart{} },
	newList:    func() client.ObjectList { return &sourcev1.HelmChartList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*sourcev1.HelmChart).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*sourcev1.HelmChart).Status.GetLastHandledReconcileRequest()
	},
	revision: artifactRevision,
	done:     "fetched",
	sourceRef: func(obj fluxObject) (string, types.NamespacedName) {
		ref := obj.(*sourcev1.HelmChart).Spec.SourceRef
		return ref.Kind, types.NamespacedName{Name: ref.Name}
	},
	help: kindHelp{
		get: help{"Get the status of HelmChart sources", `  # List the HelmCharts in flux-system
  ferry get sources chart

  # List them in every namespace
  ferry get sources chart -A`},
		export: help{"Print HelmCharts as Flux v1 YAML", `  # Export one HelmChart
  ferry export source chart flux-system-podinfo

  # Export every HelmChart of flux-system
  ferry export source chart --all > helmcharts.yaml`},
		suspend: help{"Suspend a HelmChart: it stops pulling or packaging the chart until resumed", `  # Stop updating the chart of the HelmRelease podinfo
  ferry suspend source chart flux-system-podinfo`},
		resume: help{"Resume a suspended HelmChart and wait until it has fetched", `  # Resume the chart and wait for its artifact
  ferry resume source chart flux-system-podinfo`},
		reconcile: help{"Fetch a HelmChart now and wait for the new artifact", `  # Pull the chart outside of its interval
  ferry reconcile source chart flux-system-podinfo

  # Fetch its HelmRepository's index first
  ferry reconcile source chart flux-system-podinfo --with-source`},
	},
}

var ociRepositories = &kind{
	gvk:        sourcev1.GroupVersion.WithKind(sourcev1.OCIRepositoryKind),
	plural:     "OCIRepositories",
	group:      sources,
	command:    "oci",
	newObject:  func() fluxObject { return &sourcev1.OCIRepository{} },
	newList:    func() client.ObjectList { return &sourcev1.OCIRepositoryList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*sourcev1.OCIRepository).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*sourcev1.OCIRepository).Status.GetLastHandledReconcileRequest()
	},
	revision: artifactRevision,
	done:     "fetched",
	help: kindHelp{
		get: help{"Get the status of OCIRepository sources", `  # List the OCIRepositories in flux-system
  ferry get sources oci

  # List them in every namespace
  ferry get sources oci -A`},
		export: help{"Print OCIRepositories as Flux v1 YAML", `  # Export one OCIRepository
  ferry export source oci podinfo

  # Export every OCIRepository of flux-system into a file
  ferry export source oci --all > ocirepositories.yaml`},
		suspend: help{"Suspend an OCIRepository: it stops pulling until resumed", `  # Stop pulling podinfo's manifests
  ferry suspend source oci podinfo`},
		resume: help{"Resume a suspended OCIRepository and wait until it has pulled", `  # Resume podinfo and wait for its artifact
  ferry resume source oci podinfo`},
		reconcile: help{"Pull an OCIRepository's artifact now and wait for the new artifact", `  # Resolve the tag and pull outside of the interval
  ferry reconcile source oci podinfo`},
	},
}

var buckets = &kind{
	gvk:        sourcev1.GroupVersion.WithKind(sourcev1.BucketKind),
	plural:     "Buckets",
	group:      sources,
	command:    "bucket",
	newObject:  func() fluxObject { return &sourcev1.Bucket{} },
	newList:    func() client.ObjectList { return &sourcev1.BucketList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*sourcev1.Bucket).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*sourcev1.Bucket).Status.GetLastHandledReconcileRequest()
	},
	revision: artifactRevision,
	done:     "fetched",
	help: kindHelp{
		get: help{"Get the status of Bucket sources", `  # List the Buckets in flux-system
  ferry get sources bucket

  # List them in every namespace
  ferry get sources bucket -A`},
		export: help{"Print Buckets as Flux v1 YAML", `  # Export one Bucket
  ferry export source bucket assets

  # Export every Bucket of flux-system into a file
  ferry export source bucket --all > buckets.yaml`},
		suspend: help{"Suspend a Bucket: it stops fetching until resumed", `  # Stop fetching the assets bucket
  ferry suspend source bucket assets`},
		resume: help{"Resume a suspended Bucket and wait until it has fetched", `  # Resume assets and wait for its artifact
  ferry resume source bucket assets`},
		reconcile: help{"Fetch a Bucket's objects now and wait for the new artifact", `  # List the bucket and fetch what changed outside of the interval
  ferry reconcile source bucket assets`},
	},
}

var helmReleases = &kind{
	gvk:        helmv2.GroupVersion.WithKind(helmv2.HelmReleaseKind),
	plural:     "HelmReleases",
	command:    "helmrelease",
	aliases:    []string{"hr"},
	newObject:  func() fluxObject { return &helmv2.HelmRelease{} },
	newList:    func() client.ObjectList { return &helmv2.HelmReleaseList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*helmv2.HelmRelease).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*helmv2.HelmRelease).Status.GetLastHandledReconcileRequest()
	},
	revision:  helmReleaseRevision,
	done:      "applied",
	sourceRef: helmReleaseChart,
	help: kindHelp{
		get: help{"Get the status of HelmReleases", `  # List the HelmReleases in flux-system
  ferry get helmreleases

  # List them in every namespace
  ferry get hr -A`},
		export: help{"Print HelmReleases as Flux v2 YAML", `  # Export one HelmRelease
  ferry export helmrelease podinfo

  # Export every HelmRelease of flux-system
  ferry export helmrelease --all > helmreleases.yaml`},
		suspend: help{"Suspend a HelmRelease: it stops installing and upgrading until resumed", `  # Stop upgrading podinfo
  ferry suspend helmrelease podinfo`},
		resume: help{"Resume a suspended HelmRelease and wait until it is released", `  # Resume podinfo and wait for the upgrade
  ferry resume hr podinfo`},
		reconcile: help{"Install or upgrade a HelmRelease now and wait for the outcome", `  # Reconcile the HelmRelease outside of its interval
  ferry reconcile helmrelease podinfo

  # Fetch its HelmRepository and chart first, then upgrade to what they fetched
  ferry reconcile hr podinfo --with-source

  # Upgrade even though nothing changed, or after the retries ran out
  ferry reconcile hr podinfo --force

  # Start the remediation retries again
  ferry reconcile hr podinfo --reset`},
	},
}

// helmReleaseRevision is the chart version of the newest release in the
// history, as `flux get helmreleases` shows it (an object written for
// v2beta1 and v2beta2 readers may only have status.lastAppliedRevision).
func helmReleaseRevision(obj fluxObject) string {
	hr := obj.(*helmv2.HelmRelease)
	if latest := hr.Status.History.Latest(); latest != nil {
		return latest.ChartVersion
	}
	return hr.Status.LastAppliedRevision
}

// helmReleaseChart is the HelmChart a HelmRelease installs from: the one
// the controller makes from spec.chart ("<namespace>-<name>", in the
// namespace of the chart's source), or what spec.chartRef names.
func helmReleaseChart(obj fluxObject) (string, types.NamespacedName) {
	hr := obj.(*helmv2.HelmRelease)
	if ref := hr.Spec.ChartRef; ref != nil {
		return ref.Kind, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
	}
	key := types.NamespacedName{Name: hr.GetHelmChartName()}
	if hr.Spec.Chart != nil {
		key.Namespace = hr.Spec.Chart.Spec.SourceRef.Namespace
	}
	return sourcev1.HelmChartKind, key
}

// helmReleaseWaitReasons are the Ready=False reasons of a HelmRelease that
// is waiting for something else, not failing.
var helmReleaseWaitReasons = []string{helmv2.HelmChartNotReadyReason, meta.DependencyNotReadyReason, meta.ProgressingReason}

// helmReleasePending reports a HelmRelease that is not Ready yet because it
// waits for its chart or a dependency: `create`, `reconcile` and `resume`
// then keep waiting.
func helmReleasePending(obj fluxObject) bool {
	return readyFalseBecause(obj, helmReleaseWaitReasons...)
}

// readyFalseBecause reports whether obj's Ready condition is False with
// one of reasons.
func readyFalseBecause(obj fluxObject, reasons ...string) bool {
	ready := apimeta.FindStatusCondition(obj.GetConditions(), meta.ReadyCondition)
	return ready != nil && ready.Status == metav1.ConditionFalse && slices.Contains(reasons, ready.Reason)
}

// providers are the notification Providers: `ferry get alert-providers`,
// as Flux names them. Flux's v1beta3 Provider has no status, and `flux
// reconcile alert-provider` says it is not supported; ferry's has one, so
// reconcile requests a reconciliation and waits for Ready as for any kind.
var providers = &kind{
	gvk:        notificationv1beta3.GroupVersion.WithKind(notificationv1beta3.ProviderKind),
	plural:     "Providers",
	command:    "alert-provider",
	columns:    []string{colReady, colMessage},
	newObject:  func() fluxObject { return &notificationv1beta3.Provider{} },
	newList:    func() client.ObjectList { return &notificationv1beta3.ProviderList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*notificationv1beta3.Provider).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*notificationv1beta3.Provider).Status.GetLastHandledReconcileRequest()
	},
	help: kindHelp{
		get: help{"Get the status of notification Providers", `  # List the Providers in flux-system
  ferry get alert-providers

  # List them in every namespace
  ferry get alert-providers -A`},
		export: help{"Print notification Providers as Flux v1beta3 YAML", `  # Export one Provider
  ferry export alert-provider slack

  # Export every Provider of flux-system
  ferry export alert-provider --all > providers.yaml`},
		suspend: help{"Suspend a Provider: it sends no notifications until resumed", `  # Stop notifying Slack
  ferry suspend alert-provider slack`},
		resume: help{"Resume a suspended Provider and wait until it is ready", `  # Resume slack and wait for it to be ready
  ferry resume alert-provider slack`},
		reconcile: help{"Check a Provider's type and Secrets now and wait until it is ready", `  # Check the Provider again after changing its Secret
  ferry reconcile alert-provider slack`},
	},
}

var alerts = &kind{
	gvk:        notificationv1beta3.GroupVersion.WithKind(notificationv1beta3.AlertKind),
	plural:     "Alerts",
	command:    "alert",
	columns:    []string{colSuspended, colReady, colMessage},
	newObject:  func() fluxObject { return &notificationv1beta3.Alert{} },
	newList:    func() client.ObjectList { return &notificationv1beta3.AlertList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*notificationv1beta3.Alert).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*notificationv1beta3.Alert).Status.GetLastHandledReconcileRequest()
	},
	help: kindHelp{
		get: help{"Get the status of Alerts", `  # List the Alerts in flux-system
  ferry get alerts

  # List them in every namespace
  ferry get alerts -A`},
		export: help{"Print Alerts as Flux v1beta3 YAML", `  # Export one Alert
  ferry export alert on-call

  # Export every Alert of flux-system
  ferry export alert --all > alerts.yaml`},
		suspend: help{"Suspend an Alert: it forwards no events until resumed", `  # Stop forwarding events during maintenance
  ferry suspend alert on-call`},
		resume: help{"Resume a suspended Alert and wait until it is ready", `  # Forward events again
  ferry resume alert on-call`},
		reconcile: help{"Check an Alert now and wait until it is ready", `  # Check the Alert again after creating its Provider
  ferry reconcile alert on-call`},
	},
}

var receivers = &kind{
	gvk:        notificationv1.GroupVersion.WithKind(notificationv1.ReceiverKind),
	plural:     "Receivers",
	command:    "receiver",
	columns:    []string{colSuspended, colReady, colMessage},
	newObject:  func() fluxObject { return &notificationv1.Receiver{} },
	newList:    func() client.ObjectList { return &notificationv1.ReceiverList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*notificationv1.Receiver).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*notificationv1.Receiver).Status.GetLastHandledReconcileRequest()
	},
	help: kindHelp{
		get: help{"Get the status of webhook Receivers", `  # List the Receivers in flux-system
  ferry get receivers

  # List them in every namespace
  ferry get receivers -A`},
		export: help{"Print Receivers as Flux v1 YAML", `  # Export one Receiver
  ferry export receiver github

  # Export every Receiver of flux-system
  ferry export receiver --all > receivers.yaml`},
		suspend: help{"Suspend a Receiver: its webhook requests are refused until resumed", `  # Ignore webhook calls for a while
  ferry suspend receiver github`},
		resume: help{"Resume a suspended Receiver and wait until it is ready", `  # Serve the webhook again
  ferry resume receiver github`},
		reconcile: help{"Read a Receiver's token again now and wait until it is ready", `  # Pick up a new token (and so a new webhook path) at once
  ferry reconcile receiver github`},
	},
}

// The targets `create` waits on after applying an object.
var (
	gitRepositoryTarget  = gitRepositories.target
	helmRepositoryTarget = helmRepositories.target
	kustomizationTarget  = kustomizations.target
	helmReleaseTarget    = helmReleases.target
)
