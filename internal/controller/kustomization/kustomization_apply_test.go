package kustomization_test

import (
	"strings"
	"testing"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestApplyOverlay syncs each environment overlay of a seed-style
// repository and checks the objects carry that overlay's values.
func TestApplyOverlay(t *testing.T) {
	for env, want := range map[string]struct{ replicas, level string }{
		"production": {"3", "warn"}, "staging": {"2", "info"},
	} {
		t.Run(env, func(t *testing.T) {
			f := newFixture(t, appFiles())
			f.sync("./apps/"+env, true)
			rev := f.Head()
			ks := f.WaitFor("ready", testenv.KustomizationReady(rev))

			if c := testenv.ReadyCondition(ks); c.Reason != "ReconciliationSucceeded" || c.Message != "Applied revision: "+rev {
				t.Errorf("Ready = %s %q, want ReconciliationSucceeded %q", c.Reason, c.Message, "Applied revision: "+rev)
			}
			if ks.Status.LastAttemptedRevision != rev {
				t.Errorf("lastAttemptedRevision = %q, want %q", ks.Status.LastAttemptedRevision, rev)
			}
			if !controllerHasFinalizer(ks) {
				t.Errorf("finalizers = %v, want %s", ks.Finalizers, kustomizev1.KustomizationFinalizer)
			}

			deploy := f.Get("apps/v1", "Deployment", "web")
			if got := testenv.Nested(deploy, "spec", "replicas"); got != want.replicas {
				t.Errorf("Deployment replicas = %s, want %s", got, want.replicas)
			}
			cm := f.Get("v1", "ConfigMap", "web-settings")
			if got := testenv.Nested(cm, "data", "LOG_LEVEL"); got != want.level {
				t.Errorf("ConfigMap LOG_LEVEL = %s, want %s", got, want.level)
			}
			for _, o := range []map[string]string{deploy.GetLabels(), cm.GetLabels()} {
				if o["kustomize.toolkit.fluxcd.io/name"] != "app" || o["kustomize.toolkit.fluxcd.io/namespace"] != f.NS || o["environment"] != env {
					t.Errorf("labels = %v, want the owner labels and environment=%s", o, env)
				}
			}

			wantInv := map[string]string{
				f.NS + "_web_apps_Deployment":     "v1",
				f.NS + "_web-settings__ConfigMap": "v1",
			}
			if ks.Status.Inventory == nil || len(ks.Status.Inventory.Entries) != len(wantInv) {
				t.Fatalf("inventory = %+v, want %v", ks.Status.Inventory, wantInv)
			}
			for _, e := range ks.Status.Inventory.Entries {
				if wantInv[e.ID] != e.Version {
					t.Errorf("inventory entry %+v not expected; want %v", e, wantInv)
				}
			}

			// The change set is announced in an event.
			f.Eventually("an event with the change set", func() string {
				for _, e := range f.Events() {
					if strings.Contains(e.Message, "Deployment/"+f.NS+"/web created") &&
						strings.Contains(e.Message, "ConfigMap/"+f.NS+"/web-settings created") {
						if e.Annotations["kustomize.toolkit.fluxcd.io/revision"] != rev {
							return "the change-set event lacks the revision annotation"
						}
						return ""
					}
				}
				return "no event lists the created objects"
			})
		})
	}
}

// TestGeneratedKustomization syncs a directory without kustomization.yaml.
func TestGeneratedKustomization(t *testing.T) {
	f := newFixture(t, map[string]string{
		"deploy/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: \"1\"\n",
		"deploy/values.yaml":    "replicaCount: 2\n",
		"README.md":             "# app\n",
	})
	f.sync("deploy", false)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if cm := f.Get("v1", "ConfigMap", "plain"); cm == nil {
		t.Error("ConfigMap plain was not applied")
	}
}

func controllerHasFinalizer(ks *kustomizev1.Kustomization) bool {
	for _, f := range ks.Finalizers {
		if f == kustomizev1.KustomizationFinalizer {
			return true
		}
	}
	return false
}
