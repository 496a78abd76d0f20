package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"google.golang.org/api/idtoken"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/status"
)

// DefaultAddress is where Flux's notification-controller serves Receivers.
const DefaultAddress = ":9292"

// MaxBodySize bounds the body of a call, as Flux's (3 MiB); a larger one is
// answered 413 Request Entity Too Large.
const MaxBodySize = 3 << 20

// triggerTimeout bounds the reconcile requests of one call, which go on
// when the caller hangs up.
const triggerTimeout = 30 * time.Second

// Options configures Setup.
type Options struct {
	// MaxConcurrentReconciles is how many Receivers reconcile at once; zero
	// means one.
	MaxConcurrentReconciles int
	// Address is where the webhook server listens, e.g. DefaultAddress or
	// "127.0.0.1:0"; "" or "0" serves nothing (Server.Handler still
	// answers).
	Address string
	// NoCrossNamespaceRefs refuses spec.resources in other namespaces than
	// the Receiver's, as Flux's --no-cross-namespace-refs.
	NoCrossNamespaceRefs bool
}

// Server answers the webhooks of Receivers: it authenticates each call as
// the Receiver's type says and requests a reconciliation of the objects the
// Receiver lists.
type Server struct {
	// client reads Receivers (by webhook path, from the cache) and their
	// Secrets, and patches the objects; reader reads the objects.
	client client.Client
	reader client.Reader
	// kinds maps the Flux kinds ferry serves to their storage version.
	kinds     map[string]schema.GroupVersionKind
	validator *validator
	limits    *limiters
	replays   *replays
	log       logr.Logger

	noCrossNamespaceRefs bool
	maxBodySize          int64
	listener             net.Listener
}

// Setup registers the Receiver controller with mgr and returns the webhook
// server. When opts.Address is neither "" nor "0" it listens there at once
// (so Addr is known, also for port 0) and serves from when mgr starts, on
// every replica (leader or not), until mgr stops.
func Setup(ctx context.Context, mgr manager.Manager, rec *events.Recorder, opts Options) (*Server, error) {
	s := newServer(mgr.GetClient(), mgr.GetAPIReader(), mgr.GetScheme(), mgr.GetLogger().WithName("receiver-server"))
	s.noCrossNamespaceRefs = opts.NoCrossNamespaceRefs
	r := &Reconciler{Client: mgr.GetClient(), Events: rec, NoCrossNamespaceRefs: opts.NoCrossNamespaceRefs, forget: s.forget}
	if err := r.SetupWithManager(ctx, mgr, opts); err != nil {
		return nil, err
	}
	if opts.Address == "" || opts.Address == "0" {
		return s, nil
	}
	l, err := net.Listen("tcp", opts.Address)
	if err != nil {
		return nil, fmt.Errorf("listening for the receiver webhooks on %s: %w", opts.Address, err)
	}
	s.listener = l
	if err := mgr.Add(s); err != nil {
		l.Close()
		return nil, err
	}
	return s, nil
}

func newServer(c client.Client, reader client.Reader, scheme *runtime.Scheme, log logr.Logger) *Server {
	return &Server{
		client:      c,
		reader:      reader,
		kinds:       kindsOf(scheme),
		validator:   &validator{verifyIDToken: googleIDTokens()},
		limits:      newLimiters(DefaultRate, DefaultBurst),
		replays:     newReplays(),
		log:         log,
		maxBodySize: MaxBodySize,
	}
}

// Addr returns the address the server listens on ("127.0.0.1:9292"), or ""
// when it does not listen.
func (s *Server) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Handler returns the handler of the webhook paths.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// NeedLeaderElection reports that every replica answers webhooks: a
// reconcile request is an annotation any replica may set.
func (s *Server) NeedLeaderElection() bool { return false }

// Start serves until ctx is done.
func (s *Server) Start(ctx context.Context) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	s.log.Info("serving Receiver webhooks", "address", s.Addr())
	if err := srv.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("receiver webhook server: %w", err)
	}
	return nil
}

// forget drops the token bucket of a deleted Receiver.
func (s *Server) forget(namespace, name string) {
	s.limits.buckets.remove(namespace + "/" + name)
}

// serve answers one call to a webhook path. Every answer but 200 carries a
// short reason, which names no secret.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()

	// Find the Receiver of the path.
	if !strings.HasPrefix(r.URL.Path, notificationv1.ReceiverWebhookPath) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "webhooks are POST requests", http.StatusMethodNotAllowed)
		return
	}
	rcv, err := s.lookup(ctx, r.URL.Path)
	if err != nil {
		s.log.Error(err, "finding the Receiver of a webhook path")
		http.Error(w, "cannot look the Receiver up", http.StatusInternalServerError)
		return
	}
	if rcv == nil {
		http.NotFound(w, r)
		return
	}
	key := rcv.Namespace + "/" + rcv.Name
	log := s.log.WithValues("receiver", key, "type", rcv.Spec.Type)

	// Serve only a Receiver that is ready.
	if rcv.Spec.Suspend {
		log.Info("webhook call refused: the Receiver is suspended", "code", http.StatusServiceUnavailable)
		http.Error(w, "the Receiver is suspended", http.StatusServiceUnavailable)
		return
	}
	if !status.IsReady(rcv) {
		log.Info("webhook call refused: the Receiver is not ready", "code", http.StatusServiceUnavailable)
		http.Error(w, "the Receiver is not ready", http.StatusServiceUnavailable)
		return
	}

	// Read the body, bounded, and the Secret.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBodySize))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			log.Info("webhook call refused: body too large", "code", http.StatusRequestEntityTooLarge)
			http.Error(w, fmt.Sprintf("the body exceeds %d bytes", s.maxBodySize), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	secret := &corev1.Secret{}
	if err := s.client.Get(ctx, client.ObjectKey{Namespace: rcv.Namespace, Name: rcv.Spec.SecretRef.Name}, secret); err != nil {
		log.Error(err, "webhook call refused: reading the Receiver's Secret")
		http.Error(w, "the Receiver is not ready", http.StatusServiceUnavailable)
		return
	}

	// Authenticate the call and read what it asks for.
	v, err := s.validator.validate(ctx, call{typ: rcv.Spec.Type, events: rcv.Spec.Events, secret: secret.Data, header: r.Header, body: body})
	if err != nil {
		s.refuse(w, log, err)
		return
	}
	if event := specEvent(rcv.Spec.Events, v.event); event != "" {
		log = log.WithValues("event", event)
	}
	if v.ack {
		log.Info("webhook ping acknowledged")
		fmt.Fprintln(w, "pong")
		return
	}

	// A delivery handled already is acknowledged; a new one is claimed
	// until it is handled, and given back when it is not.
	if v.delivery != "" {
		if !s.replays.claim(key, v.delivery) {
			log.Info("webhook call acknowledged: this delivery was handled already")
			fmt.Fprintln(w, "delivery handled already")
			return
		}
	}
	release := func() {
		if v.delivery != "" {
			s.replays.release(key, v.delivery)
		}
	}
	if !s.limits.allow(key) {
		release()
		log.Info("webhook call refused: too many calls", "code", http.StatusTooManyRequests)
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many calls to this Receiver; retry later", http.StatusTooManyRequests)
		return
	}

	// Request the reconciliations, to the end even if the caller hangs up.
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), triggerTimeout)
	defer cancel()
	triggered, err := s.trigger(tctx, log, rcv, v.payload)
	if err != nil {
		release()
		var ref *refusal
		if errors.As(err, &ref) {
			s.refuse(w, log, err)
			return
		}
		log.Error(err, "webhook call failed to request reconciliations", "resources", triggered)
		http.Error(w, "some reconcile requests failed; see the controller's log", http.StatusInternalServerError)
		return
	}
	log.Info("webhook call handled", "resources", triggered)
	fmt.Fprintf(w, "requested the reconciliation of %d resources\n", len(triggered))
}

// refuse answers a refused call and logs why, without what the caller
// sent.
func (s *Server) refuse(w http.ResponseWriter, log logr.Logger, err error) {
	ref := &refusal{code: http.StatusBadRequest, msg: err.Error()}
	errors.As(err, &ref)
	log.Info("webhook call refused: "+ref.msg, "code", ref.code)
	http.Error(w, ref.answer(), ref.code)
}

// lookup returns the Receiver that serves path, nil when none does.
func (s *Server) lookup(ctx context.Context, path string) (*notificationv1.Receiver, error) {
	list := &notificationv1.ReceiverList{}
	if err := s.client.List(ctx, list, client.MatchingFields{webhookPathIndexKey: path}); err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		return nil, nil
	}
	return &list.Items[0], nil
}

// specEvent returns the entry of events that event matched, "" when
// events is empty: what the logs may say of the event without quoting the
// caller.
func specEvent(events []string, event string) string {
	for _, e := range events {
		if strings.EqualFold(e, event) {
			return e
		}
	}
	return ""
}

// googleIDTokens verifies Google ID tokens with Google's published keys,
// fetched on first use and cached as their HTTP caching says.
func googleIDTokens() idTokenVerifier {
	var once sync.Once
	var v *idtoken.Validator
	var verr error
	return func(ctx context.Context, token, audience string) (map[string]any, error) {
		once.Do(func() { v, verr = idtoken.NewValidator(context.Background()) })
		if verr != nil {
			return nil, verr
		}
		p, err := v.Validate(ctx, token, audience)
		if err != nil {
			return nil, err
		}
		return p.Claims, nil
	}
}
