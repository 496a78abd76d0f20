package notifier

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ferrycd/ferry/internal/events"
)

// Event is what a Notifier sends: Flux's eventv1.Event, with metadata
// keys already without their API group prefix.
type Event = events.Event

// Options is a Provider resolved: its spec with the values of its Secrets.
type Options struct {
	// Type is the Provider's spec.type ("slack", "generic-hmac", ...).
	Type string
	// Address is the endpoint: spec.address, or the Secret's address key.
	Address string
	// Channel and Username are spec.channel and spec.username.
	Channel  string
	Username string
	// Token and Password are the Secret's token and password keys.
	Token    string
	Password string
	// Headers are the Secret's headers key (YAML map), sent with every
	// request of the types that take headers.
	Headers map[string]string
	// Proxy is spec.proxy or the proxy Secret's address (with its
	// username and password as user info); nil uses no proxy.
	Proxy *url.URL
	// TLS is built from spec.certSecretRef; nil uses the system roots.
	TLS *tls.Config
	// Timeout bounds one request; zero means 15 s, Flux's default.
	Timeout time.Duration
	// ProviderUID is the Provider's metadata.uid: commit statuses use its
	// first segment in their context, so two Providers do not overwrite
	// each other's statuses.
	ProviderUID string
	// CommitStatus, when set, is the description of a commit status
	// (spec.commitStatusExpr evaluated); empty uses the event's message.
	CommitStatus string
}

// Notifier sends an event to one service.
type Notifier interface {
	// Post sends e once. A *StatusError reports an answer other than 2xx;
	// Retryable says whether trying again may help.
	Post(ctx context.Context, e Event) error
}

// factory builds the Notifier of one type; client has the Options'
// timeout, proxy and TLS.
type factory func(o Options, client *http.Client) (Notifier, error)

var factories = map[string]factory{}

// register makes New build typ with f; each type's file calls it from init.
func register(typ string, f factory) {
	if _, dup := factories[typ]; dup {
		panic("notifier: type registered twice: " + typ)
	}
	factories[typ] = f
}

// Types lists the Provider types ferry can send to, sorted.
func Types() []string {
	out := make([]string, 0, len(factories))
	for t := range factories {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Supported reports whether New can build typ.
func Supported(typ string) bool {
	_, ok := factories[typ]
	return ok
}

// New returns the Notifier of o.Type, or an error naming what is missing or
// wrong in o (never its secret values).
func New(o Options) (Notifier, error) {
	f, ok := factories[o.Type]
	if !ok {
		return nil, fmt.Errorf("provider type %q is not supported by ferry yet; supported: %s", o.Type, strings.Join(Types(), ", "))
	}
	return f(o, httpClient(o))
}

// DefaultTimeout bounds one request when the Provider sets no timeout.
const DefaultTimeout = 15 * time.Second

func httpClient(o Options) *http.Client {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	if o.Proxy != nil {
		transport.Proxy = http.ProxyURL(o.Proxy)
	}
	if o.TLS != nil {
		transport.TLSClientConfig = o.TLS
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: transport,
		// A redirect could carry the token to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// StatusError is an answer other than 2xx.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Body is the start of the answer's body, for the person reading the
	// condition; services do not echo credentials in error bodies.
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("the service answered %d %s", e.Code, http.StatusText(e.Code))
	}
	return fmt.Sprintf("the service answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Body)
}

// Retryable reports whether sending again may succeed: a network error, a
// timeout, 429 or a 5xx answer. Anything else (400, 401, 404, a bad
// address) needs a person.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	var perm *permanentError
	if errors.As(err, &perm) {
		return false
	}
	return true
}

// permanentError is a request that cannot succeed as configured (an
// address that does not parse, a payload that cannot be built).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &permanentError{err: err} }

// statusKey carries where send records the status code of an answer.
type statusKey struct{}

// WithStatus returns ctx in which a Post records the HTTP status code of
// the answer it gets in *code (the last one's, when it sends more than
// one request), so that a log of deliveries can show a success's code
// too; *code stays 0 when no answer came.
func WithStatus(ctx context.Context, code *int) context.Context {
	return context.WithValue(ctx, statusKey{}, code)
}

// maxErrorBody bounds how much of an error answer a StatusError keeps.
const maxErrorBody = 256

// post sends body to address with the given method and headers. Its error
// never contains the address: the URL's path and query often are the
// credential (Slack, Discord, Teams, Telegram webhooks).
func post(ctx context.Context, client *http.Client, method, address string, body []byte, headers map[string]string) error {
	_, err := send(ctx, client, method, address, body, headers)
	return err
}

// send is post that also returns the start of a 2xx answer's body, for
// the services that report failures in a 200 answer (Slack's API).
func send(ctx context.Context, client *http.Client, method, address string, body []byte, headers map[string]string) ([]byte, error) {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, Permanent(errors.New("the address is not a valid http(s) URL"))
	}
	req, err := http.NewRequestWithContext(ctx, method, address, bytes.NewReader(body))
	if err != nil {
		return nil, Permanent(errors.New("the address is not a valid http(s) URL"))
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, redactTransport(err, u.Host)
	}
	defer resp.Body.Close()
	if code, ok := ctx.Value(statusKey{}).(*int); ok {
		*code = resp.StatusCode
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(strings.ToValidUTF8(string(b), ""))}
}

// postJSON marshals v and posts it with Content-Type application/json.
func postJSON(ctx context.Context, client *http.Client, address string, v any, headers map[string]string) error {
	body, err := json.Marshal(v)
	if err != nil {
		return Permanent(fmt.Errorf("encoding the payload: %w", err))
	}
	return post(ctx, client, http.MethodPost, address, body, headers)
}

// redactTransport keeps what a transport error says about the connection
// (refused, timed out, TLS) and drops the URL net/http puts in front.
func redactTransport(err error, host string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("sending to %s: timed out", host)
	}
	return fmt.Errorf("sending to %s: %v", host, err)
}

// Helpers every payload shares.

// objectName is "Kind/name.namespace", how Flux titles an event.
func objectName(e Event) string {
	return fmt.Sprintf("%s/%s.%s", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.InvolvedObject.Namespace)
}

// sortedMetadata returns the metadata keys in order, so payloads are
// stable.
func sortedMetadata(e Event) []string {
	keys := make([]string, 0, len(e.Metadata))
	for k := range e.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isError reports an event of severity error.
func isError(e Event) bool { return e.Severity == events.SeverityError }

// CommitSHA is the commit an event is about, for commit statuses: the
// metadata key "commit", else "originRevision", else "revision", each
// taken from Flux's revision forms (`main@sha1:<hex>`, `sha1:<hex>`,
// `<hex>`). It returns "" when the event names no Git commit.
func CommitSHA(e Event) string {
	for _, key := range []string{"commit", events.MetaOriginRevision, events.MetaRevision} {
		if sha := shaOf(e.Metadata[key]); sha != "" {
			return sha
		}
	}
	return ""
}

func shaOf(rev string) string {
	if rev == "" {
		return ""
	}
	branch := false
	if i := strings.LastIndex(rev, "@"); i >= 0 {
		rev, branch = rev[i+1:], true
	}
	// A bare sha256:<hex> is a digest (a Helm index, an OCI manifest); a
	// SHA-256 Git commit comes with its branch, main@sha256:<hex>.
	if strings.HasPrefix(rev, "sha256:") && !branch {
		return ""
	}
	rev = strings.TrimPrefix(rev, "sha1:")
	rev = strings.TrimPrefix(rev, "sha256:")
	if len(rev) != 40 && len(rev) != 64 {
		return ""
	}
	for _, c := range rev {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return ""
		}
	}
	return rev
}

// commitStatusContext names a commit status: "kind/name/<first segment of
// the Provider's UID>", lower case, as Flux names it.
func commitStatusContext(e Event, providerUID string) string {
	uid, _, _ := strings.Cut(providerUID, "-")
	return strings.ToLower(fmt.Sprintf("%s/%s/%s", e.InvolvedObject.Kind, e.InvolvedObject.Name, uid))
}
