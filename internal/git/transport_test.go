package git_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/gitserver"
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

// forwardProxy is a minimal HTTP forward proxy requiring basic auth; it
// counts the requests it forwarded.
type forwardProxy struct {
	user, password string
	forwarded      atomic.Int64
	tunnels        atomic.Int64
	transport      *http.Transport
}

func (p *forwardProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.user+":"+p.password))
	if r.Header.Get("Proxy-Authorization") != want {
		w.Header().Set("Proxy-Authenticate", `Basic realm="proxy"`)
		http.Error(w, "proxy authentication required", http.StatusProxyAuthRequired)
		return
	}
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	if !r.URL.IsAbs() {
		http.Error(w, "only absolute-form http requests are forwarded", http.StatusNotImplemented)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Header.Del("Proxy-Authorization")
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	p.forwarded.Add(1)
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// tunnel serves CONNECT: it pipes bytes between the client and r.Host.
func (p *forwardProxy) tunnel(w http.ResponseWriter, r *http.Request) {
	upstream, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		_ = upstream.Close()
		http.Error(w, "cannot hijack", http.StatusInternalServerError)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		_ = upstream.Close()
		return
	}
	p.tunnels.Add(1)
	_, _ = conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, buf); done <- struct{}{} }()
	go func() { _, _ = io.Copy(conn, upstream); done <- struct{}{} }()
	<-done
	_ = conn.Close()
	_ = upstream.Close()
}

func startProxy(t *testing.T, user, password string) (*forwardProxy, string) {
	t.Helper()
	p := &forwardProxy{user: user, password: password, transport: &http.Transport{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); p.transport.CloseIdleConnections() })
	return p, "http://" + l.Addr().String()
}

func TestCloneThroughProxy(t *testing.T) {
	f := newFixture(t, nil, false)
	p, addr := startProxy(t, "proxy-user", proxyPassword)

	proxy := &git.Proxy{Address: addr, Username: "proxy-user", Password: proxyPassword}
	c, err := git.Clone(ctx(t), filepath.Join(t.TempDir(), "checkout"), git.CloneOptions{URL: f.url, Branch: "main", Proxy: proxy})
	if err != nil {
		t.Fatal(err)
	}
	if want := "main@sha1:" + f.head; c.Revision() != want {
		t.Errorf("Revision() = %s, want %s", c.Revision(), want)
	}
	if p.forwarded.Load() == 0 {
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
	p, addr := startProxy(t, "proxy-user", proxyPassword)
	proxy := &git.Proxy{Address: addr, Username: "proxy-user", Password: proxyPassword}
	c, err := git.Clone(ctx(t), filepath.Join(t.TempDir(), "checkout"), git.CloneOptions{URL: f.url, Branch: "main", Proxy: proxy,
		Auth: &git.Auth{CABundle: f.srv.CertPEM()}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "main@sha1:" + f.head; c.Revision() != want {
		t.Errorf("Revision() = %s, want %s", c.Revision(), want)
	}
	if p.tunnels.Load() == 0 {
		t.Error("the https clone did not tunnel through the proxy")
	}
}
