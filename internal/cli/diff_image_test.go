package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
)

// testDiffImage previews an ImagePolicy against a real registry and an
// ImageUpdateAutomation against a local checkout: the exit code says
// whether anything would move, and the checkout is never written.
func testDiffImage(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "diffimages")
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	reg := ocitest.Start(t, ocitest.Options{})
	reg.PushTags(t, "acme/web", []string{"1.3.0", "1.4.1", "1.4.2", "1.5.0-rc.1", "latest", "sha256-0123.sig"})
	image := reg.Host() + "/acme/web"

	repo, policy, update := testImageObjects(ns)
	repo.Spec.Image, repo.Spec.Insecure = image, true
	policy.Spec.Policy.SemVer.Range = "1.4.x"
	update.Spec.Update = &imagev1.UpdateStrategy{Strategy: imagev1.UpdateStrategySetters, Path: "./clusters"}
	p.create(t, repo, policy, update)
	setLatest := func(tag string) {
		p.writeStatus(t, imagePolicies, key("web"), steps(func(obj fluxObject, _ string) {
			obj.(*imagev1.ImagePolicy).Status.LatestRef = &imagev1.ImageRef{Name: image, Tag: tag}
		}, readyOnly(metav1.ConditionTrue, meta.SucceededReason, "Latest image tag for "+image+" resolved to "+tag)))
	}
	setLatest("1.4.1")

	// The policy would move from 1.4.1 to 1.4.2.
	stdout, stderr, code := p.ferry(t, "-n", ns, "diff", "image", "policy", "web")
	if code != 1 {
		t.Fatalf("diff image policy with a stale status exited %d, want 1:\n%s%s", code, stdout, stderr)
	}
	if stdout != "→ 1.4.2\n  1.4.1\n" {
		t.Errorf("diff image policy listed:\n%s\nwant 1.4.2 (chosen) then 1.4.1", stdout)
	}
	mustContain(t, "diff image policy", stderr, "5 tags of "+image, "accepts 2 of them", `would choose 1.4.2 (its status says "1.4.1")`)

	setLatest("1.4.2")
	stdout, stderr, code = p.ferry(t, "-n", ns, "diff", "image", "policy", "web", "--limit=1")
	if code != 0 || stdout != "→ 1.4.2\n" {
		t.Fatalf("diff image policy with the status up to date exited %d, want 0 and one tag:\n%s%s", code, stdout, stderr)
	}
	mustContain(t, "diff image policy, unchanged", stderr, "the policy's choice stands: 1.4.2")

	// A range nothing satisfies is an error that says why.
	bad := &imagev1.ImagePolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "two"}, Spec: policy.Spec}
	bad.Spec.Policy = imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: "2.x"}}
	p.create(t, bad)
	if _, stderr, code = p.ferry(t, "-n", ns, "diff", "image", "policy", "two"); code != 2 || !strings.Contains(stderr, "satisfies semver range '2.x'") {
		t.Errorf("diff image policy with no tag in range exited %d, want 2 with the range named:\n%s", code, stderr)
	}
	if _, stderr, code = p.ferry(t, "-n", ns, "diff", "image", "policy", "missing"); code != 2 || !strings.Contains(stderr, "reading ImagePolicy '"+ns+"/missing'") {
		t.Errorf("diff image policy of a missing policy exited %d, want 2:\n%s", code, stderr)
	}

	// The automation would rewrite the tag marker, warns about a marker
	// naming a policy that does not exist, and writes nothing.
	dir := t.TempDir()
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: ` + image + `:1.4.1 # {"$imagepolicy": "` + ns + `:web"}
        - name: sidecar
          image: ` + image + `:1.0.0 # {"$imagepolicy": "` + ns + `:gone"}
`
	file := filepath.Join(dir, "clusters", "web.yaml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = p.ferry(t, "-n", ns, "diff", "image", "update", "fleet", "--path", dir)
	if code != 1 {
		t.Fatalf("diff image update with a stale tag exited %d, want 1:\n%s%s", code, stdout, stderr)
	}
	mustContain(t, "diff image update", stdout, "web.yaml Deployment/web: "+image+":1.4.1 -> "+image+":1.4.2 ("+ns+":web)")
	mustContain(t, "diff image update", stderr, "names '"+ns+":gone', not a Ready ImagePolicy this automation selects")
	if got, _ := os.ReadFile(file); string(got) != manifest {
		t.Errorf("diff image update wrote the checkout:\n%s", got)
	}

	if err := os.WriteFile(file, []byte(strings.Replace(manifest, ":1.4.1 ", ":1.4.2 ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if stdout, stderr, code = p.ferry(t, "-n", ns, "diff", "image", "update", "fleet", "--path", dir); code != 0 || stdout != "" {
		t.Errorf("diff image update with the tag up to date exited %d, want 0 and no change:\n%s%s", code, stdout, stderr)
	}
	if _, stderr, code = p.ferry(t, "-n", ns, "diff", "image", "update", "fleet"); code != 2 || !strings.Contains(stderr, "--path is required") {
		t.Errorf("diff image update without --path exited %d, want 2:\n%s", code, stderr)
	}
}
