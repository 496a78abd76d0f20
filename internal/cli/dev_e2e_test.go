package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/uibrowser"
)

// TestDevSyncsTheExample runs the README's main command on a copy of
// examples/ and checks what a person would: the Deployment rolls out on the
// simulated cluster, the first sync is reported once and without a false
// alarm, the next steps printed name this executable, a commit is applied by
// `reconcile --with-source`, a manual scale is reverted, and Ctrl-C stops
// everything.
func TestDevSyncsTheExample(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated cluster")
	}
	work := t.TempDir()
	repo, err := gitserver.InitRepo(work, "main")
	if err != nil {
		t.Fatal(err)
	}
	if err := copyTree(filepath.Join("..", "..", "examples"), filepath.Join(work, "examples")); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit("add the example"); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state")

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var out, errOut testenv.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"dev", "--sync", filepath.Join(work, "examples"), "--path", "apps/development", "--state-dir", state,
			"--receiver-address", "127.0.0.1:0", "--ui-address", "127.0.0.1:0"}, &out, &errOut)
	}()
	waitForOutput(t, &errOut, done, "ferry dev is ready", 30*time.Minute)
	mustContain(t, "ferry dev output", errOut.String(),
		"kubeconfig written to "+filepath.Join(state, "kubeconfig"),
		"✔ Kustomization flux-system: Applied revision: main@sha1:")
	checkFirstSyncReport(t, errOut.String(), "flux-system")
	checkNextSteps(t, errOut.String(), "flux-system")
	checkUI(t, errOut.String(), "flux-system")

	kubeconfig := filepath.Join(state, "kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKey{Namespace: "web-development", Name: "web"}
	waitReady(t, c, key, 1)
	checkUIInBrowser(t, errOut.String(), c)

	// A commit is applied after reconcile --with-source.
	overlay := filepath.Join(work, "examples", "apps", "development", "kustomization.yaml")
	data, err := os.ReadFile(overlay)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(overlay, []byte(strings.Replace(string(data), "count: 1", "count: 2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	head, err := repo.Commit("development: two replicas")
	if err != nil {
		t.Fatal(err)
	}
	reconcile := func() {
		t.Helper()
		var rout, rerr testenv.Buffer
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if code := Main(rctx, []string{"--kubeconfig", kubeconfig, "reconcile", "kustomization", "flux-system", "--with-source"}, &rout, &rerr); code != 0 {
			t.Fatalf("reconcile exited %d:\n%s", code, rerr.String())
		}
		mustContain(t, "reconcile output", rerr.String(), "✔ applied revision main@sha1:"+head)
	}
	reconcile()
	waitReady(t, c, key, 2)

	// Drift: a manual scale is put back to what Git says.
	var d appsv1.Deployment
	if err := c.Get(ctx, key, &d); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(d.DeepCopy())
	five := int32(5)
	d.Spec.Replicas = &five
	if err := c.Patch(ctx, &d, patch); err != nil {
		t.Fatal(err)
	}
	reconcile()
	waitReady(t, c, key, 2)

	// A post-commit hook calling a generic Receiver, as docs/cli.md shows,
	// has the next commit fetched and applied without reconcile.
	head = commitThroughReceiver(t, c, errOut.String(), repo, overlay)
	waitReady(t, c, key, 3)
	gr := &sourcev1.GitRepository{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "flux-system", Name: "flux-system"}, gr); err != nil {
		t.Fatal(err)
	}
	if gr.Status.Artifact == nil || gr.Status.Artifact.Revision != "main@sha1:"+head {
		t.Errorf("the GitRepository's artifact is %+v, want the hook's commit %s", gr.Status.Artifact, head)
	}

	// ferry bootstraps itself into this cluster and another from one
	// repository.
	t.Run("bootstrap", func(t *testing.T) {
		dev := func(t *testing.T, args ...string) (string, string, int) {
			var out, errOut testenv.Buffer
			bctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			code := Main(bctx, append([]string{"--kubeconfig", kubeconfig}, args...), &out, &errOut)
			return out.String(), errOut.String(), code
		}
		testBootstrap(t, bootstrapCluster{ferry: dev, client: c}, bootstrapCluster{ferry: ferry, client: env.Client})
	})

	// Ctrl-C stops the controllers and the cluster.
	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("ferry dev exited %d after Ctrl-C:\n%s", code, errOut.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("ferry dev did not stop after Ctrl-C:\n%s", errOut.String())
	}
	mustContain(t, "ferry dev output", errOut.String(), "✔ stopped")
	if err := c.Get(context.Background(), key, &d); err == nil {
		t.Errorf("the API server still answers after ferry dev stopped")
	}
}

// commitThroughReceiver installs the post-commit hook of docs/cli.md,
// calling the webhook ferry dev printed (its generic Receiver of the synced
// GitRepository), in the checkout, commits three replicas to the overlay
// and waits until the Receiver has requested the GitRepository's
// reconciliation. It returns the commit.
func commitThroughReceiver(t *testing.T, c client.Client, devOutput string, repo *gitserver.Repo, overlay string) string {
	t.Helper()
	ctx := context.Background()
	var receiverURL, webhookURL string
	for _, line := range strings.Split(devOutput, "\n") {
		if u, ok := strings.CutPrefix(line, "✔ webhook receiver listening on "); ok {
			receiverURL = u
		}
		if u, ok := strings.CutPrefix(line, "  curl -fsS -X POST "); ok {
			webhookURL = u
		}
	}
	if !strings.HasPrefix(receiverURL, "http://127.0.0.1:") || !strings.HasPrefix(webhookURL, receiverURL+"/hook/") {
		t.Fatalf("ferry dev printed no receiver address and webhook:\n%s", devOutput)
	}
	rcv := testenv.WaitFor(t, c, client.ObjectKey{Namespace: "flux-system", Name: "flux-system"}, "ferry dev's Receiver ready", func(r *notificationv1.Receiver) bool {
		return testenv.ReadyCondition(r).Status == metav1.ConditionTrue
	})
	if webhookURL != receiverURL+rcv.Status.WebhookPath {
		t.Fatalf("printed webhook %s, the Receiver serves %s", webhookURL, rcv.Status.WebhookPath)
	}
	path := rcv.Status.WebhookPath

	hook := "#!/bin/sh\ncurl -fsS -X POST " + receiverURL + path + " >/dev/null || echo \"ferry dev did not answer the webhook\" >&2\n"
	if _, err := exec.LookPath("curl"); err != nil {
		t.Logf("no curl: the test calls the webhook itself after the commit")
		hook = ""
	} else {
		hooks, err := gitserver.Git(repo.Dir, "rev-parse", "--git-path", "hooks")
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(hooks) {
			hooks = filepath.Join(repo.Dir, hooks)
		}
		if err := os.MkdirAll(hooks, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hooks, "post-commit"), []byte(hook), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	grKey := client.ObjectKey{Namespace: "flux-system", Name: "flux-system"}
	gr := &sourcev1.GitRepository{}
	if err := c.Get(ctx, grKey, gr); err != nil {
		t.Fatal(err)
	}
	before := gr.Annotations[meta.ReconcileRequestAnnotation]
	data, err := os.ReadFile(overlay)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(overlay, []byte(strings.Replace(string(data), "count: 2", "count: 3", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	head, err := repo.Commit("development: three replicas")
	if err != nil {
		t.Fatal(err)
	}
	if hook == "" {
		resp, err := http.Post(receiverURL+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// Only the Receiver (or a reconcile, which the test does not run now)
	// sets requestedAt: a fetch on the interval does not.
	testenv.WaitFor(t, c, grKey, "the Receiver's reconcile request", func(gr *sourcev1.GitRepository) bool {
		return gr.Annotations[meta.ReconcileRequestAnnotation] != before
	})
	return head
}

// checkUI reads the UI's URL from the ready line and checks its overview
// lists the synced Kustomization, without sign-in on loopback.
func checkUI(t *testing.T, output, name string) {
	t.Helper()
	_, url, ok := strings.Cut(output, "the UI is at ")
	url, _, _ = strings.Cut(url, "\n")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("ferry dev printed no UI address:\n%s", output)
	}
	resp, err := http.Get(url + "/k/Kustomization")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), name) {
		t.Errorf("the UI's Kustomization list: %d\n%s", resp.StatusCode, body)
	}
}

// checkUIInBrowser opens the UI ferry dev printed in headless Chromium, as
// a person following the ready line would: the list shows the example's
// Kustomization Ready, its page shows its conditions and the
// objects it applied, and its Reconcile button asks for a reconciliation,
// which the cluster records as an Event naming ferry dev.
func checkUIInBrowser(t *testing.T, output string, c client.Client) {
	t.Helper()
	_, url, _ := strings.Cut(output, "the UI is at ")
	url, _, _ = strings.Cut(url, "\n")
	tb := uibrowser.NewTab(t)
	tb.Open(url)
	tb.WaitText("main", "Kustomizations")
	tb.Open(url + "/k/Kustomization")
	tb.WaitRow("main table.rows", "flux-system", "True", "Applied revision: main@sha1:")
	tb.Open(url + "/o/Kustomization/flux-system/flux-system")
	tb.WaitRow("section[aria-labelledby=conditions-h] table", "Ready", "True", "ReconciliationSucceeded")
	tb.WaitText("section[aria-labelledby=inventory-h]", "Deployment.apps", "web-development/web")
	if code := tb.Submit("section.actions button[type=submit]"); code != http.StatusOK {
		t.Fatalf("Reconcile answered %d: %s", code, tb.Describe())
	}
	tb.WaitText("main .flash", "Reconciliation requested.")
	testenv.Eventually(t, "the UI's ReconcileRequested event", func() (bool, string) {
		for _, e := range testenv.Events(t, c, "Kustomization", "flux-system", "flux-system") {
			if e.Reason == "ReconcileRequested" && strings.Contains(e.Message, "ferry dev") {
				return true, ""
			}
		}
		return false, "none yet"
	})
}

// checkFirstSyncReport checks that ferry dev reported the first sync of a
// good repository once, as applied, and reported no failure.
func checkFirstSyncReport(t *testing.T, output, name string) {
	t.Helper()
	var reports []string
	for _, line := range strings.Split(output, "\n") {
		if strings.HasPrefix(line, "✗") {
			t.Errorf("ferry dev reported a failure although nothing failed: %q", line)
		}
		for _, mark := range []string{"✔ ", "✗ ", "◎ "} {
			if strings.HasPrefix(line, mark+"Kustomization "+name) || strings.HasPrefix(line, mark+"GitRepository "+name) {
				reports = append(reports, line)
			}
		}
	}
	if len(reports) != 1 || !strings.HasPrefix(reports[0], "✔ Kustomization "+name+": Applied revision: main@sha1:") {
		t.Errorf("want the first sync reported once, as applied; got %q in:\n%s", reports, output)
	}
}

// checkNextSteps checks that the ferry commands ferry dev prints run this
// executable, as a person would copy them.
func checkNextSteps(t *testing.T, output, name string) {
	t.Helper()
	var command string
	for _, line := range strings.Split(output, "\n") {
		if c, ok := strings.CutSuffix(line, " get kustomizations"); ok && strings.HasPrefix(c, "  ") {
			command = strings.TrimSpace(c)
		}
	}
	if command == "" {
		t.Fatalf("ferry dev printed no 'get kustomizations' step:\n%s", output)
	}
	mustContain(t, "ferry dev output", output, "  "+command+" reconcile kustomization "+name+" --with-source")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if found, err := exec.LookPath(command); err != nil || !sameFile(found, exe) {
		t.Errorf("the next steps run %q, which is not this executable %s (%v)", command, exe, err)
	}
}

// waitForOutput waits until the running command has written want, failing
// early when it exits first.
func waitForOutput(t *testing.T, buf *testenv.Buffer, done chan int, want string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if strings.Contains(buf.String(), want) {
			return
		}
		select {
		case code := <-done:
			t.Fatalf("the command exited %d before printing %q:\n%s", code, want, buf.String())
		case <-time.After(500 * time.Millisecond):
		}
	}
	t.Fatalf("the command did not print %q:\n%s", want, buf.String())
}

// waitReady waits until the Deployment has rolled out with replicas ready
// and no more, as `kubectl get deploy` would show READY n/n.
func waitReady(t *testing.T, c client.Client, key client.ObjectKey, replicas int32) {
	t.Helper()
	testenv.Eventually(t, fmt.Sprintf("Deployment %s READY %d/%d", key, replicas, replicas), func() (bool, string) {
		var d appsv1.Deployment
		if err := c.Get(context.Background(), key, &d); err != nil {
			return false, err.Error()
		}
		s := d.Status
		ok := d.Spec.Replicas != nil && *d.Spec.Replicas == replicas && s.ObservedGeneration == d.Generation &&
			s.ReadyReplicas == replicas && s.UpdatedReplicas == replicas && s.Replicas == replicas
		return ok, fmt.Sprintf("spec %v, status %+v", *d.Spec.Replicas, s)
	})
}

// copyTree copies the regular files below src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
