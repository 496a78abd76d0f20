package testserver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Mode is what a FaultProxy does with a connection or a request.
type Mode int

// The modes of a FaultProxy. Refuse, Reset, UntrustedTLS and PlainHTTP act
// on connections; the others on the requests a Fault's Match selects.
const (
	// Pass forwards every request to the upstream unchanged.
	Pass Mode = iota
	// Refuse closes the listener: connecting is refused (ECONNREFUSED)
	// until another fault is set, when the proxy listens on the same port
	// again.
	Refuse
	// Reset accepts connections and resets them (RST) at once.
	Reset
	// Stall holds the response: before its status line, or after Bytes of
	// its body; for Duration, or, when Duration is zero, until Release or
	// Set.
	Stall
	// Truncate forwards the status, the headers (Content-Length too) and
	// Bytes of the body, then closes the connection.
	Truncate
	// Respond answers with Status, ContentType and Body instead of the
	// upstream: an HTML login page where an index was expected.
	Respond
	// UntrustedTLS serves TLS with a certificate for the same names signed
	// by another CA than CA's. It needs a proxy started with TLS.
	UntrustedTLS
	// PlainHTTP serves plain HTTP where TLS is expected. It needs a proxy
	// started with TLS.
	PlainHTTP
)

var modeNames = map[Mode]string{Pass: "pass", Refuse: "refuse", Reset: "reset", Stall: "stall",
	Truncate: "truncate", Respond: "respond", UntrustedTLS: "untrusted TLS", PlainHTTP: "plain HTTP"}

func (m Mode) String() string { return modeNames[m] }

// Fault is what a FaultProxy injects; build one with the functions named
// after the modes (Refused, Stalled, Truncated, ...).
type Fault struct {
	Mode Mode
	// Match selects the requests the fault applies to (Stall, Truncate,
	// Respond); the others are forwarded. Nil selects every request.
	Match func(*http.Request) bool
	// Duration is how long Stall holds; zero until released.
	Duration time.Duration
	// Bytes is how much of the body Truncate forwards, and after how much
	// of it Stall holds (zero: before the status line).
	Bytes int64
	// Status, ContentType and Body are what Respond answers.
	Status      int
	ContentType string
	Body        []byte
}

// PassThrough is the fault that is none: every request is forwarded.
func PassThrough() Fault { return Fault{Mode: Pass} }

// Refused is a server that is down: connection refused.
func Refused() Fault { return Fault{Mode: Refuse} }

// ResetConnections accepts each connection and resets it.
func ResetConnections() Fault { return Fault{Mode: Reset} }

// Stalled holds each response before its status line for d, or until
// released when d is zero.
func Stalled(d time.Duration) Fault { return Fault{Mode: Stall, Duration: d} }

// StalledAfter forwards n bytes of each body, then holds the rest for d,
// or until released when d is zero.
func StalledAfter(n int64, d time.Duration) Fault { return Fault{Mode: Stall, Bytes: n, Duration: d} }

// Truncated forwards n bytes of each body and closes the connection.
func Truncated(n int64) Fault { return Fault{Mode: Truncate, Bytes: n} }

// Responding answers each request with status, contentType and body.
func Responding(status int, contentType string, body []byte) Fault {
	return Fault{Mode: Respond, Status: status, ContentType: contentType, Body: body}
}

// UntrustedCertificate serves TLS with a certificate the proxy's CA did
// not sign.
func UntrustedCertificate() Fault { return Fault{Mode: UntrustedTLS} }

// PlainHTTPBehindHTTPS serves plain HTTP on the proxy's https URL.
func PlainHTTPBehindHTTPS() Fault { return Fault{Mode: PlainHTTP} }

// On returns f limited to the requests match selects.
func (f Fault) On(match func(*http.Request) bool) Fault {
	f.Match = match
	return f
}

// PathContains selects the requests whose URL path contains s, and whose
// method is one of methods (any method without one).
func PathContains(s string, methods ...string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		if !strings.Contains(r.URL.Path, s) {
			return false
		}
		if len(methods) == 0 {
			return true
		}
		for _, m := range methods {
			if r.Method == m {
				return true
			}
		}
		return false
	}
}

// FaultProxyOptions configure a FaultProxy.
type FaultProxyOptions struct {
	// TLS serves https with a certificate for 127.0.0.1 and localhost
	// signed by the proxy's own CA (CA); the upstream stays plain HTTP.
	TLS bool
}

// FaultProxy is a reverse proxy on loopback in front of a real HTTP
// server, which injects the Fault last Set. It keeps the Host header of
// each request, so signed requests (S3) still verify upstream, and serves
// HTTP/1.1 only.
type FaultProxy struct {
	// URL is the proxy's base URL, http(s)://127.0.0.1:<port>.
	URL string

	t         testing.TB
	addr      string
	upstream  *url.URL
	srv       *http.Server
	rp        *httputil.ReverseProxy
	transport *http.Transport
	trusted   *tls.Config
	untrusted *tls.Config
	caPEM     []byte

	mu       sync.Mutex
	fault    Fault
	release  chan struct{}
	listener net.Listener
	conns    map[net.Conn]struct{}
	closed   bool

	requests  atomic.Int64
	injected  atomic.Int64
	abandoned atomic.Int64
}

// StartFaultProxy starts a FaultProxy passing requests through to the
// upstream base URL (http://host:port); it stops when the test ends.
func StartFaultProxy(t testing.TB, upstream string, opts FaultProxyOptions) *FaultProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" {
		t.Fatalf("testserver: upstream %q is not a base URL", upstream)
	}
	p := &FaultProxy{
		t:         t,
		upstream:  &url.URL{Scheme: u.Scheme, Host: u.Host},
		transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8, IdleConnTimeout: 30 * time.Second},
		release:   make(chan struct{}),
		conns:     map[net.Conn]struct{}{},
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(p.upstream)
			pr.Out.Host = pr.In.Host
		},
		Transport:      p.transport,
		FlushInterval:  -1,
		ModifyResponse: p.modifyResponse,
		ErrorLog:       log.New(io.Discard, "", 0),
	}
	scheme := "http"
	if opts.TLS {
		if err := p.makeCertificates(); err != nil {
			t.Fatalf("testserver: certificates: %v", err)
		}
		scheme = "https"
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = l.Addr().String()
	p.URL = scheme + "://" + p.addr
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serve),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
		ConnState:         p.track,
	}
	p.serveOn(l)
	t.Cleanup(p.close)
	return p
}

// Host returns the proxy's "127.0.0.1:<port>".
func (p *FaultProxy) Host() string { return p.addr }

// CA returns the PEM of the CA that signed the certificate of a TLS
// proxy, which clients should trust; nil without TLS.
func (p *FaultProxy) CA() []byte { return p.caPEM }

// Requests counts the requests the proxy read, faulted or not.
func (p *FaultProxy) Requests() int64 { return p.requests.Load() }

// Injected counts the connections and requests a fault was injected into.
func (p *FaultProxy) Injected() int64 { return p.injected.Load() }

// Abandoned counts the stalled requests whose client gave up (closed the
// connection or canceled the request) before the stall ended.
func (p *FaultProxy) Abandoned() int64 { return p.abandoned.Load() }

// Set switches to f. It releases the stalled responses and closes every
// open client connection, so that the next request meets f from its
// connection on (a pooled keep-alive connection does not bypass a refused
// listener or an untrusted certificate).
func (p *FaultProxy) Set(f Fault) {
	p.t.Helper()
	if (f.Mode == UntrustedTLS || f.Mode == PlainHTTP) && p.trusted == nil {
		p.t.Fatalf("testserver: fault %s needs a proxy started with TLS", f.Mode)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.fault = f
	close(p.release)
	p.release = make(chan struct{})
	for c := range p.conns {
		_ = c.Close()
	}
	switch {
	case f.Mode == Refuse && p.listener != nil:
		_ = p.listener.Close()
		p.listener = nil
	case f.Mode != Refuse && p.listener == nil:
		l, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Fatalf("testserver: listening on %s again: %v", p.addr, err)
		}
		p.serveOnLocked(l)
	}
}

// Release ends the current stalls without changing the fault: the held
// responses go on.
func (p *FaultProxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.release)
	p.release = make(chan struct{})
}

func (p *FaultProxy) current() (Fault, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fault, p.release
}

func (p *FaultProxy) serveOn(l net.Listener) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serveOnLocked(l)
}

func (p *FaultProxy) serveOnLocked(l net.Listener) {
	p.listener = l
	fl := &faultListener{Listener: l, p: p}
	go func() { _ = p.srv.Serve(fl) }()
}

func (p *FaultProxy) track(c net.Conn, s http.ConnState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch s {
	case http.StateNew:
		p.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(p.conns, c)
	}
}

func (p *FaultProxy) close() {
	p.mu.Lock()
	p.closed = true
	close(p.release)
	p.release = make(chan struct{})
	p.mu.Unlock()
	_ = p.srv.Close()
	p.transport.CloseIdleConnections()
}

// faultListener applies the connection faults as it accepts.
type faultListener struct {
	net.Listener
	p *FaultProxy
}

func (l *faultListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		f, _ := l.p.current()
		if f.Mode == Reset {
			l.p.injected.Add(1)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
			continue
		}
		if l.p.trusted == nil {
			return c, nil
		}
		switch f.Mode {
		case PlainHTTP:
			l.p.injected.Add(1)
			return c, nil
		case UntrustedTLS:
			l.p.injected.Add(1)
			return tls.Server(c, l.p.untrusted), nil
		}
		return tls.Server(c, l.p.trusted), nil
	}
}

// serve applies the request faults and forwards the rest.
func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	f, release := p.current()
	if f.Match != nil && !f.Match(r) {
		p.rp.ServeHTTP(w, r)
		return
	}
	switch f.Mode {
	case Stall:
		p.injected.Add(1)
		if f.Bytes == 0 {
			// Read the request body first, as a server that received the
			// request and does not answer: only then does net/http notice
			// (and cancel r.Context()) when the client closes the
			// connection.
			b, err := io.ReadAll(r.Body)
			if err != nil || !p.hold(r.Context(), f, release) {
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
	case Truncate:
		p.injected.Add(1)
	case Respond:
		p.injected.Add(1)
		if f.ContentType != "" {
			w.Header().Set("Content-Type", f.ContentType)
		}
		w.WriteHeader(f.Status)
		_, _ = w.Write(f.Body)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// hold waits out a stall and reports whether the client still waits.
func (p *FaultProxy) hold(ctx context.Context, f Fault, release chan struct{}) bool {
	var timeout <-chan time.Time
	if f.Duration > 0 {
		timer := time.NewTimer(f.Duration)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-release:
		return true
	case <-timeout:
		return true
	case <-ctx.Done():
		p.abandoned.Add(1)
		return false
	}
}

// modifyResponse cuts or stalls the body of a faulted request; the
// reverse proxy aborts the connection when the body fails.
func (p *FaultProxy) modifyResponse(resp *http.Response) error {
	f, release := p.current()
	if f.Match != nil && !f.Match(resp.Request) {
		return nil
	}
	switch {
	case f.Mode == Truncate:
		resp.Body = &cutBody{ReadCloser: resp.Body, left: f.Bytes}
	case f.Mode == Stall && f.Bytes > 0:
		ctx := resp.Request.Context()
		resp.Body = &cutBody{ReadCloser: resp.Body, left: f.Bytes, stall: func() bool { return p.hold(ctx, f, release) }}
	}
	return nil
}

// errTruncated ends a truncated body; the client sees the connection
// close mid-response.
var errTruncated = errors.New("testserver: response truncated")

// cutBody yields left bytes, then stalls (when stall is set, and goes on
// once it returns true) or fails.
type cutBody struct {
	io.ReadCloser
	left  int64
	stall func() bool
	done  bool
}

func (b *cutBody) Read(buf []byte) (int, error) {
	if b.done {
		return b.ReadCloser.Read(buf)
	}
	if b.left <= 0 {
		if b.stall != nil && b.stall() {
			b.done = true
			return b.ReadCloser.Read(buf)
		}
		return 0, errTruncated
	}
	if int64(len(buf)) > b.left {
		buf = buf[:b.left]
	}
	n, err := b.ReadCloser.Read(buf)
	b.left -= int64(n)
	return n, err
}

// makeCertificates makes the proxy's CA and its certificate, and a
// certificate for the same names from a CA nobody trusts.
func (p *FaultProxy) makeCertificates() error {
	trusted, caPEM, err := certificateFromNewCA("ferry testserver CA")
	if err != nil {
		return err
	}
	untrusted, _, err := certificateFromNewCA("untrusted CA")
	if err != nil {
		return err
	}
	cfg := func(c tls.Certificate) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	}
	p.trusted, p.untrusted, p.caPEM = cfg(trusted), cfg(untrusted), caPEM
	return nil
}

// certificateFromNewCA makes a CA named name and a server certificate it
// signs for 127.0.0.1, ::1 and localhost, valid for a day, and returns the
// certificate and the CA's PEM.
func certificateFromNewCA(name string) (tls.Certificate, []byte, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caPEM, nil
}
