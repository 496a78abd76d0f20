package uibrowser

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/notification"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/ui"
)

// adminUser is the name the admin UI gives its actions' Events.
const adminUser = "admin"

// uiServer is one test's UI, served twice on loopback from one cache: to
// an admin, and to a user without any RBAC rights.
type uiServer struct {
	// Admin is the URL of the UI whose actions use the admin client.
	Admin string
	// Viewer is the URL of the UI whose actions impersonate the
	// ServiceAccount ViewerUser, which no Role binds.
	Viewer     string
	ViewerUser string
}

// newUI starts the UI for the rest of t: a cache of the plane (started
// here, and the Informers of the live updates) and two httptest servers.
// It calls needChromium first, so that a test without a browser starts
// nothing.
func newUI(t *testing.T) *uiServer {
	t.Helper()
	NeedChromium(t)

	// Start the cache the pages read, as `ferry ui` has its own.
	c, err := cache.New(env.Config, cache.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the UI's cache: %v", err)
		}
	})
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the UI's cache did not sync")
	}

	// Make the user without rights: a ServiceAccount no Role binds.
	ns := env.NewNamespace(t, "ui")
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "viewer"}}
	if err := env.Client.Create(context.Background(), sa); err != nil {
		t.Fatal(err)
	}
	u := &uiServer{ViewerUser: "system:serviceaccount:" + ns + ":viewer"}
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: u.ViewerUser}
	viewer, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}

	// The pages that read artifacts, log lines, the controllers' queues
	// and the dispatch log get them as `ferry controller --ui-address`
	// does (internal/controller/ui.go): from the suite's manager.
	fetcher := &artifact.Fetcher{Storage: env.Storage, MaxSize: env.Storage.MaxSize}
	unpacked := artifact.NewCache(fetcher, t.TempDir(), 2)
	t.Cleanup(unpacked.Close)
	var dispatches func() []notification.Decision
	if env.Dispatches != nil {
		dispatches = env.Dispatches.Decisions
	}

	serve := func(actor client.Client, user string) string {
		srv, err := ui.New(ui.Options{
			Reader:    c,
			Informers: c,
			Actions: func(*http.Request) (client.Client, string, error) {
				return actor, user, nil
			},
			Log:        ctrl.Log.WithName("ui"),
			Artifacts:  ui.StoredArtifacts{Fetcher: fetcher, Cache: unpacked},
			Logs:       env.LogRing,
			Engine:     &ui.Engine{Metrics: crmetrics.Registry, Runs: reconcile.Runs},
			Dispatches: dispatches,
		})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		t.Cleanup(func() {
			// The pages' /live streams stay open: cut them first.
			hs.CloseClientConnections()
			hs.Close()
		})
		return hs.URL
	}
	u.Admin = serve(env.Client, adminUser)
	u.Viewer = serve(viewer, u.ViewerUser)
	return u
}
