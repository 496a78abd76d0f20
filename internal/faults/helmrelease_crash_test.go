package faults_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// randomKills is how many upgrades are killed at a random moment;
// FERRY_CRASH_KILLS=<n> runs n instead, for a longer soak.
const randomKills = 5

// maxKillDelay bounds the random moment, counted from the new values.
const maxKillDelay = 3 * time.Second

// anotherOperation is what Helm says when it refuses to act on a release
// left pending.
const anotherOperation = "another operation (install/upgrade/rollback) is in progress"

// release is the name of the HelmRelease, its HelmChart, its Helm release
// and its Deployment.
const release = "app"

// appChart is a chart of one Deployment whose pod template carries
// .Values.round, so the test can tell which values are deployed; a
// nodeSelector no node has keeps it from ever becoming Available.
var appChart = helmtest.Chart{
	Name: release, Version: "1.0.0",
	Values: "round: \"0\"\nnodeSelector: {}\n",
	Templates: map[string]string{"deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
      annotations:
        ferry.test/round: {{ .Values.round | quote }}
    spec:
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: app
          image: registry.example/app:1
`},
}

// TestKilledDuringUpgrade (issue 9): ferry is killed with SIGKILL while a
// Helm upgrade is in flight and started again. Once deterministically while
// the upgrade waits (it is left pending-upgrade; on restart the same
// broken values are upgraded again, then fixed), then at random moments
// after new values arrive (before the upgrade, while Helm writes the
// pending release, while it waits), with the values fixed while ferry is
// down. Every time the release must converge: the pending version marked
// failed with a StaleReleaseRecovered event, the fixed values deployed,
// one Deployment, one deployed version, status.history as in Helm's
// storage.
func TestKilledDuringUpgrade(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FERRY_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("FERRY_CRASH_SEED: %v", err)
		}
	}
	t.Logf("kill delays from seed %d (FERRY_CRASH_SEED=%d repeats them)", seed, seed)
	rnd := rand.New(rand.NewPCG(seed, 0))
	kills := randomKills
	if n := os.Getenv("FERRY_CRASH_KILLS"); n != "" {
		var err error
		if kills, err = strconv.Atoi(n); err != nil {
			t.Fatalf("FERRY_CRASH_KILLS: %v", err)
		}
	}

	dir := t.TempDir()
	addr := freeAddr(t)
	storage, err := artifact.NewStorage(filepath.Join(dir, "artifacts"), addr)
	must(t, err)
	ferry := newControllers(t, dir, "--controllers", "helmrelease", "--storage-path", storage.Root(), "--storage-addr", addr)
	ns := env.NewNamespace(t, "hr-crash")
	s := &scenario{ns: ns}

	// Install, with ferry serving the chart the test stored in its storage.
	hc := publish(t, storage, ns, appChart)
	ch := ferry.start(t)
	servesArtifact(t, ch, hc.Status.Artifact)
	s.apply(t, s.fixed())
	s.waitReady(t, ch, helmv2.InstallSucceededReason)

	var runs, converged, recovered int
	defer func() {
		t.Logf("crash runs: %d, converged: %d, pending releases recovered: %d", runs, converged, recovered)
		// Recovery happens before Helm ever sees the pending release, and
		// each one is logged.
		logged := 0
		for _, l := range ferry.logs {
			data, _ := os.ReadFile(l)
			if bytes.Contains(data, []byte(anotherOperation)) {
				t.Errorf("%s: a Helm action failed with %q", filepath.Base(l), anotherOperation)
			}
			logged += bytes.Count(data, []byte("by an interrupted operation; ferry marked it failed"))
		}
		if logged < recovered {
			t.Errorf("the children logged %d recoveries, want at least %d", logged, recovered)
		}
	}()

	// Kill while the upgrade waits; restart with the values still broken:
	// the pending version is marked failed and the upgrade runs again.
	runs++
	if !t.Run("killed while waiting, upgrade retried", func(t *testing.T) {
		s.round++
		s.apply(t, s.broken())
		pending := 0
		ch.wait(t, "a pending-upgrade release", func() (bool, string) {
			st := s.storage(t)
			pending = st.pending()
			return pending > 0, st.String()
		})
		ch.kill()
		killed := s.storage(t)
		t.Logf("killed with Helm storage %s", killed)

		ch = ferry.start(t)
		ch.wait(t, "the pending release recovered and the upgrade retried", func() (bool, string) {
			st := s.storage(t)
			return st[pending] == "failed" && st.newest() > pending && st[st.newest()] == "pending-upgrade" && s.recoveredEvent(t, pending, killed[pending]), st.String()
		})
		s.apply(t, s.fixed())
		s.waitReady(t, ch, helmv2.UpgradeSucceededReason)
		s.checkConverged(t, killed)
		recovered += len(killed.pendingVersions())
		converged++
	}) {
		return
	}

	// Kill at a random moment after new values arrive; fix the values
	// while ferry is down.
	for range kills {
		delay := time.Duration(rnd.Int64N(int64(maxKillDelay)))
		runs++
		if !t.Run(fmt.Sprintf("killed %s after new values", delay.Round(time.Millisecond)), func(t *testing.T) {
			s.round++
			s.apply(t, s.broken())
			time.Sleep(delay)
			ch.kill()
			killed := s.storage(t)
			t.Logf("killed with Helm storage %s; Deployment %s", killed, s.deploymentState(t))

			s.apply(t, s.fixed())
			ch = ferry.start(t)
			s.waitReady(t, ch, helmv2.UpgradeSucceededReason)
			s.checkConverged(t, killed)
			recovered += len(killed.pendingVersions())
			converged++
		}) {
			return
		}
	}
}

// scenario is the HelmRelease of the test and the values round it is at.
type scenario struct {
	ns    string
	round int
	// hr is the last HelmRelease the test wrote.
	hr *helmv2.HelmRelease
}

// fixed are values that deploy, marked with the round.
func (s *scenario) fixed() string {
	return fmt.Sprintf("  values:\n    round: %q\n", strconv.Itoa(s.round))
}

// broken are values whose Deployment never becomes Available.
func (s *scenario) broken() string {
	return s.fixed() + "    nodeSelector:\n      ferry.test/nowhere: \"true\"\n"
}

// apply creates or updates the HelmRelease with values.
func (s *scenario) apply(t *testing.T, values string) {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: %s
  namespace: %s
spec:
  interval: 1h
  maxHistory: 50
  chartRef:
    kind: HelmChart
    name: %s
  install:
    remediation:
      retries: 1
  upgrade:
    timeout: 2m
%s`, release, s.ns, release, values)
	want := &helmv2.HelmRelease{}
	must(t, yaml.UnmarshalStrict([]byte(doc), want))
	ctx := context.Background()
	live := &helmv2.HelmRelease{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(want), live); err == nil {
		live.Spec = want.Spec
		must(t, env.Client.Update(ctx, live))
		s.hr = live
		return
	}
	must(t, env.Client.Create(ctx, want))
	s.hr = want
}

// waitReady waits until the HelmRelease is Ready for reason at the
// generation the test last wrote.
func (s *scenario) waitReady(t *testing.T, ch *child, reason string) *helmv2.HelmRelease {
	t.Helper()
	var hr helmv2.HelmRelease
	ch.wait(t, fmt.Sprintf("HelmRelease Ready (%s) at generation %d", reason, s.hr.Generation), func() (bool, string) {
		if err := env.Client.Get(context.Background(), testenv.Key(s.ns, release), &hr); err != nil {
			return false, err.Error()
		}
		c := apimeta.FindStatusCondition(hr.Status.Conditions, meta.ReadyCondition)
		if c == nil {
			return false, "no Ready condition"
		}
		return hr.Generation == s.hr.Generation && hr.Status.ObservedGeneration == hr.Generation &&
				c.ObservedGeneration == hr.Generation && c.Status == metav1.ConditionTrue && c.Reason == reason,
			fmt.Sprintf("generation %d, Ready=%s at %d %s: %s; Helm storage %s", hr.Generation, c.Status, c.ObservedGeneration, c.Reason, c.Message, s.storage(t))
	})
	return &hr
}

// checkConverged checks the state after a crash: nothing pending, what was
// pending at the kill now failed and reported, the fixed values deployed
// once, status.history as in Helm's storage.
func (s *scenario) checkConverged(t *testing.T, killed helmStorage) {
	t.Helper()
	st := s.storage(t)
	if st.pending() != 0 {
		t.Errorf("a release is still pending: %s", st)
	}
	var deployed []int
	for v, status := range st {
		if status == "deployed" {
			deployed = append(deployed, v)
		}
	}
	if len(deployed) != 1 || deployed[0] != st.newest() {
		t.Errorf("want exactly one deployed version, the newest: %s", st)
	}
	for _, v := range killed.pendingVersions() {
		if st[v] != "failed" {
			t.Errorf("v%d was %s at the kill and is %s now, want failed", v, killed[v], st[v])
		}
		if !s.recoveredEvent(t, v, killed[v]) {
			t.Errorf("no %s event for v%d (%s)", helmv2.StaleReleaseRecoveredReason, v, killed[v])
		}
	}

	for _, e := range s.events(t) {
		if strings.Contains(e.Message, anotherOperation) {
			t.Errorf("event %s: %s", e.Reason, e.Message)
		}
	}

	hr := &helmv2.HelmRelease{}
	must(t, env.Client.Get(context.Background(), testenv.Key(s.ns, release), hr))
	latest := hr.Status.History.Latest()
	if latest == nil || latest.Version != st.newest() || latest.Status != "deployed" {
		t.Errorf("status.history latest = %s, Helm storage %s", testenv.Dump(latest), st)
	}
	for _, h := range hr.Status.History {
		if st[h.Version] != h.Status {
			t.Errorf("status.history has v%d %s, Helm storage %s", h.Version, h.Status, st)
		}
	}
	if hr.Status.LastReleaseRevision != st.newest() {
		t.Errorf("lastReleaseRevision = %d, Helm storage %s", hr.Status.LastReleaseRevision, st)
	}

	var list appsv1.DeploymentList
	must(t, env.Client.List(context.Background(), &list, client.InNamespace(s.ns)))
	if len(list.Items) != 1 || list.Items[0].Name != release {
		t.Fatalf("want one Deployment %s, have %d", release, len(list.Items))
	}
	d := list.Items[0]
	if got := d.Spec.Template.Annotations["ferry.test/round"]; got != strconv.Itoa(s.round) || len(d.Spec.Template.Spec.NodeSelector) != 0 {
		t.Errorf("Deployment has round %s nodeSelector %v, want round %d and no nodeSelector", got, d.Spec.Template.Spec.NodeSelector, s.round)
	}
	if !available(&d) {
		t.Errorf("Deployment not Available: %s", testenv.Dump(d.Status))
	}
}

// recoveredEvent reports whether an event says ferry recovered version v
// left in status.
func (s *scenario) recoveredEvent(t *testing.T, v int, status string) bool {
	t.Helper()
	want := fmt.Sprintf("%s/%s.v%d was left %s", s.ns, release, v, status)
	for _, e := range s.events(t) {
		if e.Reason == helmv2.StaleReleaseRecoveredReason && strings.Contains(e.Message, want) {
			return true
		}
	}
	return false
}

func (s *scenario) events(t *testing.T) []corev1.Event {
	t.Helper()
	return testenv.Events(t, env.Client, helmv2.HelmReleaseKind, s.ns, release)
}

// deploymentState says whether the Deployment has the broken values yet,
// for the log.
func (s *scenario) deploymentState(t *testing.T) string {
	t.Helper()
	var d appsv1.Deployment
	if err := env.Client.Get(context.Background(), testenv.Key(s.ns, release), &d); err != nil {
		return err.Error()
	}
	if len(d.Spec.Template.Spec.NodeSelector) != 0 {
		return "updated to the broken values"
	}
	return "not yet updated"
}

// helmStorage is the status of each version of the release in Helm's
// storage (its Secrets' labels).
type helmStorage map[int]string

func (s *scenario) storage(t *testing.T) helmStorage {
	t.Helper()
	var list corev1.SecretList
	must(t, env.Client.List(context.Background(), &list, client.InNamespace(s.ns),
		client.MatchingLabels{"owner": "helm", "name": release}))
	st := helmStorage{}
	for _, sec := range list.Items {
		v, err := strconv.Atoi(sec.Labels["version"])
		if err != nil {
			t.Fatalf("Secret %s: version label %q", sec.Name, sec.Labels["version"])
		}
		st[v] = sec.Labels["status"]
	}
	return st
}

// pendingVersions lists the versions left pending-*.
func (st helmStorage) pendingVersions() []int {
	var out []int
	for v, status := range st {
		if strings.HasPrefix(status, "pending-") {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// pending returns the newest pending version, 0 when none is.
func (st helmStorage) pending() int {
	p := st.pendingVersions()
	if len(p) == 0 {
		return 0
	}
	return p[len(p)-1]
}

func (st helmStorage) newest() int {
	n := 0
	for v := range st {
		n = max(n, v)
	}
	return n
}

func (st helmStorage) String() string {
	var versions []int
	for v := range st {
		versions = append(versions, v)
	}
	slices.Sort(versions)
	var b strings.Builder
	b.WriteString("[")
	for i, v := range versions {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "v%d=%s", v, st[v])
	}
	b.WriteString("]")
	return b.String()
}

// publish stores c in storage as the artifact of the HelmChart ns/name and
// marks it Ready, as the HelmChart controller would.
func publish(t *testing.T, storage *artifact.Storage, ns string, c helmtest.Chart) *sourcev1.HelmChart {
	t.Helper()
	ctx := context.Background()
	hc := &sourcev1.HelmChart{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: c.Name},
		Spec: sourcev1.HelmChartSpec{
			Chart:     c.Name,
			Version:   "*",
			SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: "test"},
			Interval:  metav1.Duration{Duration: time.Hour},
		},
	}
	must(t, env.Client.Create(ctx, hc))
	art, err := storage.StoreFile(sourcev1.HelmChartKind, ns, c.Name, c.Version, c.FileName(), bytes.NewReader(c.Package(t)))
	must(t, err)
	hc.Status.Artifact = art
	hc.Status.ObservedGeneration = hc.Generation
	hc.Status.ObservedChartName = c.Name
	apimeta.SetStatusCondition(&hc.Status.Conditions, metav1.Condition{
		Type: meta.ReadyCondition, Status: metav1.ConditionTrue, Reason: sourcev1.ChartPullSucceededReason,
		Message: "pulled '" + c.Name + "' chart with version '" + c.Version + "'", ObservedGeneration: hc.Generation,
	})
	must(t, env.Client.Status().Update(ctx, hc))
	return hc
}

// servesArtifact waits until the child's artifact server serves a: the
// HelmChart's URL points at the child, not at the test.
func servesArtifact(t *testing.T, ch *child, a *meta.Artifact) {
	t.Helper()
	ch.wait(t, "ferry serving "+a.URL, func() (bool, string) {
		resp, err := http.Get(a.URL)
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		n, _ := io.Copy(io.Discard, resp.Body)
		return resp.StatusCode == http.StatusOK && (a.Size == nil || n == *a.Size), fmt.Sprintf("%s, %d bytes", resp.Status, n)
	})
}

// freeAddr returns a loopback address with a port free now, for the
// artifact server every child listens on in turn.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().String()
}

func available(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return d.Status.UpdatedReplicas == *d.Spec.Replicas && d.Status.AvailableReplicas == *d.Spec.Replicas
		}
	}
	return false
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
