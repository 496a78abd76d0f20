package notification

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ferrycd/ferry/internal/events"
)

// Forwarder posts every event on a bus to an external Flux
// notification-controller (`--events-addr`), as Flux's controllers do:
// the event JSON with its metadata keys prefixed by the involved object's
// API group, which is what the notification-controller expects and strips.
type Forwarder struct {
	// Address is the notification-controller's event endpoint, e.g.
	// http://notification-controller.flux-system.svc.cluster.local./
	Address string
	Bus     *events.Bus
	Log     logr.Logger
	// Client posts the events; nil means a client with a 15 s timeout.
	Client *http.Client
	// MaxAttempts and MinBackoff shape the retries; zero means 4 and 1 s.
	MaxAttempts int
	MinBackoff  time.Duration
}

// NeedLeaderElection reports that only the leader forwards (it is where
// events are recorded).
func (f *Forwarder) NeedLeaderElection() bool { return true }

// ValidateEventsAddr checks an --events-addr value.
func ValidateEventsAddr(addr string) error {
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return errors.New("--events-addr must be an http(s) URL such as http://notification-controller.flux-system.svc.cluster.local./")
	}
	return nil
}

// Start forwards until ctx is done.
func (f *Forwarder) Start(ctx context.Context) error {
	if err := ValidateEventsAddr(f.Address); err != nil {
		return err
	}
	if f.Client == nil {
		f.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if f.MaxAttempts <= 0 {
		f.MaxAttempts = 4
	}
	if f.MinBackoff <= 0 {
		f.MinBackoff = time.Second
	}
	ch, cancel := f.Bus.Subscribe(busBuffer)
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-ch:
			if !ok {
				return nil
			}
			if err := f.forward(ctx, *e); err != nil && ctx.Err() == nil {
				f.Log.Info("event not forwarded to the notification-controller", "object", objectRef(e), "reason", e.Reason, "error", err.Error())
			}
		}
	}
}

func (f *Forwarder) forward(ctx context.Context, e events.Event) error {
	body, err := json.Marshal(Prefixed(e))
	if err != nil {
		return err
	}
	backoff := f.MinBackoff
	var last error
	for attempt := 1; attempt <= f.MaxAttempts; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.Address, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := f.Client.Do(req)
		if err != nil {
			last = err
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests:
			// The notification-controller's rate limiter: a duplicate.
			return nil
		case resp.StatusCode < 500:
			return fmt.Errorf("the notification-controller answered %d", resp.StatusCode)
		}
		last = fmt.Errorf("the notification-controller answered %d", resp.StatusCode)
	}
	return last
}

// Prefixed returns e with its metadata keys under the involved object's
// API group ("kustomize.toolkit.fluxcd.io/revision"), the form Flux's
// controllers send to the notification-controller.
func Prefixed(e events.Event) events.Event {
	if len(e.Metadata) == 0 {
		return e
	}
	group := schema.FromAPIVersionAndKind(e.InvolvedObject.APIVersion, e.InvolvedObject.Kind).Group
	md := make(map[string]string, len(e.Metadata))
	for k, v := range e.Metadata {
		md[group+"/"+k] = v
	}
	e.Metadata = md
	return e
}
