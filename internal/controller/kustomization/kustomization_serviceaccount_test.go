package kustomization_test

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// tenantRBAC is a ServiceAccount {{sa}} allowed to manage ConfigMaps only
// in the fixture's namespace, through a Role and a RoleBinding.
const tenantRBAC = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{sa}}
  namespace: {{ns}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{sa}}
  namespace: {{ns}}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{sa}}
  namespace: {{ns}}
subjects:
  - kind: ServiceAccount
    name: {{sa}}
    namespace: {{ns}}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{sa}}`

// createTenant creates the ServiceAccount sa with tenantRBAC's rights.
func (f *fixture) createTenant(sa string) {
	f.T.Helper()
	f.ApplyYAML(strings.ReplaceAll(tenantRBAC, "{{sa}}", sa))
}

// allowDeployments lets the ServiceAccount of createTenant manage
// Deployments too.
func (f *fixture) allowDeployments(sa string) {
	f.T.Helper()
	role := &rbacv1.Role{}
	if err := env.Client.Get(context.Background(), testenv.Key(f.NS, sa), role); err != nil {
		f.T.Fatal(err)
	}
	role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"*"}})
	if err := env.Client.Update(context.Background(), role); err != nil {
		f.T.Fatal(err)
	}
}

// TestServiceAccountImpersonation checks that spec.serviceAccountName
// applies, prunes and deletes with that ServiceAccount's rights, as Flux
// does: what RBAC forbids it fails with a message naming the object and the
// ServiceAccount; once allowed, it applies; deleting the Kustomization
// deletes what it applied.
func TestServiceAccountImpersonation(t *testing.T) {
	f := newFixture(t, appFiles())
	f.createTenant("tenant")
	f.ApplyYAML(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 1h
  path: apps/production
  prune: true
  targetNamespace: {{ns}}
  serviceAccountName: tenant
  sourceRef:
    kind: GitRepository
    name: app`)

	// The tenant may not manage Deployments.
	ks := f.WaitFor("ReconciliationFailed", testenv.KustomizationFailed("ReconciliationFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	t.Logf("Ready message: %s", msg)
	for _, want := range []string{
		"Deployment/" + f.NS + "/web", "forbidden", "system:serviceaccount:" + f.NS + ":tenant",
		"as ServiceAccount " + f.NS + "/tenant",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	if f.Get("apps/v1", "Deployment", "web") != nil {
		t.Error("a Deployment the ServiceAccount may not create was applied")
	}

	// Once RBAC allows it, the next reconciliation applies everything.
	f.allowDeployments("tenant")
	f.RequestReconcile(&kustomizev1.Kustomization{}, "app")
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if f.Get("apps/v1", "Deployment", "web") == nil || f.Get("v1", "ConfigMap", "web-settings") == nil {
		t.Fatal("the objects were not applied once RBAC allowed them")
	}

	// Deleting the Kustomization deletes its objects as the ServiceAccount.
	if err := env.Client.Delete(context.Background(), ks); err != nil {
		t.Fatal(err)
	}
	f.Eventually("objects deleted with the Kustomization", func() string {
		if d := f.Get("apps/v1", "Deployment", "web"); d != nil && d.GetDeletionTimestamp() == nil {
			return "the Deployment is still there"
		}
		if f.Get("v1", "ConfigMap", "web-settings") != nil {
			return "the ConfigMap is still there"
		}
		return ""
	})
}
