package image_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one control plane and one manager running the image
// controllers with the GitRepository and Kustomization controllers (for
// the end-to-end run: tag pushed, commit pushed, workload updated); every
// test works in its own namespaces against its own registry and Git
// repositories.
var env *testenv.Env

const (
	registryUser     = "reg-user"
	registryPassword = "reg-pa55w0rd-that-must-not-leak"
	gitUser          = "git-bot"
	gitPassword      = "git-pa55w0rd-that-must-not-leak"
)

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		Simulated: true,
		Manager: &controller.Options{
			Controllers:       []string{"imagerepository", "imagepolicy", "imageupdateautomation", "gitrepository", "kustomization", "receiver"},
			Concurrent:        4,
			DependencyRequeue: 2 * time.Second,
			ReceiverAddr:      "127.0.0.1:0",
		},
		Secrets: []string{registryPassword, gitPassword},
	})
	code := env.Run(m)
	if !strings.Contains(env.Logs.String(), "imagerepository") {
		fmt.Fprintln(os.Stderr, "FAIL: the controller logs were not captured")
		code = 1
	}
	os.Exit(code)
}

func create(t testing.TB, objs ...client.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
}

func cond(o interface{ GetConditions() []metav1.Condition }, condType string) *metav1.Condition {
	return apimeta.FindStatusCondition(o.GetConditions(), condType)
}

// ready holds once Ready=True for the current generation.
func ready[T interface {
	client.Object
	GetConditions() []metav1.Condition
}](o T) bool {
	c := cond(o, meta.ReadyCondition)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == o.GetGeneration()
}

func newRepository(ns, name, image string, mutate ...func(*imagev1.ImageRepository)) *imagev1.ImageRepository {
	o := &imagev1.ImageRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       imagev1.ImageRepositorySpec{Image: image, Interval: metav1.Duration{Duration: time.Hour}, Insecure: true},
	}
	for _, m := range mutate {
		m(o)
	}
	return o
}

func newPolicy(ns, name, repo string, choice imagev1.ImagePolicyChoice, mutate ...func(*imagev1.ImagePolicy)) *imagev1.ImagePolicy {
	o := &imagev1.ImagePolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: imagev1.ImagePolicySpec{
			ImageRepositoryRef: meta.NamespacedObjectReference{Name: repo},
			Policy:             choice,
		},
	}
	for _, m := range mutate {
		m(o)
	}
	return o
}

func semver(r string) imagev1.ImagePolicyChoice {
	return imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: r}}
}

func waitRepo(t testing.TB, ns, name, what string, c func(*imagev1.ImageRepository) bool) *imagev1.ImageRepository {
	t.Helper()
	return testenv.WaitFor(t, env.Client, testenv.Key(ns, name), what, c)
}

func waitPolicy(t testing.TB, ns, name, what string, c func(*imagev1.ImagePolicy) bool) *imagev1.ImagePolicy {
	t.Helper()
	return testenv.WaitFor(t, env.Client, testenv.Key(ns, name), what, c)
}

// latestTag holds once the policy is Ready and chose tag.
func latestTag(tag string) func(*imagev1.ImagePolicy) bool {
	return func(p *imagev1.ImagePolicy) bool {
		return ready(p) && p.Status.LatestRef != nil && p.Status.LatestRef.Tag == tag
	}
}

// scan requests a scan of the repository now and waits until handled.
func scan(t *testing.T, ns, name string) *imagev1.ImageRepository {
	t.Helper()
	return testenv.ReconcileNow(t, env.Client, &imagev1.ImageRepository{}, testenv.Key(ns, name),
		func(o *imagev1.ImageRepository) string { return o.Status.LastHandledReconcileAt })
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

// pushOpts are the options of a push to reg, which needs the suite's
// registry credentials, over TLS when useTLS.
func pushOpts(reg *ocitest.Registry, useTLS bool) oci.Options {
	kc, err := oci.CredentialsKeychain(registryUser + ":" + registryPassword)
	if err != nil {
		panic(err)
	}
	o := oci.Options{Keychain: kc, Insecure: !useTLS}
	if useTLS {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(reg.CA())
		o.TLS = &tls.Config{RootCAs: pool}
	}
	return o
}
