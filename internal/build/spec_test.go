package build

import (
	"context"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// find returns the object of kind and name, or nil.
func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// images returns the container images of a Deployment.
func images(t *testing.T, d *unstructured.Unstructured) []string {
	t.Helper()
	if d == nil {
		t.Fatal("no Deployment")
	}
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	var out []string
	for _, c := range containers {
		out = append(out, c.(map[string]any)["image"].(string))
	}
	return out
}

// TestBuildSpecFields checks each Flux spec field the build applies to the
// kustomization, as kustomize-controller does.
func TestBuildSpecFields(t *testing.T) {
	tests := map[string]struct {
		opts  Options
		check func(t *testing.T, objs []*unstructured.Unstructured)
	}{
		"strategic merge patch with a target": {
			opts: Options{Patches: []kustomizev1.Patch{{
				Patch:  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\nspec:\n  replicas: 5\n",
				Target: &kustomizev1.Selector{Kind: "Deployment", LabelSelector: "app=web"},
			}}},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if r, _, _ := unstructured.NestedInt64(find(objs, "Deployment", "web").Object, "spec", "replicas"); r != 5 {
					t.Errorf("replicas = %d, want 5", r)
				}
			},
		},
		"strategic merge patch naming its object": {
			opts: Options{Patches: []kustomizev1.Patch{{
				Patch: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n",
			}}},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if typ, _, _ := unstructured.NestedString(find(objs, "Service", "web").Object, "spec", "type"); typ != "NodePort" {
					t.Errorf("type = %q, want NodePort", typ)
				}
			},
		},
		"JSON 6902 patches in order, after the kustomization's own": {
			opts: Options{Patches: []kustomizev1.Patch{
				{Patch: `[{"op": "add", "path": "/metadata/annotations", "value": {"team": "a"}}]`,
					Target: &kustomizev1.Selector{Group: "apps", Version: "v1", Kind: "Deployment", Name: "w.*"}},
				{Patch: "- op: replace\n  path: /metadata/annotations/team\n  value: b\n",
					Target: &kustomizev1.Selector{Kind: "Deployment", AnnotationSelector: "team=a"}},
			}},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if a := find(objs, "Deployment", "web").GetAnnotations()["team"]; a != "b" {
					t.Errorf("team annotation = %q, want b", a)
				}
				if a := find(objs, "Service", "web").GetAnnotations(); a != nil {
					t.Errorf("the Service was patched: %v", a)
				}
			},
		},
		"images replace the kustomization's entry of the same name and add new ones": {
			opts: Options{Images: []kustomizev1.Image{
				{Name: "nginx", NewName: "registry.example.com/nginx", NewTag: "1.27"},
				{Name: "busybox", Digest: "sha256:" + strings.Repeat("a", 64)},
			}},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				want := []string{"registry.example.com/nginx:1.27", "busybox@sha256:" + strings.Repeat("a", 64)}
				if got := images(t, find(objs, "Deployment", "web")); !slices.Equal(got, want) {
					t.Errorf("images = %q, want %q", got, want)
				}
			},
		},
		"without images the kustomization's own apply": {
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if got := images(t, find(objs, "Deployment", "web")); got[0] != "nginx:1.26" {
					t.Errorf("images = %q, want nginx:1.26 first", got)
				}
			},
		},
		"name prefix and suffix": {
			opts: Options{NamePrefix: "prod-", NameSuffix: "-v2"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if got, want := ids(objs), []string{"Deployment//prod-web-v2", "Service//prod-web-v2"}; !slices.Equal(got, want) {
					t.Errorf("objects = %q, want %q", got, want)
				}
			},
		},
		"common metadata on every object, not on selectors or templates": {
			opts: Options{CommonMetadata: &kustomizev1.CommonMetadata{
				Labels:      map[string]string{"owner": "team-a", "app": "overridden"},
				Annotations: map[string]string{"docs": "https://example.com"},
			}},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				for _, o := range objs {
					if o.GetLabels()["owner"] != "team-a" || o.GetLabels()["app"] != "overridden" || o.GetAnnotations()["docs"] != "https://example.com" {
						t.Errorf("%s: labels %v annotations %v", o.GetName(), o.GetLabels(), o.GetAnnotations())
					}
				}
				d := find(objs, "Deployment", "web")
				sel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels")
				tmpl, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
				if len(sel) != 1 || sel["app"] != "web" || len(tmpl) != 1 || tmpl["app"] != "web" {
					t.Errorf("selector %v or template labels %v changed", sel, tmpl)
				}
				if _, found, _ := unstructured.NestedMap(d.Object, "spec", "template", "metadata", "annotations"); found {
					t.Error("template annotations were set")
				}
			},
		},
		"components": {
			opts: Options{Components: []string{"../components/monitoring", "../components/ha"}},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if find(objs, "ConfigMap", "monitoring") == nil {
					t.Error("the monitoring component's ConfigMap is missing")
				}
				if r, _, _ := unstructured.NestedInt64(find(objs, "Deployment", "web").Object, "spec", "replicas"); r != 2 {
					t.Errorf("replicas = %d, want 2 from the ha component", r)
				}
			},
		},
		"missing components ignored": {
			opts: Options{Components: []string{"../components/monitoring", "../components/missing"}, IgnoreMissingComponents: true},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if find(objs, "ConfigMap", "monitoring") == nil {
					t.Error("the monitoring component's ConfigMap is missing")
				}
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tt.opts.Root, tt.opts.Path = "testdata/spec", "app"
			objs, err := Build(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, objs)
		})
	}
}

// TestBuildSpecGolden builds with every spec field set, over a generated
// kustomization and over an existing one.
func TestBuildSpecGolden(t *testing.T) {
	opts := Options{
		Root: "testdata/spec", Path: "app", TargetNamespace: "prod",
		NamePrefix: "p-", NameSuffix: "-s",
		Patches: []kustomizev1.Patch{{
			Patch:  "- op: replace\n  path: /spec/replicas\n  value: 3\n",
			Target: &kustomizev1.Selector{Kind: "Deployment"},
		}},
		Images:         []kustomizev1.Image{{Name: "nginx", NewTag: "1.27"}},
		Components:     []string{"../components/monitoring"},
		CommonMetadata: &kustomizev1.CommonMetadata{Labels: map[string]string{"env": "prod"}},
	}
	objs, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "spec", render(t, objs))

	opts.Path = "base"
	opts.Components = nil
	objs, err = Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "spec-base", render(t, objs))

	// A directory without a kustomization.
	objs, err = Build(context.Background(), Options{Root: "testdata/plain", NamePrefix: "x-", Images: []kustomizev1.Image{{Name: "nginx", NewTag: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(objs), []string{"ConfigMap/plain/x-app-settings", "ConfigMap/plain/x-one", "ConfigMap/plain/x-two", "Namespace//plain", "Service/plain/x-nested"}; !slices.Equal(got, want) {
		t.Errorf("objects:\n got %q\nwant %q", got, want)
	}
}

func TestBuildSpecErrors(t *testing.T) {
	tests := map[string]struct {
		opts Options
		want []string
	}{
		"missing component": {
			opts: Options{Components: []string{"../components/missing"}},
			want: []string{"components/missing"},
		},
		"remote component": {
			opts: Options{Components: []string{"https://github.com/org/repo//components/x?ref=v1"}},
			want: []string{"app/kustomization.yaml", "components entry", "remote bases are disabled"},
		},
		"patch that does not parse": {
			opts: Options{Patches: []kustomizev1.Patch{{Patch: "- op: [", Target: &kustomizev1.Selector{Kind: "Deployment"}}}},
			want: []string{"kustomize"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tt.opts.Root, tt.opts.Path = "testdata/spec", "app"
			_, err := Build(context.Background(), tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestBuildSeedOverlays builds the staging and production overlays of seed
// 002 (deprecated bases, patchesStrategicMerge and commonLabels next to
// namePrefix, namespace and images), then again with a Flux Kustomization's
// images and commonMetadata on top.
func TestBuildSeedOverlays(t *testing.T) {
	for _, env := range []string{"staging", "production"} {
		t.Run(env, func(t *testing.T) {
			var warnings []string
			objs, err := Build(context.Background(), Options{Root: "testdata/seed002", Path: "overlays/" + env,
				Warn: func(w Warning) { warnings = append(warnings, w.Message) }})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "seed002-"+env, render(t, objs))
			if len(warnings) != 3 {
				t.Errorf("warnings = %q, want bases, commonLabels and patchesStrategicMerge", warnings)
			}
			d := find(objs, "Deployment", env+"-my-application")
			if d == nil {
				t.Fatalf("no Deployment %s-my-application in %q", env, ids(objs))
			}
			if d.GetNamespace() != env || d.GetLabels()["environment"] != env {
				t.Errorf("namespace %q labels %v", d.GetNamespace(), d.GetLabels())
			}

			objs, err = Build(context.Background(), Options{Root: "testdata/seed002", Path: "overlays/" + env,
				Images:         []kustomizev1.Image{{Name: "my-application", NewName: "my-registry/my-application", NewTag: "v2.0.0"}},
				CommonMetadata: &kustomizev1.CommonMetadata{Labels: map[string]string{"cluster": "eu-1"}}})
			if err != nil {
				t.Fatal(err)
			}
			d = find(objs, "Deployment", env+"-my-application")
			if got := images(t, d); got[0] != "my-registry/my-application:v2.0.0" {
				t.Errorf("image = %q, want the Flux Kustomization's over the overlay's", got[0])
			}
			for _, o := range objs {
				if o.GetLabels()["cluster"] != "eu-1" || o.GetLabels()["environment"] != env {
					t.Errorf("%s labels = %v", objectID(o), o.GetLabels())
				}
			}
		})
	}
}
