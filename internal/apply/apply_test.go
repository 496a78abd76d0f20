package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluxcd/pkg/ssa"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// manifests parses a YAML stream with %[1]s replaced by ns.
func manifests(t *testing.T, ns, stream string) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(fmt.Sprintf(stream, ns), "\n---\n") {
		o := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &o.Object); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	return objs
}

func testNamespace() string { return "apply-" + rand.String(6) }

func get(t *testing.T, apiVersion, kind, ns, name string) (*unstructured.Unstructured, error) {
	t.Helper()
	o := obj(apiVersion, kind, ns, name)
	err := kube.Get(context.Background(), client.ObjectKeyFromObject(o), o)
	return o, err
}

func actions(cs *ssa.ChangeSet) map[string]ssa.Action {
	return cs.ToMap()
}

const app = `apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: %[1]s
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: %[1]s
data:
  color: blue`

// TestApplyStagedAndIdempotent applies a namespace, a CRD and objects that
// need both in one call, then again to see nothing change.
func TestApplyStagedAndIdempotent(t *testing.T) {
	needCluster(t)
	ctx := context.Background()
	ns := testNamespace()
	group := ns + ".ferry.test"
	objs := append(manifests(t, ns, app), manifests(t, ns, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.%[1]s.ferry.test
spec:
  group: %[1]s.ferry.test
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
---
apiVersion: %[1]s.ferry.test/v1
kind: Widget
metadata:
  name: w
  namespace: %[1]s
spec:
  size: 3`)...)
	m := NewManager(kube, testOwner)

	cs, err := m.Apply(ctx, objs, Options{WaitTimeout: time.Minute, WaitInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ssa.Action{
		"Namespace/" + ns: ssa.CreatedAction,
		"CustomResourceDefinition/widgets." + group: ssa.CreatedAction,
		"Deployment/" + ns + "/web":                 ssa.CreatedAction,
		"ConfigMap/" + ns + "/settings":             ssa.CreatedAction,
		"Widget/" + ns + "/w":                       ssa.CreatedAction,
	}
	if got := actions(cs); !mapsEqual(got, want) {
		t.Errorf("first apply = %v, want %v", got, want)
	}

	// Every object carries the owner labels and is managed by kustomize-controller.
	for _, o := range []struct{ apiVersion, kind, ns, name string }{
		{"v1", "Namespace", "", ns}, {"apps/v1", "Deployment", ns, "web"}, {group + "/v1", "Widget", ns, "w"},
	} {
		live, err := get(t, o.apiVersion, o.kind, o.ns, o.name)
		if err != nil {
			t.Fatal(err)
		}
		l := live.GetLabels()
		if l[kustomizev1.NameLabel] != "apps" || l[kustomizev1.NamespaceLabel] != "flux-system" {
			t.Errorf("%s/%s labels = %v, want the owner labels", o.kind, o.name, l)
		}
		if !slices.ContainsFunc(live.GetManagedFields(), func(f metav1.ManagedFieldsEntry) bool { return f.Manager == testOwner.Field }) {
			t.Errorf("%s/%s is not managed by %s: %v", o.kind, o.name, testOwner.Field, live.GetManagedFields())
		}
	}

	// A second apply of the same objects changes nothing.
	cs, err = m.Apply(ctx, append(manifests(t, ns, app), objs[3:]...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for subject, action := range actions(cs) {
		if action != ssa.UnchangedAction {
			t.Errorf("second apply: %s %s, want unchanged", subject, action)
		}
	}
}

// TestApplyRevertsDrift changes an applied Deployment by hand, as kubectl
// would, and checks the next apply puts Git's value back.
func TestApplyRevertsDrift(t *testing.T) {
	needCluster(t)
	ctx := context.Background()
	ns := testNamespace()
	m := NewManager(kube, testOwner)
	if _, err := m.Apply(ctx, manifests(t, ns, app), Options{}); err != nil {
		t.Fatal(err)
	}
	for _, manager := range []string{"kubectl", "someone-else"} {
		t.Run(manager, func(t *testing.T) {
			live, err := get(t, "apps/v1", "Deployment", ns, "web")
			if err != nil {
				t.Fatal(err)
			}
			patch := []byte(`{"spec":{"replicas":7}}`)
			if err := kube.Patch(ctx, live, client.RawPatch("application/merge-patch+json", patch), client.FieldOwner(manager)); err != nil {
				t.Fatal(err)
			}
			cs, err := m.Apply(ctx, manifests(t, ns, app), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if a := actions(cs)["Deployment/"+ns+"/web"]; a != ssa.ConfiguredAction {
				t.Errorf("Deployment action = %s, want configured", a)
			}
			live, err = get(t, "apps/v1", "Deployment", ns, "web")
			if err != nil {
				t.Fatal(err)
			}
			if r, _, _ := unstructured.NestedInt64(live.Object, "spec", "replicas"); r != 2 {
				t.Errorf("replicas = %d after apply, want 2", r)
			}
		})
	}
}

// TestApplyRejectedObject checks that an object the API server refuses is
// named in the error, and that what was applied before stays.
func TestApplyRejectedObject(t *testing.T) {
	needCluster(t)
	ctx := context.Background()
	ns := testNamespace()
	m := NewManager(kube, testOwner)
	if _, err := m.Apply(ctx, manifests(t, ns, app), Options{}); err != nil {
		t.Fatal(err)
	}
	bad := manifests(t, ns, app+`
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
  namespace: %[1]s
spec:
  replicas: -1
  selector:
    matchLabels: {app: broken}
  template:
    metadata:
      labels: {app: broken}
    spec:
      containers:
      - name: web
        image: nginx:1.27`)
	// The ConfigMap changes in the same revision: it must not be applied either.
	unstructured.SetNestedField(bad[2].Object, "red", "data", "color")
	_, err := m.Apply(ctx, bad, Options{})
	if err == nil {
		t.Fatal("apply succeeded, want the API server to reject Deployment broken")
	}
	if !strings.Contains(err.Error(), "Deployment/"+ns+"/broken") {
		t.Errorf("error %q does not name Deployment/%s/broken", err, ns)
	}
	if _, err := get(t, "apps/v1", "Deployment", ns, "web"); err != nil {
		t.Errorf("previously applied Deployment web: %v", err)
	}
	cm, err := get(t, "v1", "ConfigMap", ns, "settings")
	if err != nil {
		t.Fatal(err)
	}
	if c, _, _ := unstructured.NestedString(cm.Object, "data", "color"); c != "blue" {
		t.Errorf("ConfigMap color = %q, want blue (nothing of a rejected stage is applied)", c)
	}
}

// TestPrune removes an object from the set and checks that only objects this
// owner still labels are deleted.
func TestPrune(t *testing.T) {
	needCluster(t)
	ctx := context.Background()
	ns := testNamespace()
	owner := testOwner
	m := NewManager(kube, owner)
	extra := `
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: removed
  namespace: %[1]s
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: kept
  namespace: %[1]s
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: adopted
  namespace: %[1]s`
	cs, err := m.Apply(ctx, manifests(t, ns, app+extra), Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := Inventory(cs)

	// Someone else takes "adopted" over: the live object loses our labels.
	adopted, err := get(t, "v1", "ConfigMap", ns, "adopted")
	if err != nil {
		t.Fatal(err)
	}
	adopted.SetLabels(map[string]string{kustomizev1.NameLabel: "other", kustomizev1.NamespaceLabel: "flux-system"})
	if err := kube.Update(ctx, adopted); err != nil {
		t.Fatal(err)
	}
	// An object nobody declared lives next to them.
	bystander := manifests(t, ns, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bystander\n  namespace: %[1]s")[0]
	if err := kube.Create(ctx, bystander); err != nil {
		t.Fatal(err)
	}

	cs, err = m.Apply(ctx, manifests(t, ns, app), Options{})
	if err != nil {
		t.Fatal(err)
	}
	after := Inventory(cs)
	stale, err := Stale(before, after)
	if err != nil {
		t.Fatal(err)
	}
	pruned, err := m.Prune(ctx, stale)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ssa.Action{
		"ConfigMap/" + ns + "/removed": ssa.DeletedAction,
		"ConfigMap/" + ns + "/kept":    ssa.SkippedAction,
		"ConfigMap/" + ns + "/adopted": ssa.SkippedAction,
	}
	if got := actions(pruned); !mapsEqual(got, want) {
		t.Errorf("prune = %v, want %v", got, want)
	}
	for name, wantGone := range map[string]bool{"removed": true, "kept": false, "adopted": false, "bystander": false, "settings": false} {
		_, err := get(t, "v1", "ConfigMap", ns, name)
		if gone := apierrors.IsNotFound(err); gone != wantGone {
			t.Errorf("ConfigMap %s gone = %v (%v), want %v", name, gone, err, wantGone)
		}
	}

	// Pruning the whole inventory (the owner is deleted) spares the namespace's bystander.
	all, err := Objects(after)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Prune(ctx, all); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, "apps/v1", "Deployment", ns, "web"); !apierrors.IsNotFound(err) {
		t.Errorf("Deployment web after pruning the inventory: %v, want not found", err)
	}
	// (With no namespace controller in an API-only plane, the namespace's
	// contents outlive it: the bystander is still readable.)
	if _, err := get(t, "v1", "ConfigMap", ns, "bystander"); err != nil {
		t.Errorf("bystander: %v", err)
	}
}

func mapsEqual(a, b map[string]ssa.Action) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// testOwner owns what the tests apply, as a Flux Kustomization would.
var testOwner = Owner{Field: "kustomize-controller", Group: "kustomize.toolkit.fluxcd.io", Name: "apps", Namespace: "flux-system"}
