package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
)

func TestCleanRepoPath(t *testing.T) {
	tests := map[string]struct{ prefix, path, want string }{
		"root":                  {"", "./", "./"},
		"dot":                   {"", ".", "./"},
		"plain":                 {"", "apps/dev", "./apps/dev"},
		"dotted":                {"", "./apps/dev/", "./apps/dev"},
		"inside a subdirectory": {"examples/", "apps/dev", "./examples/apps/dev"},
		"subdirectory root":     {"examples/", "./", "./examples"},
		"climbs out":            {"examples/", "../../etc", "./../etc"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := cleanRepoPath(tt.prefix, tt.path); got != tt.want {
				t.Errorf("cleanRepoPath(%q, %q) = %q, want %q", tt.prefix, tt.path, got, tt.want)
			}
		})
	}
}

func TestResolveSync(t *testing.T) {
	repoDir := t.TempDir()
	repo, err := gitserver.InitRepo(repoDir, "trunk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitFiles("init", map[string]string{"fleet/apps/dev/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"}); err != nil {
		t.Fatal(err)
	}
	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "x.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("subdirectory of a checkout", func(t *testing.T) {
		src, err := resolveSync(&devOptions{sync: filepath.Join(repoDir, "fleet"), path: "apps/dev"})
		if err != nil {
			t.Fatal(err)
		}
		top, _ := filepath.EvalSymlinks(repoDir)
		gotTop, _ := filepath.EvalSymlinks(src.repo)
		if gotTop != top || src.path != "./fleet/apps/dev" || src.branch != "trunk" {
			t.Errorf("got repo %q path %q branch %q; want %q ./fleet/apps/dev trunk", src.repo, src.path, src.branch, top)
		}
	})
	t.Run("remote URL", func(t *testing.T) {
		src, err := resolveSync(&devOptions{sync: "https://example.com/org/fleet.git", path: "clusters/dev"})
		if err != nil {
			t.Fatal(err)
		}
		if src.url != "https://example.com/org/fleet.git" || src.branch != "main" || src.path != "./clusters/dev" {
			t.Errorf("unexpected %+v", src)
		}
	})
	t.Run("OCI artifact on loopback", func(t *testing.T) {
		src, err := resolveSync(&devOptions{sync: "oci://127.0.0.1:5000/fleet/manifests:v1.2.0", path: "apps/dev"})
		if err != nil {
			t.Fatal(err)
		}
		want := syncSource{kind: sourcev1.OCIRepositoryKind, url: "oci://127.0.0.1:5000/fleet/manifests", tag: "v1.2.0", path: "./apps/dev", insecure: true}
		if *src != want {
			t.Errorf("got %+v, want %+v", *src, want)
		}
	})
	t.Run("OCI artifact without a tag", func(t *testing.T) {
		src, err := resolveSync(&devOptions{sync: "oci://ghcr.io/acme/fleet", path: "./"})
		if err != nil {
			t.Fatal(err)
		}
		if src.url != "oci://ghcr.io/acme/fleet" || src.tag != "latest" || src.insecure {
			t.Errorf("got %+v, want latest over HTTPS", *src)
		}
	})
	errs := map[string]struct {
		opts devOptions
		want string
	}{
		"OCI with --branch":    {devOptions{sync: "oci://127.0.0.1:5000/fleet", branch: "main", path: "./"}, "--branch is for a Git repository"},
		"OCI empty tag":        {devOptions{sync: "oci://127.0.0.1:5000/fleet:", path: "./"}, "the tag after ':' is empty"},
		"OCI without a name":   {devOptions{sync: "oci://127.0.0.1:5000", path: "./"}, "want oci://<registry>/<repository>"},
		"OCI with credentials": {devOptions{sync: "oci://u:p4ss@127.0.0.1:5000/fleet", path: "./"}, "do not belong in the URL"},
		"missing directory":    {devOptions{sync: filepath.Join(plain, "nope"), path: "./"}, "not a directory"},
		"not a repository":     {devOptions{sync: plain, path: "./"}, "not inside a Git repository"},
		"missing path":         {devOptions{sync: repoDir, path: "apps/prod"}, "no such directory"},
		"escaping path":        {devOptions{sync: filepath.Join(repoDir, "fleet"), path: "../../.."}, "leaves the repository"},
	}
	for name, tt := range errs {
		t.Run(name, func(t *testing.T) {
			_, err := resolveSync(&tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFirstSyncLine(t *testing.T) {
	const (
		old = "main@sha1:1111111111111111111111111111111111111111"
		rev = "main@sha1:2222222222222222222222222222222222222222"
	)
	ready := func(status metav1.ConditionStatus, reason, msg string) metav1.Condition {
		return metav1.Condition{Type: meta.ReadyCondition, Status: status, Reason: reason, Message: msg, ObservedGeneration: 1}
	}
	source := func(artifact string, conds ...metav1.Condition) *sourcev1.GitRepository {
		gr := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: "flux-system", Generation: 1}}
		gr.Status.Conditions = conds
		if artifact != "" {
			gr.Status.Artifact = &meta.Artifact{Revision: artifact}
		}
		return gr
	}
	kustomization := func(attempted string, conds ...metav1.Condition) *kustomizev1.Kustomization {
		ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Name: "flux-system", Generation: 1}}
		ks.Status.Conditions = conds
		ks.Status.LastAttemptedRevision = attempted
		return ks
	}
	stored := ready(metav1.ConditionTrue, meta.SucceededReason, "stored artifact for revision '"+rev+"'")
	noArtifact := ready(metav1.ConditionFalse, meta.ArtifactFailedReason,
		"source GitRepository/flux-system/flux-system has no artifact yet, retrying in 30s")
	applied := ready(metav1.ConditionTrue, meta.ReconciliationSucceededReason, "Applied revision: "+rev)
	buildFailed := ready(metav1.ConditionFalse, meta.BuildFailedReason, "build of revision "+rev+" failed: yaml: line 3: did not find expected node content")
	stale := applied
	stale.ObservedGeneration = 0

	tests := map[string]struct {
		gr   *sourcev1.GitRepository
		ks   *kustomizev1.Kustomization
		want string
	}{
		"nothing reconciled yet": {source(""), kustomization(""), ""},
		"no artifact yet": {
			source("", ready(metav1.ConditionUnknown, meta.ProgressingReason, "reconciliation in progress")),
			kustomization("", noArtifact), ""},
		"artifact stored, Kustomization not retried yet": {source(rev, stored), kustomization("", noArtifact), ""},
		"artifact stored, Kustomization applying": {
			source(rev, stored),
			kustomization(rev, ready(metav1.ConditionUnknown, meta.ProgressingReason, "Reconciliation in progress")), ""},
		"applied": {source(rev, stored), kustomization(rev, applied), "✔ Kustomization flux-system: Applied revision: " + rev},
		"failed on the current revision": {source(rev, stored), kustomization(rev, buildFailed),
			"✗ Kustomization flux-system: build of revision " + rev + " failed: yaml: line 3: did not find expected node content"},
		"failure about an older revision": {source(rev, stored),
			kustomization(old, ready(metav1.ConditionFalse, meta.BuildFailedReason, "build of revision "+old+" failed")), ""},
		"outcome for an older generation": {source(rev, stored), kustomization(rev, stale), ""},
		"GitRepository failed": {
			source("", ready(metav1.ConditionFalse, meta.GitOperationFailedReason,
				"failed to checkout and determine revision: unable to clone: couldn't find remote ref refs/heads/nope")),
			kustomization("", noArtifact),
			"✗ GitRepository flux-system: failed to checkout and determine revision: unable to clone: couldn't find remote ref refs/heads/nope"},
		"GitRepository stalled": {
			source("", ready(metav1.ConditionFalse, meta.URLInvalidReason, "invalid URL"),
				metav1.Condition{Type: meta.StalledCondition, Status: metav1.ConditionTrue, Reason: meta.URLInvalidReason, ObservedGeneration: 1}),
			kustomization(""),
			"✗ GitRepository flux-system: invalid URL"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := firstSyncLine(sourcev1.GitRepositoryKind, tt.gr, tt.ks); got != tt.want {
				t.Errorf("firstSyncLine() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReportFirstSync syncs repositories with the objects ferry dev creates,
// against the test cluster's controllers, and checks that the first sync is
// reported once, a failure at once and with its message.
func TestReportFirstSync(t *testing.T) {
	tests := map[string]struct {
		files  map[string]string // NAMESPACE is replaced by the test's namespace
		branch string
		want   string // prefix of the one line printed
		detail string
	}{
		"applied": {
			files: map[string]string{"deploy/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: NAMESPACE\n"},
			want:  "✔ Kustomization first-sync: Applied revision: main@sha1:",
		},
		"invalid YAML": {
			files:  map[string]string{"deploy/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [name\n"},
			want:   "✗ Kustomization first-sync: build of revision main@sha1:",
			detail: "yaml",
		},
		"missing branch": {
			files:  map[string]string{"deploy/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"},
			branch: "nope",
			want:   "✗ GitRepository first-sync: ",
			detail: "refs/heads/nope",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ns := env.NewNamespace(t, "first-sync")
			repo, err := env.Git.InitRepo(ns+"/fleet", "main")
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]string{}
			for p, content := range tt.files {
				files[p] = strings.ReplaceAll(content, "NAMESPACE", ns)
			}
			if _, err := repo.CommitFiles("initial", files); err != nil {
				t.Fatal(err)
			}
			branch := tt.branch
			if branch == "" {
				branch = "main"
			}
			src := &syncSource{kind: sourcev1.GitRepositoryKind, url: env.Git.RepoURL(ns + "/fleet"), path: "./deploy", branch: branch}
			got := syncAndReport(t, ns, "first-sync", src, "")
			if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, tt.want) || !strings.Contains(got, tt.detail) {
				t.Errorf("reportFirstSync printed %q, want one line starting with %q and containing %q", got, tt.want, tt.detail)
			}
		})
	}
}

// TestSyncOCIArtifact syncs an artifact pushed to a loopback registry, as
// ferry dev --sync oci://… does, reports the first sync, and builds and
// diffs the Kustomization fed by the OCIRepository from a local directory.
func TestSyncOCIArtifact(t *testing.T) {
	ns := env.NewNamespace(t, "first-sync-oci")
	reg := ocitest.Start(t, ocitest.Options{})
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: " + ns + "\n"
	work := t.TempDir()
	writeTree(t, work, map[string]string{"deploy/cm.yaml": cm})
	if _, stderr, code := ferry(t, "push", "artifact", reg.URL("fleet")+":dev", "--insecure-registry", "--path", work, "--source", "https://example.test/fleet.git", "--revision", "main@sha1:0123456789abcdef0123456789abcdef01234567"); code != 0 {
		t.Fatalf("push artifact: %s", stderr)
	}
	src, err := resolveSync(&devOptions{sync: reg.URL("fleet") + ":dev", path: "deploy"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got := syncAndReport(t, ns, "first-sync", src, ""); !strings.HasPrefix(got, "✔ Kustomization first-sync: Applied revision: dev@sha256:") {
		t.Errorf("reportFirstSync printed %q", got)
	}
	var applied corev1.ConfigMap
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, &applied); err != nil {
		t.Errorf("the artifact's ConfigMap was not applied: %v", err)
	}

	// build and diff kustomization work on a Kustomization of an
	// OCIRepository as on one of a GitRepository.
	stdout, stderr, code := ferry(t, "-n", ns, "build", "ks", "first-sync", "--path", filepath.Join(work, "deploy"))
	if code != 0 {
		t.Fatalf("build ks exited %d: %s", code, stderr)
	}
	mustContain(t, "build output", stdout, "name: settings", "kustomize.toolkit.fluxcd.io/name: first-sync")
	if _, stderr, code := ferry(t, "-n", ns, "diff", "ks", "first-sync", "--path", filepath.Join(work, "deploy")); code != 0 {
		t.Errorf("diff ks of the pushed content exited %d, want 0 (no drift): %s", code, stderr)
	}
	changed := t.TempDir()
	writeTree(t, changed, map[string]string{"cm.yaml": cm + "data:\n  color: green\n"})
	stdout, stderr, code = ferry(t, "-n", ns, "diff", "ks", "first-sync", "--path", changed)
	if code != 1 {
		t.Fatalf("diff ks of changed content exited %d, want 1: %s%s", code, stdout, stderr)
	}
	mustContain(t, "diff output", stdout, "► ConfigMap/"+ns+"/settings drifted", "color")

	// A tag that does not exist is reported with the OCIRepository's message.
	missing, err := resolveSync(&devOptions{sync: reg.URL("fleet") + ":nope", path: "deploy"})
	if err != nil {
		t.Fatal(err)
	}
	if got := syncAndReport(t, ns, "missing-tag", missing, ""); !strings.HasPrefix(got, "✗ OCIRepository missing-tag: ") || !strings.Contains(got, ":nope") {
		t.Errorf("reportFirstSync printed %q", got)
	}
}

// syncAndReport creates ferry dev's source and Kustomization name for src
// in ns, as createSync does, and returns what reportFirstSync prints.
func syncAndReport(t *testing.T, ns, name string, src *syncSource, registryHost string) string {
	t.Helper()
	ctx := context.Background()
	o := &devOptions{name: name, interval: 10 * time.Minute}
	if err := createSync(ctx, env.Client, ns, o, src, registryHost); err != nil {
		t.Fatal(err)
	}
	var errOut testenv.Buffer
	g := &globals{errOut: &errOut}
	g.reportFirstSync(ctx, env.Client, src.kind, client.ObjectKey{Namespace: ns, Name: name}, "ferry")
	return errOut.String()
}

func TestResolveCharts(t *testing.T) {
	repo := t.TempDir()
	if _, err := gitserver.InitRepo(repo, "main"); err != nil {
		t.Fatal(err)
	}
	charts := filepath.Join(repo, "charts")
	if err := os.Mkdir(charts, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		opts    devOptions
		dir     string
		enabled bool
		err     string
	}{
		"default, local checkout": {opts: devOptions{sync: "./examples"}, dir: filepath.Join("examples", "charts"), enabled: true},
		"default, remote URL":     {opts: devOptions{sync: "https://example.com/fleet.git"}, enabled: true},
		"default, nothing synced": {opts: devOptions{}, enabled: true},
		"turned off":              {opts: devOptions{sync: "./examples", chartsSet: true}},
		"an existing directory":   {opts: devOptions{sync: "./examples", charts: charts, chartsSet: true}, dir: charts, enabled: true},
		"a missing directory":     {opts: devOptions{charts: filepath.Join(repo, "nope"), chartsSet: true}, err: "not a directory"},
		"a file, not a directory": {opts: devOptions{charts: filepath.Join(repo, ".git", "HEAD"), chartsSet: true}, err: "not a directory"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir, enabled, err := resolveCharts(&tt.opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || dir != tt.dir || enabled != tt.enabled {
				t.Errorf("resolveCharts() = %q, %v, %v; want %q, %v", dir, enabled, err, tt.dir, tt.enabled)
			}
		})
	}
}

// TestCreateSyncOffersTheRegistry checks that the Kustomization ferry dev
// creates substitutes ${FERRY_DEV_REGISTRY} and takes variables from the
// Secret ferry-dev-vars, against the test cluster's controllers, and that
// without the registry it has no postBuild, as flux bootstrap makes it.
func TestCreateSyncOffersTheRegistry(t *testing.T) {
	ns := env.NewNamespace(t, "dev-vars")
	repo, err := env.Git.InitRepo(ns+"/fleet", "main")
	if err != nil {
		t.Fatal(err)
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: " + ns + "\n" +
		"data:\n  url: oci://${FERRY_DEV_REGISTRY}/charts\n  token: ${EXAMPLE_TOKEN:=dev-token}\n"
	if _, err := repo.CommitFiles("initial", map[string]string{"deploy/cm.yaml": cm}); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: devVarsSecret, Namespace: ns},
		StringData: map[string]string{"EXAMPLE_TOKEN": "from-the-secret"},
	}
	ctx := context.Background()
	if err := env.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	src := &syncSource{kind: sourcev1.GitRepositoryKind, url: env.Git.RepoURL(ns + "/fleet"), path: "./deploy", branch: "main"}
	o := &devOptions{name: "dev-vars", interval: 10 * time.Minute}
	if got := syncAndReport(t, ns, o.name, src, "127.0.0.1:5000"); !strings.HasPrefix(got, "✔ Kustomization dev-vars: Applied revision") {
		t.Fatalf("first sync: %s", got)
	}
	var got corev1.ConfigMap
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, &got); err != nil {
		t.Fatal(err)
	}
	if got.Data["url"] != "oci://127.0.0.1:5000/charts" || got.Data["token"] != "from-the-secret" {
		t.Errorf("applied data %v; want the registry host and the Secret's token substituted", got.Data)
	}

	if err := createSync(ctx, env.Client, ns, o, src, ""); err != nil {
		t.Fatal(err)
	}
	var ks kustomizev1.Kustomization
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: o.name}, &ks); err != nil {
		t.Fatal(err)
	}
	if ks.Spec.PostBuild != nil {
		t.Errorf("without the registry the Kustomization has postBuild %+v", ks.Spec.PostBuild)
	}
}

func TestFerryCommand(t *testing.T) {
	onPath, elsewhere := t.TempDir(), t.TempDir()
	for _, p := range []string{filepath.Join(onPath, "ferry"), filepath.Join(elsewhere, "ferry"), filepath.Join(elsewhere, "ferry dev")} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", onPath)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	goRun := "/tmp/go-build1234567/b001/exe/ferry"
	testBinary := "/tmp/go-build1234567/b001/cli.test"

	tests := map[string]struct{ arg0, exe, want string }{
		"built by go run":              {goRun, goRun, "go run ./cmd/ferry"},
		"found on the PATH":            {"ferry", filepath.Join(onPath, "ferry"), "ferry"},
		"on the PATH, invoked by path": {filepath.Join(onPath, "ferry"), filepath.Join(onPath, "ferry"), "ferry"},
		"another ferry on the PATH":    {filepath.Join(elsewhere, "ferry"), filepath.Join(elsewhere, "ferry"), filepath.Join(elsewhere, "ferry")},
		"relative path":                {"./bin/ferry", "/opt/ferry/bin/ferry", filepath.Join(wd, "bin", "ferry")},
		"bare name not on the PATH":    {"ferry", "/opt/ferry/bin/ferry", "/opt/ferry/bin/ferry"},
		"a test binary":                {testBinary, testBinary, testBinary},
		"path with a space":            {filepath.Join(elsewhere, "ferry dev"), filepath.Join(elsewhere, "ferry dev"), "'" + filepath.Join(elsewhere, "ferry dev") + "'"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ferryCommand(tt.arg0, tt.exe); got != tt.want {
				t.Errorf("ferryCommand(%q, %q) = %q, want %q", tt.arg0, tt.exe, got, tt.want)
			}
		})
	}
}
