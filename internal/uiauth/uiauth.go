// Package uiauth authenticates the people using ferry's web UI when it is
// served beyond loopback: each request carries a Kubernetes bearer token
// (an `Authorization: Bearer` header, or the cookie the login page sets
// from a pasted token), the API server's TokenReview says whose it is, and
// the UI acts with that token, so Kubernetes RBAC decides what the person
// may do. Anyone the API server authenticates is let in; as the pages
// read ferry's own cache, which holds every namespace, Access says
// (SubjectAccessReviews, see access.go) which namespaces of each kind the
// person may list, and the UI shows only those. Tokens are never logged,
// echoed or stored beyond the browser's cookie; reviews are cached for a
// minute so a page and its live stream do not cost a review each.
package uiauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CookieName holds the pasted token.
const CookieName = "ferry-token"

// LoginPath is the login page.
const LoginPath = "/login"

// reviewTTL is how long a token's review is trusted.
const reviewTTL = time.Minute

// User is who a request is from, and how to act as them.
type User struct {
	Name  string
	token string
	// info is what the TokenReview said, which a SubjectAccessReview
	// about the user needs.
	info authenticationv1.UserInfo
}

type userKey struct{}

// FromContext returns the user an authenticated request is from.
func FromContext(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}

// Authenticator checks bearer tokens with the API server's TokenReview.
type Authenticator struct {
	// Config is ferry's own client configuration: it sends the reviews,
	// and, stripped of its credentials, is the base of the users' clients.
	Config *rest.Config
	// Scheme is the clients' scheme.
	Scheme client.Options

	reviews kubernetes.Interface
	mu      sync.Mutex
	cache   map[[sha256.Size]byte]cached
	access  map[[sha256.Size]byte]*userAccess
	now     func() time.Time
}

type cached struct {
	info    authenticationv1.UserInfo
	expires time.Time
}

// maxCached bounds each cache; past it the cache starts again empty (a
// user then costs a review more, never less).
const maxCached = 10000

// New returns an Authenticator reviewing tokens with cfg.
func New(cfg *rest.Config, opts client.Options) (*Authenticator, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Authenticator{Config: cfg, Scheme: opts, reviews: cs, cache: map[[sha256.Size]byte]cached{}, access: map[[sha256.Size]byte]*userAccess{}, now: time.Now}, nil
}

// ErrNoToken is a request without a token.
var ErrNoToken = errors.New("no token")

// Authenticate returns the user of r's token.
func (a *Authenticator) Authenticate(r *http.Request) (User, error) {
	token := tokenOf(r)
	if token == "" {
		return User{}, ErrNoToken
	}
	key := sha256.Sum256([]byte(token))
	a.mu.Lock()
	c, ok := a.cache[key]
	a.mu.Unlock()
	if ok && a.now().Before(c.expires) {
		return User{Name: c.info.Username, token: token, info: c.info}, nil
	}
	info, err := a.review(r.Context(), token)
	if err != nil {
		return User{}, err
	}
	a.mu.Lock()
	if len(a.cache) > maxCached {
		a.cache = map[[sha256.Size]byte]cached{}
	}
	a.cache[key] = cached{info: info, expires: a.now().Add(reviewTTL)}
	a.mu.Unlock()
	return User{Name: info.Username, token: token, info: info}, nil
}

// review asks the API server whose token is. Anyone it authenticates is
// let in: what they see is narrowed by Access.
func (a *Authenticator) review(ctx context.Context, token string) (authenticationv1.UserInfo, error) {
	tr, err := a.reviews.AuthenticationV1().TokenReviews().Create(ctx,
		&authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		return authenticationv1.UserInfo{}, fmt.Errorf("reviewing the token: %w", err)
	}
	if !tr.Status.Authenticated {
		return authenticationv1.UserInfo{}, errors.New("the API server does not accept this token")
	}
	return tr.Status.User, nil
}

// Client returns a client that acts as u: ferry's configuration without
// its credentials, with u's token.
func (a *Authenticator) Client(u User) (client.Client, error) {
	cfg := rest.AnonymousClientConfig(a.Config)
	cfg.BearerToken = u.token
	return client.New(cfg, a.Scheme)
}

func tokenOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value
	}
	return ""
}

// Require serves next only to authenticated requests, with the user in
// the request's context; others are sent to the login page (a page) or
// get 401 (the live stream, scripts). The login page itself is served
// here.
func (a *Authenticator) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == LoginPath {
			a.login(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		u, err := a.Authenticate(r)
		if err != nil {
			if r.Method == http.MethodGet && r.Header.Get("Accept") != "text/event-stream" {
				http.Redirect(w, r, LoginPath, http.StatusSeeOther)
				return
			}
			http.Error(w, "authentication required: "+err.Error(), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ferry: sign in</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><main class="login"><h1>ferry</h1>
<p>Paste a Kubernetes token of yours: <code>kubectl create token &lt;service-account&gt;</code>, or your user's token. ferry checks it with the API server and acts with it, so your RBAC rights apply: you see the namespaces you may list Flux objects in.</p>
{{if .}}<p class="error">{{.}}</p>{{end}}
<form method="post" action="/login"><label>Token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Sign in</button></form></main></body></html>`))

// login shows the token form and, on a valid token, sets the cookie. The
// form post needs no CSRF token: it can only sign the browser in as
// whoever's token it carries, and SameSite=Strict keeps the cookie from
// other sites' requests.
func (a *Authenticator) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodPost {
		_ = loginPage.Execute(w, "")
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	probe := r.Clone(r.Context())
	probe.Header = http.Header{"Authorization": {"Bearer " + token}}
	if _, err := a.Authenticate(probe); err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		_ = loginPage.Execute(w, "That token was not accepted: "+err.Error())
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// IsLoopback reports whether addr ("host:port") listens on loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
