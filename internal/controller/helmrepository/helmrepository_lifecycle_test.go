package helmrepository_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDeletionRemovesArtifacts deletes a ready HelmRepository: the
// finalizer removes its artifacts and then lets the object go.
func TestDeletionRemovesArtifacts(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	hr := newHelmRepository(ns, "charts", r.URL())
	create(t, hr)
	key := client.ObjectKeyFromObject(hr)
	hr = waitFor(t, key, "Ready", isReady)
	a := hr.Status.Artifact.DeepCopy()
	if !env.Storage.Exists(a) {
		t.Fatalf("artifact %s not in storage", a.Path)
	}

	if err := env.Client.Delete(context.Background(), hr); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the HelmRepository to be gone", func() (bool, string) {
		err := env.Client.Get(context.Background(), key, &sourcev1.HelmRepository{})
		return apierrors.IsNotFound(err), fmt.Sprintf("the HelmRepository still exists after deletion: %v", err)
	})
	if env.Storage.Exists(a) {
		t.Errorf("artifact %s survived the deletion", a.Path)
	}
	if _, err := os.Stat(filepath.Join(env.Storage.Root(), "helmrepository", ns, "charts")); !os.IsNotExist(err) {
		t.Errorf("artifact directory survived the deletion: %v", err)
	}
}

// TestSuspend checks that a suspended HelmRepository is left alone and
// reconciles once resumed.
func TestSuspend(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	hr := newHelmRepository(ns, "charts", r.URL(), func(hr *sourcev1.HelmRepository) { hr.Spec.Suspend = true })
	create(t, hr)
	key := client.ObjectKeyFromObject(hr)

	// A reconcile request is acknowledged, but nothing is fetched.
	hr = reconcileNow(t, key)
	if hr.Status.Artifact != nil || len(hr.Status.Conditions) != 0 || r.Requests("/index.yaml") != 0 {
		t.Errorf("suspended object was reconciled: %+v, %d fetches", hr.Status, r.Requests("/index.yaml"))
	}

	hr.Spec.Suspend = false
	if err := env.Client.Update(context.Background(), hr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, key, "Ready after resume", isReady)
}

// TestDefaultInterval reconciles a HelmRepository without spec.interval
// (Flux's default of one minute applies); it becomes Ready.
func TestDefaultInterval(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	hr := newHelmRepository(ns, "charts", r.URL(), func(hr *sourcev1.HelmRepository) { hr.Spec.Interval.Duration = 0 })
	create(t, hr)
	hr = waitFor(t, client.ObjectKeyFromObject(hr), "Ready", isReady)
	if got := hr.GetRequeueAfter().String(); got != "1m0s" {
		t.Errorf("requeue after %s, want 1m0s", got)
	}
}
