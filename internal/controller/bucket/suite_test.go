package bucket_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one control plane and one manager running the Bucket
// and Kustomization controllers with the artifact server; every test
// works in its own namespace against its own S3 server.
var env *testenv.Env

const (
	accessKey = "ferry-access-key"
	secretKey = "s3-s3cr3t-key-that-must-not-leak"
	// testMaxArtifactSize is the suite's --artifact-max-size.
	testMaxArtifactSize int64 = 1 << 20
)

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		Manager: &controller.Options{
			Controllers:     []string{"bucket", "kustomization"},
			Concurrent:      2,
			ArtifactMaxSize: testMaxArtifactSize,
		},
		Secrets: []string{secretKey},
	})
	code := env.Run(m)
	if !strings.Contains(env.Logs.String(), "stored artifact") {
		fmt.Fprintln(os.Stderr, "FAIL: the controller logs were not captured")
		code = 1
	}
	os.Exit(code)
}

func newBucket(ns, name, endpoint, bucket string, mutate ...func(*sourcev1.Bucket)) *sourcev1.Bucket {
	o := &sourcev1.Bucket{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.BucketSpec{
			BucketName: bucket,
			Endpoint:   endpoint,
			Interval:   metav1.Duration{Duration: time.Hour},
			Insecure:   true,
		},
	}
	for _, m := range mutate {
		m(o)
	}
	return o
}

func withSecret(name string) func(*sourcev1.Bucket) {
	return func(o *sourcev1.Bucket) { o.Spec.SecretRef = &meta.LocalObjectReference{Name: name} }
}

func credentials(ns, name, access, secret string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Data:       map[string][]byte{"accesskey": []byte(access), "secretkey": []byte(secret)},
	}
}

func create(t testing.TB, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t testing.TB, key client.ObjectKey, what string, cond func(*sourcev1.Bucket) bool) *sourcev1.Bucket {
	t.Helper()
	return testenv.WaitFor(t, env.Client, key, what, cond)
}

func cond(o *sourcev1.Bucket, condType string) *metav1.Condition {
	return apimeta.FindStatusCondition(o.Status.Conditions, condType)
}

// isReadyAt holds once Ready=True for the current generation with an
// artifact of revision ("" for any).
func isReadyAt(revision string) func(*sourcev1.Bucket) bool {
	return testenv.SourceReadyAt[*sourcev1.Bucket](revision)
}

// isFailing holds once Ready=False with reason.
func isFailing(reason string) func(*sourcev1.Bucket) bool {
	return testenv.ReadyFalse[*sourcev1.Bucket](reason)
}

func isStalled(o *sourcev1.Bucket) bool { return cond(o, meta.StalledCondition) != nil }

// reconcileNow requests a reconcile and waits until it is handled.
func reconcileNow(t *testing.T, key client.ObjectKey) *sourcev1.Bucket {
	t.Helper()
	return testenv.ReconcileNow(t, env.Client, &sourcev1.Bucket{}, key,
		func(o *sourcev1.Bucket) string { return o.Status.LastHandledReconcileAt })
}

// revisionOf is Flux's revision of a Bucket whose index is keys with
// their ETags: the SHA-256 of the sorted "<key> <etag>\n" lines.
func revisionOf(lines ...string) string {
	h := sha256.New()
	for _, l := range lines {
		fmt.Fprintf(h, "%s\n", l)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// artifactFiles lists the regular files of an artifact with their content.
func artifactFiles(t *testing.T, a *meta.Artifact) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(testenv.FetchArtifact(t, a)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			files[h.Name] = string(b)
		}
	}
}
