package helmchart_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestWaitsForSource reports a missing source and builds once it has an
// artifact.
func TestWaitsForSource(t *testing.T) {
	ns := newNamespace(t)
	create(t, newHelmChart(ns, "app", sourcev1.GitRepositoryKind, "source", "app"))
	key := testenv.Key(ns, "app")
	hc := waitFor(t, key, "failing", failedWith("SourceUnavailable", false))
	if msg := cond(hc, meta.ReadyCondition).Message; !strings.Contains(msg, "GitRepository '"+ns+"/source' not found") {
		t.Errorf("Ready message = %q", msg)
	}
	newGitSource(t, ns, func(dir string) {
		helmtest.Chart{Name: "app", Version: "0.0.1"}.WriteDir(t, filepath.Join(dir, "app"))
	})
	waitFor(t, key, "Ready with 0.0.1", readyWith("0.0.1"))
}

// TestDeletionRemovesArtifacts deletes a ready HelmChart: the finalizer
// removes its artifacts and then lets the object go.
func TestDeletionRemovesArtifacts(t *testing.T) {
	ns := newNamespace(t)
	charts := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	charts.Add(t, helmtest.Chart{Name: "web", Version: "1.0.0"})
	create(t, newHelmRepository(ns, "charts", charts.URL()))
	create(t, newHelmChart(ns, "web", sourcev1.HelmRepositoryKind, "charts", "web"))
	key := testenv.Key(ns, "web")
	hc := waitFor(t, key, "Ready", readyWith("1.0.0"))
	a := hc.Status.Artifact.DeepCopy()

	if err := env.Client.Delete(context.Background(), hc); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the HelmChart to be gone", func() (bool, string) {
		err := env.Client.Get(context.Background(), key, &sourcev1.HelmChart{})
		return apierrors.IsNotFound(err), fmt.Sprintf("the HelmChart still exists after deletion: %v", err)
	})
	if env.Storage.Exists(a) {
		t.Errorf("artifact %s survived the deletion", a.Path)
	}
	if _, err := os.Stat(filepath.Join(env.Storage.Root(), "helmchart", ns, "web")); !os.IsNotExist(err) {
		t.Errorf("artifact directory survived the deletion: %v", err)
	}
}
