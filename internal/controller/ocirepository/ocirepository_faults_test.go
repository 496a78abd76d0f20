package ocirepository_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/testserver"
)

// faultTimeout is the spec.timeout of the faulted OCIRepositories: a stall
// outlives it.
const faultTimeout = 2 * time.Second

// TestFaults puts a fault-injecting proxy (https, spec.certSecretRef
// trusting its CA, basic auth from a Docker config Secret) in front of the
// registry, lets an OCIRepository and a Kustomization applying it get
// ready, pushes a new artifact to the tag and injects each fault. The
// OCIRepository must end Ready=False with a message that says what failed
// and never the password, keep the previous artifact recorded and served,
// and leave the Kustomization's objects alone; once the registry is back
// it must recover by itself, with no spec change and no requested
// reconcile, to the new digest.
func TestFaults(t *testing.T) {
	manifests := testserver.PathContains("/manifests/")
	blobs := testserver.PathContains("/blobs/", http.MethodGet)
	page := []byte("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Sign in to the registry</body></html>\n")
	tests := map[string]struct {
		fault    testserver.Fault
		reason   string
		contains []string
		// stalls: the fault holds responses, which the controller must
		// abandon at spec.timeout.
		stalls bool
		// newClient rotates the CA Secret (an extra key) with the fault, so
		// that the controller meets it with a new registry client, as
		// after a restart: one that pings the registry again.
		newClient bool
	}{
		"down": {
			fault: testserver.Refused(), reason: sourcev1.OCIPullFailedReason,
			contains: []string{"failed to determine the digest of '127.0.0.1:", "connection refused"},
		},
		// The registry client retries a reset connection until
		// spec.timeout: the message is the timeout's.
		"connection reset": {
			fault: testserver.ResetConnections(), reason: sourcev1.OCIPullFailedReason,
			contains: []string{"failed to determine the digest of '127.0.0.1:", "(spec.timeout is 2s)"},
		},
		"slow manifest": {
			fault: testserver.Stalled(0).On(manifests), reason: sourcev1.OCIPullFailedReason,
			contains: []string{"failed to determine the digest of '127.0.0.1:", "context deadline exceeded (spec.timeout is 2s)"},
			stalls:   true,
		},
		"slow layer": {
			fault: testserver.StalledAfter(64, 0).On(blobs), reason: sourcev1.OCIPullFailedReason,
			contains: []string{"failed to download layer sha256:", "from 'oci://127.0.0.1:", "context deadline exceeded (spec.timeout is 2s)"},
			stalls:   true,
		},
		"truncated layer": {
			fault: testserver.Truncated(64).On(blobs), reason: sourcev1.OCIPullFailedReason,
			contains: []string{"failed to download layer sha256:", "from 'oci://127.0.0.1:", "unexpected EOF"},
		},
		"HTML login page for the manifest": {
			fault:    testserver.Responding(http.StatusOK, "text/html; charset=utf-8", page).On(manifests),
			reason:   sourcev1.OCIPullFailedReason,
			contains: []string{"failed to determine the digest of '127.0.0.1:", "response did not include Docker-Content-Digest header"},
		},
		"untrusted certificate": {
			fault: testserver.UntrustedCertificate(), reason: sourcev1.OCIPullFailedReason,
			contains: []string{"failed to determine the digest of '127.0.0.1:", "certificate signed by unknown authority"},
		},
		"plain HTTP behind https": {
			fault: testserver.PlainHTTPBehindHTTPS(), reason: sourcev1.OCIPullFailedReason,
			contains: []string{"failed to determine the digest of '127.0.0.1:", "server gave HTTP response to HTTPS client"},
		},
		"plain HTTP behind https, new client": {
			fault: testserver.PlainHTTPBehindHTTPS(), reason: sourcev1.OCIPullFailedReason, newClient: true,
			contains: []string{"failed to determine the digest of '127.0.0.1:", "server gave HTTP response to HTTPS client",
				"plain HTTP to an OCI registry needs spec.insecure: true"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := env.NewNamespace(t, "ocirepo")
			reg := ocitest.Start(t, ocitest.Options{Username: ociUser, Password: ociPassword})
			auth := oci.Options{Insecure: true, Keychain: keychain(t, reg.Host(), ociUser, ociPassword)}
			first := push(t, reg, "fleet", "main", faultManifests("1"), auth)
			proxy := testserver.StartFaultProxy(t, "http://"+reg.Host(), testserver.FaultProxyOptions{TLS: true})
			create(t, dockerConfig(ns, "creds", proxy.Host(), ociUser, ociPassword))
			ca := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ca"}, Data: map[string][]byte{"ca.crt": proxy.CA()}}
			create(t, ca)
			o := newOCIRepository(ns, "fleet", "oci://"+proxy.Host()+"/fleet", withRef(sourcev1.OCIRepositoryRef{Tag: "main"}),
				func(o *sourcev1.OCIRepository) {
					o.Spec.Insecure = false
					o.Spec.SecretRef = &meta.LocalObjectReference{Name: "creds"}
					o.Spec.CertSecretRef = &meta.LocalObjectReference{Name: "ca"}
					o.Spec.Interval = metav1.Duration{Duration: time.Minute}
					o.Spec.Timeout = &metav1.Duration{Duration: faultTimeout}
				})
			create(t, o)
			key := client.ObjectKeyFromObject(o)
			create(t, faultsKustomization(ns))
			ksKey := client.ObjectKey{Namespace: ns, Name: "apps"}

			// Ready at the first push, applied.
			o = waitFor(t, key, "Ready", isReadyAt("main@"+first))
			previous := o.Status.Artifact.DeepCopy()
			testenv.WaitFor(t, env.Client, ksKey, "applied", testenv.KustomizationReady("main@"+first))
			applied := faultConfigMap(t, ns)

			// A new push, then the fault.
			second := push(t, reg, "fleet", "main", faultManifests("2"), auth)
			injected, abandoned := proxy.Injected(), proxy.Abandoned()
			proxy.Set(tt.fault)
			if tt.newClient {
				ca.Data["rotated"] = []byte(time.Now().String())
				if err := env.Client.Update(context.Background(), ca); err != nil {
					t.Fatal(err)
				}
			}
			testenv.RequestReconcile(t, env.Client, &sourcev1.OCIRepository{}, key)
			o = waitFor(t, key, "failed", func(o *sourcev1.OCIRepository) bool {
				c, r := cond(o, meta.ReadyCondition), cond(o, meta.ReconcilingCondition)
				return c != nil && c.Status == metav1.ConditionFalse && r != nil && r.Reason == meta.ProgressingWithRetryReason
			})
			ready := cond(o, meta.ReadyCondition)
			t.Logf("Ready=False %s: %s", ready.Reason, ready.Message)
			if ready.Reason != tt.reason {
				t.Errorf("reason %s, want %s", ready.Reason, tt.reason)
			}
			for _, s := range tt.contains {
				if !strings.Contains(ready.Message, s) {
					t.Errorf("Ready message %q lacks %q", ready.Message, s)
				}
			}
			// A refused connection never reaches the proxy; the others count.
			if tt.fault.Mode != testserver.Refuse && proxy.Injected() == injected {
				t.Errorf("the fault %s was never injected", tt.fault.Mode)
			}
			if tt.stalls && proxy.Abandoned() == abandoned {
				t.Error("no stalled request was abandoned: the controller did not give up at spec.timeout")
			}
			if c := cond(o, meta.StalledCondition); c != nil {
				t.Errorf("a registry fault stalled the object: %+v", c)
			}

			// The previous artifact stays recorded and served, and what it
			// applied stays.
			if a := o.Status.Artifact; a == nil || a.Revision != previous.Revision || a.Digest != previous.Digest {
				t.Fatalf("artifact %+v, want the previous %+v", a, previous)
			}
			if o.Status.URL != o.Status.Artifact.URL {
				t.Errorf("status.url %q, artifact URL %q", o.Status.URL, o.Status.Artifact.URL)
			}
			if c := cond(o, meta.ArtifactInStorageCondition); c == nil || c.Status != metav1.ConditionTrue {
				t.Errorf("ArtifactInStorage = %+v, want True", c)
			}
			if files := untarFiles(t, testenv.FetchArtifact(t, o.Status.Artifact)); !strings.Contains(files["deploy/settings.yaml"], `version: "1"`) {
				t.Errorf("served artifact %v: want the first push", files)
			}
			faultAssertApplied(t, ns, applied)
			testenv.AssertNoSecret(t, env.Client, o, ociPassword)
			if strings.Contains(env.Logs.String(), ociPassword) {
				t.Error("the controller logged the password")
			}

			// Back to normal: recovery by itself, to the new push.
			generation := o.Generation
			healed := time.Now()
			proxy.Set(testserver.PassThrough())
			o = waitFor(t, key, "Ready again", isReadyAt("main@"+second))
			t.Logf("recovered in %s", time.Since(healed).Round(100*time.Millisecond))
			if o.Generation != generation {
				t.Errorf("generation %d, was %d: the spec changed", o.Generation, generation)
			}
			for _, gone := range []string{meta.FetchFailedCondition, meta.ArtifactOutdatedCondition} {
				if c := cond(o, gone); c != nil {
					t.Errorf("%s still present after recovery: %+v", gone, c)
				}
			}
			testenv.FetchArtifact(t, o.Status.Artifact)
			testenv.WaitFor(t, env.Client, ksKey, "applied again", testenv.KustomizationReady("main@"+second))
			if cm := faultConfigMap(t, ns); cm.UID != applied.UID || cm.Data["version"] != "2" {
				t.Errorf("ConfigMap after recovery: uid %s (was %s), data %v", cm.UID, applied.UID, cm.Data)
			}
			testenv.AssertNoSecret(t, env.Client, o, ociPassword)
		})
	}
}

// faultManifests is the content of a push: one ConfigMap at version v.
func faultManifests(v string) map[string]string {
	return map[string]string{"deploy/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  version: \"" + v + "\"\n"}
}

// faultsKustomization applies ./deploy of OCIRepository fleet into ns,
// with pruning.
func faultsKustomization(ns string) *kustomizev1.Kustomization {
	return &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "apps"},
		Spec: kustomizev1.KustomizationSpec{
			Interval:        metav1.Duration{Duration: time.Hour},
			Path:            "./deploy",
			Prune:           true,
			TargetNamespace: ns,
			SourceRef:       kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: "fleet"},
		},
	}
}

// faultConfigMap returns the ConfigMap the Kustomization applies.
func faultConfigMap(t *testing.T, ns string) *corev1.ConfigMap {
	t.Helper()
	cm := &corev1.ConfigMap{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "settings"}, cm); err != nil {
		t.Fatalf("the applied ConfigMap: %v", err)
	}
	return cm
}

// faultAssertApplied checks that the Kustomization still has the ConfigMap
// it applied, unchanged, in its inventory and in the cluster.
func faultAssertApplied(t *testing.T, ns string, applied *corev1.ConfigMap) {
	t.Helper()
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "apps"}, ks); err != nil {
		t.Fatal(err)
	}
	id := ns + "_settings__ConfigMap"
	if ks.Status.Inventory == nil || len(ks.Status.Inventory.Entries) != 1 || ks.Status.Inventory.Entries[0].ID != id {
		t.Errorf("inventory %+v, want only %s", ks.Status.Inventory, id)
	}
	if c := cond(ks, meta.ReadyCondition); c != nil {
		t.Logf("Kustomization Ready=%s %s: %s", c.Status, c.Reason, c.Message)
	}
	cm := faultConfigMap(t, ns)
	if cm.UID != applied.UID || cm.DeletionTimestamp != nil || cm.Data["version"] != "1" {
		t.Errorf("ConfigMap uid %s (was %s), deleting %v, data %v: want it as applied", cm.UID, applied.UID, cm.DeletionTimestamp, cm.Data)
	}
}
