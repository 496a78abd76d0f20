package cli

import (
	"strings"
	"testing"
)

// TestCreateImageExport checks the YAML of `create image repository,
// policy and update --export` against golden files, and that the API
// server takes it as it is.
func TestCreateImageExport(t *testing.T) {
	ns := env.NewNamespace(t, "exportimage")
	tests := map[string][]string{
		"create_image_repository_default.golden": {"repository", "podinfo", "--image=ghcr.io/stefanprodan/podinfo", "--interval=5m"},
		"create_image_repository_full.golden": {"repository", "web", "--image=registry.example.com:5000/acme/web", "--secret-ref=regcred",
			"--cert-ref=registry-ca", "--proxy-secret-ref=proxy", "--service-account=puller", "--exclusion-list=^.*\\.sig$,^dev-", "--insecure", "--scan-timeout=30s"},
		"create_image_repository_no_exclusions.golden": {"repository", "web", "--image=ghcr.io/acme/web", "--exclusion-list="},
		"create_image_policy_semver.golden":            {"policy", "podinfo", "--image-ref=podinfo", "--select-semver=>=6.0.0 <7.0.0"},
		"create_image_policy_calver.golden": {"policy", "web", "--image-ref=web", "--image-ref-namespace=images", "--select-numeric=asc",
			"--filter-regex=^main-[a-f0-9]+-(?P<ts>[0-9]+)", "--filter-extract=$ts"},
		"create_image_policy_digest.golden": {"policy", "latest", "--image-ref=web", "--select-alpha=asc", "--filter-regex=^latest$", "--reflect-digest=Always", "--interval=10m"},
		"create_image_update_default.golden": {"update", "flux-system", "--git-repo-ref=flux-system", "--git-repo-path=./clusters/production",
			"--checkout-branch=main", "--author-name=ferry", "--author-email=ferry@example.com"},
		"create_image_update_full.golden": {"update", "apps", "--git-repo-ref=fleet", "--git-repo-namespace=flux-system", "--checkout-branch=main",
			"--push-branch=image-updates", "--author-email=ferry@example.com", "--signing-key-secret=ferry-gpg", "--policy-selector=env=production",
			"--commit-template={{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}{{ end }}", "--interval=30m"},
	}
	for name, flags := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"-n", "apps", "create", "image", "--export"}, flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(stdout))
			dryRunApply(t, ns, stdout)
		})
	}
}

func TestCreateImageRefusals(t *testing.T) {
	tests := map[string]struct {
		args []string
		want string
	}{
		"repository without image":       {[]string{"repository", "web"}, "--image is required"},
		"repository with a tag":          {[]string{"repository", "web", "--image=ghcr.io/acme/web:1.0"}, "must not have a tag or digest"},
		"repository with a scheme":       {[]string{"repository", "web", "--image=https://ghcr.io/acme/web"}, "without a scheme"},
		"repository bad exclusion":       {[]string{"repository", "web", "--image=ghcr.io/acme/web", "--exclusion-list=("}, "is not a regular expression"},
		"repository provider":            {[]string{"repository", "web", "--image=ghcr.io/acme/web", "--provider=ibm"}, `--provider "ibm" is not one of`},
		"policy without repository":      {[]string{"policy", "web", "--select-semver=1.x"}, "--image-ref is required"},
		"policy without selector":        {[]string{"policy", "web", "--image-ref=web"}, "exactly one of --select-semver"},
		"policy two selectors":           {[]string{"policy", "web", "--image-ref=web", "--select-semver=1.x", "--select-alpha=asc"}, "exactly one of --select-semver"},
		"policy bad range":               {[]string{"policy", "web", "--image-ref=web", "--select-semver=one"}, `--select-semver "one" is not a semver range`},
		"policy bad order":               {[]string{"policy", "web", "--image-ref=web", "--select-numeric=up"}, "must be asc or desc"},
		"policy bad regex":               {[]string{"policy", "web", "--image-ref=web", "--select-numeric=asc", "--filter-regex=("}, "invalid spec.filterTags.pattern"},
		"policy unknown group":           {[]string{"policy", "web", "--image-ref=web", "--select-numeric=asc", "--filter-regex=^(?P<ts>[0-9]+)$", "--filter-extract=$time"}, "uses the group 'time', which spec.filterTags.pattern"},
		"policy always without interval": {[]string{"policy", "web", "--image-ref=web", "--select-alpha=asc", "--reflect-digest=Always"}, "needs --interval"},
		"policy interval alone":          {[]string{"policy", "web", "--image-ref=web", "--select-alpha=asc", "--interval=1m"}, "only used with --reflect-digest=Always"},
		"update without repository":      {[]string{"update", "apps", "--author-email=a@b.c"}, "--git-repo-ref is required"},
		"update without author":          {[]string{"update", "apps", "--git-repo-ref=fleet"}, "--author-email is required"},
		"update bad template":            {[]string{"update", "apps", "--git-repo-ref=fleet", "--author-email=a@b.c", "--commit-template={{ .Changed"}, "--commit-template does not parse"},
		"update bad selector":            {[]string{"update", "apps", "--git-repo-ref=fleet", "--author-email=a@b.c", "--policy-selector=a in (b"}, "is not a label selector"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := ferry(t, append([]string{"create", "image", "--export"}, tt.args...)...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", code, stderr, tt.want)
			}
		})
	}
}
