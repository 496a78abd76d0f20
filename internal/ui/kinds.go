package ui

import (
	"cmp"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/status"
)

// kind is one kind the UI shows.
type kind struct {
	// name is its path segment and display name ("Kustomization").
	name string
	// plural is how lists are titled.
	plural string
	gvk    schema.GroupVersionKind
	// newList returns an empty list of the kind.
	newList func() client.ObjectList
	// source marks the source kinds, whose revision is their artifact's.
	source bool
	// newObject returns an empty object of the kind.
	newObject func() conditioned
	// columns are the columns of `ferry get` after NAME (nil for
	// defaultColumns).
	columns []string
	// create is the command that makes one, for the empty states; empty
	// for a kind made by another (a HelmChart by its HelmRelease).
	create string
	// sourceRefs are the sources obj reads, first the one reconcile
	// "with source" asks first; nil for a kind without sources.
	sourceRefs func(obj client.Object) []ref
}

// ref names one object of a kind.
type ref struct {
	Kind, Namespace, Name string
}

// The columns of `ferry get`, after NAME.
const (
	colRevision  = "REVISION"
	colSuspended = "SUSPENDED"
	colReady     = "READY"
	colMessage   = "MESSAGE"
	// The image kinds show, where others show REVISION, when the tags
	// were found, the chosen image and the last run.
	colLastScan    = "LAST SCAN"
	colLatestImage = "LATEST IMAGE"
	colLastRun     = "LAST RUN"
)

// defaultColumns are the columns of most kinds, as `ferry get` shows them.
var defaultColumns = []string{colRevision, colSuspended, colReady, colMessage}

// Name is the kind's name, for the templates.
func (k *kind) Name() string { return k.name }

// Plural is how the kind's lists are titled.
func (k *kind) Plural() string { return k.plural }

// Create is the command that makes one, empty for none.
func (k *kind) Create() string { return k.create }

// Source says whether the kind is a source.
func (k *kind) Source() bool { return k.source }

// Columns returns the kind's `ferry get` columns.
func (k *kind) Columns() []string {
	if k.columns == nil {
		return defaultColumns
	}
	return k.columns
}

// kinds are the kinds the UI shows, in the order of the overview.
var kinds = []*kind{
	{name: sourcev1.GitRepositoryKind, plural: "GitRepositories", gvk: sourcev1.GroupVersion.WithKind(sourcev1.GitRepositoryKind),
		newList: func() client.ObjectList { return &sourcev1.GitRepositoryList{} }, source: true,
		newObject: func() conditioned { return &sourcev1.GitRepository{} },
		create:    "ferry create source git NAME --url=https://github.com/ORG/REPO --branch=main"},
	{name: sourcev1.HelmRepositoryKind, plural: "HelmRepositories", gvk: sourcev1.GroupVersion.WithKind(sourcev1.HelmRepositoryKind),
		newList: func() client.ObjectList { return &sourcev1.HelmRepositoryList{} }, source: true,
		newObject: func() conditioned { return &sourcev1.HelmRepository{} },
		create:    "ferry create source helm NAME --url=https://charts.example.com"},
	{name: sourcev1.OCIRepositoryKind, plural: "OCIRepositories", gvk: sourcev1.GroupVersion.WithKind(sourcev1.OCIRepositoryKind),
		newList: func() client.ObjectList { return &sourcev1.OCIRepositoryList{} }, source: true,
		newObject: func() conditioned { return &sourcev1.OCIRepository{} },
		create:    "ferry create source oci NAME --url=oci://ghcr.io/ORG/REPO --tag=latest"},
	{name: sourcev1.BucketKind, plural: "Buckets", gvk: sourcev1.GroupVersion.WithKind(sourcev1.BucketKind),
		newList: func() client.ObjectList { return &sourcev1.BucketList{} }, source: true,
		newObject: func() conditioned { return &sourcev1.Bucket{} },
		create:    "ferry create source bucket NAME --bucket-name=BUCKET --endpoint=s3.amazonaws.com"},
	{name: sourcev1.HelmChartKind, plural: "HelmCharts", gvk: sourcev1.GroupVersion.WithKind(sourcev1.HelmChartKind),
		newList: func() client.ObjectList { return &sourcev1.HelmChartList{} }, source: true,
		newObject:  func() conditioned { return &sourcev1.HelmChart{} },
		sourceRefs: helmChartSources},
	{name: kustomizev1.KustomizationKind, plural: "Kustomizations", gvk: kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind),
		newList:    func() client.ObjectList { return &kustomizev1.KustomizationList{} },
		newObject:  func() conditioned { return &kustomizev1.Kustomization{} },
		create:     "ferry create kustomization NAME --source=GitRepository/NAME --path=./deploy",
		sourceRefs: kustomizationSources},
	{name: helmv2.HelmReleaseKind, plural: "HelmReleases", gvk: helmv2.GroupVersion.WithKind(helmv2.HelmReleaseKind),
		newList:    func() client.ObjectList { return &helmv2.HelmReleaseList{} },
		newObject:  func() conditioned { return &helmv2.HelmRelease{} },
		create:     "ferry create helmrelease NAME --source=HelmRepository/NAME --chart=CHART",
		sourceRefs: helmReleaseSources},
	{name: notificationv1beta3.ProviderKind, plural: "Providers", gvk: notificationv1beta3.GroupVersion.WithKind(notificationv1beta3.ProviderKind),
		newList:   func() client.ObjectList { return &notificationv1beta3.ProviderList{} },
		newObject: func() conditioned { return &notificationv1beta3.Provider{} },
		columns:   []string{colReady, colMessage},
		create:    "ferry create alert-provider NAME --type=slack --secret-ref=NAME"},
	{name: notificationv1beta3.AlertKind, plural: "Alerts", gvk: notificationv1beta3.GroupVersion.WithKind(notificationv1beta3.AlertKind),
		newList:   func() client.ObjectList { return &notificationv1beta3.AlertList{} },
		newObject: func() conditioned { return &notificationv1beta3.Alert{} },
		columns:   []string{colSuspended, colReady, colMessage},
		create:    "ferry create alert NAME --provider-ref=NAME --event-source=Kustomization/*"},
	{name: notificationv1.ReceiverKind, plural: "Receivers", gvk: notificationv1.GroupVersion.WithKind(notificationv1.ReceiverKind),
		newList:   func() client.ObjectList { return &notificationv1.ReceiverList{} },
		newObject: func() conditioned { return &notificationv1.Receiver{} },
		columns:   []string{colSuspended, colReady, colMessage},
		create:    "ferry create receiver NAME --type=github --resource=GitRepository/NAME --secret-ref=NAME"},
	{name: imagev1.ImageRepositoryKind, plural: "ImageRepositories", gvk: imagev1.GroupVersion.WithKind(imagev1.ImageRepositoryKind),
		newList:   func() client.ObjectList { return &imagev1.ImageRepositoryList{} },
		newObject: func() conditioned { return &imagev1.ImageRepository{} },
		columns:   []string{colLastScan, colSuspended, colReady, colMessage},
		create:    "ferry create image repository NAME --image=ghcr.io/ORG/IMAGE"},
	{name: imagev1.ImagePolicyKind, plural: "ImagePolicies", gvk: imagev1.GroupVersion.WithKind(imagev1.ImagePolicyKind),
		newList:   func() client.ObjectList { return &imagev1.ImagePolicyList{} },
		newObject: func() conditioned { return &imagev1.ImagePolicy{} },
		columns:   []string{colLatestImage, colReady, colMessage},
		create:    "ferry create image policy NAME --image-ref=NAME --select-semver='>=1.0.0'",
		sourceRefs: func(obj client.Object) []ref {
			p := obj.(*imagev1.ImagePolicy)
			return []ref{{Kind: imagev1.ImageRepositoryKind, Namespace: cmp.Or(p.Spec.ImageRepositoryRef.Namespace, p.Namespace), Name: p.Spec.ImageRepositoryRef.Name}}
		}},
	{name: imagev1.ImageUpdateAutomationKind, plural: "ImageUpdateAutomations", gvk: imagev1.GroupVersion.WithKind(imagev1.ImageUpdateAutomationKind),
		newList:   func() client.ObjectList { return &imagev1.ImageUpdateAutomationList{} },
		newObject: func() conditioned { return &imagev1.ImageUpdateAutomation{} },
		columns:   []string{colLastRun, colSuspended, colReady, colMessage},
		create:    "ferry create image update NAME --git-repo-ref=NAME --checkout-branch=main --author-email=EMAIL",
		sourceRefs: func(obj client.Object) []ref {
			a := obj.(*imagev1.ImageUpdateAutomation)
			return []ref{{Kind: sourcev1.GitRepositoryKind, Namespace: cmp.Or(a.Spec.SourceRef.Namespace, a.Namespace), Name: a.Spec.SourceRef.Name}}
		}},
}

// kindNamed returns the kind whose name is name (case-insensitive), or nil.
func kindNamed(name string) *kind {
	for _, k := range kinds {
		if strings.EqualFold(k.name, name) {
			return k
		}
	}
	return nil
}

// States of an object, as the overview counts them.
const (
	stateReady       = "ready"
	stateFailing     = "failing"
	stateProgressing = "progressing"
	stateSuspended   = "suspended"
)

// conditioned is what every Flux object of a storage version has.
type conditioned interface {
	client.Object
	GetConditions() []metav1.Condition
	IsSuspended() bool
}

// stateOf says how obj is: suspended, ready, failing (Ready=False and not
// reconciling, or stalled) or progressing (no verdict yet, or working on
// one).
func stateOf(obj conditioned) string {
	switch {
	case obj.IsSuspended():
		return stateSuspended
	case status.IsStalled(obj):
		return stateFailing
	case status.IsReady(obj):
		return stateReady
	}
	// Ready=False is a failure unless a reconciliation is under way; a
	// failed one waiting for its retry says Reconciling=True with reason
	// ProgressingWithRetry, as Flux's do, and is failing too.
	ready := status.Get(obj, meta.ReadyCondition)
	if ready != nil && ready.Status == metav1.ConditionFalse {
		rc := status.Get(obj, meta.ReconcilingCondition)
		if rc == nil || rc.Status != metav1.ConditionTrue || rc.Reason == meta.ProgressingWithRetryReason {
			return stateFailing
		}
	}
	return stateProgressing
}

// revisionOf is what obj last fetched (a source) or applied, from its
// status. Every list computes it for every object, so the kinds ferry
// serves are read through their types; only another kind is converted to
// read its status generically (a conversion costs ~30 µs an object,
// most of a 1000-object page's time).
func revisionOf(obj client.Object) string {
	switch o := obj.(type) {
	case *helmv2.HelmRelease:
		// A HelmRelease's revision is its newest release's chart
		// version, as `ferry get helmreleases` shows it.
		if latest := o.Status.History.Latest(); latest != nil {
			return latest.ChartVersion
		}
		return o.Status.LastAppliedRevision
	case *kustomizev1.Kustomization:
		return cmp.Or(o.Status.LastAppliedRevision, o.Status.LastAttemptedRevision)
	case interface{ GetArtifact() *meta.Artifact }:
		if a := o.GetArtifact(); a != nil {
			return a.Revision
		}
		return ""
	case *notificationv1beta3.Provider, *notificationv1beta3.Alert, *notificationv1.Receiver:
		return ""
	case *imagev1.ImageRepository:
		if r := o.Status.LastScanResult; r != nil {
			return r.ScanTime.UTC().Format(time.RFC3339)
		}
		return ""
	case *imagev1.ImagePolicy:
		return cmp.Or(o.Status.LatestRef.String(), o.Status.LatestImage)
	case *imagev1.ImageUpdateAutomation:
		if t := o.Status.LastAutomationRunTime; t != nil {
			return t.UTC().Format(time.RFC3339)
		}
		return ""
	}
	return statusRevision(obj)
}

// statusRevision reads status.artifact.revision, else
// status.lastAppliedRevision or lastAttemptedRevision, of any object.
func statusRevision(obj client.Object) string {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return ""
	}
	st, _ := u["status"].(map[string]any)
	if a, ok := st["artifact"].(map[string]any); ok {
		if r, ok := a["revision"].(string); ok {
			return r
		}
	}
	for _, key := range []string{"lastAppliedRevision", "lastAttemptedRevision"} {
		if r, ok := st[key].(string); ok && r != "" {
			return r
		}
	}
	return ""
}

// kustomizationSources is the Kustomization's spec.sourceRef.
func kustomizationSources(obj client.Object) []ref {
	ks := obj.(*kustomizev1.Kustomization)
	r := ks.Spec.SourceRef
	return []ref{{Kind: r.Kind, Namespace: orDefault(r.Namespace, ks.Namespace), Name: r.Name}}
}

// helmChartSources is the HelmChart's spec.sourceRef, in its namespace.
func helmChartSources(obj client.Object) []ref {
	hc := obj.(*sourcev1.HelmChart)
	r := hc.Spec.SourceRef
	return []ref{{Kind: r.Kind, Namespace: hc.Namespace, Name: r.Name}}
}

// helmReleaseSources are what a HelmRelease installs from: spec.chartRef,
// or the HelmChart the controller makes from spec.chart
// ("<namespace>-<name>", in the namespace of the chart's source) and that
// chart's source.
func helmReleaseSources(obj client.Object) []ref {
	hr := obj.(*helmv2.HelmRelease)
	if r := hr.Spec.ChartRef; r != nil {
		return []ref{{Kind: r.Kind, Namespace: orDefault(r.Namespace, hr.Namespace), Name: r.Name}}
	}
	if hr.Spec.Chart == nil {
		return nil
	}
	src := hr.Spec.Chart.Spec.SourceRef
	ns := orDefault(src.Namespace, hr.Namespace)
	return []ref{
		{Kind: sourcev1.HelmChartKind, Namespace: ns, Name: hr.GetHelmChartName()},
		{Kind: src.Kind, Namespace: ns, Name: src.Name},
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
