package cli

import (
	"strings"
	"testing"
)

// TestCreateSourceOCIExport checks the YAML of `create source oci
// --export` against golden files, and that the API server takes it as it
// is (a server-side dry run, as kubectl apply --dry-run=server).
func TestCreateSourceOCIExport(t *testing.T) {
	ns := env.NewNamespace(t, "exportoci")
	url := "--url=oci://ghcr.io/stefanprodan/manifests/podinfo"
	tests := map[string][]string{
		"create_source_oci_tag.golden":    {url, "--tag=6.6.2", "--interval=10m"},
		"create_source_oci_semver.golden": {url, "--tag-semver=>=6.0.0 <7.0.0", "--secret-ref=ghcr-auth", "--ignore-paths=*.md,/docs", "--ignore-paths=!/docs/deploy"},
		"create_source_oci_digest.golden": {url, "--digest=sha256:6ca1d018a562caa81bfee3c56c41d255b085bbdb30da79e09849559680df8675", "--provider=aws"},
		"create_source_oci_full.golden": {"--url=oci://registry.example.com:5000/apps/podinfo", "--tag=latest", "--secret-ref=registry-auth",
			"--cert-ref=registry-tls", "--proxy-secret-ref=registry-proxy", "--insecure", "--fetch-timeout=90s"},
		"create_source_oci_verify.golden": {url, "--tag=6.6.2", "--verify-provider=cosign", "--verify-secret-ref=cosign-pub"},
		"create_source_oci_keyless.golden": {url, "--tag=6.6.2", "--verify-provider=cosign",
			"--verify-issuer=^https://token.actions.githubusercontent.com$", "--verify-subject=^https://github.com/stefanprodan/podinfo.*$"},
	}
	for name, flags := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"-n", "apps", "create", "source", "oci", "podinfo", "--export"}, flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(stdout))
			dryRunApply(t, ns, stdout)
		})
	}
}

func TestCreateSourceOCIRefusals(t *testing.T) {
	url := "--url=oci://ghcr.io/stefanprodan/manifests/podinfo"
	digest := "sha256:6ca1d018a562caa81bfee3c56c41d255b085bbdb30da79e09849559680df8675"
	tests := map[string]struct {
		args []string
		want string
	}{
		"no url":                  {[]string{"--tag=latest"}, "--url is required"},
		"https url":               {[]string{"--url=https://ghcr.io/stefanprodan/manifests/podinfo", "--tag=latest"}, "--url must start with oci://"},
		"no host":                 {[]string{"--url=oci:///podinfo", "--tag=latest"}, "--url has no registry host"},
		"no repository":           {[]string{"--url=oci://ghcr.io", "--tag=latest"}, "--url names no repository"},
		"credentials in the url":  {[]string{"--url=oci://user:s3cret@ghcr.io/org/app", "--tag=latest"}, "--url must not hold credentials"},
		"tag in the url":          {[]string{"--url=oci://ghcr.io/org/app:6.6.2", "--tag=latest"}, "--url must name the repository alone"},
		"digest in the url":       {[]string{"--url=oci://ghcr.io/org/app@" + digest, "--tag=latest"}, "--url must name the repository alone"},
		"no reference":            {[]string{url}, "--tag, --tag-semver or --digest is required"},
		"tag and digest":          {[]string{url, "--tag=latest", "--digest=" + digest}, "mutually exclusive"},
		"tag and semver":          {[]string{url, "--tag=latest", "--tag-semver=6.x"}, "mutually exclusive"},
		"bad tag":                 {[]string{url, "--tag=-latest"}, `--tag "-latest" is not a valid OCI tag`},
		"bad digest":              {[]string{url, "--digest=sha256:abc"}, `--digest "sha256:abc" is not a digest`},
		"bad semver":              {[]string{url, "--tag-semver=six"}, `--tag-semver "six" is not a semver range`},
		"unknown provider":        {[]string{url, "--tag=latest", "--provider=ibm"}, `--provider "ibm" is not one of generic, aws, azure, gcp`},
		"zero interval":           {[]string{url, "--tag=latest", "--interval=0s"}, "--interval must be positive"},
		"fetch timeout in hours":  {[]string{url, "--tag=latest", "--fetch-timeout=2h"}, "--fetch-timeout must be shorter than an hour"},
		"missing name":            {[]string{url, "--tag=latest"}, "accepts 1 arg"},
		"verify without provider": {[]string{url, "--tag=latest", "--verify-secret-ref=keys"}, "need --verify-provider=cosign"},
		"notation":                {[]string{url, "--tag=latest", "--verify-provider=notation"}, `--verify-provider "notation" is not supported`},
		"subject alone":           {[]string{url, "--tag=latest", "--verify-provider=cosign", "--verify-subject=.*"}, "go together"},
		"bad issuer":              {[]string{url, "--tag=latest", "--verify-provider=cosign", "--verify-subject=.*", "--verify-issuer=("}, `--verify-issuer "(" is not a regular expression`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			args := []string{"create", "source", "oci"}
			if name != "missing name" {
				args = append(args, "podinfo")
			}
			_, stderr, code := ferry(t, append(append(args, "--export"), tt.args...)...)
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
