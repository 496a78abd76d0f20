package helmrepository_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	repo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestIndexStored reconciles an HTTP repository: the sorted index is stored
// and served, its revision is the sha256 of the sorted index, and the
// conditions and event are Flux's.
func TestIndexStored(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"}, helmtest.Chart{Name: "demo", Version: "1.2.0"})
	// Serve it unsorted: the revision is that of the sorted index.
	var served repo.IndexFile
	if err := yaml.Unmarshal(r.Index(), &served); err != nil {
		t.Fatal(err)
	}
	v := served.Entries["demo"]
	v[0], v[1] = v[1], v[0]
	unsorted, _ := yaml.Marshal(&served)
	r.Put("/index.yaml", unsorted)

	hr := newHelmRepository(ns, "charts", r.URL())
	create(t, hr)
	hr = waitFor(t, client.ObjectKeyFromObject(hr), "Ready", isReady)

	a := hr.Status.Artifact
	body := testenv.FetchArtifact(t, a)
	served.SortEntries()
	sorted, _ := yaml.Marshal(&served)
	sum := sha256.Sum256(sorted)
	if want := "sha256:" + hex.EncodeToString(sum[:]); a.Revision != want || string(body) != string(sorted) {
		t.Errorf("revision %s, want %s (the sorted index); stored:\n%s", a.Revision, want, body)
	}
	if a.Digest != a.Revision {
		t.Errorf("digest %s differs from the revision %s of the stored index", a.Digest, a.Revision)
	}
	if !strings.HasSuffix(a.Path, ".yaml") || !strings.HasPrefix(a.Path, "helmrepository/"+ns+"/charts/") {
		t.Errorf("artifact path %s", a.Path)
	}
	if hr.Status.URL != a.URL {
		t.Errorf("status.url %s, want the artifact URL %s", hr.Status.URL, a.URL)
	}
	want := fmt.Sprintf("stored artifact: revision '%s'", a.Revision)
	for _, c := range []string{meta.ReadyCondition, meta.ArtifactInStorageCondition} {
		got := cond(hr, c)
		if got == nil || got.Status != metav1.ConditionTrue || got.Reason != meta.SucceededReason || got.Message != want {
			t.Errorf("%s = %+v, want True %s %q", c, got, meta.SucceededReason, want)
		}
	}
	for _, c := range []string{meta.ReconcilingCondition, meta.StalledCondition, meta.FetchFailedCondition, meta.ArtifactOutdatedCondition} {
		if got := cond(hr, c); got != nil {
			t.Errorf("%s still present: %+v", c, got)
		}
	}
	e := waitForEvent(t, ns, "charts", corev1.EventTypeNormal, "NewArtifact")
	if !strings.HasPrefix(e.Message, "stored fetched index of size ") || !strings.HasSuffix(e.Message, "from '"+r.URL()+"'") ||
		e.Annotations["source.toolkit.fluxcd.io/revision"] != a.Revision {
		t.Errorf("NewArtifact event %q, annotations %v", e.Message, e.Annotations)
	}
}

// TestUnchangedIndex reconciles again: an unchanged index is fetched but
// not stored again; a changed one gets a new artifact, and older ones are
// garbage collected.
func TestUnchangedIndex(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	hr := newHelmRepository(ns, "charts", r.URL())
	create(t, hr)
	key := client.ObjectKeyFromObject(hr)
	first := waitFor(t, key, "Ready", isReady).Status.Artifact.DeepCopy()

	fetches := r.Requests("/index.yaml")
	hr = reconcileNow(t, key)
	if r.Requests("/index.yaml") <= fetches {
		t.Errorf("the index was not fetched again")
	}
	if a := hr.Status.Artifact; a == nil || a.Path != first.Path || !a.LastUpdateTime.Equal(&first.LastUpdateTime) {
		t.Errorf("artifact rewritten for an unchanged index: %+v, was %+v", a, first)
	}
	if n := countEvents(t, ns, "charts", "NewArtifact"); n != 1 {
		t.Errorf("%d NewArtifact events, want 1", n)
	}

	// Each new index is a new artifact; two are kept.
	var revisions []string
	for _, v := range []string{"1.1.0", "1.2.0"} {
		r.Add(t, helmtest.Chart{Name: "demo", Version: v})
		requestReconcile(t, key)
		prev := hr.Status.Artifact.Revision
		hr = waitFor(t, key, "a new artifact", func(hr *sourcev1.HelmRepository) bool {
			return isReady(hr) && hr.Status.Artifact.Revision != prev
		})
		revisions = append(revisions, hr.Status.Artifact.Revision)
		if !strings.Contains(string(testenv.FetchArtifact(t, hr.Status.Artifact)), "version: "+v) {
			t.Errorf("artifact lacks version %s", v)
		}
	}
	if revisions[0] == revisions[1] || revisions[0] == first.Revision {
		t.Errorf("revisions did not change: %s %v", first.Revision, revisions)
	}
	files, err := os.ReadDir(filepath.Join(env.Storage.Root(), "helmrepository", ns, "charts"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Errorf("%d artifacts kept, want 2 (the current one and the one before)", len(files))
	}
	if env.Storage.Exists(first) {
		t.Errorf("the first artifact %s survived garbage collection", first.Path)
	}
}
