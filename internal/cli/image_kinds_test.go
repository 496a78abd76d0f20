package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// The image kinds' tests run in TestHelmKinds, against its control plane
// without controllers: each writes the status the image controllers
// would.

func testImageObjects(ns string) (*imagev1.ImageRepository, *imagev1.ImagePolicy, *imagev1.ImageUpdateAutomation) {
	repo := &imagev1.ImageRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec:       imagev1.ImageRepositorySpec{Image: "ghcr.io/acme/web", Interval: metav1.Duration{Duration: 5 * time.Minute}},
	}
	policy := &imagev1.ImagePolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: imagev1.ImagePolicySpec{
			ImageRepositoryRef: meta.NamespacedObjectReference{Name: "web"},
			Policy:             imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: ">=1.0.0"}},
		},
	}
	update := &imagev1.ImageUpdateAutomation{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fleet"},
		Spec: imagev1.ImageUpdateAutomationSpec{
			SourceRef: imagev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "fleet"},
			Interval:  metav1.Duration{Duration: 30 * time.Minute},
			GitSpec:   &imagev1.GitSpec{Commit: imagev1.CommitSpec{Author: imagev1.CommitUser{Email: "bot@example.com"}}},
		},
	}
	return repo, policy, update
}

var imageTime = metav1.NewTime(time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC))

// testImageKinds lists, exports, suspends and resumes the image kinds with
// Flux's columns and verbs.
func testImageKinds(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "images")
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	repo, policy, update := testImageObjects(ns)
	p.create(t, repo, policy, update)
	p.writeStatus(t, imageRepositories, key("web"), steps(func(obj fluxObject, _ string) {
		obj.(*imagev1.ImageRepository).Status.LastScanResult = &imagev1.ScanResult{TagCount: 12, ScanTime: imageTime, LatestTags: []string{"1.4.2"}}
	}, readyOnly(metav1.ConditionTrue, meta.SucceededReason, "successful scan: found 12 tags")))
	p.writeStatus(t, imagePolicies, key("web"), steps(func(obj fluxObject, _ string) {
		obj.(*imagev1.ImagePolicy).Status.LatestRef = &imagev1.ImageRef{Name: "ghcr.io/acme/web", Tag: "1.4.2"}
	}, readyOnly(metav1.ConditionTrue, meta.SucceededReason, "Latest image tag for ghcr.io/acme/web resolved to 1.4.2")))
	p.writeStatus(t, imageUpdateAutomations, key("fleet"), steps(func(obj fluxObject, _ string) {
		obj.(*imagev1.ImageUpdateAutomation).Status.LastAutomationRunTime = &imageTime
	}, readyOnly(metav1.ConditionFalse, imagev1.GitRepositoryNotFoundReason, "referenced GitRepository 'x/fleet' does not exist")))

	normalize := func(s string) string { return strings.ReplaceAll(s, ns, "NAMESPACE") }
	for cmd, file := range map[string]string{"repository": "get_images_repository.golden", "policy": "get_images_policy.golden", "update": "get_images_update.golden", "all": "get_images_all.golden"} {
		stdout, stderr, code := p.ferry(t, "-n", ns, "get", "images", cmd)
		if code != 0 {
			t.Fatalf("get images %s exited %d: %s", cmd, code, stderr)
		}
		golden(t, file, []byte(normalize(stdout)))
	}

	stdout, stderr, code := p.ferry(t, "-n", ns, "export", "image", "policy", "web")
	if code != 0 {
		t.Fatalf("export image policy exited %d: %s", code, stderr)
	}
	mustContain(t, "export image policy web", stdout, "apiVersion: image.toolkit.fluxcd.io/v1", "kind: ImagePolicy", "range: '>=1.0.0'")
	if strings.Contains(stdout, "status:") || strings.Contains(stdout, "latestRef") {
		t.Errorf("export printed the status:\n%s", stdout)
	}

	for _, k := range []string{"repository", "update"} {
		if _, stderr, code := p.ferry(t, "-n", ns, "suspend", "image", k, "--all"); code != 0 {
			t.Fatalf("suspend image %s exited %d: %s", k, code, stderr)
		}
	}
	got := &imagev1.ImageRepository{}
	if err := p.client.Get(context.Background(), key("web"), got); err != nil || !got.Spec.Suspend {
		t.Errorf("suspend image repository: spec.suspend = %v, %v", got.Spec.Suspend, err)
	}
	gotUpdate := &imagev1.ImageUpdateAutomation{}
	if err := p.client.Get(context.Background(), key("fleet"), gotUpdate); err != nil || !gotUpdate.Spec.Suspend {
		t.Errorf("suspend image update: spec.suspend = %v, %v", gotUpdate.Spec.Suspend, err)
	}
	if _, stderr, code := p.ferry(t, "-n", ns, "resume", "image", "repository", "web", "--wait=false"); code != 0 {
		t.Fatalf("resume exited %d: %s", code, stderr)
	}
	if err := p.client.Get(context.Background(), key("web"), got); err != nil || got.Spec.Suspend {
		t.Errorf("resume image repository: spec.suspend = %v, %v", got.Spec.Suspend, err)
	}
	if help, _, _ := p.ferry(t, "suspend", "image", "--help"); !strings.Contains(help, "repository") || strings.Contains(help, "policy") {
		t.Errorf("suspend image offers:\n%s\nwant repository and update only: an ImagePolicy has no spec.suspend", help)
	}

	stdout, stderr, code = p.ferry(t, "-n", ns, "export", "image", "repository", "web")
	if code != 0 {
		t.Fatalf("export image repository exited %d: %s", code, stderr)
	}
	mustContain(t, "export image repository web", stdout, "apiVersion: image.toolkit.fluxcd.io/v1", "kind: ImageRepository", "image: ghcr.io/acme/web", "interval: 5m0s")
	if strings.Contains(stdout, "lastScanResult") || strings.Contains(stdout, "suspend: true") {
		t.Errorf("export image repository printed the status or a stale suspend:\n%s", stdout)
	}

	t.Run("reconcile", func(t *testing.T) { testReconcileImageKinds(t, p) })
	t.Run("diff", func(t *testing.T) { testDiffImage(t, p) })
}

// testReconcileImageKinds reconciles each image kind and waits as for any
// kind; an ImagePolicy whose ImageRepository has not scanned yet is waited
// for, not failed.
func testReconcileImageKinds(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "reconcileimages")
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	repo, policy, update := testImageObjects(ns)
	p.create(t, repo, policy, update)
	p.standIn(t, imageRepositories, key("web"), steps(func(obj fluxObject, _ string) {
		obj.(*imagev1.ImageRepository).Status.LastScanResult = &imagev1.ScanResult{TagCount: 12, ScanTime: imageTime}
	}, ready(metav1.ConditionTrue, meta.SucceededReason, "successful scan: found 12 tags")))
	p.standIn(t, imagePolicies, key("web"),
		ready(metav1.ConditionFalse, imagev1.DependencyNotReadyReason, "ImageRepository '"+ns+"/web' has not scanned its tags yet"),
		steps(func(obj fluxObject, _ string) {
			obj.(*imagev1.ImagePolicy).Status.LatestRef = &imagev1.ImageRef{Name: "ghcr.io/acme/web", Tag: "1.4.2", Digest: "sha256:6ca1d018a562caa81bfee3c56c41d255b085bbdb30da79e09849559680df8675"}
		}, ready(metav1.ConditionTrue, meta.SucceededReason, "Latest image tag for ghcr.io/acme/web resolved to 1.4.2")))
	p.standIn(t, imageUpdateAutomations, key("fleet"), steps(func(obj fluxObject, _ string) {
		obj.(*imagev1.ImageUpdateAutomation).Status.LastAutomationRunTime = &imageTime
	}, ready(metav1.ConditionFalse, imagev1.GitOperationFailedReason, "failed to push to 'main': authentication required")))

	_, stderr, code := p.ferry(t, "-n", ns, "reconcile", "image", "repository", "web")
	if code != 0 {
		t.Fatalf("reconcile image repository exited %d: %s", code, stderr)
	}
	mustContainInOrder(t, "reconcile image repository", stderr,
		"► annotating ImageRepository web in "+ns+" namespace",
		"◎ waiting for ImageRepository reconciliation",
		"✔ ImageRepository reconciliation completed",
		"✔ scanned: the current tag list was found at 2026-12-01T10:30:00Z")

	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "image", "policy", "web")
	if code != 0 {
		t.Fatalf("reconcile image policy exited %d (a DependencyNotReady policy must be waited for): %s", code, stderr)
	}
	mustContain(t, "reconcile image policy", stderr, "✔ ImagePolicy reconciliation completed", "✔ chose ghcr.io/acme/web:1.4.2")
	stdout, _, _ := p.ferry(t, "-n", ns, "get", "images", "policy", "web", "--no-header")
	if f := strings.Fields(stdout); len(f) < 2 || f[1] != "ghcr.io/acme/web:1.4.2" {
		t.Errorf("get images policy web, want LATEST IMAGE name:tag without the digest:\n%s", stdout)
	}

	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "image", "update", "fleet")
	if code != 1 {
		t.Fatalf("reconcile of a failing ImageUpdateAutomation exited %d, want 1: %s", code, stderr)
	}
	mustContain(t, "reconcile image update", stderr, "ImageUpdateAutomation reconciliation failed", "authentication required")
}
