package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/ui"
	"github.com/ferrycd/ferry/internal/uiauth"
)

func newUICommand(g *globals) *cobra.Command {
	var addr string
	var open bool
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Serve ferry's web UI for the current kubeconfig on this machine",
		Long: `Serve the web UI on loopback against the cluster of the current kubeconfig,
as 'kubectl proxy' does: the pages read from this process's own watch of the
Flux objects, and the actions (reconcile, suspend, resume) run with your
kubeconfig's credentials, so your RBAC rights apply. Because it acts as
you, it serves loopback addresses only; to offer the UI to others, run
'ferry controller --ui-address', where everyone signs in with their own
token.`,
		Example: `  # Open the UI of the current context in the browser
  ferry ui --open

  # Another context, another port
  ferry ui --context staging --address 127.0.0.1:9081`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUI(cmd.Context(), g, addr, open)
		},
	}
	cmd.Flags().StringVar(&addr, "address", "127.0.0.1:9080", "loopback address to serve the UI on")
	cmd.Flags().BoolVar(&open, "open", false, "open the UI in the default browser")
	return cmd
}

func runUI(ctx context.Context, g *globals, addr string, open bool) error {
	if !uiauth.IsLoopback(addr) {
		return fmt.Errorf("ferry ui acts with your kubeconfig's credentials, so it serves loopback addresses only, not %s; 'ferry controller --ui-address' serves others with sign-in", addr)
	}
	cfg, err := g.restConfig()
	if err != nil {
		return err
	}
	// client-go's default of 5 requests a second would let an inventory's
	// health page (one read per object, 8 at a time) read only ~50 objects
	// within its 10 s; the controller's own defaults suit one person too.
	cfg.QPS, cfg.Burst = 200, 400
	s := scheme.New()
	c, err := cache.New(cfg, cache.Options{Scheme: s})
	if err != nil {
		return fmt.Errorf("watching the cluster: %w", err)
	}
	actions, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return fmt.Errorf("connecting to the cluster: %w", err)
	}
	user := g.kubeconfigUser()
	srv, err := ui.New(ui.Options{
		Reader:    c,
		Informers: c,
		Actions:   func(*http.Request) (client.Client, string, error) { return actions, user, nil },
	})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cacheErr := make(chan error, 1)
	go func() { cacheErr <- c.Start(ctx) }()
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = httpSrv.Shutdown(shutdown)
	}()
	url := "http://" + l.Addr().String()
	g.printf("✔ the UI is at %s (acting as %s; Ctrl-C stops it)", url, user)
	if open {
		openBrowser(g, url)
	}
	if err := httpSrv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	cancel()
	if err := <-cacheErr; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// kubeconfigUser names the user of the kubeconfig's context, for the
// Events that record the UI's actions.
func (g *globals) kubeconfigUser() string {
	raw, err := g.rawKubeconfig()
	if err != nil {
		return "kubeconfig user"
	}
	name := g.context
	if name == "" {
		name = raw.CurrentContext
	}
	if ctx, ok := raw.Contexts[name]; ok && ctx.AuthInfo != "" {
		return ctx.AuthInfo
	}
	return "kubeconfig user"
}

// openBrowser opens url with the desktop's opener, and says so when it
// cannot.
func openBrowser(g *globals, url string) {
	opener := "xdg-open"
	switch runtime.GOOS {
	case "darwin":
		opener = "open"
	case "windows":
		opener = "explorer"
	}
	if err := exec.Command(opener, url).Start(); err != nil {
		g.printf("could not open a browser (%v): open %s yourself", err, url)
	}
}
