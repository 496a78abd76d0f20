package cli

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// sourceOCIFlags are the flags of `create source oci`.
type sourceOCIFlags struct {
	url            string
	tag            string
	semver         string
	digest         string
	secretRef      string
	certRef        string
	proxySecretRef string
	insecure       bool
	provider       string
	ignorePaths    []string
	interval       time.Duration
	fetchTimeout   time.Duration
	verifyProvider string
	verifySecret   string
	verifySubject  string
	verifyIssuer   string
}

var (
	// ociTag is what the OCI distribution spec allows as a tag.
	ociTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	// ociDigest is a digest of one of the algorithms registries use,
	// '<algorithm>:<hex>' with the hex of that algorithm's length.
	ociDigest = regexp.MustCompile(`^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$`)
)

func newCreateSourceOCICommand(g *globals, cf *createFlags) *cobra.Command {
	f := &sourceOCIFlags{}
	cmd := &cobra.Command{
		Use:   "oci NAME",
		Short: "Create or update an OCIRepository source and wait until it has pulled the artifact",
		Example: `  # Follow a tag of a public artifact, checked every 10 minutes
  ferry create source oci podinfo --url=oci://ghcr.io/stefanprodan/manifests/podinfo --tag=6.6.2 --interval=10m

  # Follow the highest 6.x tag, signing in with the docker config in the Secret ghcr-auth
  ferry create source oci podinfo --url=oci://ghcr.io/stefanprodan/manifests/podinfo \
    --tag-semver=">=6.0.0 <7.0.0" --secret-ref=ghcr-auth

  # Pin a digest
  ferry create source oci podinfo --url=oci://ghcr.io/stefanprodan/manifests/podinfo \
    --digest=sha256:6ca1d018a562caa81bfee3c56c41d255b085bbdb30da79e09849559680df8675

  # Pull only artifacts signed with the cosign key whose cosign.pub is in the Secret cosign-pub
  ferry create source oci podinfo --url=oci://ghcr.io/stefanprodan/manifests/podinfo --tag=latest \
    --verify-provider=cosign --verify-secret-ref=cosign-pub

  # Print the OCIRepository as YAML instead of applying it
  ferry create source oci podinfo --url=oci://ghcr.io/stefanprodan/manifests/podinfo --tag=latest --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, err := f.ociRepository(args[0], g.namespace)
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
			_, err = g.applyAndWait(cmd.Context(), c, ociRepositories, repo, func(live fluxObject) {
				l := live.(*sourcev1.OCIRepository)
				l.Spec = repo.Spec
				l.Labels = mergeLabels(l.Labels, repo.Labels)
			}, cf.timeout)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "address of the OCI repository, oci://<registry>/<repository> (required), without a tag or digest")
	fl.StringVar(&f.tag, "tag", "", "tag of the artifact to pull")
	fl.StringVar(&f.semver, "tag-semver", "", "semver range of tags; the highest matching tag is pulled")
	fl.StringVar(&f.digest, "digest", "", "digest of the artifact to pull, sha256:<hex>")
	fl.StringVar(&f.secretRef, "secret-ref", "", "name of the image pull Secret to sign in with (type kubernetes.io/dockerconfigjson)")
	fl.StringVar(&f.certRef, "cert-ref", "", "name of the Secret with TLS certificates: 'ca.crt', and 'tls.crt' and 'tls.key' for a client certificate")
	fl.StringVar(&f.proxySecretRef, "proxy-secret-ref", "", "name of the Secret with the proxy to reach the registry through: 'address', and optionally 'username' and 'password'")
	fl.BoolVar(&f.insecure, "insecure", false, "the registry speaks plain HTTP, not TLS")
	fl.StringVar(&f.provider, "provider", "generic", "who signs in to the registry: one of "+strings.Join(ociProviders, ", "))
	fl.StringSliceVar(&f.ignorePaths, "ignore-paths", nil, "paths to leave out of the artifact, in .gitignore syntax; comma separated or repeated")
	fl.DurationVar(&f.interval, "interval", time.Minute, "how often the registry is checked for a new artifact")
	fl.StringVar(&f.verifyProvider, "verify-provider", "", "verify the artifact's signature before pulling it: cosign")
	fl.StringVar(&f.verifySecret, "verify-secret-ref", "", "name of the Secret with the trusted public keys ('*.pub') for --verify-provider")
	fl.StringVar(&f.verifySubject, "verify-subject", "", "regular expression the OIDC subject of a keyless signature must match (needs --verify-issuer)")
	fl.StringVar(&f.verifyIssuer, "verify-issuer", "", "regular expression the OIDC issuer of a keyless signature must match (needs --verify-subject)")
	fl.DurationVar(&f.fetchTimeout, "fetch-timeout", 0, "how long resolving and pulling the artifact may take, spec.timeout (default 60s)")
	return cmd
}

// ociRepository builds the OCIRepository the flags describe, as `flux
// create source oci` does; one reference of --tag, --tag-semver and
// --digest is required.
func (f *sourceOCIFlags) ociRepository(name, namespace string) (*sourcev1.OCIRepository, error) {
	if err := validateOCIURL(f.url); err != nil {
		return nil, err
	}
	set := 0
	for _, v := range []string{f.tag, f.semver, f.digest} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0:
		return nil, errors.New("--tag, --tag-semver or --digest is required")
	case set > 1:
		return nil, errors.New("--tag, --tag-semver and --digest are mutually exclusive")
	case f.tag != "" && !ociTag.MatchString(f.tag):
		return nil, fmt.Errorf("--tag %q is not a valid OCI tag", f.tag)
	case f.digest != "" && !ociDigest.MatchString(f.digest):
		return nil, fmt.Errorf("--digest %q is not a digest of the form sha256:<64 hex digits>", f.digest)
	case !slices.Contains(ociProviders, f.provider):
		return nil, fmt.Errorf("--provider %q is not one of %s", f.provider, strings.Join(ociProviders, ", "))
	case f.interval <= 0:
		return nil, errors.New("--interval must be positive")
	case f.fetchTimeout < 0:
		return nil, errors.New("--fetch-timeout must not be negative")
	case f.fetchTimeout >= time.Hour:
		// spec.timeout is written in ms, s and m only.
		return nil, errors.New("--fetch-timeout must be shorter than an hour")
	}
	verify, err := f.verification()
	if err != nil {
		return nil, err
	}
	if f.semver != "" {
		if _, err := semver.NewConstraint(f.semver); err != nil {
			return nil, fmt.Errorf("--tag-semver %q is not a semver range: %w", f.semver, err)
		}
	}
	repo := &sourcev1.OCIRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.OCIRepositoryKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: sourcev1.OCIRepositorySpec{
			URL:       f.url,
			Interval:  metav1.Duration{Duration: f.interval},
			Reference: &sourcev1.OCIRepositoryRef{Tag: f.tag, SemVer: f.semver, Digest: f.digest},
			Provider:  f.provider,
			Insecure:  f.insecure,
			Verify:    verify,
		},
	}
	for _, ref := range []struct {
		name string
		to   **meta.LocalObjectReference
	}{{f.secretRef, &repo.Spec.SecretRef}, {f.certRef, &repo.Spec.CertSecretRef}, {f.proxySecretRef, &repo.Spec.ProxySecretRef}} {
		if ref.name != "" {
			*ref.to = &meta.LocalObjectReference{Name: ref.name}
		}
	}
	if len(f.ignorePaths) > 0 {
		ignore := strings.Join(f.ignorePaths, "\n")
		repo.Spec.Ignore = &ignore
	}
	if f.fetchTimeout > 0 {
		repo.Spec.Timeout = &metav1.Duration{Duration: f.fetchTimeout}
	}
	return repo, nil
}

// verification is the spec.verify of the --verify-* flags, as Flux's.
func (f *sourceOCIFlags) verification() (*sourcev1.OCIRepositoryVerification, error) {
	if f.verifyProvider == "" {
		if f.verifySecret != "" || f.verifySubject != "" || f.verifyIssuer != "" {
			return nil, errors.New("--verify-secret-ref, --verify-subject and --verify-issuer need --verify-provider=cosign")
		}
		return nil, nil
	}
	if f.verifyProvider != "cosign" {
		return nil, fmt.Errorf("--verify-provider %q is not supported: cosign is", f.verifyProvider)
	}
	v := &sourcev1.OCIRepositoryVerification{Provider: f.verifyProvider}
	if f.verifySecret != "" {
		v.SecretRef = &meta.LocalObjectReference{Name: f.verifySecret}
	}
	if (f.verifySubject == "") != (f.verifyIssuer == "") {
		return nil, errors.New("--verify-subject and --verify-issuer go together")
	}
	for flag, re := range map[string]string{"--verify-subject": f.verifySubject, "--verify-issuer": f.verifyIssuer} {
		if _, err := regexp.Compile(re); err != nil {
			return nil, fmt.Errorf("%s %q is not a regular expression: %w", flag, re, err)
		}
	}
	if f.verifySubject != "" {
		v.MatchOIDCIdentity = []sourcev1.OIDCIdentityMatch{{Issuer: f.verifyIssuer, Subject: f.verifySubject}}
	}
	return v, nil
}

// validateOCIURL checks --url: oci://<registry>/<repository>, with neither
// credentials nor a tag or digest. The URL is never repeated in a message:
// it might hold credentials.
func validateOCIURL(raw string) error {
	if raw == "" {
		return errors.New("--url is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("--url is not a valid URL")
	}
	repository := strings.Trim(u.Path, "/")
	last := repository[strings.LastIndex(repository, "/")+1:]
	switch {
	case u.Scheme+"://" != sourcev1.OCIRepositoryPrefix:
		return errors.New("--url must start with oci://, e.g. oci://ghcr.io/stefanprodan/manifests/podinfo")
	case u.User != nil:
		return errors.New("--url must not hold credentials: put them in an image pull Secret and pass --secret-ref")
	case u.Host == "":
		return errors.New("--url has no registry host")
	case repository == "":
		return errors.New("--url names no repository, e.g. oci://ghcr.io/stefanprodan/manifests/podinfo")
	case strings.ContainsAny(last, ":@") || u.RawQuery != "" || u.Fragment != "":
		return errors.New("--url must name the repository alone: give the tag with --tag and the digest with --digest")
	}
	return nil
}
