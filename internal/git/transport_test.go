package git_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/testserver"
)

func TestCloneClientCertificate(t *testing.T) {
	certPEM, keyPEM, err := gitserver.GenerateClientCert("ferry")
	if err != nil {
		t.Fatal(err)
	}
	otherCert, otherKey, err := gitserver.GenerateClientCert("stranger")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(s *gitserver.Server) {
		if _, err := s.WithClientCAs(certPEM); err != nil {
			t.Fatal(err)
		}
	}, true)
	ca := f.srv.CertPEM()

	c, err := git.Clone(ctx(t), filepath.Join(t.TempDir(), "checkout"), git.CloneOptions{URL: f.url, Branch: "main",
		Auth: &git.Auth{CABundle: ca, ClientCert: certPEM, ClientKey: keyPEM}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "main@sha1:" + f.head; c.Revision() != want {
		t.Errorf("Revision() = %s, want %s", c.Revision(), want)
	}

	for name, auth := range map[string]*git.Auth{
		"no client certificate":        {CABundle: ca},
		"untrusted client certificate": {CABundle: ca, ClientCert: otherCert, ClientKey: otherKey},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := git.RemoteRevision(ctx(t), git.CloneOptions{URL: f.url, Branch: "main", Auth: auth})
			if err == nil {
				t.Fatal("the server accepted the connection")
			}
			t.Log(err)
			for line := range strings.Lines(string(auth.ClientKey)) {
				if line = strings.TrimSpace(line); len(line) > 16 && strings.Contains(err.Error(), line) {
					t.Errorf("error leaks the client key: %s", err)
				}
			}
		})
	}
}

const proxyPassword = "pr0xy-password-that-must-not-leak"

func TestCloneThroughProxy(t *testing.T) {
	f := newFixture(t, nil, false)
	p := testserver.StartProxy(t, "proxy-user", proxyPassword)
	addr := p.URL

	proxy := &git.Proxy{Address: addr, Username: "proxy-user", Password: proxyPassword}
	c, err := git.Clone(ctx(t), filepath.Join(t.TempDir(), "checkout"), git.CloneOptions{URL: f.url, Branch: "main", Proxy: proxy})
	if err != nil {
		t.Fatal(err)
	}
	if want := "main@sha1:" + f.head; c.Revision() != want {
		t.Errorf("Revision() = %s, want %s", c.Revision(), want)
	}
	if p.Forwarded() == 0 {
		t.Error("the clone did not go through the proxy")
	}

	wrong := &git.Proxy{Address: addr, Username: "proxy-user", Password: "wrong-" + proxyPassword}
	_, err = git.RemoteRevision(ctx(t), git.CloneOptions{URL: f.url, Branch: "main", Proxy: wrong})
	if err == nil {
		t.Fatal("a wrong proxy password was accepted")
	}
	t.Log(err)
	if strings.Contains(err.Error(), proxyPassword) {
		t.Errorf("error leaks the proxy password: %s", err)
	}
	if !strings.Contains(err.Error(), "407") {
		t.Errorf("error %q does not say the proxy refused (407)", err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		if s := fmtSprintf(verb, *wrong); strings.Contains(s, proxyPassword) {
			t.Errorf("Sprintf(%q) of the proxy leaks the password: %s", verb, s)
		}
	}
}

func fmtSprintf(verb string, v any) string { return fmt.Sprintf(verb, v) }

func TestCloneHTTPSThroughProxy(t *testing.T) {
	f := newFixture(t, nil, true)
	p := testserver.StartProxy(t, "proxy-user", proxyPassword)
	addr := p.URL
	proxy := &git.Proxy{Address: addr, Username: "proxy-user", Password: proxyPassword}
	c, err := git.Clone(ctx(t), filepath.Join(t.TempDir(), "checkout"), git.CloneOptions{URL: f.url, Branch: "main", Proxy: proxy,
		Auth: &git.Auth{CABundle: f.srv.CertPEM()}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "main@sha1:" + f.head; c.Revision() != want {
		t.Errorf("Revision() = %s, want %s", c.Revision(), want)
	}
	if p.Tunnels() == 0 {
		t.Error("the https clone did not tunnel through the proxy")
	}
}
