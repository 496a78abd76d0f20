package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestGetStatusSelector lists a ready and a failing Kustomization of one
// namespace with --status-selector.
func TestGetStatusSelector(t *testing.T) {
	ns, _ := setupSync(t, "good", "./deploy", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	bad := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: ns},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: 600e9},
			Path:      "./missing",
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "good"},
		},
	}
	if err := env.Client.Create(context.Background(), bad); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]metav1.ConditionStatus{"good": metav1.ConditionTrue, "bad": metav1.ConditionFalse} {
		testenv.Eventually(t, "Kustomization "+name+" Ready="+string(want), func() (bool, string) {
			ks := &kustomizev1.Kustomization{}
			if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, ks); err != nil {
				return false, err.Error()
			}
			c := apimeta.FindStatusCondition(ks.Status.Conditions, meta.ReadyCondition)
			return c != nil && c.Status == want, fmt.Sprintf("%+v", c)
		})
	}

	stdout, stderr, code := ferry(t, "-n", ns, "get", "ks", "--status-selector", "ready=false")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "bad") || strings.Contains(stdout, "good") {
		t.Errorf("ready=false lists:\n%s", stdout)
	}
	stdout, _, _ = ferry(t, "-n", ns, "get", "kustomizations", "--status-selector=Ready=True", "--no-header")
	if !strings.HasPrefix(stdout, "good ") || strings.Contains(stdout, "bad") {
		t.Errorf("Ready=True lists:\n%s", stdout)
	}
	stdout, _, _ = ferry(t, "-n", ns, "get", "sources", "git", "--status-selector", "ready=true")
	mustContain(t, "sources ready=true", stdout, "good")
	stdout, stderr, _ = ferry(t, "-n", ns, "get", "sources", "git", "--status-selector", "ready=false")
	if stdout != "" {
		t.Errorf("sources ready=false lists:\n%s", stdout)
	}
	mustContain(t, "stderr", stderr, "no GitRepository objects found in "+ns+" namespace")

	// A named object that does not match is not an error.
	stdout, stderr, code = ferry(t, "-n", ns, "get", "ks", "good", "--status-selector", "ready=false")
	if code != 0 || stdout != "" {
		t.Errorf("get ks good --status-selector ready=false: exit %d, stdout %q", code, stdout)
	}
	mustContain(t, "stderr", stderr, "no Kustomization objects found in "+ns+" namespace")

	_, stderr, code = ferry(t, "-n", ns, "get", "ks", "--status-selector", "ready")
	if code != 1 {
		t.Fatalf("a bad selector exited %d, want 1", code)
	}
	mustContain(t, "stderr", stderr, "--status-selector \"ready\" must be '<type>=<status>'")
}
