package helmrepository_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller/helmrepository"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
)

func ociType(hr *sourcev1.HelmRepository) { hr.Spec.Type = sourcev1.HelmRepositoryTypeOCI }

// TestOCIReady checks that an OCI HelmRepository is Ready without an
// artifact and without the registry being contacted.
func TestOCIReady(t *testing.T) {
	ns := newNamespace(t)
	create(t, secret(ns, "creds", map[string]string{"username": helmUser, "password": helmPassword}))
	// Nothing listens there: the controller must not poll it.
	hr := newHelmRepository(ns, "oci", "oci://127.0.0.1:1/charts", ociType, withSecret("creds"))
	create(t, hr)
	hr = waitFor(t, client.ObjectKeyFromObject(hr), "Ready", func(hr *sourcev1.HelmRepository) bool {
		c := cond(hr, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionTrue && hr.Status.ObservedGeneration == hr.Generation
	})
	ready := cond(hr, meta.ReadyCondition)
	if ready.Reason != meta.SucceededReason || ready.Message != helmrepository.ReadyMessage {
		t.Errorf("Ready = %s %q", ready.Reason, ready.Message)
	}
	if hr.Status.Artifact != nil || hr.Status.URL != "" {
		t.Errorf("an OCI HelmRepository has an artifact: %+v %q", hr.Status.Artifact, hr.Status.URL)
	}
	for _, c := range []string{meta.ArtifactInStorageCondition, meta.ReconcilingCondition, meta.StalledCondition, meta.FetchFailedCondition} {
		if got := cond(hr, c); got != nil {
			t.Errorf("%s present: %+v", c, got)
		}
	}
}

// TestOCIMissingSecret retries an OCI HelmRepository whose Secret is missing
// until it exists.
func TestOCIMissingSecret(t *testing.T) {
	ns := newNamespace(t)
	hr := newHelmRepository(ns, "oci", "oci://127.0.0.1:1/charts", ociType, withSecret("creds"))
	create(t, hr)
	key := client.ObjectKeyFromObject(hr)
	hr = waitFor(t, key, "failing", isFailing(meta.AuthenticationFailedReason))
	if msg := cond(hr, meta.ReadyCondition).Message; !strings.Contains(msg, "failed to get secret") {
		t.Errorf("Ready message %q", msg)
	}
	if cond(hr, meta.StalledCondition) != nil {
		t.Error("a missing Secret stalled the object")
	}
	create(t, secret(ns, "creds", map[string]string{"username": helmUser, "password": helmPassword}))
	requestReconcile(t, key)
	waitFor(t, key, "Ready", func(hr *sourcev1.HelmRepository) bool {
		c := cond(hr, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionTrue
	})
}

// TestUnsupportedProvider stalls an OCI HelmRepository with a cloud
// provider, which ferry cannot obtain credentials from yet.
func TestUnsupportedProvider(t *testing.T) {
	ns := newNamespace(t)
	hr := newHelmRepository(ns, "oci", "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts", ociType,
		func(hr *sourcev1.HelmRepository) { hr.Spec.Provider = "aws" })
	create(t, hr)
	hr = waitFor(t, client.ObjectKeyFromObject(hr), "stalled", func(hr *sourcev1.HelmRepository) bool {
		s := cond(hr, meta.StalledCondition)
		return s != nil && s.Status == metav1.ConditionTrue
	})
	ready := cond(hr, meta.ReadyCondition)
	if ready.Status != metav1.ConditionFalse || ready.Reason != helmrepository.UnsupportedFieldReason ||
		ready.Message != "provider aws is not supported yet; use generic with secretRef" {
		t.Errorf("Ready = %+v", ready)
	}
}

// TestTypeChangeToOCI turns an HTTP HelmRepository into an OCI one: its
// artifact goes away.
func TestTypeChangeToOCI(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	hr := newHelmRepository(ns, "charts", r.URL())
	create(t, hr)
	key := client.ObjectKeyFromObject(hr)
	hr = waitFor(t, key, "Ready", isReady)
	a := hr.Status.Artifact.DeepCopy()

	reg := helmtest.NewRegistry(t)
	hr.Spec.Type, hr.Spec.URL = sourcev1.HelmRepositoryTypeOCI, reg.URL()
	if err := env.Client.Update(context.Background(), hr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, key, "Ready without artifact", func(hr *sourcev1.HelmRepository) bool {
		c := cond(hr, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionTrue && c.Message == helmrepository.ReadyMessage && hr.Status.Artifact == nil
	})
	if env.Storage.Exists(a) {
		t.Errorf("artifact %s survived the change to type oci", a.Path)
	}
}
