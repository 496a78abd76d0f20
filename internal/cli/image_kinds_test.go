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
}
