package cli

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestSuspendResume suspends and resumes a GitRepository and a
// Kustomization with the CLI and checks spec.suspend, the output and that a
// resume waits for a new reconciliation.
func TestSuspendResume(t *testing.T) {
	ns, repo := setupSync(t, "pause", "./deploy", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	head, _ := repo.Head()
	key := client.ObjectKey{Namespace: ns, Name: "pause"}

	_, stderr, code := ferry(t, "-n", ns, "suspend", "source", "git", "pause")
	if code != 0 {
		t.Fatalf("suspend source git exited %d: %s", code, stderr)
	}
	mustContain(t, "suspend output", stderr, "► suspending source git pause in "+ns+" namespace", "✔ source git suspended")
	_, stderr, code = ferry(t, "-n", ns, "suspend", "ks", "--all")
	if code != 0 {
		t.Fatalf("suspend ks --all exited %d: %s", code, stderr)
	}
	mustContain(t, "suspend --all output", stderr, "► suspending kustomization pause in "+ns+" namespace", "✔ kustomization suspended")

	gr, ks := &sourcev1.GitRepository{}, &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), key, gr); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(context.Background(), key, ks); err != nil {
		t.Fatal(err)
	}
	if !gr.Spec.Suspend || !ks.Spec.Suspend {
		t.Fatalf("suspend = %v (GitRepository), %v (Kustomization), want both true", gr.Spec.Suspend, ks.Spec.Suspend)
	}
	stdout, _, _ := ferry(t, "-n", ns, "get", "sources", "git")
	mustContain(t, "get after suspend", stdout, "True")

	// A new commit is fetched once the source is resumed: resume waits for
	// the reconciliation it requests.
	head, err := repo.CommitFiles("change", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "two")})
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code = ferry(t, "-n", ns, "resume", "source", "git", "pause")
	if code != 0 {
		t.Fatalf("resume source git exited %d: %s", code, stderr)
	}
	mustContain(t, "resume output", stderr,
		"► resuming source git pause in "+ns+" namespace",
		"✔ source git resumed",
		"◎ waiting for GitRepository reconciliation",
		"✔ fetched revision main@sha1:"+head)
	_, stderr, code = ferry(t, "-n", ns, "resume", "kustomization", "pause")
	if code != 0 {
		t.Fatalf("resume kustomization exited %d: %s", code, stderr)
	}
	mustContain(t, "resume ks output", stderr, "✔ kustomization resumed", "✔ applied revision main@sha1:"+head)
	if err := env.Client.Get(context.Background(), key, ks); err != nil {
		t.Fatal(err)
	}
	if ks.Spec.Suspend {
		t.Error("Kustomization still suspended after resume")
	}

	tests := map[string]struct {
		args []string
		want string
	}{
		"missing object":    {[]string{"-n", ns, "suspend", "source", "git", "nope"}, "GitRepository '" + ns + "/nope' not found"},
		"missing on resume": {[]string{"-n", ns, "resume", "ks", "nope"}, "Kustomization '" + ns + "/nope' not found"},
		"name and all":      {[]string{"-n", ns, "suspend", "ks", "pause", "--all"}, "not both"},
		"no name":           {[]string{"-n", ns, "resume", "source", "git"}, "give the NAME"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := ferry(t, tt.args...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
}

// TestExport exports live objects and compares them, with the test's
// namespace and URL replaced, against golden files: no status, no managed
// fields, no server-set metadata.
func TestExport(t *testing.T) {
	ns, _ := setupSync(t, "exported", "./deploy", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	gr := &sourcev1.GitRepository{}
	key := client.ObjectKey{Namespace: ns, Name: "exported"}
	if err := env.Client.Get(context.Background(), key, gr); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(gr.DeepCopy())
	gr.Labels = map[string]string{"team": "dev"}
	gr.Annotations = map[string]string{"owner": "dev", "reconcile.fluxcd.io/requestedAt": "now",
		"kubectl.kubernetes.io/last-applied-configuration": "{}"}
	if err := env.Client.Patch(context.Background(), gr, patch); err != nil {
		t.Fatal(err)
	}
	// Wait for a status so the export demonstrably leaves it out.
	testenv.Eventually(t, "the GitRepository to be Ready", func() (bool, string) {
		stdout, _, _ := ferry(t, "-n", ns, "get", "sources", "git", "exported")
		return strings.Contains(stdout, "stored artifact"), stdout
	})
	normalize := func(s string) string {
		s = strings.ReplaceAll(s, env.Git.RepoURL(ns+"/exported"), "http://git.example/exported")
		return strings.ReplaceAll(s, ns, "NAMESPACE")
	}
	tests := map[string][]string{
		"export_source_git.golden":        {"export", "source", "git", "exported"},
		"export_kustomization_all.golden": {"export", "kustomization", "--all"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"-n", ns}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(normalize(stdout)))
		})
	}
	_, stderr, code := ferry(t, "-n", ns, "export", "source", "git", "nope")
	if code == 0 {
		t.Fatal("export of a missing object succeeded")
	}
	mustContain(t, "stderr", stderr, "GitRepository '"+ns+"/nope' not found")
}
