package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// getAllYAML are suspended objects of four kinds, which no controller
// touches, so that the tables of `get all` are stable.
const getAllYAML = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: app, namespace: %[1]s}
spec: {url: "https://example.com/app.git", interval: 1h, suspend: true, ref: {branch: main}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: charts, namespace: %[1]s}
spec: {url: "https://charts.example.com", interval: 1h, suspend: true}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: app, namespace: %[1]s}
spec: {interval: 1h, path: ./deploy, prune: true, suspend: true, sourceRef: {kind: GitRepository, name: app}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: web, namespace: %[1]s}
spec: {image: registry.example.com/web, interval: 1h, suspend: true}
`

// TestGetAll lists every kind of a namespace, as tables and as a List.
func TestGetAll(t *testing.T) {
	ns := env.NewNamespace(t, "get-all")
	objs, err := decodeManifests([]byte(fmt.Sprintf(getAllYAML, ns)))
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %s: %v", objectName(obj), err)
		}
	}

	stdout, stderr, code := ferry(t, "-n", ns, "get", "all")
	if code != 0 {
		t.Fatalf("get all exited %d: %s", code, stderr)
	}
	golden(t, "get_all.golden", []byte(stdout))

	stdout, stderr, code = ferry(t, "-n", ns, "get", "all", "-o", "json")
	if code != 0 {
		t.Fatalf("get all -o json exited %d: %s", code, stderr)
	}
	var list struct {
		Kind  string `json:"kind"`
		Items []struct {
			APIVersion string         `json:"apiVersion"`
			Kind       string         `json:"kind"`
			Metadata   map[string]any `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatalf("get all -o json printed something else: %v\n%s", err, stdout)
	}
	var got []string
	for _, it := range list.Items {
		got = append(got, it.APIVersion+" "+it.Kind+" "+fmt.Sprint(it.Metadata["name"]))
		if _, ok := it.Metadata["managedFields"]; ok {
			t.Errorf("%s %v: managedFields printed", it.Kind, it.Metadata["name"])
		}
	}
	want := "source.toolkit.fluxcd.io/v1 GitRepository app,source.toolkit.fluxcd.io/v1 HelmRepository charts," +
		"image.toolkit.fluxcd.io/v1 ImageRepository web,kustomize.toolkit.fluxcd.io/v1 Kustomization app"
	if list.Kind != "List" || strings.Join(got, ",") != want {
		t.Errorf("get all -o json: kind %s, items %v, want a List of %s", list.Kind, got, want)
	}

	// A named object prints the object itself.
	stdout, _, code = ferry(t, "-n", ns, "get", "ks", "app", "-o", "yaml")
	var ks map[string]any
	if err := yaml.Unmarshal([]byte(stdout), &ks); err != nil || code != 0 || ks["kind"] != "Kustomization" {
		t.Errorf("get ks app -o yaml: exit %d, err %v:\n%s", code, err, stdout)
	}

	_, stderr, code = ferry(t, "-n", ns, "get", "all", "-o", "wide")
	if code != 1 {
		t.Errorf("get all -o wide exited %d, want 1", code)
	}
	mustContain(t, "get all -o wide", stderr, `--output "wide": want one of table, json, yaml`)

	empty := env.NewNamespace(t, "get-all-empty")
	stdout, stderr, _ = ferry(t, "-n", empty, "get", "all")
	if stdout != "" {
		t.Errorf("get all in an empty namespace printed %q", stdout)
	}
	mustContain(t, "get all in an empty namespace", stderr, "no Flux objects found in "+empty+" namespace")
}
