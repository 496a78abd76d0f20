package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dustin/go-humanize"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

func TestPrintStats(t *testing.T) {
	var buf bytes.Buffer
	err := printStats(&buf, []kindStats{
		{kind: "GitRepository", running: 12, failing: 1, suspended: 2, storage: 3 << 20, hasStorage: true},
		{kind: "Kustomization", running: 40, failing: 3},
		{kind: "HelmChart", running: 1, storage: 1536, hasStorage: true},
		{kind: "Receiver"},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "stats.golden", buf.Bytes())
}

// TestStats counts a ready sync, a failing source and a suspended
// Kustomization of one namespace.
func TestStats(t *testing.T) {
	ns, _ := setupSync(t, "app", "./deploy", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	objs, err := decodeManifests([]byte(fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: broken, namespace: %[1]s}
spec: {url: "http://127.0.0.1:1/nothing.git", interval: 1h, ref: {branch: main}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: paused, namespace: %[1]s}
spec: {interval: 1h, path: ./deploy, prune: true, suspend: true, sourceRef: {kind: GitRepository, name: app}}
`, ns)))
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	var size int64
	for name, want := range map[string]metav1.ConditionStatus{"app": metav1.ConditionTrue, "broken": metav1.ConditionFalse} {
		testenv.Eventually(t, "GitRepository "+name+" Ready="+string(want), func() (bool, string) {
			repo := &sourcev1.GitRepository{}
			if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, repo); err != nil {
				return false, err.Error()
			}
			c := apimeta.FindStatusCondition(repo.Status.Conditions, meta.ReadyCondition)
			if name == "app" && repo.Status.Artifact != nil && repo.Status.Artifact.Size != nil {
				size = *repo.Status.Artifact.Size
			}
			return c != nil && c.Status == want, fmt.Sprintf("%+v", c)
		})
	}

	stdout, stderr, code := ferry(t, "-n", ns, "stats")
	if code != 0 {
		t.Fatalf("stats exited %d: %s", code, stderr)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		fields := strings.Fields(line)
		rows[fields[0]] = strings.Join(fields[1:], " ")
	}
	want := map[string]string{
		"RECONCILERS":   "RUNNING FAILING SUSPENDED STORAGE",
		"GitRepository": "1 1 0 " + humanize.IBytes(uint64(size)),
		"Kustomization": "1 0 1 -",
		"HelmRelease":   "0 0 0 -",
	}
	for kind, w := range want {
		if rows[kind] != w {
			t.Errorf("stats row %s: %q, want %q\n%s", kind, rows[kind], w, stdout)
		}
	}
}
