package faults_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

const (
	// apiRestarts is how many times kube-apiserver is restarted;
	// FERRY_APISERVER_RESTARTS=<n> runs n instead.
	apiRestarts = 20
	// restartApps is how many Kustomizations reconcile across the restarts,
	// each of restartObjects ConfigMaps.
	restartApps    = 5
	restartObjects = 40
	// maxRestartDelay bounds the random moment of a restart, counted from
	// the commit.
	maxRestartDelay = 3 * time.Second
)

// TestAPIServerRestarts (issue 16): kube-apiserver is restarted (every
// other time killed with SIGKILL, otherwise stopped gracefully) at a random
// moment after each new commit of a repository that five Kustomizations
// apply. ferry keeps running: after each restart every Kustomization
// becomes Ready at the new revision with every object of it applied, and
// Reconciling goes away. Across all restarts, each Kustomization records
// two events per revision and at most two failures per restart: failures
// retried while the API server is away are not a flood of events.
func TestAPIServerRestarts(t *testing.T) {
	restarts := apiRestarts
	if n := os.Getenv("FERRY_APISERVER_RESTARTS"); n != "" {
		var err error
		if restarts, err = strconv.Atoi(n); err != nil {
			t.Fatalf("FERRY_APISERVER_RESTARTS: %v", err)
		}
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("restart delays from seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 2))

	dir := t.TempDir()
	ferry := newControllers(t, dir, "--controllers", "gitrepository,kustomization",
		"--storage-path", filepath.Join(dir, "artifacts"), "--storage-addr", freeAddr(t))
	f := env.NewFixture(t, restartFiles(0))
	var yaml strings.Builder
	yaml.WriteString(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main`)
	for i := range restartApps {
		fmt.Fprintf(&yaml, `
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app-%d
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 2s
  timeout: 1m
  prune: true
  path: ./app-%d
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app`, i, i)
	}
	f.ApplyYAML(yaml.String())
	ch := ferry.start(t)
	waitAllReady(t, ch, f, 0)

	var runs, converged int
	var downtime, recovery time.Duration
	defer func() {
		t.Logf("API server restarts: %d, converged: %d; API server down %s on average, all Ready %s after it served again on average",
			runs, converged, avg(downtime, runs), avg(recovery, runs))
	}()
	for round := 1; round <= restarts; round++ {
		kill := round%2 == 1
		delay := time.Duration(rnd.Int64N(int64(maxRestartDelay)))
		how := "stopped"
		if kill {
			how = "killed"
		}
		runs++
		if !t.Run(fmt.Sprintf("round %d %s %s after the commit", round, how, delay.Round(time.Millisecond)), func(t *testing.T) {
			f.Commit(fmt.Sprintf("round %d", round), restartFiles(round))
			testenv.RequestReconcile(t, env.Client, &sourcev1.GitRepository{}, testenv.Key(f.NS, "app"))
			time.Sleep(delay)
			start := time.Now()
			must(t, env.Plane.RestartAPIServer(context.Background(), kill))
			serving := time.Now()
			downtime += serving.Sub(start)
			waitAllReady(t, ch, f, round)
			recovery += time.Since(serving)
			converged++
		}) {
			return
		}
	}

	// Events: a Progressing and a ReconciliationSucceeded per revision, and
	// no more than two failures per restart; the failures retried while the
	// API server was away are not written again and again.
	for i := range restartApps {
		name := fmt.Sprintf("app-%d", i)
		var normal, warning int32
		var reasons []string
		for _, e := range testenv.Events(t, env.Client, kustomizev1.KustomizationKind, f.NS, name) {
			n := max(e.Count, 1)
			if e.Type == corev1.EventTypeWarning {
				warning += n
			} else {
				normal += n
			}
			reasons = append(reasons, fmt.Sprintf("%s×%d", e.Reason, n))
		}
		t.Logf("%s: %d events over %d revisions and %d restarts: %s", name, normal+warning, runs+1, runs, strings.Join(reasons, " "))
		if normal > int32(2*(runs+1)) || warning > int32(2*runs) {
			t.Errorf("%s recorded %d Normal events over %d revisions and %d Warning events over %d restarts, want at most 2 of each per revision and restart",
				name, normal, runs+1, warning, runs)
		}
	}
}

// restartFiles is the repository at round r: restartApps directories of
// restartObjects ConfigMaps carrying the round.
func restartFiles(r int) map[string]string {
	files := map[string]string{}
	for app := range restartApps {
		var b strings.Builder
		for i := range restartObjects {
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-%d-%d\ndata:\n  round: %q\n", app, i, strconv.Itoa(r))
		}
		files[fmt.Sprintf("app-%d/objects.yaml", app)] = b.String()
	}
	return files
}

// waitAllReady waits until every Kustomization is Ready at the head with
// Reconciling gone, then checks that every object carries round r.
func waitAllReady(t *testing.T, ch *child, f *testenv.Fixture, r int) {
	t.Helper()
	head := f.Head()
	ch.wait(t, fmt.Sprintf("every Kustomization Ready at %s", head), func() (bool, string) {
		var list kustomizev1.KustomizationList
		if err := env.Client.List(context.Background(), &list, client.InNamespace(f.NS)); err != nil {
			return false, err.Error()
		}
		for _, ks := range list.Items {
			ready := apimeta.FindStatusCondition(ks.Status.Conditions, meta.ReadyCondition)
			if ready == nil || !testenv.KustomizationReady(head)(&ks) || apimeta.IsStatusConditionTrue(ks.Status.Conditions, meta.ReconcilingCondition) {
				msg := "no Ready condition"
				if ready != nil {
					msg = fmt.Sprintf("Ready=%s %s: %s", ready.Status, ready.Reason, ready.Message)
				}
				return false, fmt.Sprintf("%s: %s (last applied %s)", ks.Name, msg, ks.Status.LastAppliedRevision)
			}
		}
		return len(list.Items) == restartApps, fmt.Sprintf("%d Kustomizations", len(list.Items))
	})
	var cms corev1.ConfigMapList
	must(t, env.Client.List(context.Background(), &cms, client.InNamespace(f.NS)))
	n := 0
	for _, cm := range cms.Items {
		if !strings.HasPrefix(cm.Name, "app-") {
			continue
		}
		n++
		if cm.Data["round"] != strconv.Itoa(r) {
			t.Errorf("%s has round %q, want %d", cm.Name, cm.Data["round"], r)
		}
	}
	if n != restartApps*restartObjects {
		t.Errorf("%d ConfigMaps, want %d", n, restartApps*restartObjects)
	}
}

func avg(d time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return (d / time.Duration(n)).Round(time.Millisecond)
}
