package kustomization_test

import (
	"context"
	"strings"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestUnsupportedFieldsStall checks that a Kustomization using fields ferry
// does not act on yet is refused with a message naming them, applies
// nothing, and syncs once they are removed.
func TestUnsupportedFieldsStall(t *testing.T) {
	f := newFixture(t, appFiles())
	f.ApplyYAML(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  path: apps/production
  prune: true
  targetNamespace: {{ns}}
  decryption:
    provider: sops
    serviceAccountName: kms
  sourceRef:
    kind: GitRepository
    name: app`)
	ks := f.WaitFor("UnsupportedField", testenv.KustomizationFailed("UnsupportedField", ""))
	msg := testenv.ReadyCondition(ks).Message
	for _, want := range []string{"spec.decryption.serviceAccountName", "not supported"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	if c := apimeta.FindStatusCondition(ks.Status.Conditions, "Stalled"); c == nil || c.Reason != "UnsupportedField" {
		t.Errorf("Stalled = %+v, want reason UnsupportedField", c)
	}
	if f.Get("apps/v1", "Deployment", "web") != nil {
		t.Error("a Kustomization with unsupported fields applied objects")
	}

	// Removing the fields lets it sync.
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.Decryption = nil
	if err := env.Client.Patch(context.Background(), ks, patch); err != nil {
		t.Fatal(err)
	}
	ks = f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if c := apimeta.FindStatusCondition(ks.Status.Conditions, "Stalled"); c != nil {
		t.Errorf("Stalled is still set after the fields were removed: %+v", c)
	}
	if f.Get("apps/v1", "Deployment", "web") == nil {
		t.Error("the Deployment was not applied once the fields were removed")
	}
}
