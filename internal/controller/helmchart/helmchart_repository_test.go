package helmchart_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// refreshIndex makes the HelmRepository fetch its index again and waits for
// a revision other than before; it returns the new revision.
func refreshIndex(t *testing.T, key client.ObjectKey, before string) string {
	t.Helper()
	testenv.RequestReconcile(t, env.Client, &sourcev1.HelmRepository{}, key)
	hr := testenv.WaitFor(t, env.Client, key, "a new index", func(hr *sourcev1.HelmRepository) bool {
		return hr.Status.Artifact != nil && hr.Status.Artifact.Revision != before
	})
	return hr.Status.Artifact.Revision
}

// TestChartFromHTTPRepository resolves a semver range in an HTTP
// repository's index: the newest match is pulled as it is; a new index
// without a newer match downloads nothing; a newer match is a new artifact.
func TestChartFromHTTPRepository(t *testing.T) {
	ns := newNamespace(t)
	charts := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	charts.Add(t,
		helmtest.Chart{Name: "web", Version: "1.0.0"},
		helmtest.Chart{Name: "web", Version: "1.1.0"},
		helmtest.Chart{Name: "web", Version: "2.0.0"},
	)
	create(t, newHelmRepository(ns, "charts", charts.URL()))
	create(t, newHelmChart(ns, "web", sourcev1.HelmRepositoryKind, "charts", "web", func(hc *sourcev1.HelmChart) {
		hc.Spec.Version = "1.x"
	}))
	key := testenv.Key(ns, "web")

	hc := waitFor(t, key, "Ready with 1.1.0", readyWith("1.1.0"))
	ready := cond(hc, meta.ReadyCondition)
	if ready.Reason != sourcev1.ChartPullSucceededReason || ready.Message != "pulled 'web' chart with version '1.1.0'" {
		t.Errorf("Ready = %s: %s", ready.Reason, ready.Message)
	}
	if c := cond(hc, meta.ArtifactInStorageCondition); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("ArtifactInStorage = %+v", c)
	}
	if hc.Status.URL != hc.Status.Artifact.URL || hc.Status.ObservedChartName != "web" || !strings.HasSuffix(hc.Status.Artifact.Path, ".tgz") {
		t.Errorf("status = url %q, chart %q, artifact %+v", hc.Status.URL, hc.Status.ObservedChartName, hc.Status.Artifact)
	}
	hr := &sourcev1.HelmRepository{}
	if err := env.Client.Get(context.Background(), testenv.Key(ns, "charts"), hr); err != nil {
		t.Fatal(err)
	}
	if hc.Status.ObservedSourceArtifactRevision != hr.Status.Artifact.Revision {
		t.Errorf("observedSourceArtifactRevision = %q, want the index's %q", hc.Status.ObservedSourceArtifactRevision, hr.Status.Artifact.Revision)
	}
	if ch := storedChart(t, hc); ch.Name() != "web" || ch.Metadata.Version != "1.1.0" {
		t.Errorf("stored chart = %s %s", ch.Name(), ch.Metadata.Version)
	}
	waitForEvent(t, ns, "web", corev1.EventTypeNormal, sourcev1.ChartPullSucceededReason)
	if n := charts.Requests("/web-1.1.0.tgz"); n != 1 {
		t.Errorf("web-1.1.0.tgz downloaded %d times, want 1", n)
	}

	// Another chart in the index: a new index revision, the same version,
	// nothing downloaded.
	first := hc.Status.Artifact.DeepCopy()
	charts.Add(t, helmtest.Chart{Name: "other", Version: "1.0.0"})
	revision := refreshIndex(t, testenv.Key(ns, "charts"), hr.Status.Artifact.Revision)
	hc = waitFor(t, key, "to observe the new index", func(hc *sourcev1.HelmChart) bool {
		return hc.Status.ObservedSourceArtifactRevision == revision && readyWith("1.1.0")(hc)
	})
	if hc.Status.Artifact.Digest != first.Digest {
		t.Errorf("the artifact changed without a new version: %s -> %s", first.Digest, hc.Status.Artifact.Digest)
	}
	if n := charts.Requests("/web-1.1.0.tgz"); n != 1 {
		t.Errorf("web-1.1.0.tgz downloaded %d times after an index change without a new version, want 1", n)
	}

	// A newer version in range: a new artifact.
	charts.Add(t, helmtest.Chart{Name: "web", Version: "1.2.0"})
	revision = refreshIndex(t, testenv.Key(ns, "charts"), revision)
	hc = waitFor(t, key, "Ready with 1.2.0", readyWith("1.2.0"))
	if hc.Status.Artifact.Digest == first.Digest || !env.Storage.Exists(hc.Status.Artifact) {
		t.Errorf("artifact = %+v", hc.Status.Artifact)
	}
	if ch := storedChart(t, hc); ch.Metadata.Version != "1.2.0" {
		t.Errorf("stored chart version = %s", ch.Metadata.Version)
	}
	if n := charts.Requests("/web-1.2.0.tgz"); n != 1 {
		t.Errorf("web-1.2.0.tgz downloaded %d times, want 1", n)
	}

	// A third artifact: the two newest are kept.
	charts.Add(t, helmtest.Chart{Name: "web", Version: "1.3.0"})
	refreshIndex(t, testenv.Key(ns, "charts"), revision)
	hc = waitFor(t, key, "Ready with 1.3.0", readyWith("1.3.0"))
	stored, err := os.ReadDir(filepath.Join(env.Storage.Root(), "helmchart", ns, "web"))
	if err != nil || len(stored) != 2 {
		t.Errorf("stored artifacts = %v, %v; want the two newest", stored, err)
	}

	// A version no chart has: stalled until the spec or the index changes.
	update(t, hc, func(hc *sourcev1.HelmChart) { hc.Spec.Version = "9.x" })
	hc = waitFor(t, key, "stalled", failedWith("InvalidChartReference", true))
	if msg := cond(hc, meta.ReadyCondition).Message; !strings.Contains(msg, "no 'web' chart with version matching '9.x' found") {
		t.Errorf("Ready message = %q", msg)
	}
	if !hc.Status.Artifact.HasRevision("1.3.0") {
		t.Errorf("the last artifact was dropped: %+v", hc.Status.Artifact)
	}
}

// TestChartFromBasicAuthRepository pulls with the HelmRepository's
// credentials and never shows them.
func TestChartFromBasicAuthRepository(t *testing.T) {
	ns := newNamespace(t)
	charts := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: "helm", Password: repoPassword})
	charts.Add(t, helmtest.Chart{Name: "private", Version: "0.1.0"})
	create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"},
		StringData: map[string]string{"username": "helm", "password": repoPassword},
	})
	create(t, newHelmRepository(ns, "private", charts.URL(), func(hr *sourcev1.HelmRepository) {
		hr.Spec.SecretRef = &meta.LocalObjectReference{Name: "creds"}
	}))
	create(t, newHelmChart(ns, "private", sourcev1.HelmRepositoryKind, "private", "private"))

	hc := waitFor(t, testenv.Key(ns, "private"), "Ready with 0.1.0", readyWith("0.1.0"))
	if ch := storedChart(t, hc); ch.Name() != "private" {
		t.Errorf("stored chart = %s", ch.Name())
	}
	for _, c := range hc.Status.Conditions {
		if strings.Contains(c.Message, repoPassword) {
			t.Errorf("condition %s shows the password", c.Type)
		}
	}
	for _, e := range events(t, ns, "private") {
		if strings.Contains(e.Message, repoPassword) {
			t.Errorf("event %s shows the password", e.Reason)
		}
	}
}

// TestValuesFilesOfRepositoryChart merges values files of the pulled chart
// into its values.yaml: packaged again, with the generation as version
// metadata.
func TestValuesFilesOfRepositoryChart(t *testing.T) {
	ns := newNamespace(t)
	charts := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	charts.Add(t, helmtest.Chart{Name: "web", Version: "3.0.0", Values: "replicas: 1\nimage:\n  tag: v1\n",
		Files: map[string]string{"values-prod.yaml": "replicas: 3\n", "values-eu.yaml": "image:\n  region: eu\n"}})
	create(t, newHelmRepository(ns, "charts", charts.URL()))
	create(t, newHelmChart(ns, "web", sourcev1.HelmRepositoryKind, "charts", "web", func(hc *sourcev1.HelmChart) {
		hc.Spec.ValuesFiles = []string{"values.yaml", "values-prod.yaml"}
	}))
	key := testenv.Key(ns, "web")

	hc := waitFor(t, key, "Ready with 3.0.0+1", readyWith("3.0.0+1"))
	ready := cond(hc, meta.ReadyCondition)
	if ready.Reason != sourcev1.ChartPackageSucceededReason ||
		ready.Message != "packaged 'web' chart with version '3.0.0+1' and merged values files [values.yaml values-prod.yaml]" {
		t.Errorf("Ready = %s: %s", ready.Reason, ready.Message)
	}
	ch := storedChart(t, hc)
	if ch.Metadata.Version != "3.0.0+1" || value(ch, "replicas") != float64(3) || value(ch, "image.tag") != "v1" {
		t.Errorf("stored chart %s with values %v", ch.Metadata.Version, ch.Values)
	}

	// A new generation is a new revision; a missing file is skipped when
	// told so, and the files used are recorded.
	update(t, hc, func(hc *sourcev1.HelmChart) {
		hc.Spec.ValuesFiles = []string{"values-eu.yaml", "values-missing.yaml"}
		hc.Spec.IgnoreMissingValuesFiles = true
	})
	hc = waitFor(t, key, "Ready with 3.0.0+2", readyWith("3.0.0+2"))
	if got := hc.Status.ObservedValuesFiles; len(got) != 1 || got[0] != "values-eu.yaml" {
		t.Errorf("observedValuesFiles = %v", got)
	}
	ch = storedChart(t, hc)
	if value(ch, "replicas") != nil || value(ch, "image.region") != "eu" {
		t.Errorf("values = %v, want only values-eu.yaml's", ch.Values)
	}
}
