package cli

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// TestReconcileSettled decides, for the Helm kinds, when a wait for the
// reconcile request "token" is over.
func TestReconcileSettled(t *testing.T) {
	cond := func(status metav1.ConditionStatus, reason string, gen int64) []metav1.Condition {
		return []metav1.Condition{{Type: meta.ReadyCondition, Status: status, Reason: reason, Message: reason, ObservedGeneration: gen}}
	}
	hr := func(handled string, conds []metav1.Condition) fluxObject {
		o := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Generation: 2}}
		o.Status.LastHandledReconcileAt, o.Status.Conditions = handled, conds
		return o
	}
	repo := func(typ, handled string, conds []metav1.Condition) fluxObject {
		o := &sourcev1.HelmRepository{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Spec: sourcev1.HelmRepositorySpec{Type: typ}}
		o.Status.LastHandledReconcileAt, o.Status.Conditions = handled, conds
		return o
	}
	tests := map[string]struct {
		kind *kind
		obj  fluxObject
		want bool
	}{
		"released":                    {helmReleases, hr("token", cond(metav1.ConditionTrue, "UpgradeSucceeded", 2)), true},
		"install failed":              {helmReleases, hr("token", cond(metav1.ConditionFalse, "InstallFailed", 2)), true},
		"retries exhausted":           {helmReleases, hr("token", cond(metav1.ConditionFalse, "RetriesExhausted", 2)), true},
		"waiting for the chart":       {helmReleases, hr("token", cond(metav1.ConditionFalse, "HelmChartNotReady", 2)), false},
		"waiting for a dependency":    {helmReleases, hr("token", cond(metav1.ConditionFalse, "DependencyNotReady", 2)), false},
		"progressing":                 {helmReleases, hr("token", cond(metav1.ConditionFalse, "Progressing", 2)), false},
		"unknown":                     {helmReleases, hr("token", cond(metav1.ConditionUnknown, "Progressing", 2)), false},
		"older request":               {helmReleases, hr("before", cond(metav1.ConditionTrue, "UpgradeSucceeded", 2)), false},
		"older generation":            {helmReleases, hr("token", cond(metav1.ConditionTrue, "UpgradeSucceeded", 1)), false},
		"no status":                   {helmReleases, hr("", nil), false},
		"index fetched":               {helmRepositories, repo("", "token", cond(metav1.ConditionTrue, "Succeeded", 2)), true},
		"index of an older request":   {helmRepositories, repo("default", "before", cond(metav1.ConditionTrue, "Succeeded", 2)), false},
		"a failing index ends a wait": {helmRepositories, repo("", "token", cond(metav1.ConditionFalse, "IndexationFailed", 2)), true},
		"oci ready, no request seen":  {helmRepositories, repo("oci", "", cond(metav1.ConditionTrue, "Succeeded", 2)), true},
		"oci of an older generation":  {helmRepositories, repo("oci", "", cond(metav1.ConditionTrue, "Succeeded", 1)), false},
		"oci without status":          {helmRepositories, repo("oci", "", nil), false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			target := reconcileTarget{kind: tt.kind, object: tt.obj}
			if got := target.settled("token") != nil; got != tt.want {
				t.Errorf("settled = %v, want %v", got, tt.want)
			}
		})
	}
}

// testReconcileHelmRelease requests a reconciliation with --force and
// --reset: both annotations carry the token of requestedAt, which is what
// Flux's controller requires to honour them.
func testReconcileHelmRelease(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "rechr")
	key := types.NamespacedName{Namespace: ns, Name: "podinfo"}
	p.create(t, testHelmRelease(ns, "podinfo", "podinfo"))
	p.standIn(t, helmReleases, key, steps(released("6.0.3"), ready(metav1.ConditionTrue, "UpgradeSucceeded", "Helm upgrade succeeded")))

	_, stderr, code := p.ferry(t, "-n", ns, "reconcile", "helmrelease", "podinfo", "--force", "--reset")
	if code != 0 {
		t.Fatalf("reconcile exited %d:\n%s", code, stderr)
	}
	mustContain(t, "reconcile output", stderr,
		"► annotating HelmRelease podinfo in "+ns+" namespace",
		"✔ HelmRelease annotated",
		"◎ waiting for HelmRelease reconciliation",
		"✔ HelmRelease reconciliation completed",
		"✔ applied revision 6.0.3")
	hr := &helmv2.HelmRelease{}
	if err := p.client.Get(context.Background(), key, hr); err != nil {
		t.Fatal(err)
	}
	a := hr.Annotations
	if a[meta.ReconcileRequestAnnotation] == "" || a[meta.ForceRequestAnnotation] != a[meta.ReconcileRequestAnnotation] || a[meta.ResetRequestAnnotation] != a[meta.ReconcileRequestAnnotation] {
		t.Errorf("annotations = %v, want forceAt and resetAt equal to requestedAt", a)
	}

	// Without the flags the old forceAt no longer matches requestedAt.
	forced := a[meta.ForceRequestAnnotation]
	if _, stderr, code := p.ferry(t, "-n", ns, "reconcile", "hr", "podinfo"); code != 0 {
		t.Fatalf("reconcile hr exited %d:\n%s", code, stderr)
	}
	if err := p.client.Get(context.Background(), key, hr); err != nil {
		t.Fatal(err)
	}
	if a := hr.Annotations; a[meta.ForceRequestAnnotation] != forced || a[meta.ReconcileRequestAnnotation] == forced {
		t.Errorf("annotations after a plain reconcile = %v", a)
	}

	// Only HelmReleases take --force.
	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "kustomization", "podinfo", "--force")
	if code == 0 {
		t.Fatal("reconcile kustomization --force succeeded")
	}
	mustContain(t, "stderr", stderr, "unknown flag: --force")
}

// testReconcileHelmReleaseFailure sees a failed upgrade as exit code 1 with
// the Ready message, and keeps waiting while the HelmRelease only waits
// for its chart.
func testReconcileHelmReleaseFailure(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "failhr")
	key := types.NamespacedName{Namespace: ns, Name: "podinfo"}
	p.create(t, testHelmRelease(ns, "podinfo", "podinfo"))
	p.standIn(t, helmReleases, key,
		ready(metav1.ConditionFalse, helmv2.HelmChartNotReadyReason, "HelmChart '"+ns+"/"+ns+"-podinfo' is not ready"),
		ready(metav1.ConditionFalse, helmv2.UpgradeFailedReason, "Helm upgrade failed for release "+ns+"/podinfo with chart podinfo@6.0.4: timed out waiting for the condition"))

	_, stderr, code := p.ferry(t, "-n", ns, "reconcile", "hr", "podinfo")
	if code != 1 {
		t.Fatalf("reconcile of a failing HelmRelease exited %d, want 1:\n%s", code, stderr)
	}
	mustContain(t, "failure output", stderr, "✗ HelmRelease reconciliation failed: Helm upgrade failed for release "+ns+"/podinfo with chart podinfo@6.0.4")
	if strings.Contains(stderr, "is not ready") {
		t.Errorf("the wait ended at the HelmChartNotReady status:\n%s", stderr)
	}
}

// testReconcileHelmReleaseWithSource reconciles the HelmRepository, then
// the HelmChart, then the HelmRelease, as `flux reconcile hr
// --with-source`, for spec.chart and for spec.chartRef (of a HelmChart and
// of an OCIRepository).
func testReconcileHelmReleaseWithSource(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "srchr")
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	byRef := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-ref"},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: 600e9},
			ChartRef: &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.HelmChartKind, Name: "shared"},
		},
	}
	fromOCI := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "from-oci"},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: 600e9},
			ChartRef: &helmv2.CrossNamespaceSourceReference{Kind: "OCIRepository", Name: "podinfo"},
		},
	}
	paused := testHelmRelease(ns, "paused", "podinfo")
	paused.Spec.Suspend = true
	fromBucket := testHelmChart(ns, "from-bucket", "charts")
	fromBucket.Spec.SourceRef.Kind = "Bucket"
	p.create(t, testHelmRepository(ns, "podinfo"), testHelmChart(ns, ns+"-podinfo", "podinfo"), testHelmChart(ns, "shared", "podinfo"),
		testHelmRelease(ns, "podinfo", "podinfo"), byRef, testOCIRepository(ns, "podinfo"), fromOCI, fromBucket, paused)
	index := "sha256:9d3ac2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"
	p.standIn(t, helmRepositories, key("podinfo"), steps(withArtifact(index), ready(metav1.ConditionTrue, "Succeeded", "stored artifact")))
	for _, chart := range []string{ns + "-podinfo", "shared"} {
		p.standIn(t, helmCharts, key(chart), steps(withArtifact("6.0.3"), ready(metav1.ConditionTrue, "ChartPullSucceeded", "pulled 'podinfo' chart with version '6.0.3'")))
	}
	p.standIn(t, ociRepositories, key("podinfo"), pulled(ociRevision))
	for _, hr := range []string{"podinfo", "by-ref", "from-oci"} {
		p.standIn(t, helmReleases, key(hr), steps(released("6.0.3"), ready(metav1.ConditionTrue, "UpgradeSucceeded", "Helm upgrade succeeded")))
	}

	for hr, chart := range map[string]string{"podinfo": ns + "-podinfo", "by-ref": "shared"} {
		_, stderr, code := p.ferry(t, "-n", ns, "reconcile", "hr", hr, "--with-source")
		if code != 0 {
			t.Fatalf("reconcile hr %s --with-source exited %d:\n%s", hr, code, stderr)
		}
		mustContainInOrder(t, "reconcile hr "+hr+" --with-source", stderr,
			"► annotating HelmRepository podinfo in "+ns+" namespace",
			"✔ fetched revision "+index,
			"► annotating HelmChart "+chart+" in "+ns+" namespace",
			"✔ fetched revision 6.0.3",
			"► annotating HelmRelease "+hr+" in "+ns+" namespace",
			"✔ applied revision 6.0.3")
	}
	_, stderr, code := p.ferry(t, "-n", ns, "reconcile", "source", "chart", "shared", "--with-source")
	if code != 0 {
		t.Fatalf("reconcile source chart --with-source exited %d:\n%s", code, stderr)
	}
	mustContainInOrder(t, "reconcile source chart --with-source", stderr, "► annotating HelmRepository podinfo", "► annotating HelmChart shared", "✔ fetched revision 6.0.3")

	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "hr", "from-oci", "--with-source")
	if code != 0 {
		t.Fatalf("reconcile hr from-oci --with-source exited %d:\n%s", code, stderr)
	}
	mustContainInOrder(t, "reconcile hr from-oci --with-source", stderr,
		"► annotating OCIRepository podinfo in "+ns+" namespace",
		"✔ fetched revision "+ociRevision,
		"► annotating HelmRelease from-oci in "+ns+" namespace",
		"✔ applied revision 6.0.3")

	// A source that does not exist, and a suspended HelmRelease: nothing
	// is annotated.
	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "source", "chart", "from-bucket", "--with-source")
	if code == 0 {
		t.Fatal("reconcile --with-source of a chart from a missing Bucket succeeded")
	}
	mustContain(t, "stderr", stderr, "Bucket '"+ns+"/charts' not found")
	repo := &sourcev1.HelmRepository{}
	if err := p.client.Get(context.Background(), key("podinfo"), repo); err != nil {
		t.Fatal(err)
	}
	requested := repo.Annotations[meta.ReconcileRequestAnnotation]
	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "hr", "paused", "--with-source")
	if code == 0 {
		t.Fatal("reconcile --with-source of a suspended HelmRelease succeeded")
	}
	mustContain(t, "stderr", stderr, "HelmRelease '"+ns+"/paused' is suspended")
	if err := p.client.Get(context.Background(), key("podinfo"), repo); err != nil {
		t.Fatal(err)
	}
	if repo.Annotations[meta.ReconcileRequestAnnotation] != requested {
		t.Error("reconcile --with-source of a suspended HelmRelease annotated its HelmRepository")
	}
}

// testReconcileSourceHelmOCI waits for the Ready condition of an OCI
// HelmRepository, which has no artifact and need not answer the request.
func testReconcileSourceHelmOCI(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "ocihelm")
	repo := testHelmRepository(ns, "charts")
	repo.Spec.URL, repo.Spec.Type = "oci://ghcr.io/stefanprodan/charts", sourcev1.HelmRepositoryTypeOCI
	p.create(t, repo)
	p.standIn(t, helmRepositories, types.NamespacedName{Namespace: ns, Name: "charts"}, readyOnly(metav1.ConditionTrue, "Succeeded", "Helm repository is Ready"))

	_, stderr, code := p.ferry(t, "-n", ns, "reconcile", "source", "helm", "charts")
	if code != 0 {
		t.Fatalf("reconcile source helm exited %d:\n%s", code, stderr)
	}
	mustContain(t, "reconcile output", stderr, "✔ HelmRepository annotated", "✔ HelmRepository reconciliation completed")
	if strings.Contains(stderr, "fetched") {
		t.Errorf("an OCI HelmRepository reported a revision:\n%s", stderr)
	}
}

// mustContainInOrder checks that got has each of wants, in this order.
func mustContainInOrder(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	rest := got
	for _, w := range wants {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s does not contain %q after the previous lines:\n%s", what, w, got)
			return
		}
		rest = rest[i+len(w):]
	}
}
