package alert_test

import (
	"strings"
	"testing"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestOlderVersionsWork applies a Provider and an Alert at v1beta1 and
// v1beta2, as repositories written for older Flux releases hold them, and
// seed 003's v1beta3 Alert (summary, inclusion and exclusion lists): each
// is read back whole at v1beta3 and delivers.
func TestOlderVersionsWork(t *testing.T) {
	for _, version := range []string{"v1beta1", "v1beta2"} {
		t.Run(version, func(t *testing.T) {
			ep := newEndpoint(t)
			f := env.NewFixture(t, appFiles("1"))
			f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/` + version + `
kind: Provider
metadata:
  name: webhook
  namespace: {{ns}}
spec:
  type: generic
  address: ` + ep.URL + `/` + version + `
---
apiVersion: notification.toolkit.fluxcd.io/` + version + `
kind: Alert
metadata:
  name: on-call
  namespace: {{ns}}
spec:
  summary: "Production cluster"
  providerRef:
    name: webhook
  eventSeverity: info
  eventSources:
    - kind: Kustomization
      name: '*'
  exclusionList:
    - ".*progressing"`)
			a := testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "on-call"), "the Alert ready", func(a *notificationv1beta3.Alert) bool {
				return testenv.ReadyCondition(a).Status == "True"
			})
			if a.Spec.Summary != "Production cluster" || len(a.Spec.ExclusionList) != 1 || a.Spec.EventSources[0].Kind != "Kustomization" {
				t.Errorf("the %s Alert read at v1beta3 lost fields: %s", version, testenv.Dump(a.Spec))
			}
			f.ApplyYAML(syncYAML)
			rev := f.Head()
			f.WaitFor("ready", testenv.KustomizationReady(rev))
			got := ep.waitFor(t, "the event", 1, finished(rev))[0]
			md, _ := got.event(t)["metadata"].(map[string]any)
			if got.Path != "/"+version || md["summary"] != "Production cluster" {
				t.Errorf("request %s with metadata %v, want /%s with the Alert's summary", got.Path, md, version)
			}
		})
	}

	t.Run("seed 003 filters", func(t *testing.T) {
		ep := newEndpoint(t)
		f := env.NewFixture(t, map[string]string{"app/kustomization.yaml": "resources: [missing.yaml]\n"})
		// Seed 003's Alert, with its namespace made the test's and
		// without its `throttling: true`, which is no field of Flux's
		// Alert (kubectl apply refuses it for Flux as for ferry; ferry
		// always suppresses repeats).
		f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: {{ns}}
spec:
  type: generic
  address: ` + ep.URL + `/seed
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: on-call
  namespace: {{ns}}
spec:
  summary: "Production cluster"
  providerRef:
    name: slack
  eventSeverity: error  # info, error
  eventSources:
    - kind: Kustomization
      name: '*'
      namespace: {{ns}}
    - kind: HelmRelease
      name: '*'
      namespace: production
  # Inclusion/exclusion filters
  inclusionList:
    - "error.*"
    - ".*missing.yaml.*"
  exclusionList:
    - ".*progressing"`)
		testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "on-call"), "the Alert ready", func(a *notificationv1beta3.Alert) bool {
			return testenv.ReadyCondition(a).Status == "True"
		})
		f.ApplyYAML(syncYAML)
		got := ep.waitFor(t, "the build failure", 1, nil)[0]
		e := got.event(t)
		if e["severity"] != "error" || !strings.Contains(e["message"].(string), "missing.yaml") {
			t.Errorf("event = %s", got.Body)
		}
	})
}
