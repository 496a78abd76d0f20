package gitrepository_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller/gitrepository"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/testserver"
)

// proxyPassword authenticates to the test proxy; it must never be reported.
const proxyPassword = "pr0xy-password-that-must-not-leak"

// waitForFailure waits until Ready=False with reason and checks the
// message contains each of contains.
func waitForFailure(t *testing.T, key client.ObjectKey, reason string, contains ...string) *sourcev1.GitRepository {
	t.Helper()
	gr := waitFor(t, key, "failed with "+reason, func(gr *sourcev1.GitRepository) bool {
		c := cond(gr, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == reason
	})
	msg := cond(gr, meta.ReadyCondition).Message
	for _, s := range contains {
		if !strings.Contains(msg, s) {
			t.Errorf("%s: Ready message %q lacks %q", key.Name, msg, s)
		}
	}
	return gr
}

// TestClientCertificates fetches from an https server that requires a
// client certificate, with ca.crt, tls.crt and tls.key from the Secret.
func TestClientCertificates(t *testing.T) {
	certPEM, keyPEM, err := gitserver.GenerateClientCert("ferry")
	if err != nil {
		t.Fatal(err)
	}
	srv := gitserver.New(t.TempDir())
	if _, err := srv.WithClientCAs(certPEM); err != nil {
		t.Fatal(err)
	}
	repo, err := srv.InitRepo("org/app", "main")
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.CommitFiles("initial", map[string]string{"a.yaml": "a: 1\n"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.StartTLS(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ca := string(srv.CertPEM())

	ns := newNamespace(t)
	create(t, secret(ns, "mtls", map[string]string{"ca.crt": ca, "tls.crt": string(certPEM), "tls.key": string(keyPEM)}))
	create(t, secret(ns, "ca-only", map[string]string{"ca.crt": ca}))
	create(t, secret(ns, "no-key", map[string]string{"ca.crt": ca, "tls.crt": string(certPEM)}))
	for _, name := range []string{"mtls", "ca-only", "no-key"} {
		create(t, newGitRepository(ns, name, srv.RepoURL("org/app"), withSecret(name)))
	}
	waitFor(t, client.ObjectKey{Namespace: ns, Name: "mtls"}, "Ready over mTLS", isReadyWith("main@sha1:"+head))
	waitForFailure(t, client.ObjectKey{Namespace: ns, Name: "ca-only"}, meta.GitOperationFailedReason, "certificate required")
	gr := waitForFailure(t, client.ObjectKey{Namespace: ns, Name: "no-key"}, meta.AuthenticationFailedReason, "'tls.crt' requires 'tls.key'")
	for line := range strings.Lines(string(keyPEM)) {
		if line = strings.TrimSpace(line); len(line) > 16 && !strings.HasPrefix(line, "-----") {
			testenv.AssertNoSecret(t, env.Client, gr, line)
		}
	}
}

// TestProxy fetches through an HTTP proxy named by spec.proxySecretRef.
func TestProxy(t *testing.T) {
	git, _, head := newGitServer(t)
	p := testserver.StartProxy(t, "proxy-user", proxyPassword)
	addr := p.URL

	ns := newNamespace(t)
	create(t, secret(ns, "proxy", map[string]string{"address": addr, "username": "proxy-user", "password": proxyPassword}))
	create(t, secret(ns, "wrong-proxy", map[string]string{"address": addr, "username": "proxy-user", "password": "wrong-" + proxyPassword}))
	create(t, secret(ns, "no-address", map[string]string{"username": "proxy-user", "password": proxyPassword}))
	withProxy := func(name string) func(*sourcev1.GitRepository) {
		return func(gr *sourcev1.GitRepository) { gr.Spec.ProxySecretRef = &meta.LocalObjectReference{Name: name} }
	}
	for _, name := range []string{"proxy", "wrong-proxy", "no-address"} {
		create(t, newGitRepository(ns, name, git.RepoURL("org/app"), withProxy(name)))
	}
	waitFor(t, client.ObjectKey{Namespace: ns, Name: "proxy"}, "Ready through the proxy", isReadyWith("main@sha1:"+head))
	if p.Forwarded() == 0 {
		t.Error("the fetch did not go through the proxy")
	}
	gr := waitForFailure(t, client.ObjectKey{Namespace: ns, Name: "wrong-proxy"}, meta.GitOperationFailedReason, "407")
	testenv.AssertNoSecret(t, env.Client, gr, proxyPassword)
	gr = waitForFailure(t, client.ObjectKey{Namespace: ns, Name: "no-address"}, meta.AuthenticationFailedReason, "key 'address' is missing")
	testenv.AssertNoSecret(t, env.Client, gr, proxyPassword)
}

// TestProviders accepts generic and stalls the cloud providers with a
// message saying they are not supported yet.
func TestProviders(t *testing.T) {
	git, _, head := newGitServer(t)
	ns := newNamespace(t)
	create(t, newGitRepository(ns, "generic", git.RepoURL("org/app"), func(gr *sourcev1.GitRepository) {
		gr.Spec.Provider = sourcev1.GitProviderGeneric
	}))
	for _, provider := range []string{sourcev1.GitProviderAzure, sourcev1.GitProviderGitHub, sourcev1.GitProviderAWS} {
		create(t, newGitRepository(ns, provider, git.RepoURL("org/app"), func(gr *sourcev1.GitRepository) {
			gr.Spec.Provider = provider
		}))
	}
	waitFor(t, client.ObjectKey{Namespace: ns, Name: "generic"}, "Ready", isReadyWith("main@sha1:"+head))
	for _, provider := range []string{sourcev1.GitProviderAzure, sourcev1.GitProviderGitHub, sourcev1.GitProviderAWS} {
		key := client.ObjectKey{Namespace: ns, Name: provider}
		gr := waitForFailure(t, key, gitrepository.UnsupportedProviderReason,
			"provider '"+provider+"' is not supported by ferry yet", "spec.secretRef")
		if c := cond(gr, meta.StalledCondition); c == nil || c.Status != metav1.ConditionTrue {
			t.Errorf("%s: Stalled = %+v, want True", provider, c)
		}
		waitForEvent(t, ns, provider, corev1.EventTypeWarning, gitrepository.UnsupportedProviderReason)
	}
}
