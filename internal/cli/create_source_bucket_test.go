package cli

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/s3/s3test"
)

// TestCreateSourceBucketExport checks the YAML of `create source bucket
// --export` against golden files, and that the API server takes it as it
// is (a server-side dry run, as kubectl apply --dry-run=server).
func TestCreateSourceBucketExport(t *testing.T) {
	ns := env.NewNamespace(t, "exportbucket")
	tests := map[string][]string{
		"create_source_bucket_minio.golden": {"--bucket-name=podinfo", "--endpoint=minio.minio.svc.cluster.local:9000", "--insecure",
			"--secret-ref=minio-auth", "--interval=10m"},
		"create_source_bucket_aws.golden": {"--bucket-name=podinfo", "--endpoint=s3.amazonaws.com", "--provider=aws", "--region=us-east-1",
			"--ignore-paths=*.md,/docs", "--ignore-paths=!/docs/deploy"},
		"create_source_bucket_full.golden": {"--bucket-name=manifests", "--endpoint=https://storage.example.com:9443", "--secret-ref=storage-auth",
			"--cert-ref=storage-tls", "--proxy-secret-ref=storage-proxy", "--fetch-timeout=90s"},
	}
	for name, flags := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"-n", "apps", "create", "source", "bucket", "podinfo", "--export"}, flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(stdout))
			dryRunApply(t, ns, stdout)
		})
	}
}

func TestCreateSourceBucketRefusals(t *testing.T) {
	bucket, endpoint := "--bucket-name=podinfo", "--endpoint=minio.example.com:9000"
	tests := map[string]struct {
		args []string
		want string
	}{
		"no endpoint":                 {[]string{bucket}, "--endpoint is required"},
		"no bucket name":              {[]string{endpoint}, "--bucket-name is required"},
		"bucket name with a prefix":   {[]string{"--bucket-name=podinfo/prod", endpoint}, "--bucket-name must be the bucket's name alone"},
		"endpoint with a path":        {[]string{bucket, "--endpoint=minio.example.com/podinfo"}, "--endpoint must be host[:port]"},
		"url endpoint with a path":    {[]string{bucket, "--endpoint=https://minio.example.com/podinfo"}, "--endpoint must name the server alone"},
		"credentials in the endpoint": {[]string{bucket, "--endpoint=https://user:s3cret@minio.example.com"}, "--endpoint must not hold credentials"},
		"credentials without scheme":  {[]string{bucket, "--endpoint=user:s3cret@minio.example.com"}, "--endpoint must not hold credentials"},
		"s3 scheme":                   {[]string{bucket, "--endpoint=s3://minio.example.com"}, "http:// or https://"},
		"no host":                     {[]string{bucket, "--endpoint=https://"}, "--endpoint has no host"},
		"plain http without insecure": {[]string{bucket, "--endpoint=http://minio.example.com:9000"}, "pass --insecure"},
		"unknown provider":            {[]string{bucket, endpoint, "--provider=ibm"}, `--provider "ibm" is not one of generic, aws, azure, gcp`},
		"access key alone":            {[]string{bucket, endpoint, "--access-key=me"}, "--access-key and --secret-key go together"},
		"secret key alone":            {[]string{bucket, endpoint, "--secret-key=s3cret"}, "--access-key and --secret-key go together"},
		"keys and secret ref":         {[]string{bucket, endpoint, "--access-key=me", "--secret-key=s3cret", "--secret-ref=auth"}, "mutually exclusive with --secret-ref"},
		"keys exported":               {[]string{bucket, endpoint, "--access-key=me", "--secret-key=s3cret"}, "are not exported"},
		"cert ref for aws":            {[]string{bucket, "--endpoint=s3.amazonaws.com", "--provider=aws", "--cert-ref=tls"}, "--cert-ref is only supported by the generic provider"},
		"zero interval":               {[]string{bucket, endpoint, "--interval=0s"}, "--interval must be positive"},
		"fetch timeout in hours":      {[]string{bucket, endpoint, "--fetch-timeout=2h"}, "--fetch-timeout must be shorter than an hour"},
		"missing name":                {[]string{bucket, endpoint}, "accepts 1 arg"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			args := []string{"create", "source", "bucket"}
			if name != "missing name" {
				args = append(args, "podinfo")
			}
			stdout, stderr, code := ferry(t, append(append(args, "--export"), tt.args...)...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
			if strings.Contains(stdout+stderr, "s3cret") {
				t.Errorf("the output reveals a credential: %s%s", stdout, stderr)
			}
		})
	}
}

// TestCreateSourceBucketWithKeys creates a Bucket with --access-key and
// --secret-key against an S3 server that takes only those: the keys land
// in the Secret bucket-NAME, the Bucket names it and fetches the objects;
// a second run replaces the keys. The secret key is never printed.
func TestCreateSourceBucketWithKeys(t *testing.T) {
	const access, secret = "ferry-cli", "cli-s3cret-key"
	ns := env.NewNamespace(t, "createbucket")
	srv := s3test.Start(t, s3test.Options{AccessKey: access, SecretKey: secret})
	srv.MakeBucket(t, "manifests")
	srv.Put(t, "manifests", map[string]string{"app.yaml": "a: 1\n"})

	run := func(secretKey string) (string, int) {
		stdout, stderr, code := ferry(t, "-n", ns, "create", "source", "bucket", "app", "--bucket-name=manifests",
			"--endpoint=http://"+srv.Endpoint(), "--insecure", "--access-key="+access, "--secret-key="+secretKey, "--timeout=1m")
		if strings.Contains(stdout+stderr, secretKey) {
			t.Errorf("the output reveals the secret key:\n%s%s", stdout, stderr)
		}
		return stderr, code
	}
	stderr, code := run("wrong-s3cret")
	if code == 0 {
		t.Fatalf("create with the wrong key exited 0: %s", stderr)
	}
	mustContainInOrder(t, "create output", stderr,
		"► applying Secret bucket-app with the bucket credentials in "+ns+" namespace",
		"✔ Secret created",
		"► applying Bucket app in "+ns+" namespace",
		"✔ Bucket created",
		"✗ Bucket reconciliation failed")

	stderr, code = run(secret)
	if code != 0 {
		t.Fatalf("create exited %d: %s", code, stderr)
	}
	mustContainInOrder(t, "update output", stderr, "✔ Secret updated", "✔ Bucket updated", "✔ fetched revision sha256:")

	s := &corev1.Secret{}
	if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "bucket-app"}, s); err != nil {
		t.Fatal(err)
	}
	if string(s.Data["accesskey"]) != access || string(s.Data["secretkey"]) != secret {
		t.Errorf("Secret keys = %v, want accesskey and secretkey of the second run", keysOf(s.Data))
	}
	b := &sourcev1.Bucket{}
	if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "app"}, b); err != nil {
		t.Fatal(err)
	}
	if b.Spec.SecretRef == nil || b.Spec.SecretRef.Name != "bucket-app" || b.Spec.BucketName != "manifests" || !b.Spec.Insecure {
		t.Errorf("spec = %+v", b.Spec)
	}
}

func keysOf(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
