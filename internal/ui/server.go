package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"helm.sh/helm/v4/pkg/chart/common"

	"github.com/ferrycd/ferry/internal/logring"
	"github.com/ferrycd/ferry/internal/notification"
)

//go:embed templates static
var assets embed.FS

// Options configure a Server.
type Options struct {
	// Reader reads the objects the pages show: a cache, so that pages
	// cost the API server nothing. It never reads Secrets.
	Reader client.Reader
	// Informers, when set, feed /live: the Server registers one event
	// handler per kind. It may be the cache that Reader is.
	Informers cache.Informers
	// Actions returns the client an action of r is performed with (the
	// user's own identity, so that RBAC decides) and the user's name,
	// which the action's Event records. An error refuses the action; nil
	// Actions makes the UI read-only.
	Actions func(r *http.Request) (client.Client, string, error)
	// Log receives what goes wrong while serving.
	Log logr.Logger
	// Artifacts opens the sources' artifacts, for a Kustomization's or
	// HelmRelease's diff (diff.go) and a source's files (files.go); nil
	// where the process holds no artifact storage (ferry ui), and those
	// pages say so.
	Artifacts Artifacts
	// Capabilities returns the cluster's version and API versions, which
	// a HelmRelease's chart is rendered with for its diff
	// (release.Cluster.Capabilities: discovery, which Kubernetes serves
	// every authenticated user alike); nil renders with Helm's defaults,
	// and the diff says so.
	Capabilities func() (*common.Capabilities, error)
	// Visible, when set, returns what the user of r may see, whether
	// objects of a kind ("Kustomization") in a namespace (see
	// visible.go): every page shows only the objects it allows, and a
	// hidden object answers 404 like a missing one. s.rows and
	// s.getObject apply it; a page that reads objects another way asks
	// s.visible(r) and its Filter's Allows(kind, namespace). An error
	// refuses the page. Nil, or a nil func, shows everything: ferry dev
	// on loopback, and ferry ui, whose cache already reads with the
	// user's own identity.
	Visible func(r *http.Request) (func(kind, namespace string) bool, error)
	// Dispatches returns the notification dispatcher's last decisions,
	// newest first, for /notifications (notifications.go); nil where no
	// dispatcher runs in this process.
	Dispatches func() []notification.Decision
	// Logs holds the reconcilers' recent log lines per object, for the
	// object pages (logs.go); nil where no controller runs in this
	// process (ferry ui).
	Logs *logring.Ring
	// Engine feeds the engine panel's queues and runs (engine.go); nil
	// where no controller runs in this process.
	Engine *Engine
}

// Server serves the UI. Its Handler does no authentication: whoever
// serves it on a non-loopback address wraps it in one.
type Server struct {
	opts  Options
	pages map[string]*template.Template
	csrf  *csrf
	live  *hub
	mux   *http.ServeMux
}

// The security headers of every answer. The policy allows no inline
// script or style, so every template keeps its script and styles in
// static/.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// fragmentHeader asks for the page's main region only: live.js fetches
// the page it shows with it and swaps the region in.
const fragmentHeader = "X-Ferry-Fragment"

// New returns a Server reading through opts.Reader and, when
// opts.Informers is set, registering its live-update handlers there.
func New(opts Options) (*Server, error) {
	if opts.Reader == nil {
		return nil, errors.New("ui: Options.Reader is required")
	}
	s := &Server{opts: opts, pages: map[string]*template.Template{}}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	var err error
	if s.csrf, err = newCSRF(); err != nil {
		return nil, err
	}
	s.live = newHub(maxLiveClients)
	if opts.Informers != nil {
		if err := s.live.watch(opts.Informers); err != nil {
			return nil, err
		}
	}
	s.routes()
	return s, nil
}

// Handler returns the UI's handler, security headers included.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		s.mux.ServeHTTP(w, s.withVisibility(r))
	})
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	s.mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	s.mux.HandleFunc("GET /{$}", s.overview)
	s.mux.HandleFunc("GET /search", s.search)
	s.mux.HandleFunc("GET /graph", s.graph)
	s.mux.HandleFunc("GET /trace", s.trace)
	s.mux.HandleFunc("GET /k/{kind}", s.list)
	s.mux.HandleFunc("GET /o/{kind}/{namespace}/{name}", s.object)
	s.mux.HandleFunc("GET /o/{kind}/{namespace}/{name}/log", s.objectLog)
	s.mux.HandleFunc("GET /engine", s.engine)
	s.mux.HandleFunc("GET /o/{kind}/{namespace}/{name}/health", s.health)
	s.mux.HandleFunc("GET /o/{kind}/{namespace}/{name}/diff", s.diff)
	s.mux.HandleFunc("GET /o/{kind}/{namespace}/{name}/files/{path...}", s.files)
	s.mux.HandleFunc("POST /o/{kind}/{namespace}/{name}/{action}", s.action)
	s.mux.HandleFunc("GET /live", s.serveLive)
	s.mux.HandleFunc("GET /notifications", s.notifications)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "Not found", "There is no page at "+r.URL.Path+".")
	})
}

// parseTemplates parses every page template (each file of templates/
// but layout.html) with layout.html, under the file's base name.
func (s *Server) parseTemplates() error {
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return err
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("ui: parsing template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

// page is what every template gets.
type page struct {
	// Title is the document's title.
	Title string
	// Nav marks the kind whose list the page belongs to, for the
	// navigation.
	Nav string
	// Kinds are every kind, for the navigation.
	Kinds []*kind
	// Query is the search box's text.
	Query string
	// CSRF is the token every form posts.
	CSRF string
	// Actions says whether the UI offers actions.
	Actions bool
	// LiveKinds are the kinds whose changes refresh the page, space
	// separated; empty for every kind.
	LiveKinds string
	// Data is the page's own.
	Data any
}

// render writes the page, or only its main region when the request asks
// for the fragment.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, p page) {
	p.Kinds = kinds
	p.CSRF = s.csrf.token(w, r)
	p.Actions = s.opts.Actions != nil
	tmpl := "layout"
	if r.Header.Get(fragmentHeader) != "" {
		tmpl = "main"
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, tmpl, p); err != nil {
		s.opts.Log.Error(err, "rendering a page", "page", name, "path", r.URL.Path)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", fragmentHeader)
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// errorPage is the data of the error page.
type errorPage struct {
	Code    int
	Heading string
	Message string
}

// fail answers with the error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, heading, message string) {
	s.render(w, r, code, "error", page{Title: heading, Data: errorPage{Code: code, Heading: heading, Message: message}})
}

// listErr answers a failed read of the cluster.
func (s *Server) listErr(w http.ResponseWriter, r *http.Request, err error) {
	s.opts.Log.Error(err, "reading objects", "path", r.URL.Path)
	s.fail(w, r, http.StatusInternalServerError, "Cannot read the cluster", strings.TrimSpace(err.Error()))
}
