package cli

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// TestCreateKustomizationExport checks the YAML of `create kustomization
// --export` against golden files; nothing touches the cluster.
func TestCreateKustomizationExport(t *testing.T) {
	tests := map[string][]string{
		"create_kustomization_default.golden": {"--source=podinfo"},
		"create_kustomization_full.golden": {
			"--source=GitRepository/fleet.flux-system", "--path=apps/staging", "--prune", "--interval=10m",
			"--retry-interval=1m", "--target-namespace=podinfo", "--depends-on=infra,other/crds",
			"--health-check=Deployment/podinfo.podinfo", "--health-check=HelmRelease/redis.podinfo",
			"--health-check-timeout=3m", "--service-account=deployer",
			"--decryption-provider=sops", "--decryption-secret=sops-age", "--kubeconfig-secret-ref=staging-kubeconfig",
			"--label=team=web,toolkit.fluxcd.io/tenant=apps",
		},
		"create_kustomization_wait.golden": {"--source=podinfo", "--path=./kustomize", "--wait", "--health-check=Deployment/ignored.default"},
	}
	for name, flags := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"-n", "apps", "create", "kustomization", "podinfo", "--export"}, flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(stdout))
		})
	}
}

func TestCreateKustomizationRefusals(t *testing.T) {
	tests := map[string]struct {
		args []string
		want string
	}{
		"no source":           {[]string{}, "--source is required"},
		"bad source kind":     {[]string{"--source=HelmChart/podinfo"}, `source kind "HelmChart" is not one of`},
		"bad source":          {[]string{"--source=GitRepository/"}, "must be '[<kind>/]<name>[.<namespace>]'"},
		"zero interval":       {[]string{"--source=podinfo", "--interval=0s"}, "--interval must be positive"},
		"absolute path":       {[]string{"--source=podinfo", "--path=/etc"}, "must be relative"},
		"escaping path":       {[]string{"--source=podinfo", "--path=./a/../../b"}, "stay inside"},
		"bad depends-on":      {[]string{"--source=podinfo", "--depends-on=a/b/c"}, "--depends-on \"a/b/c\""},
		"no health namespace": {[]string{"--source=podinfo", "--health-check=Deployment/podinfo"}, "'<kind>/<name>.<namespace>'"},
		"unknown health kind": {[]string{"--source=podinfo", "--health-check=Widget/w.default"}, `kind "Widget" is not one of`},
		"bad provider":        {[]string{"--source=podinfo", "--decryption-provider=vault"}, "the only provider is 'sops'"},
		"secret, no provider": {[]string{"--source=podinfo", "--decryption-secret=keys"}, "--decryption-secret needs --decryption-provider=sops"},
		"bad label":           {[]string{"--source=podinfo", "--label=team"}, "--label \"team\" must be 'key=value'"},
		"bad label value":     {[]string{"--source=podinfo", "--label=team=a b"}, "--label \"team=a b\""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := ferry(t, append([]string{"create", "kustomization", "podinfo", "--export"}, tt.args...)...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
}

// TestCreateKustomization creates a source and a Kustomization against the
// real cluster, waits for the apply, then updates it to a path that does
// not exist and sees the failure.
func TestCreateKustomization(t *testing.T) {
	ns := env.NewNamespace(t, "createks")
	repo, err := env.Git.InitRepo(ns+"/app", "main")
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.CommitFiles("initial", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := ferry(t, "-n", ns, "create", "source", "git", "app", "--url="+env.Git.RepoURL(ns+"/app"), "--branch=main"); code != 0 {
		t.Fatalf("create source git exited %d: %s", code, stderr)
	}

	_, stderr, code := ferry(t, "-n", ns, "create", "kustomization", "app", "--source=app", "--path=deploy", "--prune", "--target-namespace="+ns, "--wait", "--health-check-timeout=1m")
	if code != 0 {
		t.Fatalf("create kustomization exited %d: %s", code, stderr)
	}
	mustContain(t, "create kustomization output", stderr,
		"► applying Kustomization app in "+ns+" namespace",
		"✔ Kustomization created",
		"◎ waiting for Kustomization reconciliation",
		"✔ Kustomization reconciliation completed",
		"✔ applied revision main@sha1:"+head)
	var cm corev1.ConfigMap
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "settings"}, &cm); err != nil {
		t.Fatalf("the Kustomization did not apply the ConfigMap: %v", err)
	}

	_, stderr, code = ferry(t, "-n", ns, "create", "ks", "app", "--source=app", "--path=./missing", "--prune")
	if code != 1 {
		t.Fatalf("create kustomization with a missing path exited %d, want 1: %s", code, stderr)
	}
	mustContain(t, "failed update output", stderr, "✔ Kustomization updated", "✗ Kustomization reconciliation failed", "missing")
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app"}, ks); err != nil {
		t.Fatal(err)
	}
	if ks.Spec.Path != "./missing" || ks.Spec.Wait || ks.Spec.TargetNamespace != "" || !ks.Spec.Prune {
		t.Errorf("spec after update = %+v", ks.Spec)
	}
}
