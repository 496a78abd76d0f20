package ocirepository_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
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

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one control plane and one manager running the
// OCIRepository, Kustomization and HelmRelease controllers with the
// artifact server;
// every test works in its own namespace against its own registry.
var env *testenv.Env

const (
	ociUser     = "oci-user"
	ociPassword = "oci-pa55w0rd-that-must-not-leak"
	// testMaxArtifactSize is the suite's --artifact-max-size.
	testMaxArtifactSize int64 = 1 << 20
)

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		Manager: &controller.Options{
			Controllers:     []string{"ocirepository", "kustomization", "helmrelease"},
			Concurrent:      2,
			ArtifactMaxSize: testMaxArtifactSize,
		},
		Secrets: []string{ociPassword},
	})
	code := env.Run(m)
	if !strings.Contains(env.Logs.String(), "stored artifact") {
		fmt.Fprintln(os.Stderr, "FAIL: the controller logs were not captured")
		code = 1
	}
	os.Exit(code)
}

func newOCIRepository(ns, name, url string, mutate ...func(*sourcev1.OCIRepository)) *sourcev1.OCIRepository {
	o := &sourcev1.OCIRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       sourcev1.OCIRepositorySpec{URL: url, Interval: metav1.Duration{Duration: time.Hour}, Insecure: true},
	}
	for _, m := range mutate {
		m(o)
	}
	return o
}

func withRef(ref sourcev1.OCIRepositoryRef) func(*sourcev1.OCIRepository) {
	return func(o *sourcev1.OCIRepository) { o.Spec.Reference = &ref }
}

func create(t testing.TB, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t testing.TB, key client.ObjectKey, what string, cond func(*sourcev1.OCIRepository) bool) *sourcev1.OCIRepository {
	t.Helper()
	return testenv.WaitFor(t, env.Client, key, what, cond)
}

func cond(o interface{ GetConditions() []metav1.Condition }, condType string) *metav1.Condition {
	return apimeta.FindStatusCondition(o.GetConditions(), condType)
}

// isReadyAt holds once Ready=True for the current generation with an
// artifact of revision ("" for any).
func isReadyAt(revision string) func(*sourcev1.OCIRepository) bool {
	return testenv.SourceReadyAt[*sourcev1.OCIRepository](revision)
}

// isFailing holds once Ready=False with reason.
func isFailing(reason string) func(*sourcev1.OCIRepository) bool {
	return testenv.ReadyFalse[*sourcev1.OCIRepository](reason)
}

// reconcileNow requests a reconcile and waits until it is handled.
func reconcileNow(t *testing.T, key client.ObjectKey) *sourcev1.OCIRepository {
	t.Helper()
	return testenv.ReconcileNow(t, env.Client, &sourcev1.OCIRepository{}, key,
		func(o *sourcev1.OCIRepository) string { return o.Status.LastHandledReconcileAt })
}

// push pushes files as a Flux artifact to repository:tag on reg and
// returns the manifest digest.
func push(t testing.TB, reg *ocitest.Registry, repository, tag string, files map[string]string, opts ...oci.Options) string {
	t.Helper()
	img, err := oci.Image(ocitest.TarGz(files), oci.ContentMediaType, map[string]string{
		"org.opencontainers.image.source":   "https://example.test/fleet.git",
		"org.opencontainers.image.revision": "main@sha1:0123456789abcdef0123456789abcdef01234567",
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg.Push(t, repository, tag, img, opts...)
}

// dockerConfig returns a kubernetes.io/dockerconfigjson Secret for host.
func dockerConfig(ns, name, host, user, password string) *corev1.Secret {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: cfg},
	}
}

// untarFiles lists the regular files of a tar.gz with their content.
func untarFiles(t *testing.T, data []byte) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
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
