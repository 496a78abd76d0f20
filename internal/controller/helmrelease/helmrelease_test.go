package helmrelease_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestInstallUpgradeNoChange walks one release through install (values
// from a Secret, a ConfigMap and inline values, in Flux's order), a
// requested reconcile that changes nothing (no new release version), an
// upgrade for new values and one for a new chart version, and deletion.
func TestInstallUpgradeNoChange(t *testing.T) {
	ns := env.NewNamespace(t, "hr-basic")
	ctx := context.Background()
	c := helmtest.Chart{Name: "app", Version: "1.0.0", Values: "data:\n  color: grey\n  size: small\n"}
	publish(t, ns, "web", c)
	must(t, env.Client.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "base"},
		Data:       map[string]string{"values.yaml": "data:\n  color: blue\n  size: large\n"},
	}))
	must(t, env.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "token"},
		Data:       map[string][]byte{"token": []byte(secretValue)},
	}))
	apply(t, ns, hrDoc("web", `  valuesFrom:
    - kind: ConfigMap
      name: base
    - kind: Secret
      name: token
      valuesKey: token
      targetPath: data.token
    - kind: ConfigMap
      name: absent
      optional: true
  values:
    data:
      size: medium
`))
	hr := waitHR(t, ns, "web", "installed", readyWith(helmv2.InstallSucceededReason))
	cm, err := configMap(t, ns, "web-app")
	must(t, err)
	if cm.Data["color"] != "blue" || cm.Data["size"] != "medium" || cm.Data["token"] != secretValue {
		t.Errorf("values not composed in Flux's order: %v", cm.Data)
	}
	if cm.Labels["helm.toolkit.fluxcd.io/name"] != "web" || cm.Labels["helm.toolkit.fluxcd.io/namespace"] != ns {
		t.Errorf("origin labels missing: %v", cm.Labels)
	}
	if got := releaseSecrets(t, ns, "web"); len(got) != 1 || got["1"] != "deployed" {
		t.Errorf("Helm storage = %v, want v1 deployed", got)
	}
	if len(hr.Status.History) != 1 || hr.Status.History[0].ChartVersion != "1.0.0" || hr.Status.History[0].Status != "deployed" {
		t.Errorf("history = %s", testenv.Dump(hr.Status.History))
	}
	if hr.Status.Inventory == nil || len(hr.Status.Inventory.Entries) != 1 || hr.Status.Inventory.Entries[0].ID != ns+"_web-app__ConfigMap" {
		t.Errorf("inventory = %s", testenv.Dump(hr.Status.Inventory))
	}
	if !strings.Contains(readyMessage(hr), "Helm install succeeded for release "+ns+"/web.v1 with chart app@1.0.0") {
		t.Errorf("Ready = %q", readyMessage(hr))
	}

	// A requested reconcile with nothing changed makes no release.
	token := testenv.RequestReconcile(t, env.Client, &helmv2.HelmRelease{}, testenv.Key(ns, "web"))
	waitHR(t, ns, "web", "reconciled at "+token, func(hr *helmv2.HelmRelease) bool {
		return hr.Status.LastHandledReconcileAt == token && readyWith("")(hr)
	})
	if got := releaseSecrets(t, ns, "web"); len(got) != 1 {
		t.Errorf("a no-change reconcile made a release: %v", got)
	}

	// New values upgrade.
	apply(t, ns, hrDoc("web", `  values:
    data:
      size: huge
`))
	hr = waitHR(t, ns, "web", "upgraded", readyWith(helmv2.UpgradeSucceededReason))
	cm, _ = configMap(t, ns, "web-app")
	if cm.Data["size"] != "huge" || cm.Data["color"] != "grey" {
		t.Errorf("after the values change: %v", cm.Data)
	}
	if got := releaseSecrets(t, ns, "web"); got["2"] != "deployed" || got["1"] != "superseded" {
		t.Errorf("Helm storage = %v", got)
	}

	// A new chart version upgrades.
	publish(t, ns, "web", helmtest.Chart{Name: "app", Version: "1.1.0", Values: c.Values})
	hr = waitHR(t, ns, "web", "at chart 1.1.0", func(hr *helmv2.HelmRelease) bool {
		return hr.Status.History.Latest() != nil && hr.Status.History.Latest().ChartVersion == "1.1.0" && readyWith("")(hr)
	})
	if hr.Status.LastAttemptedRevision != "1.1.0" || hr.Status.LastAppliedRevision != "1.1.0" {
		t.Errorf("lastAttemptedRevision %q lastAppliedRevision %q", hr.Status.LastAttemptedRevision, hr.Status.LastAppliedRevision)
	}

	// Deletion uninstalls.
	must(t, env.Client.Delete(ctx, hr))
	testenv.Eventually(t, "the release uninstalled", func() (bool, string) {
		_, err := configMap(t, ns, "web-app")
		secrets := releaseSecrets(t, ns, "web")
		return apierrors.IsNotFound(err) && len(secrets) == 0, testenv.Dump(secrets)
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
