package bucket_test

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
	"github.com/ferrycd/ferry/internal/s3/s3test"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/testserver"
)

// faultTimeout is the spec.timeout of the faulted Buckets: a stall
// outlives it.
const faultTimeout = 2 * time.Second

// TestFaults puts a fault-injecting proxy (https, spec.certSecretRef
// trusting its CA, signed requests with the Secret's keys) in front of
// the S3 server, lets a Bucket and a Kustomization applying it get ready,
// changes the object and injects each fault. The Bucket must end
// Ready=False with a message that says what failed and never the secret
// key, keep the previous artifact recorded and served, and leave the
// Kustomization's objects alone; once the endpoint is back it must
// recover by itself, with no spec change and no requested reconcile, to
// the new revision.
func TestFaults(t *testing.T) {
	listing := func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Has("list-type") }
	object := testserver.PathContains("/fleet/deploy/settings.yaml", http.MethodGet)
	page := []byte("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Sign in</body></html>\n")
	tests := map[string]struct {
		fault    testserver.Fault
		contains []string
		// stalls: the fault holds responses, which the controller must
		// abandon at spec.timeout.
		stalls bool
	}{
		"down": {
			fault:    testserver.Refused(),
			contains: []string{"connection refused"},
		},
		"connection reset": {
			fault: testserver.ResetConnections(),
		},
		"slow listing": {
			fault:    testserver.Stalled(0).On(listing),
			contains: []string{"context deadline exceeded (spec.timeout is 2s)"},
			stalls:   true,
		},
		"slow object": {
			fault:    testserver.Stalled(0).On(object),
			contains: []string{"deploy/settings.yaml", "context deadline exceeded (spec.timeout is 2s)"},
			stalls:   true,
		},
		"truncated object": {
			fault:    testserver.Truncated(10).On(object),
			contains: []string{"deploy/settings.yaml"},
		},
		"HTML login page for the listing": {
			fault:    testserver.Responding(http.StatusOK, "text/html; charset=utf-8", page).On(listing),
			contains: []string{"the endpoint did not answer as S3", "an HTML page"},
		},
		"HTML login page for an object": {
			fault:    testserver.Responding(http.StatusOK, "text/html; charset=utf-8", page).On(object),
			contains: []string{"deploy/settings.yaml"},
		},
		"untrusted certificate": {
			fault:    testserver.UntrustedCertificate(),
			contains: []string{"certificate signed by unknown authority"},
		},
		"plain HTTP behind https": {
			fault:    testserver.PlainHTTPBehindHTTPS(),
			contains: []string{"answered an HTTPS request in plain HTTP", "server gave HTTP response to HTTPS client"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := env.NewNamespace(t, "bucket")
			srv := s3test.Start(t, s3test.Options{AccessKey: accessKey, SecretKey: secretKey})
			srv.MakeBucket(t, "fleet")
			srv.Put(t, "fleet", faultManifests("1"))
			proxy := testserver.StartFaultProxy(t, "http://"+srv.Endpoint(), testserver.FaultProxyOptions{TLS: true})
			create(t, credentials(ns, "creds", accessKey, secretKey))
			create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ca"}, Data: map[string][]byte{"ca.crt": proxy.CA()}})
			o := newBucket(ns, "fleet", proxy.Host(), "fleet", withSecret("creds"), func(o *sourcev1.Bucket) {
				o.Spec.Insecure = false
				o.Spec.CertSecretRef = &meta.LocalObjectReference{Name: "ca"}
				o.Spec.Interval = metav1.Duration{Duration: time.Minute}
				o.Spec.Timeout = &metav1.Duration{Duration: faultTimeout}
			})
			create(t, o)
			key := client.ObjectKeyFromObject(o)
			create(t, faultsKustomization(ns))
			ksKey := client.ObjectKey{Namespace: ns, Name: "apps"}

			// Ready, applied.
			o = waitFor(t, key, "Ready", isReadyAt(faultRevision("1")))
			previous := o.Status.Artifact.DeepCopy()
			testenv.WaitFor(t, env.Client, ksKey, "applied", testenv.KustomizationReady(previous.Revision))
			applied := faultConfigMap(t, ns)

			// A changed object, then the fault.
			srv.Put(t, "fleet", faultManifests("2"))
			injected, abandoned := proxy.Injected(), proxy.Abandoned()
			proxy.Set(tt.fault)
			testenv.RequestReconcile(t, env.Client, &sourcev1.Bucket{}, key)
			o = waitFor(t, key, "failed", func(o *sourcev1.Bucket) bool {
				c, r := cond(o, meta.ReadyCondition), cond(o, meta.ReconcilingCondition)
				return c != nil && c.Status == metav1.ConditionFalse && r != nil && r.Reason == meta.ProgressingWithRetryReason
			})
			ready := cond(o, meta.ReadyCondition)
			t.Logf("Ready=False %s: %s", ready.Reason, ready.Message)
			if ready.Reason != sourcev1.BucketOperationFailedReason {
				t.Errorf("reason %s, want %s", ready.Reason, sourcev1.BucketOperationFailedReason)
			}
			for _, s := range append([]string{"'fleet'"}, tt.contains...) {
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
				t.Errorf("an endpoint fault stalled the object: %+v", c)
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
			if files := artifactFiles(t, o.Status.Artifact); files["deploy/settings.yaml"] != faultManifests("1")["deploy/settings.yaml"] {
				t.Errorf("served artifact %v: want the first version", files)
			}
			faultAssertApplied(t, ns, applied)
			testenv.AssertNoSecret(t, env.Client, o, secretKey)
			if strings.Contains(env.Logs.String(), secretKey) {
				t.Error("the controller logged the secret key")
			}

			// Back to normal: recovery by itself, to the new revision.
			generation := o.Generation
			healed := time.Now()
			proxy.Set(testserver.PassThrough())
			o = waitFor(t, key, "Ready again", isReadyAt(faultRevision("2")))
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
			testenv.WaitFor(t, env.Client, ksKey, "applied again", testenv.KustomizationReady(faultRevision("2")))
			if cm := faultConfigMap(t, ns); cm.UID != applied.UID || cm.Data["version"] != "2" {
				t.Errorf("ConfigMap after recovery: uid %s (was %s), data %v", cm.UID, applied.UID, cm.Data)
			}
			testenv.AssertNoSecret(t, env.Client, o, secretKey)
		})
	}
}

// faultManifests is the bucket's content: one ConfigMap at version v.
func faultManifests(v string) map[string]string {
	return map[string]string{"deploy/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  version: \"" + v + "\"\n"}
}

// faultRevision is the Bucket's revision for faultManifests(v).
func faultRevision(v string) string {
	return revisionOf("deploy/settings.yaml " + etag(faultManifests(v)["deploy/settings.yaml"]))
}

// faultsKustomization applies ./deploy of Bucket fleet into ns, with
// pruning.
func faultsKustomization(ns string) *kustomizev1.Kustomization {
	return &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "apps"},
		Spec: kustomizev1.KustomizationSpec{
			Interval:        metav1.Duration{Duration: time.Hour},
			Path:            "./deploy",
			Prune:           true,
			TargetNamespace: ns,
			SourceRef:       kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.BucketKind, Name: "fleet"},
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
	cm := faultConfigMap(t, ns)
	if cm.UID != applied.UID || cm.DeletionTimestamp != nil || cm.Data["version"] != "1" {
		t.Errorf("ConfigMap uid %s (was %s), deleting %v, data %v: want it as applied", cm.UID, applied.UID, cm.DeletionTimestamp, cm.Data)
	}
}
