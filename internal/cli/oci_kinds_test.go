package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// The OCIRepository tests run in TestHelmKinds, against its control plane
// without controllers: each writes the status an OCIRepository controller
// would.

// ociRevision is the revision of the artifact the tests' OCIRepositories
// pull: the tag and the manifest's digest, as Flux records it.
const ociRevision = "latest@sha256:6ca1d018a562caa81bfee3c56c41d255b085bbdb30da79e09849559680df8675"

func testOCIRepository(ns, name string) *sourcev1.OCIRepository {
	return &sourcev1.OCIRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.OCIRepositorySpec{
			URL:       "oci://ghcr.io/stefanprodan/manifests/podinfo",
			Reference: &sourcev1.OCIRepositoryRef{Tag: "latest"},
			Interval:  metav1.Duration{Duration: 10 * time.Minute},
		},
	}
}

// pulled is what an OCIRepository controller writes after pulling revision.
func pulled(revision string) statusStep {
	return steps(withArtifact(revision), ready(metav1.ConditionTrue, meta.SucceededReason, "stored artifact for digest '"+revision+"'"))
}

// testGetSourcesOCI lists OCIRepositories with Flux's columns, REVISION
// being the artifact's revision (<tag>@sha256:<digest>).
func testGetSourcesOCI(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "getoci")
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	broken := testOCIRepository(ns, "broken")
	broken.Spec.Suspend = true
	p.create(t, testOCIRepository(ns, "podinfo"), broken, testOCIRepository(ns, "fresh"))
	p.writeStatus(t, ociRepositories, key("podinfo"), steps(withArtifact(ociRevision), readyOnly(metav1.ConditionTrue, meta.SucceededReason, "stored artifact for digest '"+ociRevision+"'")))
	p.writeStatus(t, ociRepositories, key("broken"), steps(withArtifact("6.6.1@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"),
		readyOnly(metav1.ConditionFalse, sourcev1.OCIPullFailedReason, "failed to determine artifact digest:\nGET https://ghcr.io/v2/stefanprodan/manifests/podinfo/manifests/latest: UNAUTHORIZED")))

	normalize := func(s string) string { return strings.ReplaceAll(s, ns, "NAMESPACE") }
	stdout, stderr, code := p.ferry(t, "-n", ns, "get", "sources", "oci")
	if code != 0 {
		t.Fatalf("get sources oci exited %d: %s", code, stderr)
	}
	golden(t, "get_sources_oci.golden", []byte(normalize(stdout)))

	stdout, _, _ = p.ferry(t, "-n", ns, "get", "sources", "oci", "podinfo", "--no-header")
	if f := strings.Fields(stdout); len(f) < 4 || f[0] != "podinfo" || f[1] != ociRevision || f[2] != "False" || f[3] != "True" || strings.Count(stdout, "\n") != 1 {
		t.Errorf("get sources oci podinfo --no-header:\n%s", stdout)
	}
	stdout, _, _ = p.ferry(t, "get", "sources", "oci", "-A", "--status-selector", "ready=false")
	mustContain(t, "get sources oci -A --status-selector ready=false", stdout, "NAMESPACE", ns, "broken", "UNAUTHORIZED")
	if strings.Contains(stdout, "podinfo ") {
		t.Errorf("ready=false lists a ready OCIRepository:\n%s", stdout)
	}
	_, stderr, code = p.ferry(t, "-n", ns, "get", "sources", "oci", "nope")
	if code == 0 {
		t.Fatal("get of a missing OCIRepository succeeded")
	}
	mustContain(t, "stderr", stderr, `OCIRepository "nope" not found`)
}

// testGetSourcesAll lists every source kind with objects, one table each,
// names prefixed with the kind as `flux get sources all` does.
func testGetSourcesAll(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "getall")
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	p.create(t, testOCIRepository(ns, "podinfo"), testHelmRepository(ns, "charts"))
	p.writeStatus(t, ociRepositories, key("podinfo"), pulled(ociRevision))
	p.writeStatus(t, helmRepositories, key("charts"), steps(withArtifact("sha256:9d3ac2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"),
		readyOnly(metav1.ConditionFalse, meta.FailedReason, "failed to fetch Helm repository index: 404")))

	stdout, stderr, code := p.ferry(t, "-n", ns, "get", "sources", "all")
	if code != 0 {
		t.Fatalf("get sources all exited %d: %s", code, stderr)
	}
	golden(t, "get_sources_all.golden", []byte(stdout))
	stdout, _, _ = p.ferry(t, "-n", ns, "get", "sources", "all", "--status-selector", "ready=false", "--no-header")
	if strings.TrimSpace(stdout) == "" || strings.Contains(stdout, "ocirepository/") || !strings.Contains(stdout, "helmrepository/charts") {
		t.Errorf("get sources all --status-selector ready=false:\n%s", stdout)
	}
	_, stderr, code = p.ferry(t, "-n", p.newNamespace(t, "getnone"), "get", "sources", "all")
	if code != 0 || !strings.Contains(stderr, "no source objects found in") {
		t.Errorf("get sources all of an empty namespace exited %d: %s", code, stderr)
	}
}

// testExportSourceOCI exports OCIRepositories as Flux v1 YAML: spec,
// labels and annotations, no status and no request annotation.
func testExportSourceOCI(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "exportoci")
	repo := testOCIRepository(ns, "podinfo")
	repo.Labels = map[string]string{"team": "web"}
	repo.Annotations = map[string]string{"owner": "web", meta.ReconcileRequestAnnotation: "now"}
	repo.Spec.Reference = &sourcev1.OCIRepositoryRef{SemVer: ">=6.0.0 <7.0.0"}
	repo.Spec.SecretRef = &meta.LocalObjectReference{Name: "ghcr-auth"}
	repo.Spec.LayerSelector = &sourcev1.OCILayerSelector{MediaType: "application/vnd.cncf.flux.content.v1.tar+gzip", Operation: sourcev1.OCILayerCopy}
	ignore := "*.md\n/docs"
	repo.Spec.Ignore = &ignore
	pinned := testOCIRepository(ns, "pinned")
	pinned.Spec.Reference = &sourcev1.OCIRepositoryRef{Digest: "sha256:6ca1d018a562caa81bfee3c56c41d255b085bbdb30da79e09849559680df8675"}
	pinned.Spec.Insecure = true
	p.create(t, repo, pinned)
	p.writeStatus(t, ociRepositories, types.NamespacedName{Namespace: ns, Name: "podinfo"}, steps(withArtifact("6.6.2@sha256:6ca1d018a562caa81bfee3c56c41d255b085bbdb30da79e09849559680df8675"),
		readyOnly(metav1.ConditionTrue, meta.SucceededReason, "stored artifact")))

	normalize := func(s string) string { return strings.ReplaceAll(s, ns, "NAMESPACE") }
	stdout, stderr, code := p.ferry(t, "-n", ns, "export", "source", "oci", "podinfo")
	if code != 0 {
		t.Fatalf("export source oci exited %d: %s", code, stderr)
	}
	golden(t, "export_source_oci.golden", []byte(normalize(stdout)))

	stdout, stderr, code = p.ferry(t, "-n", ns, "export", "source", "oci", "--all")
	if code != 0 {
		t.Fatalf("export source oci --all exited %d: %s", code, stderr)
	}
	golden(t, "export_source_oci_all.golden", []byte(normalize(stdout)))
}

// testSuspendResumeSourceOCI suspends and resumes an OCIRepository:
// spec.suspend, the output, and a resume that waits for the pull it
// requests.
func testSuspendResumeSourceOCI(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "pauseoci")
	key := types.NamespacedName{Namespace: ns, Name: "podinfo"}
	p.create(t, testOCIRepository(ns, "podinfo"), testOCIRepository(ns, "other"))

	_, stderr, code := p.ferry(t, "-n", ns, "suspend", "source", "oci", "podinfo")
	if code != 0 {
		t.Fatalf("suspend source oci exited %d: %s", code, stderr)
	}
	mustContain(t, "suspend output", stderr, "► suspending source oci podinfo in "+ns+" namespace", "✔ source oci suspended")
	repo := &sourcev1.OCIRepository{}
	if err := p.client.Get(context.Background(), key, repo); err != nil {
		t.Fatal(err)
	}
	if !repo.Spec.Suspend {
		t.Fatal("spec.suspend is false after suspend")
	}
	stdout, _, _ := p.ferry(t, "-n", ns, "get", "sources", "oci", "podinfo", "--no-header")
	if f := strings.Fields(stdout); len(f) < 2 || f[1] != "True" {
		t.Errorf("get sources oci after suspend, want SUSPENDED True:\n%s", stdout)
	}
	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "source", "oci", "podinfo")
	if code == 0 {
		t.Fatal("reconcile of a suspended OCIRepository succeeded")
	}
	mustContain(t, "reconcile of a suspended OCIRepository", stderr, "OCIRepository '"+ns+"/podinfo' is suspended")

	_, stderr, code = p.ferry(t, "-n", ns, "suspend", "source", "oci", "--all")
	if code != 0 {
		t.Fatalf("suspend source oci --all exited %d: %s", code, stderr)
	}
	other := &sourcev1.OCIRepository{}
	if err := p.client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "other"}, other); err != nil {
		t.Fatal(err)
	}
	if !other.Spec.Suspend {
		t.Error("suspend --all left an OCIRepository running")
	}

	p.standIn(t, ociRepositories, key, pulled(ociRevision))
	_, stderr, code = p.ferry(t, "-n", ns, "resume", "source", "oci", "podinfo")
	if code != 0 {
		t.Fatalf("resume source oci exited %d: %s", code, stderr)
	}
	mustContain(t, "resume output", stderr,
		"► resuming source oci podinfo in "+ns+" namespace",
		"✔ source oci resumed",
		"◎ waiting for OCIRepository reconciliation",
		"✔ OCIRepository reconciliation completed",
		"✔ fetched revision "+ociRevision)
	if err := p.client.Get(context.Background(), key, repo); err != nil {
		t.Fatal(err)
	}
	if repo.Spec.Suspend {
		t.Error("OCIRepository still suspended after resume")
	}
}

// testReconcileSourceOCI reconciles an OCIRepository that pulls and one
// that fails, and a Kustomization of an OCIRepository --with-source.
func testReconcileSourceOCI(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "reconcileoci")
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "podinfo"},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: 10 * time.Minute},
			Path:      "./kustomize",
			Prune:     true,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: "podinfo"},
		},
	}
	p.create(t, testOCIRepository(ns, "podinfo"), testOCIRepository(ns, "private"), ks)
	p.standIn(t, ociRepositories, key("podinfo"), pulled(ociRevision))
	p.standIn(t, ociRepositories, key("private"), ready(metav1.ConditionFalse, sourcev1.OCIPullFailedReason,
		"failed to determine artifact digest: GET https://ghcr.io/v2/stefanprodan/manifests/podinfo/manifests/latest: UNAUTHORIZED"))
	p.standIn(t, kustomizations, key("podinfo"), steps(func(obj fluxObject, _ string) {
		obj.(*kustomizev1.Kustomization).Status.LastAppliedRevision = ociRevision
	}, ready(metav1.ConditionTrue, meta.ReconciliationSucceededReason, "Applied revision: "+ociRevision)))

	_, stderr, code := p.ferry(t, "-n", ns, "reconcile", "source", "oci", "podinfo")
	if code != 0 {
		t.Fatalf("reconcile source oci exited %d: %s", code, stderr)
	}
	mustContainInOrder(t, "reconcile output", stderr,
		"► annotating OCIRepository podinfo in "+ns+" namespace",
		"✔ OCIRepository annotated",
		"◎ waiting for OCIRepository reconciliation",
		"✔ OCIRepository reconciliation completed",
		"✔ fetched revision "+ociRevision)
	repo := &sourcev1.OCIRepository{}
	if err := p.client.Get(context.Background(), key("podinfo"), repo); err != nil {
		t.Fatal(err)
	}
	if repo.Annotations[meta.ReconcileRequestAnnotation] == "" {
		t.Error("the OCIRepository has no reconcile.fluxcd.io/requestedAt")
	}

	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "source", "oci", "private")
	if code != 1 {
		t.Fatalf("reconcile of a failing OCIRepository exited %d, want 1: %s", code, stderr)
	}
	mustContain(t, "reconcile of a failing OCIRepository", stderr, "OCIRepository reconciliation failed", "UNAUTHORIZED")

	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "ks", "podinfo", "--with-source")
	if code != 0 {
		t.Fatalf("reconcile ks --with-source exited %d: %s", code, stderr)
	}
	mustContainInOrder(t, "reconcile ks --with-source", stderr,
		"► annotating OCIRepository podinfo in "+ns+" namespace",
		"✔ fetched revision "+ociRevision,
		"► annotating Kustomization podinfo in "+ns+" namespace",
		"✔ applied revision "+ociRevision)

	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "source", "oci", "nope")
	if code == 0 {
		t.Fatal("reconcile of a missing OCIRepository succeeded")
	}
	mustContain(t, "stderr", stderr, "OCIRepository '"+ns+"/nope' not found")
}

// testCreateSourceOCI creates an OCIRepository and waits for its artifact,
// then replaces its spec.
func testCreateSourceOCI(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "createoci")
	key := types.NamespacedName{Namespace: ns, Name: "podinfo"}
	p.standIn(t, ociRepositories, key, pulled(ociRevision))

	url := "--url=oci://ghcr.io/stefanprodan/manifests/podinfo"
	_, stderr, code := p.ferry(t, "-n", ns, "create", "source", "oci", "podinfo", url, "--tag=latest")
	if code != 0 {
		t.Fatalf("create source oci exited %d: %s", code, stderr)
	}
	mustContainInOrder(t, "create output", stderr,
		"► applying OCIRepository podinfo in "+ns+" namespace",
		"✔ OCIRepository created",
		"◎ waiting for OCIRepository reconciliation",
		"✔ OCIRepository reconciliation completed",
		"✔ fetched revision "+ociRevision)

	_, stderr, code = p.ferry(t, "-n", ns, "create", "source", "oci", "podinfo", url, "--tag-semver=6.x", "--secret-ref=ghcr-auth",
		"--cert-ref=ghcr-tls", "--proxy-secret-ref=proxy", "--provider=aws", "--interval=5m", "--ignore-paths=*.md")
	if code != 0 {
		t.Fatalf("update exited %d: %s", code, stderr)
	}
	mustContain(t, "update output", stderr, "✔ OCIRepository updated", "✔ fetched revision "+ociRevision)
	repo := &sourcev1.OCIRepository{}
	if err := p.client.Get(context.Background(), key, repo); err != nil {
		t.Fatal(err)
	}
	s := repo.Spec
	if s.Reference == nil || s.Reference.SemVer != "6.x" || s.Reference.Tag != "" || s.SecretRef == nil || s.SecretRef.Name != "ghcr-auth" ||
		s.CertSecretRef == nil || s.CertSecretRef.Name != "ghcr-tls" || s.ProxySecretRef == nil || s.ProxySecretRef.Name != "proxy" ||
		s.Provider != "aws" || s.Interval.Duration != 5*time.Minute || s.Ignore == nil || *s.Ignore != "*.md" {
		t.Errorf("spec after update = %+v", s)
	}
}
