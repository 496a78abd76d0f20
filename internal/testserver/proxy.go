package testserver

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a minimal HTTP forward proxy that requires basic auth: it
// forwards absolute-form http requests and tunnels CONNECT (for https),
// and counts both.
type Proxy struct {
	// URL is the proxy's address, http://127.0.0.1:<port>.
	URL string

	user, password string
	forwarded      atomic.Int64
	tunnels        atomic.Int64
	transport      *http.Transport
}

// StartProxy starts a Proxy accepting user and password on loopback; it
// stops when the test ends.
func StartProxy(t testing.TB, user, password string) *Proxy {
	t.Helper()
	p := &Proxy{user: user, password: password, transport: &http.Transport{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); p.transport.CloseIdleConnections() })
	p.URL = "http://" + l.Addr().String()
	return p
}

// Forwarded counts the http requests the proxy forwarded.
func (p *Proxy) Forwarded() int64 { return p.forwarded.Load() }

// Tunnels counts the CONNECT tunnels the proxy opened.
func (p *Proxy) Tunnels() int64 { return p.tunnels.Load() }

// ServeHTTP answers 407 without the right Proxy-Authorization, then forwards
// or tunnels.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
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
