package cli

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// kustomizationFlags are the flags of `create kustomization`.
type kustomizationFlags struct {
	source             string
	path               string
	prune              bool
	interval           time.Duration
	retryInterval      time.Duration
	targetNamespace    string
	dependsOn          []string
	healthChecks       []string
	healthCheckTimeout time.Duration
	wait               bool
	serviceAccount     string
	decryptionProvider string
	decryptionSecret   string
	kubeconfigSecret   string
	labels             []string
}

// sourceKinds are the kinds --source accepts, as in Flux.
var sourceKinds = []string{sourcev1.GitRepositoryKind, "OCIRepository", "Bucket", "ExternalArtifact"}

// healthCheckAPIVersions maps the kinds --health-check accepts to their API
// version: the workload kinds kstatus understands and the Flux kinds.
var healthCheckAPIVersions = map[string]string{
	"Deployment":                  "apps/v1",
	"DaemonSet":                   "apps/v1",
	"StatefulSet":                 "apps/v1",
	"ReplicaSet":                  "apps/v1",
	"Job":                         "batch/v1",
	"Service":                     "v1",
	"Pod":                         "v1",
	"PersistentVolumeClaim":       "v1",
	"HelmRelease":                 "helm.toolkit.fluxcd.io/v2",
	kustomizev1.KustomizationKind: kustomizev1.GroupVersion.String(),
	sourcev1.GitRepositoryKind:    sourcev1.GroupVersion.String(),
}

func newCreateKustomizationCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &kustomizationFlags{}
	cmd := &cobra.Command{
		Use:     "kustomization NAME",
		Aliases: []string{"ks"},
		Short:   "Create or update a Kustomization and wait until it has applied",
		Example: `  # Apply ./deploy of the GitRepository podinfo, pruning what is removed from it
  ferry create kustomization podinfo --source=podinfo --path=./deploy --prune --interval=10m

  # A source in another namespace, a target namespace and a dependency
  ferry create kustomization apps --source=GitRepository/fleet.flux-system \
    --path=./apps/staging --target-namespace=apps --depends-on=infra

  # Wait for a Deployment to become ready after each apply
  ferry create ks podinfo --source=podinfo --path=./kustomize \
    --health-check=Deployment/podinfo.default --health-check-timeout=3m

  # Print the Kustomization as YAML instead of applying it
  ferry create kustomization podinfo --source=podinfo --path=./kustomize --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, err := f.kustomization(args[0], g.namespace)
			if err != nil {
				return err
			}
			if cf.export {
				return printYAML(g, ks)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			g.printf("► applying Kustomization %s in %s namespace", ks.Name, ks.Namespace)
			live := &kustomizev1.Kustomization{}
			token, created, err := upsert(cmd.Context(), c, ks, live, func() {
				live.Spec = ks.Spec
				live.Labels = mergeLabels(live.Labels, ks.Labels)
			})
			if err != nil {
				return fmt.Errorf("applying Kustomization '%s/%s': %w", ks.Namespace, ks.Name, err)
			}
			if created {
				g.printf("✔ Kustomization created")
			} else {
				g.printf("✔ Kustomization updated")
			}
			return g.waitReconciled(cmd.Context(), c, kustomizationTarget(types.NamespacedName{Namespace: ks.Namespace, Name: ks.Name}), token, cf.timeout)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.source, "source", "", "source of the manifests, '[<kind>/]<name>[.<namespace>]'; kind is one of "+strings.Join(sourceKinds, ", ")+" (default GitRepository)")
	fl.StringVar(&f.path, "path", "./", "path to the directory with the manifests, relative to the source root")
	fl.BoolVar(&f.prune, "prune", false, "delete the objects removed from the source")
	fl.DurationVar(&f.interval, "interval", time.Minute, "how often the source's manifests are applied again")
	fl.DurationVar(&f.retryInterval, "retry-interval", 0, "how soon a failed reconciliation is retried (default: the interval)")
	fl.StringVar(&f.targetNamespace, "target-namespace", "", "namespace every namespaced object is put in")
	fl.StringSliceVar(&f.dependsOn, "depends-on", nil, "Kustomizations that must be ready first, '<name>' or '<namespace>/<name>'; comma separated or repeated")
	fl.StringSliceVar(&f.healthChecks, "health-check", nil, "objects that must become ready after each apply, '<kind>/<name>.<namespace>'; comma separated or repeated")
	fl.DurationVar(&f.healthCheckTimeout, "health-check-timeout", 2*time.Minute, "how long the health checks (or --wait) may take (spec.timeout)")
	fl.BoolVar(&f.wait, "wait", false, "wait for every applied object to become ready (replaces --health-check)")
	fl.StringVar(&f.serviceAccount, "service-account", "", "service account to impersonate when applying")
	fl.StringVar(&f.decryptionProvider, "decryption-provider", "", "decrypt SOPS-encrypted Secrets before applying; the only provider is 'sops'")
	fl.StringVar(&f.decryptionSecret, "decryption-secret", "", "Secret holding the age (*.agekey) and PGP (*.asc) private keys, with --decryption-provider")
	fl.StringVar(&f.kubeconfigSecret, "kubeconfig-secret-ref", "", "Secret whose 'value' key holds the kubeconfig of a remote cluster to apply to")
	fl.StringSliceVar(&f.labels, "label", nil, "labels of the Kustomization, 'key=value'; comma separated or repeated")
	return cmd
}

// kustomization builds the Kustomization the flags describe, as `flux create
// kustomization` does.
func (f *kustomizationFlags) kustomization(name, namespace string) (*kustomizev1.Kustomization, error) {
	if f.source == "" {
		return nil, errors.New("--source is required")
	}
	ref, err := parseSourceRef(f.source)
	if err != nil {
		return nil, fmt.Errorf("--source: %w", err)
	}
	if f.interval <= 0 {
		return nil, errors.New("--interval must be positive")
	}
	if f.retryInterval < 0 {
		return nil, errors.New("--retry-interval must not be negative")
	}
	if f.healthCheckTimeout <= 0 {
		return nil, errors.New("--health-check-timeout must be positive")
	}
	path := f.path
	if path == "" {
		path = "./"
	}
	if strings.HasPrefix(path, "/") || strings.Contains("/"+path+"/", "/../") {
		return nil, fmt.Errorf("--path %q must be relative to the source root and stay inside it, e.g. ./deploy", f.path)
	}
	if !strings.HasPrefix(path, "./") && path != "." {
		path = "./" + path
	}
	ks := &kustomizev1.Kustomization{
		TypeMeta:   metav1.TypeMeta{APIVersion: kustomizev1.GroupVersion.String(), Kind: kustomizev1.KustomizationKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: kustomizev1.KustomizationSpec{
			Interval:           metav1.Duration{Duration: f.interval},
			Path:               path,
			Prune:              f.prune,
			SourceRef:          ref,
			TargetNamespace:    f.targetNamespace,
			ServiceAccountName: f.serviceAccount,
		},
	}
	for _, l := range f.labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--label %q must be 'key=value'", l)
		}
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return nil, fmt.Errorf("--label %q: %s", l, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return nil, fmt.Errorf("--label %q: %s", l, strings.Join(errs, "; "))
		}
		if ks.Labels == nil {
			ks.Labels = map[string]string{}
		}
		ks.Labels[k] = v
	}
	switch {
	case f.decryptionProvider != "" && f.decryptionProvider != "sops":
		return nil, fmt.Errorf("--decryption-provider %q: the only provider is 'sops'", f.decryptionProvider)
	case f.decryptionProvider == "" && f.decryptionSecret != "":
		return nil, errors.New("--decryption-secret needs --decryption-provider=sops")
	case f.decryptionProvider != "":
		ks.Spec.Decryption = &kustomizev1.Decryption{Provider: f.decryptionProvider}
		if f.decryptionSecret != "" {
			ks.Spec.Decryption.SecretRef = &meta.LocalObjectReference{Name: f.decryptionSecret}
		}
	}
	if f.kubeconfigSecret != "" {
		ks.Spec.KubeConfig = &meta.KubeConfigReference{SecretRef: meta.SecretKeyReference{Name: f.kubeconfigSecret}}
	}
	if f.retryInterval > 0 {
		ks.Spec.RetryInterval = &metav1.Duration{Duration: f.retryInterval}
	}
	for _, d := range f.dependsOn {
		dep := kustomizev1.DependencyReference{Name: d}
		if ns, n, ok := strings.Cut(d, "/"); ok {
			dep = kustomizev1.DependencyReference{Namespace: ns, Name: n}
		}
		if dep.Name == "" || strings.Contains(dep.Name, "/") || (strings.Contains(d, "/") && dep.Namespace == "") {
			return nil, fmt.Errorf("--depends-on %q must be '<name>' or '<namespace>/<name>'", d)
		}
		ks.Spec.DependsOn = append(ks.Spec.DependsOn, dep)
	}
	if f.wait {
		ks.Spec.Wait = true
		ks.Spec.Timeout = &metav1.Duration{Duration: f.healthCheckTimeout}
		return ks, nil
	}
	for _, hc := range f.healthChecks {
		ref, err := parseHealthCheck(hc)
		if err != nil {
			return nil, err
		}
		ks.Spec.HealthChecks = append(ks.Spec.HealthChecks, ref)
	}
	if len(ks.Spec.HealthChecks) > 0 {
		ks.Spec.Timeout = &metav1.Duration{Duration: f.healthCheckTimeout}
	}
	return ks, nil
}

// parseSourceRef parses '[<kind>/]<name>[.<namespace>]' as Flux does: the
// kind defaults to GitRepository and the namespace follows the first dot.
func parseSourceRef(s string) (kustomizev1.CrossNamespaceSourceReference, error) {
	ref := kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind}
	rest := s
	if kind, name, ok := strings.Cut(s, "/"); ok {
		ref.Kind, rest = "", name
		for _, k := range sourceKinds {
			if strings.EqualFold(k, kind) {
				ref.Kind = k
			}
		}
		if ref.Kind == "" {
			return ref, fmt.Errorf("source kind %q is not one of %s", kind, strings.Join(sourceKinds, ", "))
		}
	}
	ref.Name, ref.Namespace, _ = strings.Cut(rest, ".")
	if ref.Name == "" || strings.Contains(rest, "/") || strings.HasSuffix(rest, ".") {
		return ref, fmt.Errorf("%q must be '[<kind>/]<name>[.<namespace>]'", s)
	}
	return ref, nil
}

// parseHealthCheck parses '<kind>/<name>.<namespace>' as Flux does.
func parseHealthCheck(s string) (meta.NamespacedObjectKindReference, error) {
	kind, nameNs, ok := strings.Cut(s, "/")
	name, ns, okNs := strings.Cut(nameNs, ".")
	if !ok || !okNs || kind == "" || name == "" || ns == "" || strings.Contains(ns, ".") || strings.Contains(ns, "/") {
		return meta.NamespacedObjectKindReference{}, fmt.Errorf("--health-check %q must be '<kind>/<name>.<namespace>'", s)
	}
	apiVersion, known := healthCheckAPIVersions[kind]
	if !known {
		kinds := make([]string, 0, len(healthCheckAPIVersions))
		for k := range healthCheckAPIVersions {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		return meta.NamespacedObjectKindReference{}, fmt.Errorf("--health-check %q: kind %q is not one of %s (for other kinds, write spec.healthChecks with an apiVersion in YAML)", s, kind, strings.Join(kinds, ", "))
	}
	return meta.NamespacedObjectKindReference{APIVersion: apiVersion, Kind: kind, Name: name, Namespace: ns}, nil
}
