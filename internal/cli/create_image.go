package cli

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller/image"
)

// newCreateImageCommand is `ferry create image`, with a subcommand per
// image automation kind, as `flux create image`.
func newCreateImageCommand(g *globals, cf *createFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Create or update ImageRepositories, ImagePolicies and ImageUpdateAutomations",
	}
	cmd.AddCommand(newCreateImageRepositoryCommand(g, cf), newCreateImagePolicyCommand(g, cf), newCreateImageUpdateCommand(g, cf))
	return cmd
}

// createImageObject prints obj with --export, or applies it and waits for
// its reconciliation; setSpec copies obj's spec onto the live object.
func (g *globals) createImageObject(cmd *cobra.Command, cf *createFlags, k *kind, obj fluxObject, setSpec func(live fluxObject)) error {
	if cf.export {
		return printYAML(g, obj)
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	_, err = g.applyAndWait(cmd.Context(), c, k, obj, func(live fluxObject) {
		setSpec(live)
		live.SetLabels(mergeLabels(live.GetLabels(), obj.GetLabels()))
	}, cf.timeout)
	return err
}

// imageRepositoryFlags are the flags of `create image repository`.
type imageRepositoryFlags struct {
	image          string
	secretRef      string
	certRef        string
	proxySecretRef string
	serviceAccount string
	exclusions     []string
	provider       string
	insecure       bool
	interval       time.Duration
	scanTimeout    time.Duration
}

func newCreateImageRepositoryCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &imageRepositoryFlags{}
	cmd := &cobra.Command{
		Use:   "repository NAME",
		Short: "Create or update an ImageRepository and wait until it has scanned the image's tags",
		Example: `  # Scan the tags of a public image every 5 minutes
  ferry create image repository podinfo --image=ghcr.io/stefanprodan/podinfo --interval=5m

  # A private registry with its own CA, signing in with a docker-registry Secret
  ferry create image repository web --image=registry.example.com/acme/web \
    --secret-ref=regcred --cert-ref=registry-ca

  # Keep every tag, signatures too
  ferry create image repository web --image=ghcr.io/acme/web --exclusion-list=

  # Print the ImageRepository as YAML instead of applying it
  ferry create image repository podinfo --image=ghcr.io/stefanprodan/podinfo --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			obj, err := f.build(args[0], g.namespace, cmd.Flags().Changed("exclusion-list"))
			if err != nil {
				return err
			}
			return g.createImageObject(cmd, cf, imageRepositories, obj, func(live fluxObject) { live.(*imagev1.ImageRepository).Spec = obj.Spec })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.image, "image", "", "image to scan, without tag or digest, e.g. ghcr.io/acme/web (required)")
	fl.StringVar(&f.secretRef, "secret-ref", "", "name of the image pull Secret to sign in with (type kubernetes.io/dockerconfigjson)")
	fl.StringVar(&f.certRef, "cert-ref", "", "name of the Secret with TLS certificates: 'ca.crt', and 'tls.crt' and 'tls.key' for a client certificate")
	fl.StringVar(&f.proxySecretRef, "proxy-secret-ref", "", "name of the Secret with the proxy to reach the registry through: 'address', and optionally 'username' and 'password'")
	fl.StringVar(&f.serviceAccount, "service-account", "", "name of a ServiceAccount whose imagePullSecrets sign in to the registry")
	fl.StringSliceVar(&f.exclusions, "exclusion-list", nil, "regular expressions of tags not to keep (default: Flux's '^.*\\.sig$'); comma separated or repeated, empty to keep every tag")
	fl.StringVar(&f.provider, "provider", "generic", "who signs in to the registry: one of "+strings.Join(ociProviders, ", "))
	fl.BoolVar(&f.insecure, "insecure", false, "the registry speaks plain HTTP, not TLS")
	fl.DurationVar(&f.interval, "interval", time.Minute, "how often the tags are scanned")
	fl.DurationVar(&f.scanTimeout, "scan-timeout", 0, "how long one scan may take, spec.timeout (default: the interval)")
	return cmd
}

func (f *imageRepositoryFlags) build(name, namespace string, exclusionsSet bool) (*imagev1.ImageRepository, error) {
	if f.image == "" {
		return nil, errors.New("--image is required")
	}
	if _, err := image.ParseImage(f.image, f.insecure); err != nil {
		return nil, fmt.Errorf("--image: %w", err)
	}
	switch {
	case !slices.Contains(ociProviders, f.provider):
		return nil, fmt.Errorf("--provider %q is not one of %s", f.provider, strings.Join(ociProviders, ", "))
	case f.interval <= 0:
		return nil, errors.New("--interval must be positive")
	case f.scanTimeout < 0 || f.scanTimeout >= time.Hour:
		return nil, errors.New("--scan-timeout must be positive and shorter than an hour")
	}
	obj := &imagev1.ImageRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: imagev1.GroupVersion.String(), Kind: imagev1.ImageRepositoryKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: imagev1.ImageRepositorySpec{
			Image:              f.image,
			Interval:           metav1.Duration{Duration: f.interval},
			Provider:           f.provider,
			Insecure:           f.insecure,
			ServiceAccountName: f.serviceAccount,
		},
	}
	if exclusionsSet {
		obj.Spec.ExclusionList = []string{}
		for _, e := range f.exclusions {
			if e == "" {
				continue
			}
			if _, err := regexp.Compile(e); err != nil {
				return nil, fmt.Errorf("--exclusion-list %q is not a regular expression: %w", e, err)
			}
			obj.Spec.ExclusionList = append(obj.Spec.ExclusionList, e)
		}
	}
	for _, ref := range []struct {
		name string
		to   **meta.LocalObjectReference
	}{{f.secretRef, &obj.Spec.SecretRef}, {f.certRef, &obj.Spec.CertSecretRef}, {f.proxySecretRef, &obj.Spec.ProxySecretRef}} {
		if ref.name != "" {
			*ref.to = &meta.LocalObjectReference{Name: ref.name}
		}
	}
	if f.scanTimeout > 0 {
		obj.Spec.Timeout = &metav1.Duration{Duration: f.scanTimeout}
	}
	return obj, nil
}

// imagePolicyFlags are the flags of `create image policy`.
type imagePolicyFlags struct {
	imageRef, imageRefNamespace string
	semver, numeric, alpha      string
	filterRegex, filterExtract  string
	reflectDigest               string
	interval                    time.Duration
}

func newCreateImagePolicyCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &imagePolicyFlags{}
	cmd := &cobra.Command{
		Use:   "policy NAME",
		Short: "Create or update an ImagePolicy and wait until it has chosen an image",
		Example: `  # The highest 6.x release of the ImageRepository podinfo
  ferry create image policy podinfo --image-ref=podinfo --select-semver=">=6.0.0 <7.0.0"

  # The newest main build, tags like main-<sha>-<unix time>
  ferry create image policy web --image-ref=web --select-numeric=asc \
    --filter-regex='^main-[a-f0-9]+-(?P<ts>[0-9]+)' --filter-extract='$ts'

  # Follow latest, recording its digest every 10 minutes
  ferry create image policy web --image-ref=web --select-alpha=asc --filter-regex='^latest$' \
    --reflect-digest=Always --interval=10m`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			obj, err := f.build(args[0], g.namespace)
			if err != nil {
				return err
			}
			return g.createImageObject(cmd, cf, imagePolicies, obj, func(live fluxObject) { live.(*imagev1.ImagePolicy).Spec = obj.Spec })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.imageRef, "image-ref", "", "name of the ImageRepository to choose from (required)")
	fl.StringVar(&f.imageRefNamespace, "image-ref-namespace", "", "namespace of the ImageRepository, when not the policy's (its accessFrom must allow it)")
	fl.StringVar(&f.semver, "select-semver", "", "choose the highest tag in this semver range")
	fl.StringVar(&f.numeric, "select-numeric", "", "choose by number: asc (the highest) or desc (the lowest)")
	fl.StringVar(&f.alpha, "select-alpha", "", "choose alphabetically: asc (the last) or desc (the first)")
	fl.StringVar(&f.filterRegex, "filter-regex", "", "regular expression the tags must match")
	fl.StringVar(&f.filterExtract, "filter-extract", "", "template of --filter-regex's groups, e.g. '$ts': the value compared")
	fl.StringVar(&f.reflectDigest, "reflect-digest", "", "record the chosen tag's digest: Never, IfNotPresent or Always")
	fl.DurationVar(&f.interval, "interval", 0, "how often the digest is read again under --reflect-digest=Always")
	return cmd
}

func (f *imagePolicyFlags) build(name, namespace string) (*imagev1.ImagePolicy, error) {
	if f.imageRef == "" {
		return nil, errors.New("--image-ref is required")
	}
	obj := &imagev1.ImagePolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: imagev1.GroupVersion.String(), Kind: imagev1.ImagePolicyKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: imagev1.ImagePolicySpec{
			ImageRepositoryRef:     meta.NamespacedObjectReference{Name: f.imageRef, Namespace: f.imageRefNamespace},
			DigestReflectionPolicy: f.reflectDigest,
		},
	}
	set := 0
	if f.semver != "" {
		set++
		if _, err := semver.NewConstraint(f.semver); err != nil {
			return nil, fmt.Errorf("--select-semver %q is not a semver range: %w", f.semver, err)
		}
		obj.Spec.Policy.SemVer = &imagev1.SemVerPolicy{Range: f.semver}
	}
	for _, o := range []struct{ flag, value string }{{"--select-numeric", f.numeric}, {"--select-alpha", f.alpha}} {
		if o.value == "" {
			continue
		}
		set++
		if o.value != "asc" && o.value != "desc" {
			return nil, fmt.Errorf("%s %q must be asc or desc", o.flag, o.value)
		}
	}
	if f.numeric != "" {
		obj.Spec.Policy.Numerical = &imagev1.NumericalPolicy{Order: f.numeric}
	}
	if f.alpha != "" {
		obj.Spec.Policy.Alphabetical = &imagev1.AlphabeticalPolicy{Order: f.alpha}
	}
	if set != 1 {
		return nil, errors.New("exactly one of --select-semver, --select-numeric and --select-alpha is required")
	}
	if f.filterRegex != "" || f.filterExtract != "" {
		obj.Spec.FilterTags = &imagev1.TagFilter{Pattern: f.filterRegex, Extract: f.filterExtract}
	}
	// The controller's own validation, so a policy it would refuse is
	// refused here.
	if _, err := image.Selector(obj); err != nil {
		return nil, err
	}
	switch f.reflectDigest {
	case "", imagev1.ReflectNever, imagev1.ReflectIfNotPresent:
		if f.interval != 0 {
			return nil, errors.New("--interval is only used with --reflect-digest=Always")
		}
	case imagev1.ReflectAlways:
		if f.interval <= 0 {
			return nil, errors.New("--reflect-digest=Always needs --interval")
		}
		obj.Spec.Interval = &metav1.Duration{Duration: f.interval}
	default:
		return nil, fmt.Errorf("--reflect-digest %q must be Never, IfNotPresent or Always", f.reflectDigest)
	}
	return obj, nil
}

// imageUpdateFlags are the flags of `create image update`.
type imageUpdateFlags struct {
	gitRepoRef, gitRepoNamespace, gitRepoPath string
	checkoutBranch, pushBranch                string
	authorName, authorEmail                   string
	commitTemplate, signingKeySecret          string
	policySelector                            string
	interval                                  time.Duration
}

func newCreateImageUpdateCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &imageUpdateFlags{}
	cmd := &cobra.Command{
		Use:   "update NAME",
		Short: "Create or update an ImageUpdateAutomation and wait until it has run",
		Example: `  # Commit the policies' images into ./clusters/production of the GitRepository flux-system
  ferry create image update flux-system --git-repo-ref=flux-system --git-repo-path=./clusters/production \
    --checkout-branch=main --author-name=ferry --author-email=ferry@example.com

  # Push to a branch of its own for review, with signed commits
  ferry create image update flux-system --git-repo-ref=flux-system --checkout-branch=main \
    --push-branch=image-updates --author-email=ferry@example.com --signing-key-secret=ferry-gpg`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			obj, err := f.build(args[0], g.namespace)
			if err != nil {
				return err
			}
			return g.createImageObject(cmd, cf, imageUpdateAutomations, obj, func(live fluxObject) { live.(*imagev1.ImageUpdateAutomation).Spec = obj.Spec })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.gitRepoRef, "git-repo-ref", "", "name of the GitRepository to update (required)")
	fl.StringVar(&f.gitRepoNamespace, "git-repo-namespace", "", "namespace of the GitRepository, when not the automation's")
	fl.StringVar(&f.gitRepoPath, "git-repo-path", "", "directory of the files to update (default: the repository root)")
	fl.StringVar(&f.checkoutBranch, "checkout-branch", "", "branch to check out (default: the GitRepository's ref)")
	fl.StringVar(&f.pushBranch, "push-branch", "", "branch to push to (default: the checkout branch); created from it when missing")
	fl.StringVar(&f.authorName, "author-name", "", "name of the commits' author")
	fl.StringVar(&f.authorEmail, "author-email", "", "email of the commits' author (required)")
	fl.StringVar(&f.commitTemplate, "commit-template", "", "Go template of the commit message (.AutomationObject, .Changed, .Values)")
	fl.StringVar(&f.signingKeySecret, "signing-key-secret", "", "name of a Secret whose 'git.asc' PGP private key signs the commits")
	fl.StringVar(&f.policySelector, "policy-selector", "", "label selector of the ImagePolicies to use, e.g. env=production (default: all in the namespace)")
	fl.DurationVar(&f.interval, "interval", time.Minute, "how often the automation runs")
	return cmd
}

func (f *imageUpdateFlags) build(name, namespace string) (*imagev1.ImageUpdateAutomation, error) {
	switch {
	case f.gitRepoRef == "":
		return nil, errors.New("--git-repo-ref is required")
	case f.authorEmail == "":
		return nil, errors.New("--author-email is required")
	case f.interval <= 0:
		return nil, errors.New("--interval must be positive")
	}
	if f.commitTemplate != "" {
		if _, err := template.New("commit").Parse(f.commitTemplate); err != nil {
			return nil, fmt.Errorf("--commit-template does not parse: %w", err)
		}
	}
	obj := &imagev1.ImageUpdateAutomation{
		TypeMeta:   metav1.TypeMeta{APIVersion: imagev1.GroupVersion.String(), Kind: imagev1.ImageUpdateAutomationKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: imagev1.ImageUpdateAutomationSpec{
			SourceRef: imagev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: f.gitRepoRef, Namespace: f.gitRepoNamespace},
			Interval:  metav1.Duration{Duration: f.interval},
			GitSpec: &imagev1.GitSpec{
				Commit: imagev1.CommitSpec{
					Author:          imagev1.CommitUser{Name: f.authorName, Email: f.authorEmail},
					MessageTemplate: f.commitTemplate,
				},
			},
			Update: &imagev1.UpdateStrategy{Strategy: imagev1.UpdateStrategySetters, Path: f.gitRepoPath},
		},
	}
	if f.checkoutBranch != "" {
		obj.Spec.GitSpec.Checkout = &imagev1.GitCheckoutSpec{Reference: sourcev1.GitRepositoryRef{Branch: f.checkoutBranch}}
	}
	if f.pushBranch != "" {
		obj.Spec.GitSpec.Push = &imagev1.PushSpec{Branch: f.pushBranch}
	}
	if f.signingKeySecret != "" {
		obj.Spec.GitSpec.Commit.SigningKey = &imagev1.SigningKey{SecretRef: meta.LocalObjectReference{Name: f.signingKeySecret}}
	}
	if f.policySelector != "" {
		sel, err := metav1.ParseToLabelSelector(f.policySelector)
		if err != nil {
			return nil, fmt.Errorf("--policy-selector %q is not a label selector: %w", f.policySelector, err)
		}
		obj.Spec.PolicySelector = sel
	}
	return obj, nil
}
