package helmrelease_test

import (
	"context"
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

// TestServiceAccountImpersonation: the Helm actions (storage included) run
// with the rights of spec.serviceAccountName: without any the release
// fails naming the ServiceAccount; with a Role it installs.
func TestServiceAccountImpersonation(t *testing.T) {
	ns := env.NewNamespace(t, "hr-sa")
	ctx := context.Background()
	must(t, env.Client.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"}}))
	publish(t, ns, "app", helmtest.Chart{Name: "app", Version: "1.0.0"})
	apply(t, ns, hrDoc("app", "  serviceAccountName: deployer\n"))
	hr := waitHR(t, ns, "app", "refused for lack of rights", func(hr *helmv2.HelmRelease) bool {
		c := condition(hr, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, "system:serviceaccount:"+ns+":deployer")
	})
	if _, err := configMap(t, ns, "app-app"); err == nil {
		t.Errorf("installed without the rights: %s", readyMessage(hr))
	}

	must(t, env.Client.Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps"}, Verbs: []string{"*"}}},
	}))
	must(t, env.Client.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "deployer"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "deployer", Namespace: ns}},
	}))
	testenv.RequestReconcile(t, env.Client, &helmv2.HelmRelease{}, testenv.Key(ns, "app"))
	waitHR(t, ns, "app", "installed as the ServiceAccount", readyWith(helmv2.InstallSucceededReason))
	if _, err := configMap(t, ns, "app-app"); err != nil {
		t.Error(err)
	}
}
