package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/controlplane"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestHelmKinds runs the CLI tests of the Helm kinds, and of
// OCIRepositories (oci_kinds_test.go), that write the status of
// HelmRepositories, HelmCharts, HelmReleases and OCIRepositories
// themselves, as their controllers would, and check what the CLI makes of
// it. In env the controllers would overwrite that status, so these tests
// run against a control plane of their own: etcd and kube-apiserver with
// ferry's CRDs and no controllers. Run one with -run
// 'TestHelmKinds/<name>'.
func TestHelmKinds(t *testing.T) {
	p := startStatusPlane(t)
	for _, tt := range []struct {
		name string
		test func(*testing.T, *statusPlane)
	}{
		{"get", testGetHelmKinds},
		{"export", testExportHelmKinds},
		{"suspend_resume", testSuspendResumeHelmKinds},
		{"create_source_helm", testCreateSourceHelm},
		{"create_helmrelease", testCreateHelmRelease},
		{"reconcile_helmrelease", testReconcileHelmRelease},
		{"reconcile_helmrelease_failure", testReconcileHelmReleaseFailure},
		{"reconcile_helmrelease_with_source", testReconcileHelmReleaseWithSource},
		{"reconcile_source_helm_oci", testReconcileSourceHelmOCI},
		{"get_sources_oci", testGetSourcesOCI},
		{"get_sources_all", testGetSourcesAll},
		{"export_source_oci", testExportSourceOCI},
		{"suspend_resume_source_oci", testSuspendResumeSourceOCI},
		{"reconcile_source_oci", testReconcileSourceOCI},
		{"create_source_oci", testCreateSourceOCI},
		{"image_kinds", testImageKinds},
		{"trace_helmrelease", testTraceHelmRelease},
		// uninstall removes the CRDs: it goes last.
		{"uninstall", testUninstall},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, p) })
	}
}

// statusPlane is a control plane without controllers, where a test writes
// the status.
type statusPlane struct {
	client     client.Client
	kubeconfig string
}

func startStatusPlane(t *testing.T) *statusPlane {
	t.Helper()
	ctx := context.Background()
	cp, err := controlplane.Start(ctx, controlplane.Options{Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	p := &statusPlane{kubeconfig: filepath.Join(t.TempDir(), "kubeconfig")}
	if err := cp.WriteKubeconfig(p.kubeconfig); err != nil {
		t.Fatal(err)
	}
	if p.client, err = client.New(cp.Config, client.Options{Scheme: scheme.New()}); err != nil {
		t.Fatal(err)
	}
	if err := config.InstallCRDs(ctx, p.client); err != nil {
		t.Fatal(err)
	}
	return p
}

// ferry runs the command line in-process against the plane.
func (p *statusPlane) ferry(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut testenv.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code = Main(ctx, append([]string{"--kubeconfig", p.kubeconfig}, args...), &out, &errOut)
	return out.String(), errOut.String(), code
}

// newNamespace creates a namespace named prefix-<random>.
func (p *statusPlane) newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := p.client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

func (p *statusPlane) create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := p.client.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %s: %v", obj.GetName(), err)
		}
	}
}

// statusStep writes part of an object's status, in answer to the reconcile
// request token.
type statusStep func(obj fluxObject, token string)

// writeStatus applies step (with an empty token) to the object at key and
// writes its status through the status subresource.
func (p *statusPlane) writeStatus(t *testing.T, k *kind, key types.NamespacedName, step statusStep) {
	t.Helper()
	if err := p.updateStatus(context.Background(), k, key, "", step); err != nil {
		t.Fatalf("writing the status of %s '%s': %v", k.gvk.Kind, key, err)
	}
}

func (p *statusPlane) updateStatus(ctx context.Context, k *kind, key types.NamespacedName, token string, step statusStep) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj := k.newObject()
		if err := p.client.Get(ctx, key, obj); err != nil {
			return err
		}
		step(obj, token)
		return p.client.Status().Update(ctx, obj)
	})
}

// standIn plays the controller of the object at key for the rest of t: it
// answers each new reconcile.fluxcd.io/requestedAt with steps, in order and
// a few of `ferry`'s polls apart, so that the command sees each.
func (p *statusPlane) standIn(t *testing.T, k *kind, key types.NamespacedName, steps ...statusStep) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		answered := ""
		for {
			obj := k.newObject()
			if err := p.client.Get(ctx, key, obj); err == nil {
				if token := obj.GetAnnotations()[meta.ReconcileRequestAnnotation]; token != "" && token != answered {
					answered = token
					for i, step := range steps {
						if i > 0 && !sleep(ctx, 1500*time.Millisecond) {
							return
						}
						if err := p.updateStatus(ctx, k, key, token, step); err != nil && ctx.Err() == nil {
							t.Errorf("stand-in for %s '%s': %v", k.gvk.Kind, key, err)
						}
					}
				}
			}
			if !sleep(ctx, 100*time.Millisecond) {
				return
			}
		}
	}()
}

// sleep waits for d, or returns false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// ready sets the Ready condition at the object's generation and answers
// the request token, as the controllers' status finish does.
func ready(status metav1.ConditionStatus, reason, message string) statusStep {
	return func(obj fluxObject, token string) {
		readyOnly(status, reason, message)(obj, token)
		obj.(interface{ SetLastHandledReconcileRequest(string) }).SetLastHandledReconcileRequest(token)
	}
}

// readyOnly sets the Ready condition at the object's generation without
// answering the request.
func readyOnly(status metav1.ConditionStatus, reason, message string) statusStep {
	return func(obj fluxObject, _ string) {
		setter := obj.(interface{ SetConditions([]metav1.Condition) })
		conds := obj.GetConditions()
		apimeta.SetStatusCondition(&conds, metav1.Condition{
			Type: meta.ReadyCondition, Status: status, Reason: reason, Message: message,
			ObservedGeneration: obj.GetGeneration(),
		})
		setter.SetConditions(conds)
	}
}

// steps runs each of steps in turn.
func steps(steps ...statusStep) statusStep {
	return func(obj fluxObject, token string) {
		for _, s := range steps {
			s(obj, token)
		}
	}
}

// withArtifact gives a source an artifact of revision.
func withArtifact(revision string) statusStep {
	return func(obj fluxObject, _ string) {
		a := &meta.Artifact{
			Path:           "helmrepository/" + obj.GetNamespace() + "/" + obj.GetName() + "/index.yaml",
			URL:            "http://source-controller.flux-system.svc/index.yaml",
			Revision:       revision,
			Digest:         "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
			LastUpdateTime: metav1.Now(),
		}
		switch o := obj.(type) {
		case *sourcev1.HelmRepository:
			o.Status.Artifact = a
		case *sourcev1.HelmChart:
			a.Path = "helmchart/" + o.Namespace + "/" + o.Name + "/" + o.Spec.Chart + "-" + revision + ".tgz"
			o.Status.Artifact = a
		case *sourcev1.OCIRepository:
			a.Path = "ocirepository/" + o.Namespace + "/" + o.Name + "/" + a.Digest[len("sha256:"):] + ".tar.gz"
			o.Status.Artifact = a
		}
	}
}

// released gives a HelmRelease a history whose newest release has chart
// version version.
func released(version string) statusStep {
	return func(obj fluxObject, _ string) {
		hr := obj.(*helmv2.HelmRelease)
		now := metav1.Now()
		hr.Status.History = helmv2.Snapshots{{
			Digest: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", Name: hr.GetReleaseName(),
			Namespace: hr.GetReleaseNamespace(), Version: 1, Status: "deployed", ChartName: "podinfo", ChartVersion: version,
			ConfigDigest:  "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
			FirstDeployed: now, LastDeployed: now,
		}}
		hr.Status.LastAttemptedRevision = version
	}
}

// The objects the tests create: a HelmRepository podinfo, the HelmChart a
// HelmRelease podinfo makes of it, and that HelmRelease.
func testHelmRepository(ns, name string) *sourcev1.HelmRepository {
	return &sourcev1.HelmRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       sourcev1.HelmRepositorySpec{URL: "https://stefanprodan.github.io/podinfo", Interval: metav1.Duration{Duration: 10 * time.Minute}},
	}
}

func testHelmChart(ns, name, repo string) *sourcev1.HelmChart {
	return &sourcev1.HelmChart{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.HelmChartSpec{
			Chart: "podinfo", Version: "6.x", Interval: metav1.Duration{Duration: 10 * time.Minute},
			SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: repo},
		},
	}
}

func testHelmRelease(ns, name, repo string) *helmv2.HelmRelease {
	return &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: 10 * time.Minute},
			Chart: &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
				Chart: "podinfo", Version: "6.x",
				SourceRef: helmv2.CrossNamespaceObjectReference{Kind: sourcev1.HelmRepositoryKind, Name: repo},
			}},
		},
	}
}

// testGetHelmKinds lists HelmRepositories, HelmCharts and HelmReleases
// with Flux's columns, REVISION being the artifact's revision for the
// sources and the newest release's chart version for a HelmRelease.
func testGetHelmKinds(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "gethelm")
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	oci := testHelmRepository(ns, "registry")
	oci.Spec.URL, oci.Spec.Type = "oci://ghcr.io/stefanprodan/charts", sourcev1.HelmRepositoryTypeOCI
	broken := testHelmRelease(ns, "broken", "podinfo")
	broken.Spec.Suspend = true
	p.create(t, testHelmRepository(ns, "podinfo"), oci, testHelmChart(ns, "apps-podinfo", "podinfo"),
		testHelmRelease(ns, "podinfo", "podinfo"), broken, testHelmRelease(ns, "fresh", "podinfo"))
	p.writeStatus(t, helmRepositories, key("podinfo"), steps(withArtifact("sha256:9d3ac2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"),
		readyOnly(metav1.ConditionTrue, "Succeeded", "stored artifact: revision 'sha256:9d3ac2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f'")))
	p.writeStatus(t, helmRepositories, key("registry"), readyOnly(metav1.ConditionTrue, "Succeeded", "Helm repository is Ready"))
	p.writeStatus(t, helmCharts, key("apps-podinfo"), steps(withArtifact("6.0.3"), readyOnly(metav1.ConditionTrue, "ChartPullSucceeded", "pulled 'podinfo' chart with version '6.0.3'")))
	p.writeStatus(t, helmReleases, key("podinfo"), steps(released("6.0.3"), readyOnly(metav1.ConditionTrue, "UpgradeSucceeded", "Helm upgrade succeeded for release podinfo/podinfo.v2 with chart podinfo@6.0.3")))
	p.writeStatus(t, helmReleases, key("broken"), steps(released("6.0.2"), readyOnly(metav1.ConditionFalse, "UpgradeFailed", "Helm upgrade failed for release podinfo/broken with chart podinfo@6.0.3:\ntimed out waiting for the condition")))

	normalize := func(s string) string { return strings.ReplaceAll(s, ns, "NAMESPACE") }
	tests := map[string][]string{
		"get_helmreleases.golden":  {"get", "helmreleases"},
		"get_sources_helm.golden":  {"get", "sources", "helm"},
		"get_sources_chart.golden": {"get", "sources", "chart"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := p.ferry(t, append([]string{"-n", ns}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(normalize(stdout)))
		})
	}

	// The other names of the HelmRelease noun, a name, and -A.
	for _, alias := range []string{"hr", "helmrelease"} {
		stdout, _, _ := p.ferry(t, "-n", ns, "get", alias, "podinfo", "--no-header")
		if !strings.HasPrefix(stdout, "podinfo ") || strings.Count(stdout, "\n") != 1 {
			t.Errorf("get %s podinfo:\n%s", alias, stdout)
		}
	}
	stdout, _, _ := p.ferry(t, "get", "hr", "-A", "--status-selector", "ready=false")
	mustContain(t, "get hr -A --status-selector ready=false", stdout, "NAMESPACE", ns, "broken", "6.0.2", "timed out waiting for the condition")
	if strings.Contains(stdout, "podinfo ") {
		t.Errorf("ready=false lists a ready HelmRelease:\n%s", stdout)
	}
	_, stderr, code := p.ferry(t, "-n", ns, "get", "hr", "nope")
	if code == 0 {
		t.Fatal("get of a missing HelmRelease succeeded")
	}
	mustContain(t, "stderr", stderr, `HelmRelease "nope" not found`)
}

// testExportHelmKinds exports live objects with a status as Flux YAML:
// spec, labels and annotations, no status and no request annotations.
func testExportHelmKinds(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "exporthelm")
	hr := testHelmRelease(ns, "podinfo", "podinfo")
	hr.Labels = map[string]string{"team": "web"}
	hr.Annotations = map[string]string{"owner": "web", meta.ReconcileRequestAnnotation: "now"}
	hr.Spec.TargetNamespace = "podinfo"
	hr.Spec.ValuesFrom = []helmv2.ValuesReference{{Kind: "ConfigMap", Name: "podinfo-values"}}
	hr.Spec.Values = &apiextensionsv1.JSON{Raw: []byte(`{"replicaCount":2,"ingress":{"enabled":true}}`)}
	p.create(t, testHelmRepository(ns, "podinfo"), testHelmChart(ns, "apps-podinfo", "podinfo"), hr)
	p.writeStatus(t, helmReleases, types.NamespacedName{Namespace: ns, Name: "podinfo"}, steps(released("6.0.3"), readyOnly(metav1.ConditionTrue, "InstallSucceeded", "Helm install succeeded")))

	normalize := func(s string) string { return strings.ReplaceAll(s, ns, "NAMESPACE") }
	tests := map[string][]string{
		"export_source_helm.golden":  {"export", "source", "helm", "podinfo"},
		"export_source_chart.golden": {"export", "source", "chart", "--all"},
		"export_helmrelease.golden":  {"export", "helmrelease", "podinfo"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := p.ferry(t, append([]string{"-n", ns}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(normalize(stdout)))
		})
	}
}

// testSuspendResumeHelmKinds suspends and resumes a HelmRelease and a
// HelmChart: spec.suspend, the output, and a resume that waits for the
// reconciliation it requests.
func testSuspendResumeHelmKinds(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "pausehelm")
	key := types.NamespacedName{Namespace: ns, Name: "podinfo"}
	chartKey := types.NamespacedName{Namespace: ns, Name: ns + "-podinfo"}
	p.create(t, testHelmRepository(ns, "podinfo"), testHelmChart(ns, chartKey.Name, "podinfo"), testHelmRelease(ns, "podinfo", "podinfo"))

	_, stderr, code := p.ferry(t, "-n", ns, "suspend", "hr", "podinfo")
	if code != 0 {
		t.Fatalf("suspend hr exited %d: %s", code, stderr)
	}
	mustContain(t, "suspend output", stderr, "► suspending helmrelease podinfo in "+ns+" namespace", "✔ helmrelease suspended")
	_, stderr, code = p.ferry(t, "-n", ns, "suspend", "source", "chart", "--all")
	if code != 0 {
		t.Fatalf("suspend source chart --all exited %d: %s", code, stderr)
	}
	mustContain(t, "suspend --all output", stderr, "✔ source chart suspended")
	hr, hc := &helmv2.HelmRelease{}, &sourcev1.HelmChart{}
	if err := p.client.Get(context.Background(), key, hr); err != nil {
		t.Fatal(err)
	}
	if err := p.client.Get(context.Background(), chartKey, hc); err != nil {
		t.Fatal(err)
	}
	if !hr.Spec.Suspend || !hc.Spec.Suspend {
		t.Fatalf("suspend = %v (HelmRelease), %v (HelmChart), want both true", hr.Spec.Suspend, hc.Spec.Suspend)
	}
	stdout, _, _ := p.ferry(t, "-n", ns, "get", "hr", "--no-header")
	if f := strings.Fields(stdout); len(f) < 3 || f[1] != "True" {
		t.Errorf("get hr after suspend, want SUSPENDED True:\n%s", stdout)
	}
	_, stderr, code = p.ferry(t, "-n", ns, "reconcile", "hr", "podinfo")
	if code == 0 {
		t.Fatal("reconcile of a suspended HelmRelease succeeded")
	}
	mustContain(t, "reconcile of a suspended HelmRelease", stderr, "HelmRelease '"+ns+"/podinfo' is suspended")

	p.standIn(t, helmCharts, chartKey, steps(withArtifact("6.0.3"), ready(metav1.ConditionTrue, "ChartPullSucceeded", "pulled 'podinfo' chart with version '6.0.3'")))
	p.standIn(t, helmReleases, key, steps(released("6.0.3"), ready(metav1.ConditionTrue, "UpgradeSucceeded", "Helm upgrade succeeded")))
	_, stderr, code = p.ferry(t, "-n", ns, "resume", "source", "chart", chartKey.Name)
	if code != 0 {
		t.Fatalf("resume source chart exited %d: %s", code, stderr)
	}
	mustContain(t, "resume chart output", stderr, "✔ source chart resumed", "◎ waiting for HelmChart reconciliation", "✔ fetched revision 6.0.3")
	_, stderr, code = p.ferry(t, "-n", ns, "resume", "helmrelease", "podinfo")
	if code != 0 {
		t.Fatalf("resume helmrelease exited %d: %s", code, stderr)
	}
	mustContain(t, "resume hr output", stderr,
		"► resuming helmrelease podinfo in "+ns+" namespace",
		"✔ helmrelease resumed",
		"◎ waiting for HelmRelease reconciliation",
		"✔ HelmRelease reconciliation completed",
		"✔ applied revision 6.0.3")
	if err := p.client.Get(context.Background(), key, hr); err != nil {
		t.Fatal(err)
	}
	if hr.Spec.Suspend {
		t.Error("HelmRelease still suspended after resume")
	}
}
