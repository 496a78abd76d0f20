package gitserver

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Server serves the Git repositories below Root over smart HTTP using the
// system `git http-backend`.
type Server struct {
	root string

	// Addr is the address to listen on; empty means "127.0.0.1:0".
	Addr string
	// Stderr receives the standard error of git http-backend; nil discards it.
	Stderr io.Writer
	// AllowPush enables receive-pack (git push) for every repository.
	AllowPush bool

	username, password string
	bearerToken        string
	tlsCert            *tls.Certificate
	certPEM            []byte
	clientCAs          *x509.CertPool

	mu       sync.Mutex
	srv      *http.Server
	listener net.Listener
	baseURL  string
	done     chan struct{}
}

// New returns a Server for the repositories below root. The directory must
// exist by the time a client asks for a repository; the server is not
// listening until Start or StartTLS is called.
func New(root string) *Server {
	return &Server{root: root}
}

// Root returns the directory the server serves repositories from.
func (s *Server) Root() string { return s.root }

// WithBasicAuth makes the server require HTTP basic authentication with the
// given username and password, and returns s.
func (s *Server) WithBasicAuth(username, password string) *Server {
	s.username, s.password = username, password
	return s
}

// WithBearerToken makes the server accept (and require, unless basic auth is
// also configured) an `Authorization: Bearer <token>` header, and returns s.
func (s *Server) WithBearerToken(token string) *Server {
	s.bearerToken = token
	return s
}

// Handler returns the HTTP handler that serves the repositories, with
// authentication applied. Start uses it; it is exported so the server can be
// mounted into another mux.
func (s *Server) Handler() http.Handler {
	stderr := s.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "git executable not found", http.StatusInternalServerError)
		})
	}
	root, err := filepath.Abs(s.root)
	if err != nil {
		root = s.root
	}
	env := []string{
		"GIT_PROJECT_ROOT=" + root,
		"GIT_HTTP_EXPORT_ALL=1",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
	}
	if s.AllowPush {
		env = append(env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true")
	}
	backend := &cgi.Handler{
		Path:   gitPath,
		Args:   []string{"http-backend"},
		Dir:    root,
		Env:    env,
		Stderr: stderr,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="ferry gitserver"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	})
}

func (s *Server) authorized(r *http.Request) bool {
	if s.username == "" && s.password == "" && s.bearerToken == "" {
		return true
	}
	if s.bearerToken != "" {
		if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			return subtle.ConstantTimeCompare([]byte(token), []byte(s.bearerToken)) == 1
		}
	}
	if s.username != "" || s.password != "" {
		u, p, ok := r.BasicAuth()
		if !ok {
			return false
		}
		userOK := subtle.ConstantTimeCompare([]byte(u), []byte(s.username)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(p), []byte(s.password)) == 1
		return userOK && passOK
	}
	return false
}

// Start listens on Addr (127.0.0.1 and a free port by default) and serves
// plain HTTP. It returns the base URL, e.g. "http://127.0.0.1:41234"; a
// repository directory "<root>/org/app" is at "<base>/org/app".
func (s *Server) Start() (string, error) {
	return s.start(false)
}

// StartTLS is Start over HTTPS with a freshly generated self-signed
// certificate for 127.0.0.1 and localhost. CertPEM returns the certificate
// for clients to trust.
func (s *Server) StartTLS() (string, error) {
	return s.start(true)
}

func (s *Server) start(useTLS bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return "", errors.New("gitserver already started")
	}
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("gitserver listen on %s: %w", addr, err)
	}
	scheme := "http"
	if useTLS {
		cert, certPEM, err := selfSignedCert()
		if err != nil {
			_ = l.Close()
			return "", fmt.Errorf("gitserver certificate: %w", err)
		}
		s.tlsCert, s.certPEM = cert, certPEM
		cfg := &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
		if s.clientCAs != nil {
			cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, s.clientCAs
		}
		l = tls.NewListener(l, cfg)
		scheme = "https"
	}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 30 * time.Second}
	s.listener = l
	s.baseURL = scheme + "://" + l.Addr().String()
	s.done = make(chan struct{})
	srv, done := s.srv, s.done
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	return s.baseURL, nil
}

// URL returns the base URL after Start, or "" before.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// RepoURL returns the URL of the repository at the slash-separated path
// below the root, e.g. RepoURL("org/app").
func (s *Server) RepoURL(path string) string {
	return s.URL() + "/" + strings.TrimPrefix(path, "/")
}

// CertPEM returns the PEM-encoded certificate of a server started with
// StartTLS, or nil.
func (s *Server) CertPEM() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.certPEM
}

// CertPool returns a pool holding the certificate of a server started with
// StartTLS, or nil.
func (s *Server) CertPool() *x509.CertPool {
	pem := s.CertPEM()
	if pem == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return pool
}

// Close stops the server and waits for it to stop serving. It is safe to
// call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
	<-done
}
