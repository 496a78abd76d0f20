package faults_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller/kustomization"
	"github.com/ferrycd/ferry/internal/testenv"
)

const (
	// applyKills is how many applies are killed at a random moment;
	// FERRY_CRASH_KILLS=<n> runs n instead (the figure is 50).
	applyKills = 5
	// applyObjects sizes the repository: each round holds 4/5 of
	// applyObjects+applyObjects/rotate ConfigMaps (384), enough that
	// applying them takes a few seconds, so a random kill lands mid-apply.
	applyObjects = 400
	// rotate is the share of the objects each round removes and adds:
	// every round prunes applyObjects/rotate objects and creates as many.
	rotate = 5
)

// TestKilledDuringApply (issue 16): ferry is killed with SIGKILL at a
// random moment after a new commit of a repository of many objects, then
// started again. Each commit changes every object, removes a fifth of them
// and adds another fifth. After every restart the Kustomization must
// converge on Git: every object of the commit present with its content
// and applied by ferry's field manager alone, every removed one pruned,
// the inventory exactly the commit's objects, no object that survived from
// one commit to the next deleted and created again (same UID), the Ready
// condition True and Reconciling gone. Two objects ferry did not create
// (one of them carrying the Kustomization's owner labels) are never
// touched.
func TestKilledDuringApply(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FERRY_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("FERRY_CRASH_SEED: %v", err)
		}
	}
	t.Logf("kill delays from seed %d (FERRY_CRASH_SEED=%d repeats them)", seed, seed)
	rnd := rand.New(rand.NewPCG(seed, 1))
	kills := applyKills
	if n := os.Getenv("FERRY_CRASH_KILLS"); n != "" {
		var err error
		if kills, err = strconv.Atoi(n); err != nil {
			t.Fatalf("FERRY_CRASH_KILLS: %v", err)
		}
	}

	dir := t.TempDir()
	ferry := newControllers(t, dir, "--controllers", "gitrepository,kustomization",
		"--storage-path", filepath.Join(dir, "artifacts"), "--storage-addr", freeAddr(t))
	r := newApplyRound(t)
	ch := ferry.start(t)

	// The first round runs to the end: how long an apply takes bounds the
	// random kill delays.
	start := time.Now()
	r.commit(t, 0)
	r.waitConverged(t, ch)
	applyTime := time.Since(start)
	r.check(t)
	t.Logf("first apply of %d objects: %s", len(desired(0)), applyTime.Round(time.Millisecond))
	maxDelay := applyTime + applyTime/2

	var runs, converged, midApply, lost, duplicated int
	defer func() {
		t.Logf("apply crash runs: %d, converged: %d, killed mid-apply: %d, objects lost: %d, duplicated: %d",
			runs, converged, midApply, lost, duplicated)
	}()
	for round := 1; round <= kills; round++ {
		delay := time.Duration(rnd.Int64N(int64(maxDelay)))
		runs++
		if !t.Run(fmt.Sprintf("round %d killed %s after the commit", round, delay.Round(time.Millisecond)), func(t *testing.T) {
			r.commit(t, round)
			time.Sleep(delay)
			ch.kill()
			done, total := r.progress(t)
			if done > 0 && done < total {
				midApply++
			}
			t.Logf("killed with %d of %d objects at round %d", done, total, round)

			ch = ferry.start(t)
			r.waitConverged(t, ch)
			l, d := r.check(t)
			lost += l
			duplicated += d
			if l == 0 && d == 0 && !t.Failed() {
				converged++
			}
		}) {
			return
		}
	}
}

// applyRound is the repository and Kustomization of TestKilledDuringApply
// and the round it is at.
type applyRound struct {
	f     *testenv.Fixture
	round int
	// uids are the UIDs of the objects of the last converged round.
	uids map[string]types.UID
}

func newApplyRound(t *testing.T) *applyRound {
	f := env.NewFixture(t, map[string]string{"kustomization.yaml": "resources: [objects.yaml]\n", "objects.yaml": objectsOf(0)})
	ctx := context.Background()
	// Objects ferry did not create: one plain, one with the owner labels
	// of the Kustomization but in no inventory.
	for name, labels := range map[string]map[string]string{
		"not-ferrys": nil,
		"spoofed":    {kustomizev1.NameLabel: "app", kustomizev1.NamespaceLabel: f.NS},
	} {
		must(t, env.Client.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: f.NS, Name: name, Labels: labels},
			Data:       map[string]string{"keep": "me"},
		}))
	}
	f.ApplyYAML(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 2s
  timeout: 1m
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app`)
	return &applyRound{f: f}
}

// inRound reports whether ConfigMap i is part of round r: each round drops
// the objects a fifth of the way along and brings back those it dropped
// before.
func inRound(i, r int) bool { return (i+r)%rotate != 0 }

// objectsOf is the objects.yaml of round r: ConfigMaps carrying the round.
func objectsOf(r int) string {
	var b strings.Builder
	for i := range applyObjects + applyObjects/rotate {
		if !inRound(i, r) {
			continue
		}
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  round: %q\n  payload: %q\n",
			i, strconv.Itoa(r), strings.Repeat("x", 512))
	}
	return b.String()
}

// desired lists the names of round r's objects.
func desired(r int) []string {
	var names []string
	for i := range applyObjects + applyObjects/rotate {
		if inRound(i, r) {
			names = append(names, "cm-"+strconv.Itoa(i))
		}
	}
	return names
}

// commit commits round r and asks for the GitRepository to fetch it.
func (a *applyRound) commit(t *testing.T, r int) {
	t.Helper()
	a.round = r
	if r > 0 {
		a.f.Commit(fmt.Sprintf("round %d", r), map[string]string{"objects.yaml": objectsOf(r)})
	}
	testenv.RequestReconcile(t, env.Client, &sourcev1.GitRepository{}, testenv.Key(a.f.NS, "app"))
}

// configMaps returns the ConfigMaps of the namespace by name.
func (a *applyRound) configMaps(t *testing.T) map[string]corev1.ConfigMap {
	t.Helper()
	var list corev1.ConfigMapList
	must(t, env.Client.List(context.Background(), &list, client.InNamespace(a.f.NS)))
	out := map[string]corev1.ConfigMap{}
	for _, cm := range list.Items {
		out[cm.Name] = cm
	}
	return out
}

// progress counts the objects of the current round that carry its content
// already, against the round's total.
func (a *applyRound) progress(t *testing.T) (done, total int) {
	t.Helper()
	have := a.configMaps(t)
	for _, name := range desired(a.round) {
		total++
		if have[name].Data["round"] == strconv.Itoa(a.round) {
			done++
		}
	}
	return done, total
}

// waitConverged waits until the Kustomization is Ready at the head
// revision, with Reconciling gone.
func (a *applyRound) waitConverged(t *testing.T, ch *child) {
	t.Helper()
	head := a.f.Head()
	ch.wait(t, fmt.Sprintf("Kustomization Ready at %s (round %d)", head, a.round), func() (bool, string) {
		ks := &kustomizev1.Kustomization{}
		if err := env.Client.Get(context.Background(), testenv.Key(a.f.NS, "app"), ks); err != nil {
			return false, err.Error()
		}
		ready := apimeta.FindStatusCondition(ks.Status.Conditions, meta.ReadyCondition)
		reconciling := apimeta.IsStatusConditionTrue(ks.Status.Conditions, meta.ReconcilingCondition)
		if ready == nil {
			return false, "no Ready condition"
		}
		return testenv.KustomizationReady(head)(ks) && !reconciling,
			fmt.Sprintf("Ready=%s %s: %s; reconciling %t; last applied %s", ready.Status, ready.Reason, ready.Message, reconciling, ks.Status.LastAppliedRevision)
	})
}

// check compares the namespace with the round's commit and returns how
// many objects were lost (missing, stale or deleted and created again) and
// duplicated (left unpruned or with a second field manager).
func (a *applyRound) check(t *testing.T) (lost, duplicated int) {
	t.Helper()
	have := a.configMaps(t)
	want := desired(a.round)
	uids := map[string]types.UID{}
	for _, name := range want {
		cm, ok := have[name]
		switch {
		case !ok:
			t.Errorf("%s is missing", name)
			lost++
			continue
		case cm.Data["round"] != strconv.Itoa(a.round):
			t.Errorf("%s has round %q, want %d", name, cm.Data["round"], a.round)
			lost++
		case a.uids[name] != "" && a.uids[name] != cm.UID:
			t.Errorf("%s was deleted and created again (UID %s, was %s)", name, cm.UID, a.uids[name])
			lost++
		}
		uids[name] = cm.UID
		var managers []string
		for _, mf := range cm.ManagedFields {
			managers = append(managers, mf.Manager+"/"+string(mf.Operation))
		}
		if len(managers) != 1 || managers[0] != kustomization.ControllerName+"/Apply" {
			t.Errorf("%s is managed by %v, want %s/Apply alone", name, managers, kustomization.ControllerName)
			duplicated++
		}
	}
	a.uids = uids
	for name := range have {
		if strings.HasPrefix(name, "cm-") && !slices.Contains(want, name) {
			t.Errorf("%s is not in round %d and was not pruned", name, a.round)
			duplicated++
		}
	}
	for _, name := range []string{"not-ferrys", "spoofed"} {
		if cm, ok := have[name]; !ok || cm.Data["keep"] != "me" {
			t.Errorf("%s, which ferry did not create, was deleted or changed", name)
			lost++
		}
	}

	ks := &kustomizev1.Kustomization{}
	must(t, env.Client.Get(context.Background(), testenv.Key(a.f.NS, "app"), ks))
	var inv []string
	if ks.Status.Inventory != nil {
		for _, e := range ks.Status.Inventory.Entries {
			inv = append(inv, e.ID)
		}
	}
	var wantInv []string
	for _, name := range want {
		wantInv = append(wantInv, a.f.NS+"_"+name+"__ConfigMap")
	}
	slices.Sort(inv)
	slices.Sort(wantInv)
	if !slices.Equal(inv, wantInv) {
		t.Errorf("inventory has %d entries, want the %d objects of round %d", len(inv), len(wantInv), a.round)
	}
	return lost, duplicated
}
