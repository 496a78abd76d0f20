package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// helmReleaseFlags are the flags of `create helmrelease`.
type helmReleaseFlags struct {
	source            string
	chart             string
	chartVersion      string
	chartInterval     time.Duration
	reconcileStrategy string
	chartRef          string
	values            []string
	valuesFrom        []string
	releaseName       string
	targetNamespace   string
	storageNamespace  string
	createNamespace   bool
	dependsOn         []string
	serviceAccount    string
	crds              string
	interval          time.Duration
	kubeconfigSecret  string
}

var (
	// chartSourceKinds are the kinds --source accepts: where a HelmChart
	// made from spec.chart can find the chart.
	chartSourceKinds = []string{sourcev1.HelmRepositoryKind, sourcev1.GitRepositoryKind, "Bucket"}
	// chartRefKinds are the kinds --chart-ref accepts.
	chartRefKinds = []string{"OCIRepository", sourcev1.HelmChartKind}
	// valuesFromKinds are the kinds --values-from accepts.
	valuesFromKinds = []string{"Secret", "ConfigMap"}
	// crdsPolicies are the values of --crds.
	crdsPolicies = []string{string(helmv2.Skip), string(helmv2.Create), string(helmv2.CreateReplace)}
	// reconcileStrategies are the values of --reconcile-strategy.
	reconcileStrategies = []string{sourcev1.ReconcileStrategyChartVersion, sourcev1.ReconcileStrategyRevision}
)

func newCreateHelmReleaseCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &helmReleaseFlags{}
	cmd := &cobra.Command{
		Use:     "helmrelease NAME",
		Aliases: []string{"hr"},
		Short:   "Create or update a HelmRelease and wait until it is released",
		Example: `  # Install the chart podinfo of the HelmRepository podinfo, a 6.x version
  ferry create helmrelease podinfo --source=HelmRepository/podinfo --chart=podinfo --chart-version=">=6.0.0 <7.0.0"

  # A chart from a directory of a GitRepository, into another namespace
  ferry create hr podinfo --source=GitRepository/podinfo --chart=./charts/podinfo \
    --target-namespace=podinfo --create-target-namespace

  # Values from local files (later files win) and from a Secret
  ferry create hr podinfo --source=HelmRepository/podinfo.flux-system --chart=podinfo \
    --values=./values.yaml --values=./values-production.yaml --values-from=Secret/podinfo-values

  # A chart that an OCIRepository or a HelmChart already holds
  ferry create hr podinfo --chart-ref=OCIRepository/podinfo

  # Print the HelmRelease as YAML instead of applying it
  ferry create hr podinfo --source=HelmRepository/podinfo --chart=podinfo --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			hr, err := f.helmRelease(args[0], g.namespace)
			if err != nil {
				return err
			}
			if cf.export {
				return printYAML(g, hr)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			g.printf("► applying HelmRelease %s in %s namespace", hr.Name, hr.Namespace)
			live := &helmv2.HelmRelease{}
			token, created, err := upsert(cmd.Context(), c, hr, live, func() {
				live.Spec = hr.Spec
				live.Labels = mergeLabels(live.Labels, hr.Labels)
			})
			if err != nil {
				return fmt.Errorf("applying HelmRelease '%s/%s': %w", hr.Namespace, hr.Name, err)
			}
			if created {
				g.printf("✔ HelmRelease created")
			} else {
				g.printf("✔ HelmRelease updated")
			}
			return g.waitReconciled(cmd.Context(), c, helmReleaseTarget(types.NamespacedName{Namespace: hr.Namespace, Name: hr.Name}), token, cf.timeout)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.source, "source", "", "source of the chart, '<kind>/<name>[.<namespace>]'; kind is one of "+strings.Join(chartSourceKinds, ", "))
	fl.StringVar(&f.chart, "chart", "", "name of the chart in a HelmRepository, or path of its directory in a GitRepository or Bucket (with --source)")
	fl.StringVar(&f.chartVersion, "chart-version", "", "semver range of the chart version, ignored for charts from a GitRepository or Bucket (default: the latest)")
	fl.DurationVar(&f.chartInterval, "chart-interval", 0, "how often the source is checked for a new chart (default: --interval)")
	fl.StringVar(&f.reconcileStrategy, "reconcile-strategy", "", "what makes a new chart artifact: "+strings.Join(reconcileStrategies, " (a new version) or ")+" (a new source revision) (default ChartVersion)")
	fl.StringVar(&f.chartRef, "chart-ref", "", "use the chart an existing object holds instead of --source and --chart, '<kind>/<name>[.<namespace>]'; kind is one of "+strings.Join(chartRefKinds, ", "))
	fl.StringSliceVar(&f.values, "values", nil, "local YAML files of values, merged in order (later files win) into spec.values; comma separated or repeated")
	fl.StringSliceVar(&f.valuesFrom, "values-from", nil, "ConfigMaps or Secrets whose 'values.yaml' key holds values, '<kind>/<name>'; comma separated or repeated")
	fl.StringVar(&f.releaseName, "release-name", "", "name of the Helm release (default '[<target-namespace>-]<name>')")
	fl.StringVar(&f.targetNamespace, "target-namespace", "", "namespace the release installs into (default: the HelmRelease's)")
	fl.StringVar(&f.storageNamespace, "storage-namespace", "", "namespace of the Helm storage Secrets (default: the HelmRelease's)")
	fl.BoolVar(&f.createNamespace, "create-target-namespace", false, "create the target namespace on install if it does not exist")
	fl.StringSliceVar(&f.dependsOn, "depends-on", nil, "HelmReleases that must be ready first, '<name>' or '<namespace>/<name>'; comma separated or repeated")
	fl.StringVar(&f.serviceAccount, "service-account", "", "service account to impersonate when installing and upgrading")
	fl.StringVar(&f.crds, "crds", "", "upgrade policy of the chart's CRDs, one of "+strings.Join(crdsPolicies, ", ")+" (CRDs are created on install)")
	fl.DurationVar(&f.interval, "interval", time.Minute, "how often the release is reconciled")
	fl.StringVar(&f.kubeconfigSecret, "kubeconfig-secret-ref", "", "Secret whose 'value' key holds the kubeconfig of a remote cluster to install to")
	return cmd
}

// helmRelease builds the HelmRelease the flags describe, as `flux create
// helmrelease` does.
func (f *helmReleaseFlags) helmRelease(name, namespace string) (*helmv2.HelmRelease, error) {
	if f.interval <= 0 {
		return nil, errors.New("--interval must be positive")
	}
	hr := &helmv2.HelmRelease{
		TypeMeta:   metav1.TypeMeta{APIVersion: helmv2.GroupVersion.String(), Kind: helmv2.HelmReleaseKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: helmv2.HelmReleaseSpec{
			Interval:           metav1.Duration{Duration: f.interval},
			ReleaseName:        f.releaseName,
			TargetNamespace:    f.targetNamespace,
			StorageNamespace:   f.storageNamespace,
			ServiceAccountName: f.serviceAccount,
		},
	}
	if err := f.setChart(hr); err != nil {
		return nil, err
	}
	if f.releaseName != "" {
		if errs := validation.IsDNS1123Subdomain(f.releaseName); len(errs) > 0 || len(f.releaseName) > helmv2.ReleaseNameMaxLength {
			return nil, fmt.Errorf("--release-name %q must be a lowercase DNS name of at most %d characters", f.releaseName, helmv2.ReleaseNameMaxLength)
		}
	}
	for _, ns := range []struct{ flag, value string }{{"--target-namespace", f.targetNamespace}, {"--storage-namespace", f.storageNamespace}} {
		if errs := validation.IsDNS1123Label(ns.value); ns.value != "" && len(errs) > 0 {
			return nil, fmt.Errorf("%s %q is not a namespace name: %s", ns.flag, ns.value, strings.Join(errs, "; "))
		}
	}
	if f.createNamespace {
		install(hr).CreateNamespace = true
	}
	if f.crds != "" {
		if !slices.Contains(crdsPolicies, f.crds) {
			return nil, fmt.Errorf("--crds %q is not one of %s", f.crds, strings.Join(crdsPolicies, ", "))
		}
		// As flux: --crds is the upgrade policy; an install creates them.
		install(hr).CRDs = helmv2.Create
		hr.Spec.Upgrade = &helmv2.Upgrade{CRDs: helmv2.CRDsPolicy(f.crds)}
	}
	for _, d := range f.dependsOn {
		dep := helmv2.DependencyReference{Name: d}
		if ns, n, ok := strings.Cut(d, "/"); ok {
			dep = helmv2.DependencyReference{Namespace: ns, Name: n}
		}
		if dep.Name == "" || strings.Contains(dep.Name, "/") || (strings.Contains(d, "/") && dep.Namespace == "") {
			return nil, fmt.Errorf("--depends-on %q must be '<name>' or '<namespace>/<name>'", d)
		}
		hr.Spec.DependsOn = append(hr.Spec.DependsOn, dep)
	}
	for _, v := range f.valuesFrom {
		kind, ref, ok := strings.Cut(v, "/")
		if !ok || ref == "" || strings.Contains(ref, "/") {
			return nil, fmt.Errorf("--values-from %q must be '<kind>/<name>'", v)
		}
		k := equalFold(valuesFromKinds, kind)
		if k == "" {
			return nil, fmt.Errorf("--values-from %q: kind %q is not one of %s", v, kind, strings.Join(valuesFromKinds, ", "))
		}
		hr.Spec.ValuesFrom = append(hr.Spec.ValuesFrom, helmv2.ValuesReference{Kind: k, Name: ref})
	}
	if len(f.values) > 0 {
		values, err := readValues(f.values)
		if err != nil {
			return nil, err
		}
		hr.Spec.Values = values
	}
	if f.kubeconfigSecret != "" {
		hr.Spec.KubeConfig = &meta.KubeConfigReference{SecretRef: meta.SecretKeyReference{Name: f.kubeconfigSecret}}
	}
	return hr, nil
}

// setChart sets spec.chart from --source and --chart, or spec.chartRef
// from --chart-ref.
func (f *helmReleaseFlags) setChart(hr *helmv2.HelmRelease) error {
	switch {
	case f.chartRef != "" && (f.source != "" || f.chart != "" || f.chartVersion != "" || f.chartInterval != 0 || f.reconcileStrategy != ""):
		return errors.New("--chart-ref names an object that holds the chart: it cannot be combined with --source, --chart, --chart-version, --chart-interval or --reconcile-strategy")
	case f.chartRef != "":
		kind, name, ns, err := parseKindRef(f.chartRef, chartRefKinds)
		if err != nil {
			return fmt.Errorf("--chart-ref: %w", err)
		}
		hr.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: kind, Name: name, Namespace: ns}
		return nil
	case f.source == "":
		return errors.New("--source (with --chart) or --chart-ref is required")
	case f.chart == "":
		return errors.New("--chart is required with --source: the chart's name in a HelmRepository, or its path in a GitRepository or Bucket")
	}
	kind, name, ns, err := parseKindRef(f.source, chartSourceKinds)
	if err != nil {
		return fmt.Errorf("--source: %w", err)
	}
	strategy := f.reconcileStrategy
	if strategy == "" {
		strategy = sourcev1.ReconcileStrategyChartVersion
	}
	if !slices.Contains(reconcileStrategies, strategy) {
		return fmt.Errorf("--reconcile-strategy %q is not one of %s", strategy, strings.Join(reconcileStrategies, ", "))
	}
	if f.chartInterval < 0 {
		return errors.New("--chart-interval must not be negative")
	}
	hr.Spec.Chart = &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
		Chart:             f.chart,
		Version:           f.chartVersion,
		SourceRef:         helmv2.CrossNamespaceObjectReference{Kind: kind, Name: name, Namespace: ns},
		ReconcileStrategy: strategy,
	}}
	if f.chartInterval > 0 {
		hr.Spec.Chart.Spec.Interval = &metav1.Duration{Duration: f.chartInterval}
	}
	return nil
}

// install returns spec.install, creating it.
func install(hr *helmv2.HelmRelease) *helmv2.Install {
	if hr.Spec.Install == nil {
		hr.Spec.Install = &helmv2.Install{}
	}
	return hr.Spec.Install
}

// parseKindRef parses '<kind>/<name>[.<namespace>]' as Flux does, the kind
// one of kinds (compared without case) and the namespace after the first
// dot.
func parseKindRef(s string, kinds []string) (kind, name, namespace string, err error) {
	k, rest, ok := strings.Cut(s, "/")
	name, namespace, _ = strings.Cut(rest, ".")
	if !ok || k == "" || name == "" || strings.Contains(rest, "/") || strings.HasSuffix(rest, ".") {
		return "", "", "", fmt.Errorf("%q must be '<kind>/<name>[.<namespace>]'", s)
	}
	if kind = equalFold(kinds, k); kind == "" {
		return "", "", "", fmt.Errorf("source kind %q is not one of %s", k, strings.Join(kinds, ", "))
	}
	return kind, name, namespace, nil
}

// equalFold returns the element of list equal to s without case, or "".
func equalFold(list []string, s string) string {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return v
		}
	}
	return ""
}

// readValues merges the YAML values files in order, as `helm install -f
// a.yaml -f b.yaml` does: maps merge key by key, anything else of a later
// file replaces what an earlier one set.
func readValues(files []string) (*apiextensionsv1.JSON, error) {
	merged := map[string]any{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading --values %s: %w", file, err)
		}
		var values map[string]any
		if err := yaml.Unmarshal(data, &values); err != nil {
			return nil, fmt.Errorf("--values %s is not a YAML map of values: %w", file, err)
		}
		merged = mergeValues(merged, values)
	}
	raw, err := json.Marshal(merged)
	if err != nil {
		return nil, fmt.Errorf("encoding --values: %w", err)
	}
	return &apiextensionsv1.JSON{Raw: raw}, nil
}

// mergeValues returns a with b merged in: where both hold a map the maps
// are merged, otherwise b's value wins.
func mergeValues(a, b map[string]any) map[string]any {
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := a[k].(map[string]any); ok {
				a[k] = mergeValues(am, bm)
				continue
			}
		}
		a[k] = v
	}
	return a
}
