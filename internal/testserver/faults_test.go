package testserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// body is what the upstream serves at /data: 64 KiB with a Content-Length.
var body = bytes.Repeat([]byte("0123456789abcdef"), 4096)

// upstream serves body at /data and echoes the Host header at /host.
func upstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/host":
			fmt.Fprint(w, r.Host)
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			_, _ = w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// client returns a client trusting p's CA, without keep-alives, so each
// request meets the fault from its connection on.
func client(p *FaultProxy, timeout time.Duration) *http.Client {
	t := &http.Transport{DisableKeepAlives: true}
	if ca := p.CA(); ca != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		t.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Transport: t, Timeout: timeout}
}

// get fetches path and returns the body read and the first error.
func get(c *http.Client, base, path string) (*http.Response, []byte, error) {
	resp, err := c.Get(base + path)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func mustPass(t *testing.T, p *FaultProxy) {
	t.Helper()
	resp, b, err := get(client(p, 10*time.Second), p.URL, "/data")
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(b, body) {
		t.Fatalf("pass-through: err %v, %d bytes, want the upstream's %d", err, len(b), len(body))
	}
}

func TestFaultProxyPassesThroughAndKeepsHost(t *testing.T) {
	p := StartFaultProxy(t, upstream(t).URL, FaultProxyOptions{})
	mustPass(t, p)
	_, host, err := get(client(p, 10*time.Second), p.URL, "/host")
	if err != nil || string(host) != p.Host() {
		t.Errorf("upstream saw Host %q (err %v), want the proxy's %q", host, err, p.Host())
	}
	if p.Injected() != 0 || p.Requests() != 2 {
		t.Errorf("injected %d, requests %d; want 0 and 2", p.Injected(), p.Requests())
	}
}

func TestFaultProxyRefusesThenListensAgain(t *testing.T) {
	p := StartFaultProxy(t, upstream(t).URL, FaultProxyOptions{})
	mustPass(t, p)
	p.Set(Refused())
	if _, _, err := get(client(p, 10*time.Second), p.URL, "/data"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("refused: err %v, want connection refused", err)
	}
	p.Set(PassThrough())
	mustPass(t, p)
}

func TestFaultProxyResets(t *testing.T) {
	p := StartFaultProxy(t, upstream(t).URL, FaultProxyOptions{})
	p.Set(ResetConnections())
	if _, _, err := get(client(p, 10*time.Second), p.URL, "/data"); err == nil {
		t.Error("reset: the request succeeded")
	}
	if p.Injected() == 0 {
		t.Error("no connection was reset")
	}
}

func TestFaultProxyStalls(t *testing.T) {
	p := StartFaultProxy(t, upstream(t).URL, FaultProxyOptions{})

	// Until released: the client gives up first, and the proxy sees it.
	p.Set(Stalled(0))
	if _, _, err := get(client(p, 200*time.Millisecond), p.URL, "/data"); err == nil {
		t.Error("stalled: the request succeeded")
	}
	waitUntil(t, "the stalled request abandoned", func() bool { return p.Abandoned() == 1 })
	// A request with a body too, which the proxy reads before it holds.
	if _, err := client(p, 200*time.Millisecond).Post(p.URL+"/data", "text/plain", strings.NewReader("want")); err == nil {
		t.Error("stalled POST: the request succeeded")
	}
	waitUntil(t, "the stalled POST abandoned", func() bool { return p.Abandoned() == 2 })

	// Released: the held response goes on.
	done := make(chan error, 1)
	go func() {
		_, b, err := get(client(p, 10*time.Second), p.URL, "/data")
		if err == nil && !bytes.Equal(b, body) {
			err = fmt.Errorf("%d bytes after the release", len(b))
		}
		done <- err
	}()
	waitUntil(t, "the request held", func() bool { return p.Injected() == 3 })
	p.Release()
	if err := <-done; err != nil {
		t.Errorf("released: %v", err)
	}

	// Mid-body: the status and the first bytes arrive, then nothing.
	p.Set(StalledAfter(1000, 0))
	c := client(p, 10*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/data", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("stalled after 1000 bytes: %v", err)
	}
	defer resp.Body.Close()
	first := make([]byte, 1000)
	if _, err := io.ReadFull(resp.Body, first); err != nil || !bytes.Equal(first, body[:1000]) {
		t.Fatalf("first 1000 bytes: %v", err)
	}
	read := make(chan error, 1)
	go func() { _, err := resp.Body.Read(make([]byte, 1)); read <- err }()
	select {
	case err := <-read:
		t.Fatalf("read past the stall: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	<-read
	waitUntil(t, "the mid-body stall abandoned", func() bool { return p.Abandoned() == 3 })

	// For a duration: slow, then complete.
	p.Set(Stalled(50 * time.Millisecond))
	mustPass(t, p)
}

func TestFaultProxyTruncates(t *testing.T) {
	p := StartFaultProxy(t, upstream(t).URL, FaultProxyOptions{})
	p.Set(Truncated(1234).On(PathContains("/data")))
	resp, b, err := get(client(p, 10*time.Second), p.URL, "/data")
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(b) != 1234 || !bytes.Equal(b, body[:1234]) {
		t.Errorf("truncated: err %v and %d bytes, want unexpected EOF after 1234", err, len(b))
	}
	if resp == nil || resp.ContentLength != int64(len(body)) {
		t.Errorf("truncated response %+v: want the upstream's Content-Length", resp)
	}
	// Another path is not faulted.
	if _, host, err := get(client(p, 10*time.Second), p.URL, "/host"); err != nil || string(host) != p.Host() {
		t.Errorf("unmatched path: %q, %v", host, err)
	}
}

func TestFaultProxyResponds(t *testing.T) {
	p := StartFaultProxy(t, upstream(t).URL, FaultProxyOptions{})
	page := []byte("<html><body>Sign in</body></html>")
	p.Set(Responding(http.StatusOK, "text/html; charset=utf-8", page).On(PathContains("/data", http.MethodGet)))
	resp, b, err := get(client(p, 10*time.Second), p.URL, "/data")
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || !bytes.Equal(b, page) {
		t.Errorf("respond: %v %v %q", err, resp, b)
	}
}

func TestFaultProxyTLS(t *testing.T) {
	p := StartFaultProxy(t, upstream(t).URL, FaultProxyOptions{TLS: true})
	if !strings.HasPrefix(p.URL, "https://") || p.CA() == nil {
		t.Fatalf("URL %s, CA %d bytes", p.URL, len(p.CA()))
	}
	mustPass(t, p)

	p.Set(UntrustedCertificate())
	var unknown x509.UnknownAuthorityError
	if _, _, err := get(client(p, 10*time.Second), p.URL, "/data"); !errors.As(err, &unknown) {
		t.Errorf("untrusted: err %v, want an unknown authority", err)
	}

	p.Set(PlainHTTPBehindHTTPS())
	if _, _, err := get(client(p, 10*time.Second), p.URL, "/data"); err == nil || !strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		t.Errorf("plain HTTP: err %v, want an HTTP response to the TLS handshake", err)
	}

	p.Set(PassThrough())
	mustPass(t, p)
	if p.Injected() != 2 {
		t.Errorf("injected %d, want 2", p.Injected())
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}
