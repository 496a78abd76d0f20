package config

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

func TestCRDs(t *testing.T) {
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"gitrepositories.source.toolkit.fluxcd.io":   "GitRepository",
		"kustomizations.kustomize.toolkit.fluxcd.io": "Kustomization",
	}
	for _, crd := range crds {
		kind, ok := want[crd.Name]
		if !ok {
			continue
		}
		delete(want, crd.Name)
		if crd.Spec.Names.Kind != kind {
			t.Errorf("CRD %s: kind %q, want %q", crd.Name, crd.Spec.Names.Kind, kind)
		}
		storage := 0
		for _, v := range crd.Spec.Versions {
			if v.Storage {
				storage++
				if v.Name != "v1" {
					t.Errorf("CRD %s: storage version %q, want v1", crd.Name, v.Name)
				}
				if v.Subresources == nil || v.Subresources.Status == nil {
					t.Errorf("CRD %s: no status subresource", crd.Name)
				}
			}
		}
		if storage != 1 {
			t.Errorf("CRD %s: %d storage versions, want 1", crd.Name, storage)
		}
	}
	for name := range want {
		t.Errorf("CRD %s not embedded", name)
	}
}

func TestInstallManifests(t *testing.T) {
	out, err := InstallManifests(InstallOptions{Version: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := splitDocuments(out)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var deploy *appsv1.Deployment
	services := map[string]*corev1.Service{}
	for i, doc := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("document %d does not parse: %v", i, err)
		}
		kinds = append(kinds, u.GetKind())
		switch u.GetKind() {
		case "Deployment":
			deploy = &appsv1.Deployment{}
			if err := yaml.UnmarshalStrict(doc, deploy); err != nil {
				t.Fatalf("Deployment does not parse strictly: %v", err)
			}
		case "Service":
			s := &corev1.Service{}
			if err := yaml.UnmarshalStrict(doc, s); err != nil {
				t.Fatalf("Service does not parse strictly: %v", err)
			}
			services[s.Name] = s
		}
		if ns := u.GetNamespace(); ns != "" && ns != Namespace {
			t.Errorf("%s/%s: namespace %q, want %q", u.GetKind(), u.GetName(), ns, Namespace)
		}
	}
	if kinds[0] != "Namespace" || kinds[1] != "CustomResourceDefinition" || kinds[len(kinds)-1] != "Deployment" {
		t.Errorf("kinds in order %v: want Namespace, then CRDs, ..., Deployment last", kinds)
	}
	svc, webhook := services["ferry"], services["webhook-receiver"]
	if deploy == nil || svc == nil || webhook == nil {
		t.Fatalf("kinds %v: want a Deployment and the Services ferry and webhook-receiver", kinds)
	}
	c := deploy.Spec.Template.Spec.Containers[0]
	if c.Image != "ghcr.io/ferrycd/ferry:v1.2.3" {
		t.Errorf("image %q, want ghcr.io/ferrycd/ferry:v1.2.3", c.Image)
	}
	if len(c.Args) == 0 || c.Args[0] != "controller" {
		t.Errorf("args %v: want the controller command first", c.Args)
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("container security context %+v: want non-root with a read-only root filesystem", sc)
	}
	memLimit := false
	for _, e := range c.Env {
		if e.Name == "GOMEMLIMIT" && e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil &&
			e.ValueFrom.ResourceFieldRef.Resource == "limits.memory" && e.ValueFrom.ResourceFieldRef.ContainerName == c.Name {
			memLimit = true
		}
	}
	if _, limited := c.Resources.Limits[corev1.ResourceMemory]; !limited || !memLimit {
		t.Errorf("container %s: want a memory limit and GOMEMLIMIT from it (env %+v)", c.Name, c.Env)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["http"] != 9790 || ports["http-prom"] != 8080 || ports["healthz"] != 9440 || ports["http-webhook"] != 9292 {
		t.Errorf("container ports %v: want http 9790, http-prom 8080, healthz 9440, http-webhook 9292", ports)
	}
	if len(webhook.Spec.Ports) != 1 || webhook.Spec.Ports[0].Port != 80 || webhook.Spec.Ports[0].TargetPort.String() != "http-webhook" {
		t.Errorf("service webhook-receiver ports %+v: want port 80 to http-webhook", webhook.Spec.Ports)
	}
	if svc.Name != "ferry" || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 80 || svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("service %s ports %+v: want ferry, port 80 to http", svc.Name, svc.Spec.Ports)
	}
	for k, v := range svc.Spec.Selector {
		if deploy.Spec.Template.Labels[k] != v {
			t.Errorf("service selector %s=%s does not match the pod labels %v", k, v, deploy.Spec.Template.Labels)
		}
	}
	if bytes.Contains(out, []byte(imagePlaceholder)) {
		t.Errorf("output still contains the placeholder image %s", imagePlaceholder)
	}
}

func TestInstallManifestsRejectsBadVersions(t *testing.T) {
	tests := map[string]string{
		"empty":     "",
		"newline":   "v1\nkind: Secret",
		"space":     "v1 2",
		"colon":     "v1:latest",
		"too long":  strings.Repeat("a", 129),
		"leading .": ".v1",
	}
	for name, version := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := InstallManifests(InstallOptions{Version: version}); err == nil {
				t.Fatalf("InstallManifests(%q) succeeded, want an error", version)
			}
		})
	}
}

func TestInstallObjectsImageAndNamespace(t *testing.T) {
	const ref = "registry.example.com/mirror/ferry@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	objs, err := InstallObjects(InstallOptions{Version: "ignored", Image: ref, Namespace: "gitops"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range objs {
		switch {
		case u.GetKind() == "Namespace":
			if u.GetName() != "gitops" {
				t.Errorf("Namespace %s, want gitops", u.GetName())
			}
		case u.GetKind() == "Deployment":
			containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
			if img := containers[0].(map[string]any)["image"]; img != ref {
				t.Errorf("Deployment image %v, want %s", img, ref)
			}
		case u.GetKind() == "ClusterRoleBinding":
			subjects, _, _ := unstructured.NestedSlice(u.Object, "subjects")
			if ns := subjects[0].(map[string]any)["namespace"]; ns != "gitops" {
				t.Errorf("ClusterRoleBinding %s binds a ServiceAccount in %v, want gitops", u.GetName(), ns)
			}
		}
		if ns := u.GetNamespace(); ns != "" && ns != "gitops" {
			t.Errorf("%s/%s in namespace %s, want gitops", u.GetKind(), u.GetName(), ns)
		}
	}
	for _, bad := range []InstallOptions{
		{Image: "ghcr.io/ferrycd/ferry:v1 --privileged"},
		{Image: "ghcr.io/ferrycd/ferry@sha256:short"},
		{Image: "UPPER/case"},
		{Version: "v1", Namespace: "Not_A_Label"},
	} {
		if _, err := InstallObjects(bad); err == nil {
			t.Errorf("InstallObjects(%+v) succeeded, want an error", bad)
		}
	}
}

func TestInstallObjectsShards(t *testing.T) {
	objs, err := InstallObjects(InstallOptions{Version: "v1", Shards: []string{"one", "two"}})
	if err != nil {
		t.Fatal(err)
	}
	deployments := map[string]*appsv1.Deployment{}
	services := map[string]*corev1.Service{}
	for _, u := range objs {
		data, _ := yaml.Marshal(u.Object)
		switch u.GetKind() {
		case "Deployment":
			d := &appsv1.Deployment{}
			if err := yaml.UnmarshalStrict(data, d); err != nil {
				t.Fatal(err)
			}
			deployments[d.Name] = d
		case "Service":
			s := &corev1.Service{}
			if err := yaml.UnmarshalStrict(data, s); err != nil {
				t.Fatal(err)
			}
			services[s.Name] = s
		}
	}
	has := func(args []string, want string) bool { return slices.Contains(args, want) }
	main := deployments["ferry"]
	if main == nil || !has(main.Spec.Template.Spec.Containers[0].Args, "--watch-label-selector=!sharding.fluxcd.io/key") {
		t.Fatalf("the main Deployment does not leave the shards' objects alone: %+v", main)
	}
	for _, shard := range []string{"one", "two"} {
		name := "ferry-shard-" + shard
		d, svc := deployments[name], services[name]
		if d == nil || svc == nil {
			t.Fatalf("no Deployment or Service %s: %v %v", name, deployments, services)
		}
		args := d.Spec.Template.Spec.Containers[0].Args
		for _, want := range []string{"--watch-label-selector=sharding.fluxcd.io/key=" + shard, "--leader-election-id=" + name + "-leader-election",
			"--storage-adv-addr=" + name + ".$(RUNTIME_NAMESPACE).svc.cluster.local."} {
			if !has(args, want) {
				t.Errorf("%s args %v lack %s", name, args, want)
			}
		}
		// Neither the main selector nor another shard's picks its pods;
		// its own does.
		pods := labels.Set(d.Spec.Template.Labels)
		for other, o := range deployments {
			sel := labels.SelectorFromSet(o.Spec.Selector.MatchLabels)
			if sel.Matches(pods) != (other == name) {
				t.Errorf("Deployment %s's selector matches the pods of %s: %v", other, name, sel.Matches(pods))
			}
		}
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(pods) || labels.SelectorFromSet(services["ferry"].Spec.Selector).Matches(pods) {
			t.Errorf("Service %s selects %v; the main Service must not select the shard's pods", name, svc.Spec.Selector)
		}
	}
	for _, bad := range [][]string{{"Bad_Name"}, {"one", "one"}, {""}} {
		if _, err := InstallObjects(InstallOptions{Version: "v1", Shards: bad}); err == nil {
			t.Errorf("shards %q accepted", bad)
		}
	}
}

func TestSplitDocuments(t *testing.T) {
	tests := map[string]struct {
		in   string
		want []string
	}{
		"single":              {in: "a: 1\n", want: []string{"a: 1"}},
		"leading separator":   {in: "---\na: 1\n---\nb: 2\n", want: []string{"a: 1", "b: 2"}},
		"empty documents":     {in: "---\n---\na: 1\n---\n", want: []string{"a: 1"}},
		"comment only header": {in: "# c\na: 1\n", want: []string{"# c\na: 1"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := splitDocuments([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d documents %q, want %q", len(got), got, tt.want)
			}
			for i := range got {
				if string(got[i]) != tt.want[i] {
					t.Errorf("document %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}
