package controller

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/helm/release"
	"github.com/ferrycd/ferry/internal/notification"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/ui"
	"github.com/ferrycd/ferry/internal/uiauth"
)

// addUI serves the web UI on opts.UIAddr from the manager's cache, and
// returns its URL ("" when off). It listens at once, so the URL is known
// before the manager starts. dispatches is the notification dispatcher's
// log, nil when the alert controller does not run; storage holds the
// sources' artifacts, which the diff and files pages read.
func addUI(mgr manager.Manager, opts Options, dispatches *notification.DispatchLog, storage *artifact.Storage) (string, error) {
	if opts.UIAddr == "" || opts.UIAddr == "0" {
		return "", nil
	}
	if opts.UIUnauthenticated && !uiauth.IsLoopback(opts.UIAddr) {
		return "", fmt.Errorf("the UI without sign-in is served on loopback only, not on %s", opts.UIAddr)
	}
	uiOpts := ui.Options{Reader: mgr.GetClient(), Informers: mgr.GetCache(), Log: mgr.GetLogger().WithName("ui"),
		// The controllers run in this process: their log lines, queues
		// and runs are here to show.
		Logs:   opts.Logs,
		Engine: &ui.Engine{Metrics: crmetrics.Registry, Runs: reconcile.Runs},
	}
	if dispatches != nil {
		uiOpts.Dispatches = dispatches.Decisions
	}
	// The artifacts are on this process's disk: the pages read them
	// without HTTP, each digest unpacked once, the unpacked ones removed
	// when the manager stops.
	if storage != nil {
		fetcher := &artifact.Fetcher{Storage: storage, MaxSize: storage.MaxSize}
		unpacked := artifact.NewCache(fetcher, opts.TempDir, 2)
		if err := mgr.Add(unpacked); err != nil {
			return "", err
		}
		uiOpts.Artifacts = ui.StoredArtifacts{Fetcher: fetcher, Cache: unpacked}
		// A HelmRelease's diff renders its chart for the cluster's version
		// and API versions, which discovery serves every user alike.
		cluster, err := release.NewCluster(mgr.GetConfig())
		if err != nil {
			return "", err
		}
		uiOpts.Capabilities = cluster.Capabilities
	}
	var srv *ui.Server
	var wrap func(http.Handler) http.Handler
	if opts.UIUnauthenticated {
		// Straight to the API server, not through the cache: the diff page
		// reads the Secrets of substituteFrom and decryption, which must
		// not start an informer over every Secret.
		direct, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
		if err != nil {
			return "", err
		}
		uiOpts.Actions = func(*http.Request) (client.Client, string, error) {
			return direct, "ferry dev", nil
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
		// The cache holds every namespace: each user sees the namespaces
		// of each kind they may list.
		uiOpts.Visible = auth.Visible(ui.KindResources(), func(ctx context.Context) (map[string][]string, error) {
			return srv.Namespaces(ctx)
		})
		wrap = auth.Require
	}
	var err error
	srv, err = ui.New(uiOpts)
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
