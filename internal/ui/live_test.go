package ui_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/ui"
)

func TestLiveSendsChanged(t *testing.T) {
	ns := env.NewNamespace(t, "live")
	kustomization(t, ns, "apps", ready("Applied"))

	// Serve from an informer cache, as ferry controller does.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := cache.New(env.Config, cache.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ui.New(ui.Options{Reader: c, Informers: c, Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the cache did not sync")
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	// The cache serves the pages.
	resp, body := get(t, &testUI{Server: srv, s: s}, "/o/Kustomization/"+ns+"/apps")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("object page from the cache = %d:\n%s", resp.StatusCode, body)
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/live", nil)
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Wait for the stream's opening comment, so the client has joined.
	for l := range lines {
		if strings.HasPrefix(l, ": ferry live") {
			break
		}
	}

	testenv.RequestReconcile(t, env.Client, &kustomizev1.Kustomization{}, testenv.Key(ns, "apps"))
	deadline := time.After(30 * time.Second)
	event := ""
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			if l == "event: changed" {
				event = l
				continue
			}
			if event != "" && strings.HasPrefix(l, "data: ") {
				if strings.Contains(l, kustomizev1.KustomizationKind) {
					return
				}
				event = ""
			}
		case <-deadline:
			t.Fatal("no changed event naming Kustomization")
		}
	}
}
