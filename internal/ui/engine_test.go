package ui_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/logring"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/status"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/ui"
)

// startTinyController runs, until the test ends, a controller-runtime
// controller named name on ferry's reconcile skeleton for the
// GitRepositories of ns, logging through logs: "ok" succeeds (next run
// after its interval), "stuck" stalls (none), any other fails (backoff).
func startTinyController(t *testing.T, name, ns string, logs *logring.Ring) {
	t.Helper()
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 scheme.New(),
		Logger:                 logs.Wrap(funcr.New(func(string, string) {}, funcr.Options{})),
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	sk := &reconcile.Skeleton[*sourcev1.GitRepository]{
		Client: mgr.GetClient(),
		Kind:   sourcev1.GitRepositoryKind,
		New:    func() *sourcev1.GitRepository { return &sourcev1.GitRepository{} },
		Phases: func(ctx context.Context, obj *sourcev1.GitRepository, _ *status.Patcher) error {
			ctrl.LoggerFrom(ctx).Info("tiny reconcile", "url", obj.Spec.URL)
			switch obj.Name {
			case "ok":
				status.MarkReady(obj, meta.SucceededReason, "fine")
				return nil
			case "stuck":
				status.MarkFalse(obj, meta.ReadyCondition, meta.URLInvalidReason, "bad URL")
				return reconcile.Stalled(meta.URLInvalidReason, errors.New("bad URL"))
			}
			status.MarkFalse(obj, meta.ReadyCondition, meta.GitOperationFailedReason, "connection refused")
			return errors.New("connection refused")
		},
		JitterPercentage: -1,
	}
	err = ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.GitRepository{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named(name).
		WithOptions(controller.Options{MaxConcurrentReconciles: 3}).
		Complete(sk)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

func TestEnginePanel(t *testing.T) {
	ns := env.NewNamespace(t, "engine")
	name := "engine-test-" + ns
	logs := logring.New(logring.Options{})
	for _, n := range []string{"ok", "stuck", "flaky"} {
		gitRepository(t, ns, n, metav1.ConditionUnknown, "new", "")
	}
	startTinyController(t, name, ns, logs)

	// The reconciles' own lines land in the ring under each object, from
	// controller-runtime's real reconciler logger.
	ok := logring.Key{Kind: sourcev1.GitRepositoryKind, Namespace: ns, Name: "ok"}
	testenv.Eventually(t, "the tiny reconcile's line kept under GitRepository "+ns+"/ok", func() (bool, string) {
		lines := logs.Lines(ok)
		return len(lines) > 0 && lines[0].Message == "tiny reconcile", fmt.Sprintf("%+v", lines)
	})
	if l := logs.Lines(ok)[0]; l.Level != logring.LevelInfo || !strings.Contains(l.Values, "url=https://example.com/ok.git") || !strings.Contains(l.Values, "reconcileID=") {
		t.Errorf("line = %+v", l)
	}
	testenv.Eventually(t, "flaky's error and its retry", func() (bool, string) {
		run, _ := reconcile.LastRun(sourcev1.GitRepositoryKind, ns, "flaky")
		_, stuck := reconcile.LastRun(sourcev1.GitRepositoryKind, ns, "stuck")
		return run.Failures >= 2 && stuck, fmt.Sprintf("%+v", run)
	})
	var errorLine bool
	for _, l := range logs.Lines(logring.Key{Kind: sourcev1.GitRepositoryKind, Namespace: ns, Name: "flaky"}) {
		errorLine = errorLine || l.Level == logring.LevelError && l.Message == "Reconciler error" && strings.Contains(l.Values, "connection refused")
	}
	if !errorLine {
		t.Errorf("controller-runtime's Reconciler error line of flaky is not kept: %+v", logs.Lines(logring.Key{Kind: sourcev1.GitRepositoryKind, Namespace: ns, Name: "flaky"}))
	}

	srv := newUIWith(t, ui.Options{Logs: logs, Engine: &ui.Engine{Metrics: crmetrics.Registry, Runs: reconcile.Runs}})
	_, body := get(t, srv, "/engine")
	// The served versions, from the CRDs built in.
	mustContain(t, "the engine panel", body, `<a href="/k/GitRepository">GitRepository</a>`, "<code>source.toolkit.fluxcd.io</code>",
		`<code>v1</code> <span class="tag">storage</span>`, `<code>v1beta2</code>`, `aria-current="page">Engine</a>`)
	// The tiny controller's row: its queue and its 3 workers.
	row := between(body, "<td>"+name+"</td>", "</tr>")
	if row == "" {
		t.Fatalf("the engine panel has no row of the controller %s:\n%s", name, body)
	}
	mustContain(t, "the controller's row", row, `<td class="num">`, " / 3</td>", "error ")
	// The runs, by the next one due: ok's and flaky's (whose backoff
	// grows, so either may come first), then stuck's none.
	okAt := strings.Index(body, `href="/o/GitRepository/`+ns+`/ok"`)
	flakyAt := strings.Index(body, `href="/o/GitRepository/`+ns+`/flaky"`)
	stuckAt := strings.Index(body, `href="/o/GitRepository/`+ns+`/stuck"`)
	if okAt < 0 || flakyAt < 0 || stuckAt < okAt || stuckAt < flakyAt {
		t.Fatalf("the runs are not in the order of their next run (ok %d, flaky %d, stuck %d):\n%s", okAt, flakyAt, stuckAt, body)
	}
	mustContain(t, "ok's run", between(body[okAt:], "", "</tr>"), "state-ready\">success", "<time datetime=")
	mustContain(t, "stuck's run", between(body[stuckAt:], "", "</tr>"), "state-failing\">stalled", "none scheduled")
	mustContain(t, "flaky's run", between(body[flakyAt:], "", "</tr>"), "state-failing\">error", "in a row", "backoff")

	// ok's own page shows its line.
	_, body = get(t, srv, "/o/GitRepository/"+ns+"/ok")
	mustContain(t, "ok's page", between(body, `id="log-h"`, "</section>"), "tiny reconcile", "url=https://example.com/ok.git")

	// ferry ui runs no controller: the panel says where they are.
	_, body = get(t, newUI(t, nil), "/engine")
	mustContain(t, "ferry ui's engine panel", body, "GitRepository", "No controller runs in this process")
}

func TestEnginePanelPaginatesRuns(t *testing.T) {
	now := time.Now()
	var runs []reconcile.Run
	for i := range 150 {
		runs = append(runs, reconcile.Run{Kind: "Kustomization", Namespace: "apps", Name: fmt.Sprintf("app-%03d", i),
			Start: now.Add(-time.Minute), Duration: time.Second, Result: reconcile.RunSuccess, Next: now.Add(time.Duration(150-i) * time.Minute)})
	}
	runs = append(runs, reconcile.Run{Kind: "Kustomization", Namespace: "apps", Name: "suspended", Result: reconcile.RunSuspended, Start: now})
	srv := newUIWith(t, ui.Options{Engine: &ui.Engine{Runs: func() []reconcile.Run { return runs }}})

	_, body := get(t, srv, "/engine")
	mustContain(t, "page 1", body, "1–100 of 151 objects", "page 1 of 2", `href="/engine?page=2"`, "/o/Kustomization/apps/app-149", "/o/Kustomization/apps/app-050")
	if strings.Contains(body, "app-049") || strings.Contains(body, "/suspended") {
		t.Error("page 1 holds the runs due last")
	}
	if strings.Index(body, "app-149") > strings.Index(body, "app-148") {
		t.Error("page 1 is not sorted by the next run")
	}
	_, body = get(t, srv, "/engine?page=2")
	mustContain(t, "page 2", body, "101–151 of 151 objects", "/o/Kustomization/apps/app-000", "/o/Kustomization/apps/suspended", "none scheduled")
}

// between is the part of s after the first from and before the next to
// ("" without from).
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}
