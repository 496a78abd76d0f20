package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// olderVersionsYAML is seed 002's podinfo pair, written in the v1beta2 API,
// and a v1beta1 Kustomization of the same source.
const olderVersionsYAML = `---
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: GitRepository
metadata:
  name: podinfo
  namespace: %[1]s
spec:
  interval: 5m
  url: %[2]s
  ref:
    branch: main
  gitImplementation: go-git
---
apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
kind: Kustomization
metadata:
  name: podinfo
  namespace: %[1]s
spec:
  interval: 5m
  path: ./deploy
  prune: true
  sourceRef:
    kind: GitRepository
    name: podinfo
  targetNamespace: %[1]s
  validation: client
---
apiVersion: kustomize.toolkit.fluxcd.io/v1beta1
kind: Kustomization
metadata:
  name: podinfo-v1beta1
  namespace: %[1]s
spec:
  interval: 5m
  path: ./deploy-v1beta1
  prune: true
  sourceRef:
    kind: GitRepository
    name: podinfo
  targetNamespace: %[1]s
`

// TestOlderAPIVersions applies Flux v1beta2 and v1beta1 objects and checks
// that the controllers reconcile them as v1 objects and the CLI handles
// them: reconcile, suspend, resume and export (which writes v1).
func TestOlderAPIVersions(t *testing.T) {
	ns := env.NewNamespace(t, "old")
	repo, err := env.Git.InitRepo(ns+"/podinfo", "main")
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.CommitFiles("initial", map[string]string{
		"deploy/cm.yaml":         configMapYAML("from-v1beta2", "one"),
		"deploy-v1beta1/cm.yaml": configMapYAML("from-v1beta1", "one"),
	})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeManifests([]byte(fmt.Sprintf(olderVersionsYAML, ns, env.Git.RepoURL(ns+"/podinfo"))))
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %s %s: %v", obj.GetAPIVersion(), objectName(obj), err)
		}
	}

	for _, name := range []string{"podinfo", "podinfo-v1beta1"} {
		_, stderr, code := ferry(t, "-n", ns, "reconcile", "kustomization", name, "--with-source")
		if code != 0 {
			t.Fatalf("reconcile %s exited %d:\n%s", name, code, stderr)
		}
		mustContain(t, "reconcile output", stderr, "✔ applied revision main@sha1:"+head)
	}
	for _, cm := range []string{"from-v1beta2", "from-v1beta1"} {
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: cm}, &corev1.ConfigMap{}); err != nil {
			t.Errorf("ConfigMap %s was not applied: %v", cm, err)
		}
	}

	_, stderr, code := ferry(t, "-n", ns, "suspend", "ks", "podinfo-v1beta1")
	if code != 0 {
		t.Fatalf("suspend exited %d: %s", code, stderr)
	}
	_, stderr, code = ferry(t, "-n", ns, "resume", "ks", "podinfo-v1beta1")
	if code != 0 {
		t.Fatalf("resume exited %d: %s", code, stderr)
	}
	mustContain(t, "resume output", stderr, "✔ applied revision main@sha1:"+head)

	stdout, stderr, code := ferry(t, "-n", ns, "export", "source", "git", "podinfo")
	if code != 0 {
		t.Fatalf("export exited %d: %s", code, stderr)
	}
	mustContain(t, "export of a v1beta2 GitRepository", stdout, "apiVersion: source.toolkit.fluxcd.io/v1\n", "branch: main")
	if strings.Contains(stdout, "gitImplementation") {
		t.Errorf("export kept the dropped field gitImplementation:\n%s", stdout)
	}
}
