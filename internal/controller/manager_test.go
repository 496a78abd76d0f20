package controller

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/controlplane"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/logring"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/scheme"
)

func TestSelected(t *testing.T) {
	tests := map[string]struct {
		in      []string
		want    []string
		wantErr string
	}{
		"empty runs all":     {in: nil, want: Names},
		"star runs all":      {in: []string{"*"}, want: Names},
		"one":                {in: []string{"kustomization"}, want: []string{"kustomization"}},
		"case and spaces":    {in: []string{" GitRepository ", "gitrepository"}, want: []string{"gitrepository"}},
		"unknown is refused": {in: []string{"terraform"}, wantErr: `unknown controller "terraform"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Selected(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Selected(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestManagerServesProbesAndMetrics runs the whole manager, with leader
// election, against a real API server and Git server: it takes the Lease, a
// GitRepository becomes Ready, its artifact is downloadable from the artifact
// server, the probes answer and /metrics carries
// gotk_reconcile_duration_seconds for it. A Kustomization of it becomes
// Ready, its reconciler's log lines are kept in the ring the UI reads and
// its last and next run are recorded.
func TestManagerServesProbesAndMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cp, err := controlplane.Start(ctx, controlplane.Options{Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Stop()
	c, err := client.New(cp.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	if err := config.InstallCRDs(ctx, c); err != nil {
		t.Fatal(err)
	}

	gitRoot := t.TempDir()
	git := gitserver.New(gitRoot)
	if _, err := git.Start(); err != nil {
		t.Fatal(err)
	}
	defer git.Close()
	repo, err := git.InitRepo("fleet", "main")
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.CommitFiles("init", map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"})
	if err != nil {
		t.Fatal(err)
	}

	metricsAddr, healthAddr := freeAddr(t), freeAddr(t)
	logs := logring.New(logring.Options{})
	mgr, err := NewManager(ctx, cp.Config, Options{
		Controllers: []string{"gitrepository", "kustomization"},
		// The ring tees a logger that writes nothing but keeps info lines.
		Logger:      logs.Wrap(funcr.New(func(string, string) {}, funcr.Options{})),
		Logs:        logs,
		MetricsAddr: metricsAddr,
		HealthAddr:  healthAddr,
		StoragePath: filepath.Join(t.TempDir(), "artifacts"),
		StorageAddr: "127.0.0.1:0",
		// Leader election on: reconciling must wait for, and then hold, the Lease.
		LeaderElection:          true,
		LeaderElectionNamespace: "kube-system",
		// The UI, with sign-in.
		UIAddr: "127.0.0.1:0",
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() { cancel(); <-done }()

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "manager-"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	gr := &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Name: "fleet", Namespace: ns.Name},
		Spec: sourcev1.GitRepositorySpec{
			URL:       git.RepoURL("fleet"),
			Interval:  metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"},
		},
	}
	if err := c.Create(ctx, gr); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(3 * time.Minute)
	for {
		if err := c.Get(ctx, client.ObjectKeyFromObject(gr), gr); err != nil {
			t.Fatal(err)
		}
		if apimeta.IsStatusConditionTrue(gr.Status.Conditions, meta.ReadyCondition) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GitRepository never became Ready: %+v", gr.Status.Conditions)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if want := "main@sha1:" + head; gr.Status.Artifact == nil || gr.Status.Artifact.Revision != want {
		t.Fatalf("artifact %+v, want revision %s", gr.Status.Artifact, want)
	}
	if code, body := get(t, gr.Status.Artifact.URL); code != http.StatusOK || len(body) == 0 {
		t.Errorf("GET %s = %d (%d bytes), want 200 with the artifact", gr.Status.Artifact.URL, code, len(body))
	}

	// A Kustomization of it: its reconciler's lines are kept under it, and
	// its run is recorded with the next one due after its interval.
	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Name: "apps", Namespace: ns.Name},
		Spec: kustomizev1.KustomizationSpec{
			Interval:        metav1.Duration{Duration: time.Hour},
			Path:            "./",
			TargetNamespace: ns.Name,
			SourceRef:       kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "fleet"},
		},
	}
	if err := c.Create(ctx, ks); err != nil {
		t.Fatal(err)
	}
	for {
		if err := c.Get(ctx, client.ObjectKeyFromObject(ks), ks); err != nil {
			t.Fatal(err)
		}
		if apimeta.IsStatusConditionTrue(ks.Status.Conditions, meta.ReadyCondition) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Kustomization never became Ready: %+v", ks.Status.Conditions)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var finished bool
	lines := logs.Lines(logring.Key{Kind: kustomizev1.KustomizationKind, Namespace: ns.Name, Name: "apps"})
	for _, l := range lines {
		finished = finished || strings.HasPrefix(l.Message, "Reconciliation finished") && strings.Contains(l.Values, "revision=main@sha1:"+head)
	}
	if !finished {
		t.Errorf("the ring lacks the Kustomization's \"Reconciliation finished\" line: %+v", lines)
	}
	// The run is recorded once the deferred status patch is done, just
	// after Ready is written.
	var run reconcile.Run
	for {
		var ok bool
		if run, ok = reconcile.LastRun(kustomizev1.KustomizationKind, ns.Name, "apps"); ok && run.Result == reconcile.RunSuccess {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful run of the Kustomization recorded: %+v", run)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if due := run.Next.Sub(run.Start.Add(run.Duration)); run.Start.IsZero() || due < 57*time.Minute || due > 63*time.Minute {
		t.Errorf("run = %+v; want the next one due after the interval, 1h ± 5%%", run)
	}

	// The UI asks for a token before any page.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(mgr.UIURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("GET %s/ without a token = %d (Location %q), want the login page", mgr.UIURL, resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, body := get(t, mgr.UIURL+"/login"); code != http.StatusOK || !strings.Contains(string(body), "token") {
		t.Errorf("the login page = %d", code)
	}

	var lease coordinationv1.Lease
	if err := c.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: "ferry-controller-leader-election"}, &lease); err != nil {
		t.Errorf("leader election Lease: %v", err)
	} else if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("the leader election Lease has no holder: %+v", lease.Spec)
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, "http://"+healthAddr+path); code != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200", path, code, body)
		}
	}
	_, body := get(t, "http://"+metricsAddr+"/metrics")
	want := fmt.Sprintf(`gotk_reconcile_duration_seconds_count{kind="GitRepository",name="fleet",namespace="%s"}`, ns.Name)
	if !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %s", want)
	}
}
