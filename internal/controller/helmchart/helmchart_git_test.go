package helmchart_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestChartFromGitWithValuesFiles packages a chart directory of a
// GitRepository with values files from the chart and from the root of the
// repository; a commit that leaves the chart version alone makes no new
// artifact (reconcileStrategy ChartVersion).
func TestChartFromGitWithValuesFiles(t *testing.T) {
	ns := newNamespace(t)
	git := newGitSource(t, ns, func(dir string) {
		helmtest.Chart{Name: "app", Version: "0.3.0", Values: "replicas: 1\nimage:\n  tag: v1\n",
			Files: map[string]string{"values-prod.yaml": "replicas: 3\n"}}.WriteDir(t, filepath.Join(dir, "charts/app"))
		writeFile(t, dir, "env/prod.yaml", "image:\n  region: eu\n")
	})
	create(t, newHelmChart(ns, "app", sourcev1.GitRepositoryKind, "source", "./charts/app", func(hc *sourcev1.HelmChart) {
		hc.Spec.ValuesFiles = []string{"charts/app/values.yaml", "charts/app/values-prod.yaml", "env/prod.yaml"}
	}))
	key := testenv.Key(ns, "app")

	hc := waitFor(t, key, "Ready with 0.3.0+1", readyWith("0.3.0+1"))
	ready := cond(hc, meta.ReadyCondition)
	if ready.Reason != sourcev1.ChartPackageSucceededReason || !strings.Contains(ready.Message,
		"packaged 'app' chart with version '0.3.0+1' and merged values files [charts/app/values.yaml charts/app/values-prod.yaml env/prod.yaml]") {
		t.Errorf("Ready = %s: %s", ready.Reason, ready.Message)
	}
	ch := storedChart(t, hc)
	if ch.Metadata.Version != "0.3.0+1" || value(ch, "replicas") != float64(3) || value(ch, "image.tag") != "v1" || value(ch, "image.region") != "eu" {
		t.Errorf("stored chart %s with values %v", ch.Metadata.Version, ch.Values)
	}
	waitForEvent(t, ns, "app", corev1.EventTypeNormal, sourcev1.ChartPackageSucceededReason)

	// A commit that does not change the chart version: observed, no new artifact.
	first := hc.Status.Artifact.DeepCopy()
	revision := git.commit(t, "docs", func(dir string) { writeFile(t, dir, "README.md", "docs\n") })
	hc = waitFor(t, key, "to observe "+revision, func(hc *sourcev1.HelmChart) bool {
		return hc.Status.ObservedSourceArtifactRevision == revision
	})
	if hc.Status.Artifact.Digest != first.Digest || hc.Status.Artifact.Revision != first.Revision {
		t.Errorf("a commit without a new chart version changed the artifact: %+v -> %+v", first, hc.Status.Artifact)
	}

	// A new chart version in Git: a new artifact.
	git.commit(t, "release 0.4.0", func(dir string) {
		helmtest.Chart{Name: "app", Version: "0.4.0", Values: "replicas: 1\n"}.WriteDir(t, filepath.Join(dir, "charts/app"))
	})
	waitFor(t, key, "Ready with 0.4.0+1", readyWith("0.4.0+1"))
}

// TestRevisionStrategy gives every commit its own chart version:
// "<version>+<12 hex of the commit>".
func TestRevisionStrategy(t *testing.T) {
	ns := newNamespace(t)
	git := newGitSource(t, ns, func(dir string) {
		helmtest.Chart{Name: "app", Version: "1.0.0", Files: map[string]string{"values-dev.yaml": "dev: true\n"}}.WriteDir(t, filepath.Join(dir, "app"))
	})
	head, err := git.repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	create(t, newHelmChart(ns, "app", sourcev1.GitRepositoryKind, "source", "app", func(hc *sourcev1.HelmChart) {
		hc.Spec.ReconcileStrategy = sourcev1.ReconcileStrategyRevision
	}))
	key := testenv.Key(ns, "app")
	hc := waitFor(t, key, "Ready with 1.0.0+"+head[:12], readyWith("1.0.0+"+head[:12]))
	if ch := storedChart(t, hc); ch.Metadata.Version != "1.0.0+"+head[:12] {
		t.Errorf("stored chart version = %s", ch.Metadata.Version)
	}

	revision := git.commit(t, "change", func(dir string) { writeFile(t, dir, "app/templates/extra.yaml", "# nothing\n") })
	next := strings.TrimPrefix(revision, "main@sha1:")[:12]
	hc = waitFor(t, key, "Ready with 1.0.0+"+next, readyWith("1.0.0+"+next))

	// With values files the generation follows the commit.
	update(t, hc, func(hc *sourcev1.HelmChart) { hc.Spec.ValuesFiles = []string{"app/values-dev.yaml"} })
	hc = waitFor(t, key, "Ready with 1.0.0+"+next+".2", readyWith("1.0.0+"+next+".2"))
	if ch := storedChart(t, hc); value(ch, "dev") != true {
		t.Errorf("values = %v", ch.Values)
	}
}

// TestMissingValuesFile fails with a message naming the file, until
// ignoreMissingValuesFiles lets the chart go without it.
func TestMissingValuesFile(t *testing.T) {
	ns := newNamespace(t)
	newGitSource(t, ns, func(dir string) {
		helmtest.Chart{Name: "app", Version: "0.1.0", Values: "a: 1\n"}.WriteDir(t, filepath.Join(dir, "charts/app"))
	})
	create(t, newHelmChart(ns, "app", sourcev1.GitRepositoryKind, "source", "charts/app", func(hc *sourcev1.HelmChart) {
		hc.Spec.ValuesFiles = []string{"charts/app/values.yaml", "values-staging.yaml"}
	}))
	key := testenv.Key(ns, "app")

	hc := waitFor(t, key, "failed", failedWith("ValuesFilesError", true))
	c := cond(hc, meta.BuildFailedCondition)
	if c == nil || c.Status != metav1.ConditionTrue || !strings.Contains(c.Message,
		"no values file found at path 'values-staging.yaml' nor 'charts/app/values-staging.yaml' in the source artifact") {
		t.Errorf("BuildFailed = %+v", c)
	}
	waitForEvent(t, ns, "app", corev1.EventTypeWarning, "ValuesFilesError")

	update(t, hc, func(hc *sourcev1.HelmChart) { hc.Spec.IgnoreMissingValuesFiles = true })
	hc = waitFor(t, key, "Ready with 0.1.0+2", readyWith("0.1.0+2"))
	if got := hc.Status.ObservedValuesFiles; len(got) != 1 || got[0] != "charts/app/values.yaml" {
		t.Errorf("observedValuesFiles = %v", got)
	}
	if cond(hc, meta.BuildFailedCondition) != nil || cond(hc, meta.StalledCondition) != nil {
		t.Errorf("failure conditions left: %+v", hc.Status.Conditions)
	}
}

// TestFileDependency packages a "file://" dependency from the same
// repository into charts/.
func TestFileDependency(t *testing.T) {
	ns := newNamespace(t)
	newGitSource(t, ns, func(dir string) {
		helmtest.Chart{Name: "app", Version: "0.1.0", Dependencies: []helmtest.Dependency{
			{Name: "common", Version: "^1.0.0", Repository: "file://../common"},
		}}.WriteDir(t, filepath.Join(dir, "charts/app"))
		helmtest.Chart{Name: "common", Version: "1.2.0"}.WriteDir(t, filepath.Join(dir, "charts/common"))
	})
	create(t, newHelmChart(ns, "app", sourcev1.GitRepositoryKind, "source", "charts/app"))

	hc := waitFor(t, testenv.Key(ns, "app"), "Ready with 0.1.0", readyWith("0.1.0"))
	deps := storedChart(t, hc).Dependencies()
	if len(deps) != 1 || deps[0].Name() != "common" || deps[0].Metadata.Version != "1.2.0" {
		t.Errorf("dependencies = %v", deps)
	}
}

// TestRemoteDependencies fetches dependencies through the HelmRepository of
// the namespace with their URL, with its credentials, and through one named
// "@name"; a dependency of an unknown URL is fetched anonymously.
func TestRemoteDependencies(t *testing.T) {
	ns := newNamespace(t)
	private := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: "helm", Password: repoPassword})
	private.Add(t, helmtest.Chart{Name: "redis", Version: "2.1.0"}, helmtest.Chart{Name: "redis", Version: "3.0.0"},
		helmtest.Chart{Name: "cache", Version: "0.5.0"})
	public := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	public.Add(t, helmtest.Chart{Name: "metrics", Version: "1.0.0"})
	create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"},
		StringData: map[string]string{"username": "helm", "password": repoPassword},
	})
	create(t, newHelmRepository(ns, "private", private.URL()+"/", func(hr *sourcev1.HelmRepository) {
		hr.Spec.SecretRef = &meta.LocalObjectReference{Name: "creds"}
	}))
	newGitSource(t, ns, func(dir string) {
		helmtest.Chart{Name: "app", Version: "0.1.0", Dependencies: []helmtest.Dependency{
			{Name: "redis", Version: "2.x", Repository: private.URL(), Condition: "redis.enabled"},
			{Name: "cache", Version: "*", Repository: "@private"},
			{Name: "metrics", Version: "1.0.0", Repository: public.URL()},
		}}.WriteDir(t, filepath.Join(dir, "app"))
	})
	create(t, newHelmChart(ns, "app", sourcev1.GitRepositoryKind, "source", "app"))

	hc := waitFor(t, testenv.Key(ns, "app"), "Ready with 0.1.0", readyWith("0.1.0"))
	var got []string
	for _, d := range storedChart(t, hc).Dependencies() {
		got = append(got, d.Name()+"@"+d.Metadata.Version)
	}
	slices.Sort(got)
	if strings.Join(got, ",") != "cache@0.5.0,metrics@1.0.0,redis@2.1.0" {
		t.Errorf("dependencies = %v", got)
	}
	for _, c := range hc.Status.Conditions {
		if strings.Contains(c.Message, repoPassword) {
			t.Errorf("condition %s shows the password", c.Type)
		}
	}

	// Without the HelmRepository's credentials the dependency cannot be fetched.
	if err := env.Client.Delete(context.Background(), &sourcev1.HelmRepository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "private"}}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the HelmRepository to be gone", func() (bool, string) {
		err := env.Client.Get(context.Background(), testenv.Key(ns, "private"), &sourcev1.HelmRepository{})
		return apierrors.IsNotFound(err), fmt.Sprintf("get: %v", err)
	})
	update(t, hc, func(hc *sourcev1.HelmChart) { hc.Spec.ValuesFiles = []string{"app/values.yaml"} })
	hc = waitFor(t, testenv.Key(ns, "app"), "failed", failedWith("DependencyBuildError", false))
	if msg := cond(hc, meta.ReadyCondition).Message; !strings.Contains(msg, "dependency build error") || strings.Contains(msg, repoPassword) {
		t.Errorf("Ready message = %q", msg)
	}
}
