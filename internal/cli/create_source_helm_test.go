package cli

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// TestCreateSourceHelmExport checks the YAML of `create source helm
// --export` against golden files, and that the API server takes it as it
// is (a server-side dry run, as kubectl apply --dry-run=server).
func TestCreateSourceHelmExport(t *testing.T) {
	ns := env.NewNamespace(t, "exportrepo")
	url := "--url=https://stefanprodan.github.io/podinfo"
	tests := map[string][]string{
		"create_source_helm_default.golden": {url},
		"create_source_helm_auth.golden":    {url, "--secret-ref=podinfo-auth", "--pass-credentials", "--interval=10m", "--fetch-timeout=90s"},
		"create_source_helm_oci.golden":     {"--url=oci://ghcr.io/stefanprodan/charts", "--oci", "--secret-ref=ghcr-auth", "--oci-provider=generic"},
		"create_source_helm_oci_url.golden": {"--url=oci://ghcr.io/stefanprodan/charts"},
	}
	for name, flags := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"-n", "apps", "create", "source", "helm", "podinfo", "--export"}, flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(stdout))
			dryRunApply(t, ns, stdout)
		})
	}
}

func TestCreateSourceHelmRefusals(t *testing.T) {
	url := "--url=https://stefanprodan.github.io/podinfo"
	tests := map[string]struct {
		args []string
		want string
	}{
		"no url":                  {[]string{}, "--url is required"},
		"git url":                 {[]string{"--url=ssh://git@github.com/org/charts"}, "--url must start with http://, https:// or oci://"},
		"no host":                 {[]string{"--url=https:///charts"}, "--url has no host"},
		"credentials in the url":  {[]string{"--url=https://user:s3cret@charts.example.com"}, "--url must not hold credentials"},
		"oci with an https url":   {[]string{url, "--oci"}, "--oci needs an oci:// URL"},
		"provider without oci":    {[]string{url, "--oci-provider=aws"}, "--oci-provider is for OCI registries"},
		"unknown provider":        {[]string{"--url=oci://ghcr.io/org", "--oci-provider=ibm"}, `--oci-provider "ibm" is not one of generic, aws, azure, gcp`},
		"pass without secret":     {[]string{url, "--pass-credentials"}, "--pass-credentials needs --secret-ref"},
		"pass credentials to oci": {[]string{"--url=oci://ghcr.io/org", "--secret-ref=auth", "--pass-credentials"}, "--pass-credentials is for HTTP(S) repositories"},
		"zero interval":           {[]string{url, "--interval=0s"}, "--interval must be positive"},
		"fetch timeout in hours":  {[]string{url, "--fetch-timeout=2h"}, "--fetch-timeout must be shorter than an hour"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := ferry(t, append([]string{"create", "source", "helm", "podinfo", "--export"}, tt.args...)...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
			if strings.Contains(stderr, "s3cret") {
				t.Errorf("stderr reveals a credential: %s", stderr)
			}
		})
	}
}

// testCreateSourceHelm creates an HTTPS and an OCI HelmRepository and waits:
// for the index artifact of the first, for Ready alone for the second.
func testCreateSourceHelm(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "createrepo")
	index := "sha256:9d3ac2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"
	p.standIn(t, helmRepositories, types.NamespacedName{Namespace: ns, Name: "podinfo"},
		steps(withArtifact(index), ready(metav1.ConditionTrue, "Succeeded", "stored artifact: revision '"+index+"'")))
	// An OCI HelmRepository's controller need not answer the request.
	p.standIn(t, helmRepositories, types.NamespacedName{Namespace: ns, Name: "charts"}, readyOnly(metav1.ConditionTrue, "Succeeded", "Helm repository is Ready"))

	_, stderr, code := p.ferry(t, "-n", ns, "create", "source", "helm", "podinfo", "--url=https://stefanprodan.github.io/podinfo")
	if code != 0 {
		t.Fatalf("create source helm exited %d: %s", code, stderr)
	}
	mustContain(t, "create output", stderr,
		"► applying HelmRepository podinfo in "+ns+" namespace",
		"✔ HelmRepository created",
		"◎ waiting for HelmRepository reconciliation",
		"✔ HelmRepository reconciliation completed",
		"✔ fetched revision "+index)

	_, stderr, code = p.ferry(t, "-n", ns, "create", "source", "helm", "podinfo", "--url=https://charts.example.com/podinfo", "--secret-ref=auth", "--interval=5m")
	if code != 0 {
		t.Fatalf("update exited %d: %s", code, stderr)
	}
	mustContain(t, "update output", stderr, "✔ HelmRepository updated", "✔ fetched revision "+index)
	repo := &sourcev1.HelmRepository{}
	if err := p.client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "podinfo"}, repo); err != nil {
		t.Fatal(err)
	}
	if repo.Spec.URL != "https://charts.example.com/podinfo" || repo.Spec.SecretRef == nil || repo.Spec.SecretRef.Name != "auth" || repo.Spec.Interval.Duration.String() != "5m0s" {
		t.Errorf("spec after update = %+v", repo.Spec)
	}

	_, stderr, code = p.ferry(t, "-n", ns, "create", "source", "helm", "charts", "--url=oci://ghcr.io/stefanprodan/charts", "--oci")
	if code != 0 {
		t.Fatalf("create source helm --oci exited %d: %s", code, stderr)
	}
	mustContain(t, "create --oci output", stderr, "✔ HelmRepository created", "✔ HelmRepository reconciliation completed")
	if strings.Contains(stderr, "fetched") {
		t.Errorf("an OCI HelmRepository reported a revision:\n%s", stderr)
	}
}
