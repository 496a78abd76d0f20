package kustomization_test

import (
	"strings"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestInvalidYAML commits a manifest that does not parse, next to a new
// valid one: the build fails naming the file and nothing of that revision is
// applied; fixing it in Git recovers.
func TestInvalidYAML(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/production", true)
	good := f.Head()
	f.WaitFor("ready", testenv.KustomizationReady(good))

	kustomization := appFiles()["apps/base/kustomization.yaml"] + "  - new.yaml\n  - broken.yaml\n"
	bad := f.Commit("add a broken manifest", map[string]string{
		"apps/base/kustomization.yaml": kustomization,
		"apps/base/new.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new-in-bad-revision\n",
		"apps/base/broken.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n  data: [unclosed\n",
	})
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	ks := f.WaitFor("BuildFailed", testenv.KustomizationFailed("BuildFailed", bad))

	msg := testenv.ReadyCondition(ks).Message
	if !strings.Contains(msg, "broken.yaml") || !strings.Contains(msg, bad) {
		t.Errorf("Ready message %q does not name broken.yaml and the revision", msg)
	}
	if ks.Status.LastAppliedRevision != good {
		t.Errorf("lastAppliedRevision = %q, want the last good %q", ks.Status.LastAppliedRevision, good)
	}
	if f.Get("v1", "ConfigMap", "new-in-bad-revision") != nil {
		t.Error("an object of the revision that failed to build was applied")
	}
	if f.Get("apps/v1", "Deployment", "web") == nil {
		t.Error("previously applied Deployment web is gone")
	}
	if c := apimeta.FindStatusCondition(ks.Status.Conditions, "Reconciling"); c == nil || c.Reason != "ProgressingWithRetry" {
		t.Errorf("Reconciling = %+v, want ProgressingWithRetry", c)
	}
	f.Eventually("a warning event naming the file", func() string {
		for _, e := range f.Events() {
			if e.Type == "Warning" && e.Reason == "BuildFailed" && strings.Contains(e.Message, "broken.yaml") {
				return ""
			}
		}
		return "none yet"
	})

	fixed := f.Commit("fix it", map[string]string{
		"apps/base/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n",
	})
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	f.WaitFor("ready after the fix", testenv.KustomizationReady(fixed))
	if f.Get("v1", "ConfigMap", "new-in-bad-revision") == nil {
		t.Error("the fixed revision was not applied")
	}
}

// TestPostBuildInKustomizationYAML reproduces the mistake of seed 000:
// postBuild written into a kustomize kustomization.yaml.
func TestPostBuildInKustomizationYAML(t *testing.T) {
	f := newFixture(t, map[string]string{
		"clusters/production/wiz-sensor/kustomization.yaml": `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - configmap.yaml
postBuild:
  substitute:
    WIZ_CLIENT_TOKEN: "prod-wiz-token-here"
`,
		"clusters/production/wiz-sensor/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wiz\ndata:\n  token: ${WIZ_CLIENT_TOKEN}\n",
	})
	f.sync("clusters/production/wiz-sensor", true)
	ks := f.WaitFor("BuildFailed", testenv.KustomizationFailed("BuildFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	for _, want := range []string{"clusters/production/wiz-sensor/kustomization.yaml", "postBuild is a field of the Flux Kustomization", "spec.postBuild"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
}

// TestBadPath checks the messages for a path that does not exist and for
// one leading out of the repository.
func TestBadPath(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		f := newFixture(t, appFiles())
		f.sync("./apps/prod", true)
		ks := f.WaitFor("ArtifactFailed", testenv.KustomizationFailed("ArtifactFailed", f.Head()))
		if msg := testenv.ReadyCondition(ks).Message; !strings.Contains(msg, "kustomization path not found: ./apps/prod") {
			t.Errorf("Ready message %q does not say the path is not found", msg)
		}
	})
	t.Run("outside the repository", func(t *testing.T) {
		f := newFixture(t, appFiles())
		f.sync("../..", true)
		ks := f.WaitFor("InvalidPath", testenv.KustomizationFailed("InvalidPath", ""))
		if msg := testenv.ReadyCondition(ks).Message; !strings.Contains(msg, `"../.."`) || !strings.Contains(msg, "outside") {
			t.Errorf("Ready message %q does not explain the path leaves the repository", msg)
		}
		if c := apimeta.FindStatusCondition(ks.Status.Conditions, "Stalled"); c == nil || c.Status != "True" {
			t.Errorf("Stalled = %+v, want True: the path cannot work until the object changes", c)
		}
		if ks.Status.ObservedGeneration != ks.Generation {
			t.Errorf("observedGeneration = %d, want %d", ks.Status.ObservedGeneration, ks.Generation)
		}
	})
}

// TestRejectedObject commits a Deployment the API server refuses: the
// Kustomization names it, and what was applied before stays.
func TestRejectedObject(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/production", true)
	good := f.Head()
	f.WaitFor("ready", testenv.KustomizationReady(good))

	overlay := strings.Replace(appFiles()["apps/production/kustomization.yaml"], "value: 3", "value: -1", 1)
	overlay = strings.Replace(overlay, "value: warn", "value: error", 1)
	bad := f.Commit("negative replicas", map[string]string{"apps/production/kustomization.yaml": overlay})
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	ks := f.WaitFor("ReconciliationFailed", testenv.KustomizationFailed("ReconciliationFailed", bad))

	if msg := testenv.ReadyCondition(ks).Message; !strings.Contains(msg, "Deployment/"+f.NS+"/web") {
		t.Errorf("Ready message %q does not name Deployment/%s/web", msg, f.NS)
	}
	if ks.Status.LastAppliedRevision != good {
		t.Errorf("lastAppliedRevision = %q, want %q", ks.Status.LastAppliedRevision, good)
	}
	if r := testenv.Nested(f.Get("apps/v1", "Deployment", "web"), "spec", "replicas"); r != "3" {
		t.Errorf("Deployment replicas = %s, want the previously applied 3", r)
	}
	if l := testenv.Nested(f.Get("v1", "ConfigMap", "web-settings"), "data", "LOG_LEVEL"); l != "warn" {
		t.Errorf("ConfigMap LOG_LEVEL = %s, want the previously applied warn", l)
	}
	if ks.Status.Inventory == nil || len(ks.Status.Inventory.Entries) != 2 {
		t.Errorf("inventory = %+v, want the previous two entries kept", ks.Status.Inventory)
	}
}

// TestSourceNotFound checks a Kustomization whose GitRepository does not
// exist yet waits for it, and syncs once it has an artifact.
func TestSourceNotFound(t *testing.T) {
	f := newFixture(t, appFiles())
	f.ApplyYAML(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 1h
  path: ./apps/staging
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app`)
	ks := f.WaitFor("ArtifactFailed", testenv.KustomizationFailed("ArtifactFailed", ""))
	if msg := testenv.ReadyCondition(ks).Message; !strings.Contains(msg, "GitRepository/"+f.NS+"/app not found") {
		t.Errorf("Ready message %q does not name the missing source", msg)
	}
	for _, e := range f.Events() {
		if e.Type == "Warning" {
			t.Errorf("a missing source is waited for, not warned about: %s %s", e.Reason, e.Message)
		}
	}

	// The source appears; its first artifact triggers the Kustomization at once.
	f.ApplyYAML(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main`)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
}
