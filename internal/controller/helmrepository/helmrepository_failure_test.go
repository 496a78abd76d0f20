package helmrepository_test

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestServerDown takes the repository down after a first artifact:
// Ready=False, and the previous artifact is still recorded and served.
func TestServerDown(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	hr := newHelmRepository(ns, "charts", r.URL())
	create(t, hr)
	key := client.ObjectKeyFromObject(hr)
	first := waitFor(t, key, "Ready", isReady).Status.Artifact.DeepCopy()

	r.SetDown(true)
	requestReconcile(t, key)
	hr = waitFor(t, key, "failing", isFailing(meta.FailedReason))
	ready := cond(hr, meta.ReadyCondition)
	if !strings.Contains(ready.Message, "failed to fetch Helm repository index") || !strings.Contains(ready.Message, "503") {
		t.Errorf("Ready message %q", ready.Message)
	}
	if a := hr.Status.Artifact; a == nil || a.Revision != first.Revision {
		t.Fatalf("artifact %+v, want the previous one %+v", a, first)
	}
	if c := cond(hr, meta.ArtifactInStorageCondition); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("ArtifactInStorage = %+v", c)
	}
	testenv.FetchArtifact(t, hr.Status.Artifact)

	r.SetDown(false)
	requestReconcile(t, key)
	hr = waitFor(t, key, "Ready again", isReady)
	if hr.Status.Artifact.Path != first.Path {
		t.Errorf("artifact rewritten on recovery: %s, was %s", hr.Status.Artifact.Path, first.Path)
	}
}

// TestIndexOverLimit serves an index larger than --helm-index-max-size.
func TestIndexOverLimit(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	var b strings.Builder
	b.WriteString("apiVersion: v1\nentries:\n  demo:\n")
	for i := 0; int64(b.Len()) <= testMaxIndexSize; i++ {
		fmt.Fprintf(&b, "  - name: demo\n    version: 1.0.%d\n    urls: [demo-1.0.%d.tgz]\n", i, i)
	}
	r.Put("/index.yaml", []byte(b.String()))
	hr := newHelmRepository(ns, "charts", r.URL())
	create(t, hr)
	hr = waitFor(t, client.ObjectKeyFromObject(hr), "failing", isFailing(meta.FailedReason))
	msg := cond(hr, meta.ReadyCondition).Message
	t.Logf("Ready=False: %s", msg)
	for _, s := range []string{"failed to fetch Helm repository index", "maximum of 256 KiB", "--helm-index-max-size"} {
		if !strings.Contains(msg, s) {
			t.Errorf("Ready message %q lacks %q", msg, s)
		}
	}
	if hr.Status.Artifact != nil {
		t.Errorf("artifact recorded: %+v", hr.Status.Artifact)
	}
}

// TestInvalidIndex serves something that is not an index.
func TestInvalidIndex(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	r.Put("/index.yaml", []byte("<html>not an index</html>\n"))
	hr := newHelmRepository(ns, "charts", r.URL())
	create(t, hr)
	hr = waitFor(t, client.ObjectKeyFromObject(hr), "failing", isFailing(sourcev1.IndexationFailedReason))
	if msg := cond(hr, meta.ReadyCondition).Message; !strings.Contains(msg, "failed to load Helm repository from index YAML") {
		t.Errorf("Ready message %q", msg)
	}
}

// TestInvalidURL stalls on a URL ferry refuses.
func TestInvalidURL(t *testing.T) {
	ns := newNamespace(t)
	tests := map[string]struct{ url, typ, want string }{
		"credentials in the URL": {url: "https://user:" + helmPassword + "@charts.example.com", want: "credentials in the URL are not allowed"},
		"oci URL, default type":  {url: "oci://registry.example.com/charts", want: "needs spec.type 'oci'"},
		"https URL, oci type":    {url: "https://charts.example.com", typ: "oci", want: "needs an oci:// URL"},
	}
	i := 0
	for name, tt := range tests {
		i++
		hr := newHelmRepository(ns, fmt.Sprintf("charts-%d", i), tt.url, func(hr *sourcev1.HelmRepository) { hr.Spec.Type = tt.typ })
		t.Run(name, func(t *testing.T) {
			create(t, hr)
			hr := waitFor(t, client.ObjectKeyFromObject(hr), "stalled", func(hr *sourcev1.HelmRepository) bool {
				s := cond(hr, meta.StalledCondition)
				return s != nil && s.Status == metav1.ConditionTrue
			})
			ready := cond(hr, meta.ReadyCondition)
			if ready.Reason != meta.URLInvalidReason || !strings.Contains(ready.Message, tt.want) {
				t.Errorf("Ready = %s %q, want %s with %q", ready.Reason, ready.Message, meta.URLInvalidReason, tt.want)
			}
			if cond(hr, meta.ReconcilingCondition) != nil {
				t.Error("a stalled object is still Reconciling")
			}
			testenv.AssertNoSecret(t, env.Client, hr, helmPassword)
		})
	}
}
