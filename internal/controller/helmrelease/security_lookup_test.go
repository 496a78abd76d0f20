package helmrelease_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// lookupTemplate renders into a ConfigMap the password of the Secret
// namespace/name that Helm's lookup function reads.
const lookupTemplate = `{{- $s := lookup "v1" "Secret" "NAMESPACE" "NAME" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-looked-up
  namespace: {{ .Release.Namespace }}
data:
  password: {{ (($s.data).password | default "") | b64dec | quote }}
  found: {{ len $s | quote }}
`

// TestLookupUnderATenant installs, as a tenant's ServiceAccount that may
// manage Secrets and ConfigMaps in its own namespace only, charts whose
// templates use Helm's lookup: on a Secret of another namespace, on every
// Secret of the cluster, and on a Secret of its own namespace. Lookups run
// with the tenant's rights: the first two fail the release as forbidden,
// with no ConfigMap rendered and the other namespace's password in no
// status, event or log line; the third renders its own Secret, so lookups
// do reach the API server.
func TestLookupUnderATenant(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "tenant")
	other := env.NewNamespace(t, "victim")
	const own = "own-namespace-value"
	must(t, env.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: other, Name: "target"},
		StringData: map[string]string{"password": secretValue}}))
	must(t, env.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mine"},
		StringData: map[string]string{"password": own}}))
	must(t, env.Client.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"}}))
	must(t, env.Client.Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps"}, Verbs: []string{"*"}}},
	}))
	must(t, env.Client.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "deployer"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "deployer", Namespace: ns}},
	}))
	template := func(namespace, name string) map[string]string {
		return map[string]string{"configmap.yaml": strings.NewReplacer("NAMESPACE", namespace, "NAME", name).Replace(lookupTemplate)}
	}
	publish(t, ns, "cross", helmtest.Chart{Name: "cross", Version: "1.0.0", Templates: template(other, "target")})
	publish(t, ns, "all", helmtest.Chart{Name: "all", Version: "1.0.0", Templates: map[string]string{"configmap.yaml": `{{- $all := lookup "v1" "Secret" "" "" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-looked-up
  namespace: {{ .Release.Namespace }}
data:
  secrets: {{ $all | toJson | quote }}
`}})
	publish(t, ns, "own", helmtest.Chart{Name: "own", Version: "1.0.0", Templates: template(ns, "mine")})
	for _, name := range []string{"cross", "all", "own"} {
		apply(t, ns, hrDoc(name, "  serviceAccountName: deployer\n"))
	}

	hr := waitHR(t, ns, "own", "installed", readyWith(helmv2.InstallSucceededReason))
	if cm, err := configMap(t, ns, "own-looked-up"); err != nil || cm.Data["password"] != own {
		t.Fatalf("the lookup in its own namespace rendered %v, %v; want %q: %s", cm.Data, err, own, readyMessage(hr))
	}
	for _, name := range []string{"cross", "all"} {
		hr := waitHR(t, ns, name, "refused", func(hr *helmv2.HelmRelease) bool {
			c := condition(hr, meta.ReadyCondition)
			return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, "forbidden")
		})
		msg := readyMessage(hr)
		t.Logf("%s: %s", name, msg)
		if !strings.Contains(msg, "system:serviceaccount:"+ns+":deployer") {
			t.Errorf("%s: Ready message %q does not name the ServiceAccount", name, msg)
		}
		if _, err := configMap(t, ns, name+"-looked-up"); err == nil {
			t.Errorf("%s: a ConfigMap was rendered from a lookup the tenant may not make", name)
		}
		status, _ := json.Marshal(hr.Status)
		if strings.Contains(string(status), secretValue) {
			t.Errorf("%s: the status holds the other namespace's password", name)
		}
		for _, e := range testenv.Events(t, env.Client, "", ns, name) {
			if strings.Contains(e.Message, secretValue) {
				t.Errorf("%s: event %s holds the other namespace's password", name, e.Reason)
			}
		}
	}
	var cms corev1.ConfigMapList
	must(t, env.Client.List(ctx, &cms))
	for _, cm := range cms.Items {
		for _, v := range cm.Data {
			if strings.Contains(v, secretValue) {
				t.Errorf("ConfigMap %s/%s holds the other namespace's password", cm.Namespace, cm.Name)
			}
		}
	}
	if strings.Contains(env.Logs.String(), secretValue) {
		t.Error("the controllers logged the other namespace's password")
	}
}
