package cli

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// sourceHelmFlags are the flags of `create source helm`.
type sourceHelmFlags struct {
	url             string
	oci             bool
	ociProvider     string
	secretRef       string
	passCredentials bool
	interval        time.Duration
	fetchTimeout    time.Duration
}

// ociProviders are the values of --oci-provider (spec.provider).
var ociProviders = []string{"generic", "aws", "azure", "gcp"}

func newCreateSourceHelmCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &sourceHelmFlags{}
	cmd := &cobra.Command{
		Use:   "helm NAME",
		Short: "Create or update a HelmRepository source and wait until it has fetched the index",
		Example: `  # An HTTPS Helm repository, its index checked every 10 minutes
  ferry create source helm podinfo --url=https://stefanprodan.github.io/podinfo --interval=10m

  # A private repository, credentials ('username', 'password') in the Secret podinfo-auth
  ferry create source helm podinfo --url=https://charts.example.com --secret-ref=podinfo-auth

  # An OCI registry holding charts
  ferry create source helm podinfo --url=oci://ghcr.io/stefanprodan/charts --oci

  # Print the HelmRepository as YAML instead of applying it
  ferry create source helm podinfo --url=https://stefanprodan.github.io/podinfo --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, err := f.helmRepository(args[0], g.namespace)
			if err != nil {
				return err
			}
			if cf.export {
				return printYAML(g, repo)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			g.printf("► applying HelmRepository %s in %s namespace", repo.Name, repo.Namespace)
			live := &sourcev1.HelmRepository{}
			token, created, err := upsert(cmd.Context(), c, repo, live, func() {
				live.Spec = repo.Spec
				live.Labels = mergeLabels(live.Labels, repo.Labels)
			})
			if err != nil {
				return fmt.Errorf("applying HelmRepository '%s/%s': %w", repo.Namespace, repo.Name, err)
			}
			if created {
				g.printf("✔ HelmRepository created")
			} else {
				g.printf("✔ HelmRepository updated")
			}
			return g.waitReconciled(cmd.Context(), c, helmRepositoryTarget(types.NamespacedName{Namespace: repo.Namespace, Name: repo.Name}), token, cf.timeout)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "address of the Helm repository, https://... (an index.yaml) or oci://... (a registry)")
	fl.BoolVar(&f.oci, "oci", false, "the repository is an OCI registry (spec.type oci); the URL must be oci://...")
	fl.StringVar(&f.ociProvider, "oci-provider", "", "with an OCI registry, who signs in to it: one of "+strings.Join(ociProviders, ", ")+" (default generic)")
	fl.StringVar(&f.secretRef, "secret-ref", "", "name of the Secret with the credentials ('username' and 'password', or a docker config for OCI)")
	fl.BoolVar(&f.passCredentials, "pass-credentials", false, "also send the credentials of --secret-ref to hosts other than the URL's (charts the index lists elsewhere)")
	fl.DurationVar(&f.interval, "interval", time.Minute, "how often the index is fetched again")
	fl.DurationVar(&f.fetchTimeout, "fetch-timeout", 0, "how long fetching the index (or pulling an OCI chart) may take, spec.timeout (default 60s)")
	return cmd
}

// helmRepository builds the HelmRepository the flags describe, as `flux
// create source helm` does: an oci:// URL makes it of type oci.
func (f *sourceHelmFlags) helmRepository(name, namespace string) (*sourcev1.HelmRepository, error) {
	if f.url == "" {
		return nil, errors.New("--url is required")
	}
	// The URL is never repeated in a message: it might hold credentials.
	u, err := url.Parse(f.url)
	if err != nil {
		return nil, errors.New("--url is not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != sourcev1.HelmRepositoryTypeOCI:
		return nil, errors.New("--url must start with http://, https:// or oci://")
	case u.User != nil:
		return nil, errors.New("--url must not hold credentials: put them in a Secret and pass --secret-ref")
	case u.Host == "":
		return nil, errors.New("--url has no host")
	}
	oci := u.Scheme == sourcev1.HelmRepositoryTypeOCI
	switch {
	case f.oci && !oci:
		return nil, errors.New("--oci needs an oci:// URL, e.g. oci://ghcr.io/stefanprodan/charts")
	case f.ociProvider != "" && !oci:
		return nil, errors.New("--oci-provider is for OCI registries (an oci:// URL)")
	case f.ociProvider != "" && !slices.Contains(ociProviders, f.ociProvider):
		return nil, fmt.Errorf("--oci-provider %q is not one of %s", f.ociProvider, strings.Join(ociProviders, ", "))
	case f.passCredentials && f.secretRef == "":
		return nil, errors.New("--pass-credentials needs --secret-ref")
	case f.passCredentials && oci:
		return nil, errors.New("--pass-credentials is for HTTP(S) repositories, whose index may list charts on other hosts")
	case f.interval <= 0:
		return nil, errors.New("--interval must be positive")
	case f.fetchTimeout < 0:
		return nil, errors.New("--fetch-timeout must not be negative")
	case f.fetchTimeout >= time.Hour:
		// spec.timeout is written in ms, s and m only.
		return nil, errors.New("--fetch-timeout must be shorter than an hour")
	}
	repo := &sourcev1.HelmRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.HelmRepositoryKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: sourcev1.HelmRepositorySpec{
			URL:             f.url,
			Interval:        metav1.Duration{Duration: f.interval},
			PassCredentials: f.passCredentials,
			Provider:        f.ociProvider,
		},
	}
	if oci {
		repo.Spec.Type = sourcev1.HelmRepositoryTypeOCI
	}
	if f.secretRef != "" {
		repo.Spec.SecretRef = &meta.LocalObjectReference{Name: f.secretRef}
	}
	if f.fetchTimeout > 0 {
		repo.Spec.Timeout = &metav1.Duration{Duration: f.fetchTimeout}
	}
	return repo, nil
}
