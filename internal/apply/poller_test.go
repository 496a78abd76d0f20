package apply

import (
	"context"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/object"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestPrefetchReaderReturnsWhatADirectGetWould(t *testing.T) {
	needCluster(t)
	ctx := context.Background()
	ns := testNamespace()
	objs := manifests(t, ns, `apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: present
  namespace: %[1]s
data:
  key: value
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: outside
  namespace: %[1]s`)
	for _, o := range objs {
		if err := kube.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	cm := schema.GroupKind{Kind: "ConfigMap"}
	set := object.ObjMetadataSet{
		{Namespace: ns, Name: "present", GroupKind: cm},
		{Namespace: ns, Name: "missing", GroupKind: cm},
	}
	r, err := newPrefetchReader(kube, kube.RESTMapper(), set)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	read := func(name string) (*unstructured.Unstructured, error) {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("ConfigMap")
		return u, r.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u)
	}
	u, err := read("present")
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := unstructured.NestedString(u.Object, "data", "key"); v != "value" {
		t.Fatalf("data.key = %q, want value", v)
	}
	// The caller owns what it gets: changing it leaves the next Get alone.
	u.Object["data"] = map[string]any{"key": "changed"}
	if again, _ := read("present"); again.Object["data"].(map[string]any)["key"] != "value" {
		t.Fatal("a Get shares its object with the reader")
	}
	if _, err := read("missing"); !apierrors.IsNotFound(err) {
		t.Fatalf("missing object: err = %v, want NotFound", err)
	}
	if _, err := read("outside"); err != nil {
		t.Fatalf("an object outside the set is read directly: %v", err)
	}

	// The next Sync sees changes.
	if err := kube.Delete(ctx, objs[1]); err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := read("present"); !apierrors.IsNotFound(err) {
		t.Fatalf("after deletion: err = %v, want NotFound", err)
	}
}

func TestDeploymentStatusReaderSupportsDeploymentsOnly(t *testing.T) {
	r := newDeploymentStatusReader(nil)
	for gk, want := range map[schema.GroupKind]bool{
		{Group: "apps", Kind: "Deployment"}:  true,
		{Group: "apps", Kind: "StatefulSet"}: false, // kstatus's reader looks at its Pods
		{Group: "apps", Kind: "ReplicaSet"}:  false,
		{Kind: "Deployment"}:                 false,
	} {
		if got := r.Supports(gk); got != want {
			t.Errorf("Supports(%v) = %v, want %v", gk, got, want)
		}
	}
}
