package controller

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/ferrycd/ferry/internal/ui"
	"github.com/ferrycd/ferry/internal/uiauth"
)

// addUI serves the web UI on opts.UIAddr from the manager's cache, and
// returns its URL ("" when off). It listens at once, so the URL is known
// before the manager starts.
func addUI(mgr manager.Manager, opts Options) (string, error) {
	if opts.UIAddr == "" || opts.UIAddr == "0" {
		return "", nil
	}
	if opts.UIUnauthenticated && !uiauth.IsLoopback(opts.UIAddr) {
		return "", fmt.Errorf("the UI without sign-in is served on loopback only, not on %s", opts.UIAddr)
	}
	uiOpts := ui.Options{Reader: mgr.GetClient(), Informers: mgr.GetCache(), Log: mgr.GetLogger().WithName("ui")}
	var wrap func(http.Handler) http.Handler
	if opts.UIUnauthenticated {
		uiOpts.Actions = func(*http.Request) (client.Client, string, error) {
			return mgr.GetClient(), "ferry dev", nil
		}
	} else {
		auth, err := uiauth.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
		if err != nil {
			return "", err
		}
		uiOpts.Actions = func(r *http.Request) (client.Client, string, error) {
			u, ok := uiauth.FromContext(r.Context())
			if !ok {
				return nil, "", errors.New("not signed in")
			}
			c, err := auth.Client(u)
			return c, u.Name, err
		}
		wrap = auth.Require
	}
	srv, err := ui.New(uiOpts)
	if err != nil {
		return "", err
	}
	handler := srv.Handler()
	if wrap != nil {
		handler = wrap(handler)
	}
	l, err := net.Listen("tcp", opts.UIAddr)
	if err != nil {
		return "", fmt.Errorf("listening for the UI on %s: %w", opts.UIAddr, err)
	}
	if err := mgr.Add(&httpServer{name: "ui server", listener: l, handler: handler}); err != nil {
		l.Close()
		return "", err
	}
	return "http://" + advertised(l.Addr()), nil
}
