package faults_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"

	"github.com/ferrycd/ferry/internal/testenv"
)

// leaderKills is how many leaders are stopped (SIGKILL, then SIGTERM, in
// turn); FERRY_LEADER_KILLS=<n> runs n instead.
const leaderKills = 2

// leaseName is the leader election lease of the test's replicas.
const leaseName = "ferry-faults"

// TestLeaderKilledMidReconcile (issue 16): two replicas of `ferry
// controller` with leader election, each with its own artifact storage as
// two pods have. The leader is stopped while it applies a new commit of
// 384 objects, in turn with SIGKILL (a node lost: the lease expires) and
// SIGTERM (a rolling update: the lease is released). The other replica
// must take over (the takeover time is measured from the stop to the
// Lease naming it), fetch the source again into its own storage and
// converge with nothing lost or duplicated; the stopped one is started
// again as the next standby. No two replicas apply at once: a replica
// logs no reconcile of a Kustomization before the lease's acquireTime it
// wrote, and the stopped leader none after it.
func TestLeaderKilledMidReconcile(t *testing.T) {
	kills := leaderKills
	if n := os.Getenv("FERRY_LEADER_KILLS"); n != "" {
		var err error
		if kills, err = strconv.Atoi(n); err != nil {
			t.Fatalf("FERRY_LEADER_KILLS: %v", err)
		}
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("stop delays from seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 3))

	dir := t.TempDir()
	r := newApplyRound(t)
	ferry := newControllers(t, dir, "--controllers", "gitrepository,kustomization",
		"--enable-leader-election", "--leader-election-namespace", r.f.NS, "--leader-election-id", leaseName)
	replicaArgs := func(i int) []string {
		return []string{"--storage-path", filepath.Join(dir, fmt.Sprintf("artifacts-%d", i)), "--storage-addr", freeAddr(t)}
	}
	started := 0
	startReplica := func() *child {
		started++
		return ferry.startAnother(t, replicaArgs(started)...)
	}

	leader := startReplica()
	first := waitLease(t, leader, r.f.NS, "", "the first replica leading")
	standby := startReplica()
	r.commit(t, 0)
	r.waitConverged(t, leader)
	applyTime := time.Since(first.Spec.AcquireTime.Time)
	r.check(t)

	var runs, converged, lost, duplicated int
	var takeovers []time.Duration
	defer func() {
		t.Logf("leader stops: %d, converged: %d, objects lost: %d, duplicated: %d, takeover times: %v",
			runs, converged, lost, duplicated, takeovers)
	}()
	holder := *first.Spec.HolderIdentity
	for round := 1; round <= kills; round++ {
		sig, how := syscall.SIGKILL, "killed"
		if round%2 == 0 {
			sig, how = syscall.SIGTERM, "stopped"
		}
		delay := time.Duration(rnd.Int64N(int64(applyTime)))
		runs++
		if !t.Run(fmt.Sprintf("round %d leader %s %s after the commit", round, how, delay.Round(time.Millisecond)), func(t *testing.T) {
			r.commit(t, round)
			time.Sleep(delay)
			stopped := time.Now()
			_ = leader.cmd.Process.Signal(sig)
			lease := waitLease(t, standby, r.f.NS, holder, "the standby leading")
			takeover := time.Since(stopped)
			takeovers = append(takeovers, takeover.Round(time.Millisecond))
			<-leader.exited
			t.Logf("the standby took over %s after the leader was %s", takeover.Round(time.Millisecond), how)

			acquired := lease.Spec.AcquireTime.Time
			if last, ok := lastReconcile(t, leader.log); ok && last.After(acquired) {
				t.Errorf("the old leader logged a reconcile at %s, after the new one acquired the lease at %s", last.Format(time.RFC3339Nano), acquired.Format(time.RFC3339Nano))
			}
			if firstLine, ok := firstReconcile(t, standby.log); ok && firstLine.Before(acquired) {
				t.Errorf("the standby logged a reconcile at %s, before it acquired the lease at %s", firstLine.Format(time.RFC3339Nano), acquired.Format(time.RFC3339Nano))
			}

			leader, standby, holder = standby, startReplica(), *lease.Spec.HolderIdentity
			r.waitConverged(t, leader)
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
	if _, ok := firstReconcile(t, standby.log); ok {
		t.Errorf("the last standby reconciled while the leader ran:\n%s", tail(standby.log, 20))
	}
}

// waitLease waits until the lease is held by someone other than previous
// (anyone, when previous is empty) and returns it.
func waitLease(t *testing.T, ch *child, ns, previous, what string) *coordinationv1.Lease {
	t.Helper()
	lease := &coordinationv1.Lease{}
	ch.wait(t, what, func() (bool, string) {
		if err := env.Client.Get(context.Background(), testenv.Key(ns, leaseName), lease); err != nil {
			return false, err.Error()
		}
		h := lease.Spec.HolderIdentity
		return h != nil && *h != "" && *h != previous && lease.Spec.AcquireTime != nil, fmt.Sprintf("held by %v", h)
	})
	return lease
}

// reconcileLines returns the times of the log lines of a child's
// Kustomization reconciler (`--log-dev` lines start with an RFC 3339 time).
func reconcileLines(t *testing.T, log string) []time.Time {
	t.Helper()
	f, err := os.Open(log)
	must(t, err)
	defer f.Close()
	var times []time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `"controller": "kustomization"`) {
			continue
		}
		stamp, _, _ := strings.Cut(line, "\t")
		if ts, err := time.Parse(time.RFC3339Nano, stamp); err == nil {
			times = append(times, ts)
		}
	}
	return times
}

func firstReconcile(t *testing.T, log string) (time.Time, bool) {
	times := reconcileLines(t, log)
	if len(times) == 0 {
		return time.Time{}, false
	}
	return times[0], true
}

func lastReconcile(t *testing.T, log string) (time.Time, bool) {
	times := reconcileLines(t, log)
	if len(times) == 0 {
		return time.Time{}, false
	}
	return times[len(times)-1], true
}
