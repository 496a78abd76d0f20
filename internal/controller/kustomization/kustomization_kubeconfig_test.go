package kustomization_test

import (
	"context"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controlplane"
	"github.com/ferrycd/ferry/internal/testenv"
)

// remoteFiles is a repository of two ConfigMaps for a remote cluster.
func remoteFiles() map[string]string {
	return map[string]string{
		"remote/kustomization.yaml": "resources:\n  - first.yaml\n  - second.yaml\n",
		"remote/first.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\ndata:\n  cluster: remote\n",
		"remote/second.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\ndata:\n  cluster: remote\n",
	}
}

// remoteKustomization is a Kustomization applying remote/ with the
// kubeconfig of the Secret "remote"; {{key}} is its secretRef key line.
const remoteKustomization = `apiVersion: source.toolkit.fluxcd.io/v1
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
  timeout: 2m
  path: remote
  prune: true
  wait: true
  targetNamespace: {{ns}}
  kubeConfig:
    secretRef:
      name: remote{{key}}
  sourceRef:
    kind: GitRepository
    name: app`

// TestKubeConfigRemoteCluster checks spec.kubeConfig.secretRef with a second
// control plane: the Kustomization in the first cluster applies its objects
// into the second (and health-checks them there), records them in its
// inventory, prunes there what Git no longer declares, and deletes there
// what it applied when it is deleted.
func TestKubeConfigRemoteCluster(t *testing.T) {
	ctx := context.Background()
	remote, err := controlplane.Start(ctx, controlplane.Options{Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = remote.Stop() })
	remoteClient, err := client.New(remote.Config, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := remote.Kubeconfig()
	if err != nil {
		t.Fatal(err)
	}

	f := newFixture(t, remoteFiles())
	// The target namespace exists on the remote cluster only.
	if err := remoteClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.NS}}); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "remote", Namespace: f.NS},
		Data:       map[string][]byte{"value": kubeconfig},
	}
	if err := env.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	f.ApplyYAML(strings.ReplaceAll(remoteKustomization, "{{key}}", ""))

	remoteConfigMap := func(name string) *corev1.ConfigMap {
		cm := &corev1.ConfigMap{}
		if err := remoteClient.Get(ctx, testenv.Key(f.NS, name), cm); err != nil {
			if client.IgnoreNotFound(err) == nil {
				return nil
			}
			t.Fatal(err)
		}
		return cm
	}

	ks := f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	for _, name := range []string{"first", "second"} {
		cm := remoteConfigMap(name)
		if cm == nil {
			t.Fatalf("ConfigMap %s was not applied to the remote cluster", name)
		}
		if cm.Labels[kustomizev1.NameLabel] != "app" || cm.Labels[kustomizev1.NamespaceLabel] != f.NS {
			t.Errorf("ConfigMap %s has labels %v, want the owner labels", name, cm.Labels)
		}
		if f.Get("v1", "ConfigMap", name) != nil {
			t.Errorf("ConfigMap %s was applied to the Kustomization's own cluster", name)
		}
	}
	if ks.Status.Inventory == nil || len(ks.Status.Inventory.Entries) != 2 {
		t.Errorf("inventory = %s, want the two ConfigMaps", testenv.Dump(ks.Status.Inventory))
	}

	// Removed from Git: pruned on the remote cluster.
	rev := f.Commit("remove second", map[string]string{"remote/kustomization.yaml": "resources:\n  - first.yaml\n"}, "remote/second.yaml")
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	ks = f.WaitFor("ready", testenv.KustomizationReady(rev))
	if remoteConfigMap("second") != nil {
		t.Error("ConfigMap second was not pruned from the remote cluster")
	}
	if remoteConfigMap("first") == nil {
		t.Error("ConfigMap first is gone from the remote cluster")
	}
	if ks.Status.Inventory == nil || len(ks.Status.Inventory.Entries) != 1 {
		t.Errorf("inventory = %s, want one ConfigMap", testenv.Dump(ks.Status.Inventory))
	}

	// Deleted: its objects are deleted from the remote cluster.
	if err := env.Client.Delete(ctx, ks); err != nil {
		t.Fatal(err)
	}
	f.Eventually("ConfigMap first deleted from the remote cluster", func() string {
		if remoteConfigMap("first") != nil {
			return "still there"
		}
		return ""
	})
}

// TestKubeConfigRefusesPlugins checks that a kubeconfig that would run a
// program (exec credential plugin) or read a file on ferry's host is
// refused with a message saying so, and that the key value.yaml is used
// when the Secret has no key value, as in Flux.
func TestKubeConfigRefusesPlugins(t *testing.T) {
	f := newFixture(t, remoteFiles())
	kubeconfig := `apiVersion: v1
kind: Config
clusters:
  - name: remote
    cluster:
      server: https://127.0.0.1:1
      certificate-authority: /etc/ssl/ca.pem
users:
  - name: remote
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: /bin/sh
        args: ["-c", "echo pwned"]
        interactiveMode: Never
contexts:
  - name: remote
    context:
      cluster: remote
      user: remote
current-context: remote
`
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "remote", Namespace: f.NS},
		Data:       map[string][]byte{"value.yaml": []byte(kubeconfig)},
	}
	if err := env.Client.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	f.ApplyYAML(strings.ReplaceAll(remoteKustomization, "{{key}}", ""))
	ks := f.WaitFor("ReconciliationFailed", testenv.KustomizationFailed("ReconciliationFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	t.Logf("Ready message: %s", msg)
	for _, want := range []string{
		"spec.kubeConfig", "Secret " + f.NS + "/remote", "value.yaml", "kubeconfig refused",
		"user 'remote' runs an exec credential plugin", "cluster 'remote' refers to a file (certificate-authority)",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "pwned") || strings.Contains(msg, "/etc/ssl") {
		t.Errorf("Ready message %q shows the kubeconfig's content", msg)
	}
}
