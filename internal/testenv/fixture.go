package testenv

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
)

// Fixture is one test's namespace and Git repository, for the tests of
// Kustomizations: by convention the test's GitRepository and Kustomization
// are both named "app", in NS.
type Fixture struct {
	T *testing.T
	// Env is the environment the fixture lives in.
	Env *Env
	// NS is the test's namespace.
	NS string
	// Repo is the repository "org/<NS>" on the environment's Git server and
	// URL its clone URL.
	Repo *gitserver.Repo
	URL  string
}

// NewFixture creates a namespace and a repository whose branch main holds
// files, committed. It needs Options.GitServer.
func (e *Env) NewFixture(t *testing.T, files map[string]string) *Fixture {
	t.Helper()
	ns := e.NewNamespace(t, "ks")
	path := "org/" + ns
	repo, err := e.Git.InitRepo(path, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitFiles("initial", files); err != nil {
		t.Fatal(err)
	}
	return &Fixture{T: t, Env: e, NS: ns, Repo: repo, URL: e.Git.RepoURL(path)}
}

// Commit commits files (and removals) and returns the new revision as the
// GitRepository reports it.
func (f *Fixture) Commit(msg string, files map[string]string, remove ...string) string {
	f.T.Helper()
	if len(remove) > 0 {
		if err := f.Repo.Remove(remove...); err != nil {
			f.T.Fatal(err)
		}
	}
	head, err := f.Repo.CommitFiles(msg, files)
	if err != nil {
		f.T.Fatal(err)
	}
	return "main@sha1:" + head
}

// Head returns the current revision as the GitRepository reports it.
func (f *Fixture) Head() string {
	f.T.Helper()
	h, err := f.Repo.Head()
	if err != nil {
		f.T.Fatal(err)
	}
	return "main@sha1:" + h
}

// ApplyYAML creates the objects of a YAML stream, with {{ns}} and {{url}}
// replaced; it is how a user would apply Flux manifests.
func (f *Fixture) ApplyYAML(stream string) {
	f.T.Helper()
	stream = strings.NewReplacer("{{ns}}", f.NS, "{{url}}", f.URL).Replace(stream)
	for _, doc := range strings.Split(stream, "\n---\n") {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			f.T.Fatal(err)
		}
		if err := f.Env.Client.Create(context.Background(), obj); err != nil {
			f.T.Fatalf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
}

// WaitFor polls the Kustomization "app" until cond holds and returns it.
func (f *Fixture) WaitFor(what string, cond func(*kustomizev1.Kustomization) bool) *kustomizev1.Kustomization {
	f.T.Helper()
	return f.WaitForKS(f.NS, "app", what, cond)
}

// WaitForKS polls the Kustomization ns/name until cond holds and returns it.
func (f *Fixture) WaitForKS(ns, name, what string, cond func(*kustomizev1.Kustomization) bool) *kustomizev1.Kustomization {
	f.T.Helper()
	return WaitFor(f.T, f.Env.Client, Key(ns, name), what, cond)
}

// Eventually polls cond until it returns "" (success); at the Deadline it
// fails the test with what and the last message.
func (f *Fixture) Eventually(what string, cond func() string) {
	f.T.Helper()
	Eventually(f.T, what, func() (bool, string) {
		msg := cond()
		return msg == "", msg
	})
}

// Get reads an object of the fixture's namespace; nil when absent.
func (f *Fixture) Get(apiVersion, kind, name string) *unstructured.Unstructured {
	f.T.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion(apiVersion)
	obj.SetKind(kind)
	if err := f.Env.Client.Get(context.Background(), Key(f.NS, name), obj); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil
		}
		f.T.Fatal(err)
	}
	return obj
}

// RequestReconcile sets reconcile.fluxcd.io/requestedAt on the named object
// of the fixture's namespace, as `flux reconcile` does, and returns the
// token.
func (f *Fixture) RequestReconcile(obj client.Object, name string) string {
	f.T.Helper()
	return RequestReconcile(f.T, f.Env.Client, obj, Key(f.NS, name))
}

// Events returns the events recorded for the Kustomization "app".
func (f *Fixture) Events() []corev1.Event {
	f.T.Helper()
	return Events(f.T, f.Env.Client, kustomizev1.KustomizationKind, f.NS, "app")
}

// KustomizationReady reports Ready=True for revision, with the generation
// observed.
func KustomizationReady(revision string) func(*kustomizev1.Kustomization) bool {
	return func(ks *kustomizev1.Kustomization) bool {
		c := apimeta.FindStatusCondition(ks.Status.Conditions, "Ready")
		return c != nil && c.Status == metav1.ConditionTrue && ks.Status.LastAppliedRevision == revision &&
			ks.Status.ObservedGeneration == ks.Generation
	}
}

// KustomizationFailed reports Ready=False with reason for revision (when
// not empty).
func KustomizationFailed(reason, revision string) func(*kustomizev1.Kustomization) bool {
	return func(ks *kustomizev1.Kustomization) bool {
		c := apimeta.FindStatusCondition(ks.Status.Conditions, "Ready")
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == reason &&
			(revision == "" || ks.Status.LastAttemptedRevision == revision)
	}
}

// ReadyCondition returns the Ready condition of obj, or a zero one.
func ReadyCondition(obj interface{ GetConditions() []metav1.Condition }) metav1.Condition {
	if c := apimeta.FindStatusCondition(obj.GetConditions(), "Ready"); c != nil {
		return *c
	}
	return metav1.Condition{}
}
