package helmchart_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one control plane and one manager running the
// GitRepository, Bucket, HelmRepository and HelmChart controllers, and a
// Git server; every test works in its own namespace with its own chart
// repositories.
var env *testenv.Env

// repoPassword guards the basic-auth repositories; it must never be logged.
const repoPassword = "s3cr3t-helm-pa55"

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		Manager: &controller.Options{
			Controllers:       []string{"gitrepository", "bucket", "helmrepository", "helmchart"},
			Concurrent:        2,
			DependencyRequeue: 2 * time.Second,
		},
		GitServer: true,
		Secrets:   []string{repoPassword},
	})
	code := env.Run(m)
	if !strings.Contains(env.Logs.String(), "stored artifact") {
		fmt.Fprintln(os.Stderr, "FAIL: the controller logs were not captured")
		code = 1
	}
	os.Exit(code)
}

func newNamespace(t *testing.T) string {
	t.Helper()
	return env.NewNamespace(t, "helmchart")
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// update reads the object at key into obj, applies mutate and updates it.
func update[T client.Object](t *testing.T, obj T, mutate func(T)) {
	t.Helper()
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	mutate(obj)
	if err := env.Client.Update(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

func newHelmRepository(ns, name, url string, mutate ...func(*sourcev1.HelmRepository)) *sourcev1.HelmRepository {
	hr := &sourcev1.HelmRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.HelmRepositorySpec{
			URL:      url,
			Interval: metav1.Duration{Duration: time.Hour},
		},
	}
	if strings.HasPrefix(url, "oci://") {
		hr.Spec.Type = sourcev1.HelmRepositoryTypeOCI
		hr.Spec.Insecure = true
	}
	for _, m := range mutate {
		m(hr)
	}
	return hr
}

func newHelmChart(ns, name, kind, source, chartName string, mutate ...func(*sourcev1.HelmChart)) *sourcev1.HelmChart {
	hc := &sourcev1.HelmChart{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.HelmChartSpec{
			Chart:     chartName,
			SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: kind, Name: source},
			Interval:  metav1.Duration{Duration: time.Hour},
		},
	}
	for _, m := range mutate {
		m(hc)
	}
	return hc
}

func newGitRepository(ns, name, url string) *sourcev1.GitRepository {
	return &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.GitRepositorySpec{
			URL:       url,
			Interval:  metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"},
		},
	}
}

// gitSource is a repository on the suite's Git server and a GitRepository
// "source" for it in ns.
type gitSource struct {
	repo *gitserver.Repo
	key  client.ObjectKey
}

// newGitSource creates the repository "org/<ns>" with one commit of write's
// files and a GitRepository for it, and waits for its artifact.
func newGitSource(t *testing.T, ns string, write func(dir string)) *gitSource {
	t.Helper()
	repo, err := env.Git.InitRepo("org/"+ns, "main")
	if err != nil {
		t.Fatal(err)
	}
	g := &gitSource{repo: repo, key: testenv.Key(ns, "source")}
	g.commit(t, "initial", write)
	create(t, newGitRepository(ns, "source", env.Git.RepoURL("org/"+ns)))
	return g
}

// commit commits what write changes in the working tree and waits for the
// GitRepository to have it; it returns the artifact revision.
func (g *gitSource) commit(t *testing.T, msg string, write func(dir string)) string {
	t.Helper()
	write(g.repo.Dir)
	touchAll(t, g.repo.Dir)
	head, err := g.repo.Commit(msg)
	if err != nil {
		t.Fatal(err)
	}
	revision := "main@sha1:" + head
	if err := env.Client.Get(context.Background(), g.key, &sourcev1.GitRepository{}); err == nil {
		testenv.RequestReconcile(t, env.Client, &sourcev1.GitRepository{}, g.key)
		testenv.WaitFor(t, env.Client, g.key, "at "+revision, func(gr *sourcev1.GitRepository) bool {
			return gr.Status.Artifact.HasRevision(revision)
		})
	}
	return revision
}

// touchAll sets the modification time of every file below dir (but .git)
// to now: helmtest.Chart.WriteDir writes fixed times, and git, seeing a
// rewritten file of the same size and time, would not commit it.
func touchAll(t *testing.T, dir string) {
	t.Helper()
	now := time.Now()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case d.Type().IsRegular():
			return os.Chtimes(p, now, now)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeFile writes one file below dir.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls the HelmChart until cond holds and returns it.
func waitFor(t *testing.T, key client.ObjectKey, what string, cond func(*sourcev1.HelmChart) bool) *sourcev1.HelmChart {
	t.Helper()
	return testenv.WaitFor(t, env.Client, key, what, cond)
}

func cond(obj interface{ GetConditions() []metav1.Condition }, condType string) *metav1.Condition {
	return apimeta.FindStatusCondition(obj.GetConditions(), condType)
}

// readyWith is a HelmChart Ready for the current generation with an
// artifact of revision.
func readyWith(revision string) func(*sourcev1.HelmChart) bool {
	return func(hc *sourcev1.HelmChart) bool {
		c := cond(hc, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == hc.Generation &&
			hc.Status.ObservedGeneration == hc.Generation && hc.Status.Artifact.HasRevision(revision)
	}
}

// failedWith is a HelmChart whose Ready is False for reason at the current
// generation (and, with stalled, Stalled too).
func failedWith(reason string, stalled bool) func(*sourcev1.HelmChart) bool {
	return func(hc *sourcev1.HelmChart) bool {
		c := cond(hc, meta.ReadyCondition)
		if c == nil || c.Status != metav1.ConditionFalse || c.Reason != reason || c.ObservedGeneration != hc.Generation {
			return false
		}
		s := cond(hc, meta.StalledCondition)
		return stalled == (s != nil && s.Status == metav1.ConditionTrue)
	}
}

// storedChart loads the HelmChart's artifact from the storage.
func storedChart(t *testing.T, hc *sourcev1.HelmChart) *chart.Chart {
	t.Helper()
	a := hc.Status.Artifact
	if a == nil {
		t.Fatal("no artifact")
	}
	p, err := env.Storage.LocalPath(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// events lists the events recorded for the named object.
func events(t *testing.T, ns, name string) []corev1.Event {
	t.Helper()
	return testenv.Events(t, env.Client, sourcev1.HelmChartKind, ns, name)
}

// waitForEvent polls until an event with reason exists for the HelmChart.
func waitForEvent(t *testing.T, ns, name, eventType, reason string) corev1.Event {
	t.Helper()
	var found corev1.Event
	testenv.Eventually(t, fmt.Sprintf("a %s event %q for %s/%s", eventType, reason, ns, name), func() (bool, string) {
		evs := events(t, ns, name)
		for _, e := range evs {
			if e.Type == eventType && e.Reason == reason {
				found = e
				return true, ""
			}
		}
		return false, fmt.Sprintf("events: %+v", evs)
	})
	return found
}

// values returns a value of the chart's default values by dotted path.
func value(ch *chart.Chart, dotted string) any {
	var v any = ch.Values
	for _, k := range strings.Split(dotted, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
