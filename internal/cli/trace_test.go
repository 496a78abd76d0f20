package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestTrace traces a ConfigMap a Kustomization applied, one that only
// carries its labels, and one nothing manages.
func TestTrace(t *testing.T) {
	ns, repo := setupSync(t, "trace", "./deploy", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "Kustomization trace applied "+head, func() (bool, string) {
		ks := &kustomizev1.Kustomization{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "trace"}, ks); err != nil {
			return false, err.Error()
		}
		return ks.Status.LastAppliedRevision == "main@sha1:"+head && testenv.ReadyCondition(ks).Status == metav1.ConditionTrue, ks.Status.LastAppliedRevision
	})

	mask := func(s string) string {
		s = strings.ReplaceAll(s, ns, "NS")
		s = strings.ReplaceAll(s, head, "HEAD")
		s = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/`).ReplaceAllString(s, "http://GIT/")
		return regexp.MustCompile(`since [0-9TZ:-]+`).ReplaceAllString(s, "since TIME")
	}
	stdout, stderr, code := ferry(t, "-n", ns, "trace", "configmap/settings")
	if code != 0 {
		t.Fatalf("trace exited %d: %s", code, stderr)
	}
	golden(t, "trace_kustomization.golden", []byte(mask(stdout)))

	// flux trace's spelling: the name, --kind and --api-version.
	again, stderr, code := ferry(t, "-n", ns, "trace", "settings", "--kind", "ConfigMap", "--api-version", "v1")
	if code != 0 || again != stdout {
		t.Errorf("trace settings --kind ConfigMap: exit %d, %s\n%s", code, stderr, again)
	}

	// A copy with the labels is not in the inventory: trace says so.
	spoof := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "copy", Namespace: ns, Labels: map[string]string{
		kustomizev1.NameLabel: "trace", kustomizev1.NamespaceLabel: ns,
	}}}
	if err := env.Client.Create(context.Background(), spoof); err != nil {
		t.Fatal(err)
	}
	stdout, _, code = ferry(t, "-n", ns, "trace", "configmaps/copy")
	if code != 0 {
		t.Errorf("trace of a labelled copy exited %d", code)
	}
	mustContain(t, "trace of a labelled copy", stdout, "Sync:      Not in the inventory of Kustomization trace")

	plain := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "plain", Namespace: ns}}
	if err := env.Client.Create(context.Background(), plain); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = ferry(t, "-n", ns, "trace", "cm/plain")
	if code != 1 {
		t.Errorf("trace of an unmanaged object exited %d, want 1", code)
	}
	mustContain(t, "trace of an unmanaged object", stdout+stderr, "Not managed by Flux or ferry", "ConfigMap/plain is not managed by a Kustomization or HelmRelease")

	for args, want := range map[string]string{
		"widget/x":           "the cluster has no kind widget in the core group",
		"configmap/nothing":  "ConfigMap nothing not found in namespace " + ns,
		"nothing-but-a-name": "give the object as KIND/NAME",
	} {
		_, stderr, code := ferry(t, "-n", ns, "trace", args)
		if code != 1 {
			t.Errorf("trace %s exited %d, want 1", args, code)
		}
		mustContain(t, "trace "+args, stderr, want)
	}
}
