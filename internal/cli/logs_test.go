package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// controllerLog writes lines as ferry controller's logger does (the same
// zap options as setupLogging), with the keys controller-runtime gives a
// reconciler's logger, and returns them.
func controllerLog(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	log := zap.New(zap.WriteTo(&buf), preciseTimestamps)
	reconciler := func(kind, group, ns, name string) func(msg string, err error) {
		l := log.WithValues("controller", strings.ToLower(kind), "controllerGroup", group, "controllerKind", kind,
			kind, map[string]string{"name": name, "namespace": ns}, "namespace", ns, "name", name, "reconcileID", "5e1c")
		return func(msg string, err error) {
			if err != nil {
				l.Error(err, msg)
				return
			}
			l.Info(msg)
		}
	}
	log.Info("starting ferry controllers", "controllers", []string{"gitrepository", "kustomization"})
	reconciler("GitRepository", "source.toolkit.fluxcd.io", "flux-system", "apps")("stored artifact for commit 'add podinfo'", nil)
	reconciler("Kustomization", "kustomize.toolkit.fluxcd.io", "flux-system", "apps")("server-side apply completed", nil)
	reconciler("Kustomization", "kustomize.toolkit.fluxcd.io", "flux-system", "infra")("Reconciler error", errors.New("kustomization path not found: stat ./infra: no such file or directory"))
	reconciler("Kustomization", "kustomize.toolkit.fluxcd.io", "tenants", "apps")("server-side apply completed", nil)
	return buf.Bytes()
}

func TestLogsFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "controller.log")
	if err := os.WriteFile(path, append(controllerLog(t), []byte("a console line, not JSON\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	// The timestamps vary; the golden file holds the rest of each line.
	untimed := func(s string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		for i, l := range lines {
			if ts, rest, ok := strings.Cut(l, " "); ok {
				if _, err := time.Parse("2006-01-02T15:04:05.000Z", ts); err == nil {
					lines[i] = "TIME " + rest
				}
			}
		}
		return strings.Join(lines, "\n") + "\n"
	}
	for name, args := range map[string][]string{
		"logs_kustomization.golden": {"--kind", "kustomization", "--name", "apps"},
		"logs_errors.golden":        {"--level", "error"},
		"logs_namespace.golden":     {"-n", "flux-system"},
	} {
		stdout, stderr, code := ferry(t, append([]string{"logs", "--file", path}, args...)...)
		if code != 0 {
			t.Fatalf("logs %v exited %d: %s", args, code, stderr)
		}
		golden(t, name, []byte(untimed(stdout)))
	}

	// Without filters every line is shown, the console one too.
	stdout, _, _ := ferry(t, "logs", "--file", path)
	if n := strings.Count(stdout, "\n"); n != 6 {
		t.Errorf("logs without filters printed %d lines, want 6:\n%s", n, stdout)
	}
	mustContain(t, "logs without filters", stdout, "a console line, not JSON")
	// --raw prints the JSON as written, with Flux's keys.
	stdout, _, _ = ferry(t, "logs", "--file", path, "--raw", "--level", "error")
	mustContain(t, "logs --raw", stdout, `"level":"error"`, `"ts":"`, `"msg":"Reconciler error"`, `"controllerKind":"Kustomization"`, `"name":"infra"`, `"namespace":"flux-system"`)
	// Lines older than --since are left out.
	stdout, _, _ = ferry(t, "logs", "--file", path, "--since", "1h")
	if strings.Count(stdout, "\n") != 5 {
		t.Errorf("logs --since 1h printed:\n%s", stdout)
	}
	if _, stderr, code := ferry(t, "logs", "--file", path, "--level", "loud"); code != 1 || !strings.Contains(stderr, `--level "loud": want debug, info or error`) {
		t.Errorf("logs --level loud: exit %d, %s", code, stderr)
	}
}

// TestLogsNoPods asks the cluster for the controller's pods where there
// are none.
func TestLogsNoPods(t *testing.T) {
	ns := env.NewNamespace(t, "logs-empty")
	_, stderr, code := ferry(t, "logs", "--ferry-namespace", ns)
	if code != 1 {
		t.Fatalf("logs without pods exited %d, want 1", code)
	}
	mustContain(t, "logs without pods", stderr, "no pod of ferry's controller in namespace "+ns, "pass its log with --file")
}
