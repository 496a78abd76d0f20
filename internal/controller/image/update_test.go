package image_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// applyYAML creates the objects of a YAML stream, written as a user
// would, with NS and REG replaced.
func applyYAML(t testing.TB, stream string, replace ...string) {
	t.Helper()
	stream = strings.NewReplacer(replace...).Replace(stream)
	for _, doc := range strings.Split(stream, "\n---\n") {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %s/%s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
}

// The fleet repository of the tests: the seeds' markers in a Deployment,
// in HelmRelease values and in a kustomization's images, with comments
// and an unusual layout that must survive the edit byte for byte.
const (
	deploymentYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  template:
    spec:
      containers:
      - name: app
        # the web front end; keep the marker on the image line
        image: REG/acme/web:1.4.1 # {"$imagepolicy": "NS:web"}
        ports:
          - containerPort: 80   # http
`
	releaseYAML = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: api
  namespace: apps
spec:
  chart:
    spec: {chart: api, sourceRef: {kind: HelmRepository, name: charts}}
  values:
    image:
      repository: "REG/acme/api" # {"$imagepolicy": "NS:api:name"}
      tag: '2.0.0'  # {"$imagepolicy": "NS:api:tag"}
`
	kustomizationYAML = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  - name: web
    newName: REG/acme/web # {"$imagepolicy": "NS:web:name"}
    newTag: 1.4.1 # {"$imagepolicy": "NS:web:tag"}
`
	otherYAML = `# not automated: a policy of another namespace
apiVersion: v1
kind: ConfigMap
metadata: {name: other}
data:
  image: REG/acme/web:1.0.0 # {"$imagepolicy": "elsewhere:web"}
`
)

// fleet pushes the tags, creates the repository and policies and returns
// the marker files with NS and REG filled in.
func fleet(t testing.TB, ns string, reg *ocitest.Registry) (map[string]string, *strings.Replacer) {
	t.Helper()
	reg.PushTags(t, "acme/web", []string{"1.4.1", "1.4.2", "1.5.0"})
	reg.PushTags(t, "acme/api", []string{"2.0.0", "2.1.0"})
	r := strings.NewReplacer("NS", ns, "REG", reg.Host())
	files := map[string]string{
		"apps/web/deployment.yaml":    r.Replace(deploymentYAML),
		"apps/web/kustomization.yaml": r.Replace(kustomizationYAML),
		"apps/api/release.yaml":       r.Replace(releaseYAML),
		"apps/other.yaml":             r.Replace(otherYAML),
		"README.md":                   "# fleet\n",
	}
	create(t,
		newRepository(ns, "web", reg.Host()+"/acme/web"),
		newRepository(ns, "api", reg.Host()+"/acme/api"),
		newPolicy(ns, "web", "web", semver("~1.4")),
		newPolicy(ns, "api", "api", semver(">=2.0.0")))
	waitPolicy(t, ns, "web", "chose 1.4.2", latestTag("1.4.2"))
	waitPolicy(t, ns, "api", "chose 2.1.0", latestTag("2.1.0"))
	return files, r
}

// TestUpdateAutomationCommitsMarkers runs the seeds' flow: the policies'
// tags are written into every marker, in one signed commit that touches
// only the marker files, pushed to the checkout branch; a second run has
// nothing to commit.
func TestUpdateAutomationCommitsMarkers(t *testing.T) {
	ns := env.NewNamespace(t, "update")
	reg := ocitest.Start(t, ocitest.Options{})
	files, r := fleet(t, ns, reg)
	g := newGit(t)
	url := g.repo(t, "org/fleet", files)
	key, keySecret := signingKey(t, ns)
	create(t, gitAuth(ns), keySecret)

	applyYAML(t, `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: NS}
spec:
  interval: 1h
  url: URL
  ref: {branch: main}
  secretRef: {name: git-auth}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: fleet, namespace: NS}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    checkout: {ref: {branch: main}}
    commit:
      author: {name: ferry bot, email: bot@ferry.invalid}
      signingKey: {secretRef: {name: signing-key}}
      messageTemplate: |
        Automated image update in {{ .Values.env }}

        Automation name: {{ .AutomationObject }}

        Files:
        {{ range $filename, $_ := .Changed.FileChanges -}}
        - {{ $filename }}
        {{ end -}}

        Objects:
        {{ range $resource, $changes := .Changed.Objects -}}
        - {{ $resource.Kind }} {{ $resource.Name }}
          Changes:
        {{- range $_, $change := $changes }}
            - {{ $change.OldValue }} -> {{ $change.NewValue }}
        {{ end -}}
        {{ end -}}
      messageTemplateValues: {env: production}
    push: {branch: main}
  update: {strategy: Setters, path: ./apps}`, "NS", ns, "URL", url)

	auto := testenv.WaitFor(t, env.Client, testenv.Key(ns, "fleet"), "pushed", func(a *imagev1.ImageUpdateAutomation) bool {
		return ready(a) && a.Status.LastPushCommit != ""
	})
	head := g.head(t, "org/fleet", "main")
	if auto.Status.LastPushCommit != head || auto.Status.LastPushTime == nil {
		t.Fatalf("lastPushCommit = %s, main is at %s", auto.Status.LastPushCommit, head)
	}
	if got := auto.Status.ObservedPolicies; got["web"].Tag != "1.4.2" || got["api"].Tag != "2.1.0" {
		t.Errorf("observedPolicies = %+v", got)
	}

	dir := g.clone(t, "org/fleet", "main")
	want := map[string]string{
		"apps/web/deployment.yaml":    strings.Replace(files["apps/web/deployment.yaml"], "web:1.4.1 #", "web:1.4.2 #", 1),
		"apps/web/kustomization.yaml": strings.Replace(files["apps/web/kustomization.yaml"], "newTag: 1.4.1", "newTag: 1.4.2", 1),
		"apps/api/release.yaml":       strings.Replace(files["apps/api/release.yaml"], "tag: '2.0.0'", "tag: '2.1.0'", 1),
		"apps/other.yaml":             files["apps/other.yaml"],
		"README.md":                   files["README.md"],
	}
	for name, content := range want {
		if got := readFile(t, dir, name); got != content {
			t.Errorf("%s after the update:\n%s\nwant:\n%s", name, got, content)
		}
	}
	changed := strings.Fields(g.git(t, "org/fleet", "show", "--name-only", "--format=", head))
	if strings.Join(changed, " ") != "apps/api/release.yaml apps/web/deployment.yaml apps/web/kustomization.yaml" {
		t.Errorf("the commit touched %v; want only the three files whose markers changed", changed)
	}
	msg := g.git(t, "org/fleet", "log", "-1", "--format=%B", head)
	for _, part := range []string{
		"Automated image update in production", "Automation name: " + ns + "/fleet",
		"- apps/web/deployment.yaml", "- Deployment web", "- HelmRelease api",
		r.Replace("REG/acme/web:1.4.1 -> REG/acme/web:1.4.2"), "1.4.1 -> 1.4.2", "2.0.0 -> 2.1.0",
	} {
		if !strings.Contains(msg, part) {
			t.Errorf("commit message lacks %q:\n%s", part, msg)
		}
	}
	if author := g.git(t, "org/fleet", "log", "-1", "--format=%an <%ae>", head); author != "ferry bot <bot@ferry.invalid>" {
		t.Errorf("author = %q", author)
	}
	if _, err := git.VerifyCommit(dir, head, []string{key.PublicArmored}); err != nil {
		t.Errorf("the commit is not signed by the signing key: %v", err)
	}
	testenv.WaitForEvent(t, env.Client, ns, "fleet", "Normal", meta.SucceededReason)

	// Nothing changed since: the next run commits nothing.
	again := testenv.ReconcileNow(t, env.Client, &imagev1.ImageUpdateAutomation{}, testenv.Key(ns, "fleet"),
		func(a *imagev1.ImageUpdateAutomation) string { return a.Status.LastHandledReconcileAt })
	if c := cond(again, meta.ReadyCondition); c.Message != "repository up-to-date" || again.Status.LastPushCommit != head {
		t.Errorf("second run: Ready %q, lastPushCommit %s", c.Message, again.Status.LastPushCommit)
	}
	if now := g.head(t, "org/fleet", "main"); now != head {
		t.Errorf("a run with nothing to change pushed %s", now)
	}
	testenv.AssertNoSecret(t, env.Client, again, gitPassword)
	// Nor the signing key, anywhere: a stretch of its armored body.
	armored := string(keySecret.Data["git.asc"])
	testenv.AssertNoSecret(t, env.Client, again, armored[len(armored)/2:len(armored)/2+40])
	if strings.Contains(env.Logs.String(), armored[len(armored)/2:len(armored)/2+40]) {
		t.Error("the signing key is in the controller's logs")
	}
}

// TestUpdateAutomationPushBranchSeedYAML applies the seeds' v1beta1
// ImageUpdateAutomation (its .Updated.Images template included) with a
// push branch of its own: main is left alone, the branch is created from
// it with the update, and a new tag lands on top of that branch.
func TestUpdateAutomationPushBranchSeedYAML(t *testing.T) {
	ns := env.NewNamespace(t, "review")
	reg := ocitest.Start(t, ocitest.Options{})
	files, _ := fleet(t, ns, reg)
	g := newGit(t)
	url := g.repo(t, "org/fleet", files)
	mainBefore := g.head(t, "org/fleet", "main")
	create(t, gitAuth(ns))
	applyYAML(t, `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: NS}
spec: {interval: 1h, url: URL, ref: {branch: main}, secretRef: {name: git-auth}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta1
kind: ImageUpdateAutomation
metadata:
  name: flux-system
  namespace: NS
spec:
  interval: 1m
  sourceRef:
    kind: GitRepository
    name: flux-system
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        name: Flux Bot
        email: flux@company.com
      messageTemplate: |
        Automated image update

        Images:
        {{ range .Updated.Images -}}
        - {{.}}
        {{ end }}
    push:
      branch: image-updates`, "NS", ns, "URL", url)

	first := testenv.WaitFor(t, env.Client, testenv.Key(ns, "flux-system"), "pushed", func(a *imagev1.ImageUpdateAutomation) bool {
		return ready(a) && a.Status.LastPushCommit != ""
	})
	if now := g.head(t, "org/fleet", "main"); now != mainBefore {
		t.Errorf("main moved to %s; the automation pushes to image-updates only", now)
	}
	branch := g.head(t, "org/fleet", "image-updates")
	if branch != first.Status.LastPushCommit {
		t.Fatalf("image-updates is at %q, lastPushCommit %s", branch, first.Status.LastPushCommit)
	}
	if parent := g.git(t, "org/fleet", "rev-parse", branch+"^"); parent != mainBefore {
		t.Errorf("the branch starts from %s, not from main's %s", parent, mainBefore)
	}
	msg := g.git(t, "org/fleet", "log", "-1", "--format=%B", branch)
	if !strings.Contains(msg, "- "+reg.Host()+"/acme/web:1.4.2") || !strings.Contains(msg, "- "+reg.Host()+"/acme/api:2.1.0") {
		t.Errorf("the seed's .Updated.Images template gave:\n%s", msg)
	}

	// A new patch release: the next update lands on top of the branch.
	reg.PushTags(t, "acme/web", []string{"1.4.3"})
	scan(t, ns, "web")
	second := testenv.WaitFor(t, env.Client, testenv.Key(ns, "flux-system"), "pushed 1.4.3", func(a *imagev1.ImageUpdateAutomation) bool {
		return a.Status.LastPushCommit != "" && a.Status.LastPushCommit != branch
	})
	if parent := g.git(t, "org/fleet", "rev-parse", second.Status.LastPushCommit+"^"); parent != branch {
		t.Errorf("the second update's parent is %s, want the branch's previous head %s", parent, branch)
	}
	if now := g.head(t, "org/fleet", "main"); now != mainBefore {
		t.Errorf("main moved to %s", now)
	}
}

// TestUpdateAutomationRemoteMoved commits as a human to main between the
// automation's checkout and its push: the push is refused by the server
// (no force), the automation starts again from a fresh checkout, and both
// commits are on main.
func TestUpdateAutomationRemoteMoved(t *testing.T) {
	ns := env.NewNamespace(t, "race")
	reg := ocitest.Start(t, ocitest.Options{})
	files, _ := fleet(t, ns, reg)
	g := newGit(t)
	url := g.repo(t, "org/fleet", files)
	create(t, gitAuth(ns))

	var human string
	g.onNextPush(func() {
		human = g.humanCommit(t, "org/fleet", "main", map[string]string{"README.md": "# fleet\n\nowned by the platform team\n"})
	})
	applyYAML(t, `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: NS}
spec: {interval: 1h, url: URL, ref: {branch: main}, secretRef: {name: git-auth}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: fleet, namespace: NS}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    commit: {author: {email: bot@ferry.invalid}}
    push: {branch: main}
  update: {path: apps}`, "NS", ns, "URL", url)

	auto := testenv.WaitFor(t, env.Client, testenv.Key(ns, "fleet"), "pushed", func(a *imagev1.ImageUpdateAutomation) bool {
		return ready(a) && a.Status.LastPushCommit != ""
	})
	if human == "" {
		t.Fatal("the human commit was not made")
	}
	head := g.head(t, "org/fleet", "main")
	if head != auto.Status.LastPushCommit {
		t.Fatalf("main at %s, lastPushCommit %s", head, auto.Status.LastPushCommit)
	}
	if parent := g.git(t, "org/fleet", "rev-parse", head+"^"); parent != human {
		t.Errorf("the automation's commit sits on %s, not on the human's %s: a commit was lost or forced over", parent, human)
	}
	dir := g.clone(t, "org/fleet", "main")
	if got := readFile(t, dir, "README.md"); !strings.Contains(got, "owned by the platform team") {
		t.Errorf("the human's change is gone: %q", got)
	}
	if got := readFile(t, dir, "apps/web/deployment.yaml"); !strings.Contains(got, "web:1.4.2") {
		t.Errorf("the update is missing:\n%s", got)
	}
	if g.pushes < 2 {
		t.Errorf("%d pushes reached the server; want the refused one and the retry", g.pushes)
	}
	if msg := g.git(t, "org/fleet", "log", "-1", "--format=%s", head); msg != "Update from image update automation" {
		t.Errorf("default commit message = %q", msg)
	}
}

// TestUpdateAutomationFailures: each misconfiguration ends Ready=False
// with a message naming it, and nothing is pushed; only the policies of
// spec.policySelector are written.
func TestUpdateAutomationFailures(t *testing.T) {
	ns := env.NewNamespace(t, "updfail")
	reg := ocitest.Start(t, ocitest.Options{})
	files, _ := fleet(t, ns, reg)
	g := newGit(t)
	url := g.repo(t, "org/fleet", files)
	head := g.head(t, "org/fleet", "main")
	create(t, gitAuth(ns),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bad-key"}, Data: map[string][]byte{"git.asc": []byte("not a key")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wrong-auth"}, Data: map[string][]byte{"username": []byte(gitUser), "password": []byte(gitPassword + "-wrong")}})
	applyYAML(t, `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: NS}
spec: {interval: 1h, url: URL, ref: {branch: main}, secretRef: {name: git-auth}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: wrong, namespace: NS}
spec: {interval: 1h, url: URL, ref: {branch: main}, secretRef: {name: wrong-auth}}`, "NS", ns, "URL", url)

	auto := func(name, source, extra string) string {
		return strings.NewReplacer("NAME", name, "SOURCE", source, "EXTRA", extra).Replace(`apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: NAME, namespace: NS}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: SOURCE}
  git:
    commit:
      author: {email: bot@ferry.invalid}
EXTRA`)
	}
	tests := map[string]struct {
		yaml, reason, message string
		stalled               bool
	}{
		"no source":      {yaml: auto("nosource", "missing", ""), reason: imagev1.GitRepositoryNotFoundReason, message: "does not exist"},
		"template":       {yaml: auto("template", "fleet", "      messageTemplate: '{{ .Nope }}'"), reason: imagev1.InvalidSourceConfigReason, message: "messageTemplate failed", stalled: true},
		"signing key":    {yaml: auto("key", "fleet", "      signingKey: {secretRef: {name: bad-key}}"), reason: imagev1.InvalidSourceConfigReason, message: "not an armored PGP key", stalled: true},
		"path":           {yaml: auto("path", "fleet", "  update: {path: ../outside}"), reason: imagev1.UpdateFailedReason, message: "path leaves the repository"},
		"wrong password": {yaml: auto("auth", "wrong", ""), reason: imagev1.GitOperationFailedReason, message: "authentication"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			applyYAML(t, tt.yaml, "NS", ns)
			key := strings.SplitN(strings.SplitN(tt.yaml, "name: ", 2)[1], ",", 2)[0]
			got := testenv.WaitFor(t, env.Client, testenv.Key(ns, key), "failed", testenv.ReadyFalse[*imagev1.ImageUpdateAutomation](tt.reason))
			if c := cond(got, meta.ReadyCondition); !strings.Contains(c.Message, tt.message) {
				t.Errorf("Ready message = %q, want it to contain %q", c.Message, tt.message)
			}
			if s := cond(got, meta.StalledCondition); (s != nil) != tt.stalled {
				t.Errorf("Stalled = %v, want %v", s, tt.stalled)
			}
			testenv.AssertNoSecret(t, env.Client, got, gitPassword)
		})
	}
	if now := g.head(t, "org/fleet", "main"); now != head {
		t.Errorf("a failing automation pushed %s", now)
	}

	// spec.policySelector: only the labelled policy is written.
	p := &imagev1.ImagePolicy{}
	if err := env.Client.Get(context.Background(), testenv.Key(ns, "api"), p); err != nil {
		t.Fatal(err)
	}
	p.Labels = map[string]string{"env": "production"}
	if err := env.Client.Update(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	applyYAML(t, auto("selected", "fleet", "  policySelector: {matchLabels: {env: production}}"), "NS", ns)
	sel := testenv.WaitFor(t, env.Client, testenv.Key(ns, "selected"), "pushed", func(a *imagev1.ImageUpdateAutomation) bool {
		return ready(a) && a.Status.LastPushCommit != ""
	})
	if _, ok := sel.Status.ObservedPolicies["web"]; ok || len(sel.Status.ObservedPolicies) != 1 {
		t.Errorf("observedPolicies = %+v, want api only", sel.Status.ObservedPolicies)
	}
	changed := strings.Fields(g.git(t, "org/fleet", "show", "--name-only", "--format=", sel.Status.LastPushCommit))
	if strings.Join(changed, " ") != "apps/api/release.yaml" {
		t.Errorf("the commit touched %v; want the api policy's file only", changed)
	}
}
