package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// sourceBucketFlags are the flags of `create source bucket`.
type sourceBucketFlags struct {
	bucketName     string
	endpoint       string
	provider       string
	region         string
	insecure       bool
	secretRef      string
	accessKey      string
	secretKey      string
	certRef        string
	proxySecretRef string
	ignorePaths    []string
	interval       time.Duration
	fetchTimeout   time.Duration
}

// bucketProviders are the values of --provider, in Flux's order.
var bucketProviders = []string{sourcev1.BucketProviderGeneric, sourcev1.BucketProviderAmazon,
	sourcev1.BucketProviderAzure, sourcev1.BucketProviderGoogle}

// The keys of the Secret --access-key and --secret-key write, which
// Bucket spec.secretRef reads.
const (
	bucketAccessKey = "accesskey"
	bucketSecretKey = "secretkey"
)

func newCreateSourceBucketCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &sourceBucketFlags{}
	cmd := &cobra.Command{
		Use:   "bucket NAME",
		Short: "Create or update a Bucket source and wait until it has fetched the objects",
		Long: `Create or update a Bucket source and wait until it has fetched the objects.

With --access-key and --secret-key the credentials are first stored in the
Secret bucket-NAME (keys 'accesskey' and 'secretkey'), which spec.secretRef
then names, as Flux does. With --export only the Bucket is printed, so the
keys are refused there: create the Secret yourself and pass --secret-ref.`,
		Example: `  # Fetch a MinIO bucket over plain HTTP with static credentials, checked every 10 minutes
  ferry create source bucket podinfo --bucket-name=podinfo \
    --endpoint=minio.minio.svc.cluster.local:9000 --insecure \
    --access-key=myaccesskey --secret-key=mysecretkey --interval=10m

  # Fetch an Amazon S3 bucket with the credentials in the existing Secret s3-auth
  ferry create source bucket podinfo --bucket-name=podinfo --provider=aws \
    --endpoint=s3.amazonaws.com --region=us-east-1 --secret-ref=s3-auth

  # Print the Bucket as YAML instead of applying it
  ferry create source bucket podinfo --bucket-name=podinfo --endpoint=s3.amazonaws.com --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bucket, err := f.bucket(args[0], g.namespace)
			if err != nil {
				return err
			}
			if f.accessKey != "" && cf.export {
				return errors.New("--access-key and --secret-key are not exported (Flux leaves them out too): " +
					"create a Secret with 'accesskey' and 'secretkey' and pass --secret-ref")
			}
			if cf.export {
				return printYAML(g, bucket)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if f.accessKey != "" {
				secret := f.credentials(bucket)
				if err := g.applyBucketSecret(cmd.Context(), c, secret); err != nil {
					return err
				}
				bucket.Spec.SecretRef = &meta.LocalObjectReference{Name: secret.Name}
			}
			_, err = g.applyAndWait(cmd.Context(), c, buckets, bucket, func(live fluxObject) {
				l := live.(*sourcev1.Bucket)
				l.Spec = bucket.Spec
				l.Labels = mergeLabels(l.Labels, bucket.Labels)
			}, cf.timeout)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.bucketName, "bucket-name", "", "name of the bucket to fetch (required)")
	fl.StringVar(&f.endpoint, "endpoint", "", "address of the object storage, host[:port] or an http(s):// URL without a path (required)")
	fl.StringVar(&f.provider, "provider", sourcev1.BucketProviderGeneric, "the S3 compatible storage provider: one of "+strings.Join(bucketProviders, ", "))
	fl.StringVar(&f.region, "region", "", "region of the bucket")
	fl.BoolVar(&f.insecure, "insecure", false, "the endpoint speaks plain HTTP, not TLS")
	fl.StringVar(&f.secretRef, "secret-ref", "", "name of an existing Secret with the credentials ('accesskey' and 'secretkey' for generic and aws)")
	fl.StringVar(&f.accessKey, "access-key", "", "access key, stored with --secret-key in the Secret bucket-NAME")
	fl.StringVar(&f.secretKey, "secret-key", "", "secret key, stored with --access-key in the Secret bucket-NAME")
	fl.StringVar(&f.certRef, "cert-ref", "", "name of the Secret with TLS certificates: 'ca.crt', and 'tls.crt' and 'tls.key' for a client certificate (generic provider only)")
	fl.StringVar(&f.proxySecretRef, "proxy-secret-ref", "", "name of the Secret with the proxy to reach the endpoint through: 'address', and optionally 'username' and 'password'")
	fl.StringSliceVar(&f.ignorePaths, "ignore-paths", nil, "paths to leave out of the artifact, in .gitignore syntax; comma separated or repeated")
	fl.DurationVar(&f.interval, "interval", time.Minute, "how often the bucket is checked for changes")
	fl.DurationVar(&f.fetchTimeout, "fetch-timeout", 0, "how long listing and downloading the objects may take, spec.timeout (default 60s)")
	return cmd
}

// bucket builds the Bucket the flags describe, as `flux create source
// bucket` does. The credentials of --access-key and --secret-key are
// checked here but are not in the Bucket: the caller stores them in a
// Secret and names it in spec.secretRef.
func (f *sourceBucketFlags) bucket(name, namespace string) (*sourcev1.Bucket, error) {
	if err := validateBucketEndpoint(f.endpoint, f.insecure); err != nil {
		return nil, err
	}
	switch {
	case f.bucketName == "":
		return nil, errors.New("--bucket-name is required")
	case strings.ContainsAny(f.bucketName, "/ \t\n"):
		return nil, errors.New("--bucket-name must be the bucket's name alone, without slashes or spaces")
	case !slices.Contains(bucketProviders, f.provider):
		return nil, fmt.Errorf("--provider %q is not one of %s", f.provider, strings.Join(bucketProviders, ", "))
	case (f.accessKey == "") != (f.secretKey == ""):
		return nil, errors.New("--access-key and --secret-key go together")
	case f.accessKey != "" && f.secretRef != "":
		return nil, errors.New("--access-key and --secret-key are mutually exclusive with --secret-ref")
	case f.certRef != "" && f.provider != sourcev1.BucketProviderGeneric:
		return nil, fmt.Errorf("--cert-ref is only supported by the %s provider", sourcev1.BucketProviderGeneric)
	case f.interval <= 0:
		return nil, errors.New("--interval must be positive")
	case f.fetchTimeout < 0:
		return nil, errors.New("--fetch-timeout must not be negative")
	case f.fetchTimeout >= time.Hour:
		// spec.timeout is written in ms, s and m only.
		return nil, errors.New("--fetch-timeout must be shorter than an hour")
	}
	bucket := &sourcev1.Bucket{
		TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.BucketKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: sourcev1.BucketSpec{
			Provider:   f.provider,
			BucketName: f.bucketName,
			Endpoint:   f.endpoint,
			Region:     f.region,
			Insecure:   f.insecure,
			Interval:   metav1.Duration{Duration: f.interval},
		},
	}
	for _, ref := range []struct {
		name string
		to   **meta.LocalObjectReference
	}{{f.secretRef, &bucket.Spec.SecretRef}, {f.certRef, &bucket.Spec.CertSecretRef}, {f.proxySecretRef, &bucket.Spec.ProxySecretRef}} {
		if ref.name != "" {
			*ref.to = &meta.LocalObjectReference{Name: ref.name}
		}
	}
	if len(f.ignorePaths) > 0 {
		ignore := strings.Join(f.ignorePaths, "\n")
		bucket.Spec.Ignore = &ignore
	}
	if f.fetchTimeout > 0 {
		bucket.Spec.Timeout = &metav1.Duration{Duration: f.fetchTimeout}
	}
	return bucket, nil
}

// credentials is the Secret bucket-NAME with --access-key and
// --secret-key, as Flux names and fills it.
func (f *sourceBucketFlags) credentials(bucket *sourcev1.Bucket) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: "bucket-" + bucket.Name, Namespace: bucket.Namespace},
		StringData: map[string]string{bucketAccessKey: f.accessKey, bucketSecretKey: f.secretKey},
	}
}

// applyBucketSecret creates secret, or sets its keys in the existing one
// (other keys are kept, as Flux does). Errors name the Secret, never its
// data.
func (g *globals) applyBucketSecret(ctx context.Context, c client.Client, secret *corev1.Secret) error {
	g.printf("► applying Secret %s with the bucket credentials in %s namespace", secret.Name, secret.Namespace)
	live := &corev1.Secret{}
	err := c.Get(ctx, client.ObjectKeyFromObject(secret), live)
	switch {
	case apierrors.IsNotFound(err):
		if err := c.Create(ctx, secret); err != nil {
			return fmt.Errorf("creating Secret '%s/%s': %w", secret.Namespace, secret.Name, err)
		}
		g.printf("✔ Secret created")
	case err != nil:
		return fmt.Errorf("getting Secret '%s/%s': %w", secret.Namespace, secret.Name, err)
	default:
		live.StringData = secret.StringData
		if err := c.Update(ctx, live); err != nil {
			return fmt.Errorf("updating Secret '%s/%s': %w", secret.Namespace, secret.Name, err)
		}
		g.printf("✔ Secret updated")
	}
	return nil
}

// validateBucketEndpoint checks --endpoint as the Bucket controller reads
// spec.endpoint: host[:port], or an http(s) URL without credentials or a
// path; plain http:// needs --insecure. The endpoint is never repeated in
// a message: it might hold credentials.
func validateBucketEndpoint(raw string, insecure bool) error {
	if raw == "" {
		return errors.New("--endpoint is required")
	}
	if !strings.Contains(raw, "://") {
		switch {
		case strings.Contains(raw, "@"):
			return errors.New("--endpoint must not hold credentials: pass --access-key and --secret-key, or --secret-ref")
		case strings.ContainsAny(raw, "/?# \t\n"):
			return errors.New("--endpoint must be host[:port], or an http(s):// URL without a path; give the bucket with --bucket-name")
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("--endpoint is not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("--endpoint must be host[:port], or a URL starting with http:// or https://")
	case u.User != nil:
		return errors.New("--endpoint must not hold credentials: pass --access-key and --secret-key, or --secret-ref")
	case u.Host == "":
		return errors.New("--endpoint has no host")
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return errors.New("--endpoint must name the server alone, without a path: give the bucket with --bucket-name")
	case u.Scheme == "http" && !insecure:
		return errors.New("--endpoint is plain http://: pass --insecure, or use https://")
	}
	return nil
}
