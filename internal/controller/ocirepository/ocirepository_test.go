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
)

// A tag is resolved with one HEAD and pulled once; a reconcile that finds
// the same digest pulls nothing; a new push to the tag is a new revision
// with the new content.
func TestTagPulledOnceAndAgainOnlyWhenItMoves(t *testing.T) {
	ns := env.NewNamespace(t, "ocirepo")
	reg := ocitest.Start(t, ocitest.Options{})
	digest := push(t, reg, "manifests/app", "latest", map[string]string{"app/configmap.yaml": "kind: ConfigMap\n", "README.md": "hello\n"})

	create(t, newOCIRepository(ns, "app", reg.URL("manifests/app")))
	key := client.ObjectKey{Namespace: ns, Name: "app"}
	o := waitFor(t, key, "Ready at latest@"+digest, isReadyAt("latest@"+digest))
	if got := cond(o, meta.ReadyCondition).Message; got != "stored artifact for digest 'latest@"+digest+"'" {
		t.Errorf("Ready message %q", got)
	}
	files := untarFiles(t, testenv.FetchArtifact(t, o.Status.Artifact))
	if files["app/configmap.yaml"] != "kind: ConfigMap\n" || files["README.md"] != "hello\n" {
		t.Errorf("artifact files %v", files)
	}
	if o.Status.Artifact.Metadata["org.opencontainers.image.source"] != "https://example.test/fleet.git" {
		t.Errorf("artifact metadata %v: want the manifest's annotations", o.Status.Artifact.Metadata)
	}
	if o.Status.URL != o.Status.Artifact.URL {
		t.Errorf("status.url %q, artifact URL %q", o.Status.URL, o.Status.Artifact.URL)
	}
	e := testenv.WaitForEvent(t, env.Client, ns, "app", corev1.EventTypeNormal, "NewArtifact")
	if !strings.Contains(e.Message, "origin source 'https://example.test/fleet.git'") {
		t.Errorf("NewArtifact event %q: want the origin source", e.Message)
	}

	gets, blobs, heads, total := reg.Requests("GET", "manifests"), reg.Requests("GET", "blobs"), reg.Requests("HEAD", "manifests"), reg.Total()
	reconcileNow(t, key)
	if reg.Requests("GET", "manifests") != gets || reg.Requests("GET", "blobs") != blobs {
		t.Errorf("an unchanged digest was pulled again: manifests %d → %d, blobs %d → %d",
			gets, reg.Requests("GET", "manifests"), blobs, reg.Requests("GET", "blobs"))
	}
	if got := reg.Requests("HEAD", "manifests") - heads; got != 1 {
		t.Errorf("%d HEADs of the manifest for an unchanged reconcile, want 1", got)
	}
	// The pooled client pinged and authenticated once: nothing else.
	if got := reg.Total() - total; got != 1 {
		t.Errorf("%d registry requests for an unchanged reconcile, want the one HEAD", got)
	}

	moved := push(t, reg, "manifests/app", "latest", map[string]string{"app/configmap.yaml": "kind: ConfigMap\ndata: {a: b}\n"})
	reconcileNow(t, key)
	o = waitFor(t, key, "Ready at the new digest", isReadyAt("latest@"+moved))
	if files := untarFiles(t, testenv.FetchArtifact(t, o.Status.Artifact)); files["app/configmap.yaml"] != "kind: ConfigMap\ndata: {a: b}\n" || len(files) != 1 {
		t.Errorf("artifact after the push: %v", files)
	}
}

// Flux's precedence: digest over semver over tag; semver picks the highest
// tag in range among those semverFilter keeps.
func TestReferences(t *testing.T) {
	ns := env.NewNamespace(t, "ocirepo")
	reg := ocitest.Start(t, ocitest.Options{})
	digests := map[string]string{}
	for _, tag := range []string{"1.0.0", "1.2.0", "1.3.0-rc.1", "2.0.0", "1.1.0-dev", "not-a-version"} {
		digests[tag] = push(t, reg, "app", tag, map[string]string{"version.txt": tag})
	}
	cases := []struct {
		name string
		ref  sourcev1.OCIRepositoryRef
		want string
	}{
		{"tag", sourcev1.OCIRepositoryRef{Tag: "1.0.0"}, "1.0.0@" + digests["1.0.0"]},
		{"semver", sourcev1.OCIRepositoryRef{SemVer: ">=1.0.0 <2.0.0", Tag: "2.0.0"}, "1.2.0@" + digests["1.2.0"]},
		{"semver-prerelease", sourcev1.OCIRepositoryRef{SemVer: ">=1.3.0-0 <2.0.0"}, "1.3.0-rc.1@" + digests["1.3.0-rc.1"]},
		{"semver-filter", sourcev1.OCIRepositoryRef{SemVer: ">=1.0.0-0", SemverFilter: ".*-dev$"}, "1.1.0-dev@" + digests["1.1.0-dev"]},
		{"digest", sourcev1.OCIRepositoryRef{Digest: digests["2.0.0"], SemVer: "1.x", Tag: "1.0.0"}, digests["2.0.0"]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			create(t, newOCIRepository(ns, c.name, reg.URL("app"), withRef(c.ref)))
			o := waitFor(t, client.ObjectKey{Namespace: ns, Name: c.name}, "Ready at "+c.want, isReadyAt(c.want))
			version := strings.SplitN(c.want, "@", 2)[0]
			if c.name == "digest" {
				version = "2.0.0"
			}
			if got := untarFiles(t, testenv.FetchArtifact(t, o.Status.Artifact))["version.txt"]; got != version {
				t.Errorf("version.txt %q, want %q", got, version)
			}
		})
	}

	t.Run("no-match", func(t *testing.T) {
		create(t, newOCIRepository(ns, "no-match", reg.URL("app"), withRef(sourcev1.OCIRepositoryRef{SemVer: ">=3.0.0"})))
		o := waitFor(t, client.ObjectKey{Namespace: ns, Name: "no-match"}, "failing", isFailing(sourcev1.OCIPullFailedReason))
		if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "no tag matches semver range '>=3.0.0'") {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("bad-range", func(t *testing.T) {
		create(t, newOCIRepository(ns, "bad-range", reg.URL("app"), withRef(sourcev1.OCIRepositoryRef{SemVer: "not a range"})))
		o := waitFor(t, client.ObjectKey{Namespace: ns, Name: "bad-range"}, "stalled", isFailing(sourcev1.OCIPullFailedReason))
		waitFor(t, client.ObjectKey{Namespace: ns, Name: "bad-range"}, "Stalled", func(o *sourcev1.OCIRepository) bool {
			return cond(o, meta.StalledCondition) != nil
		})
		if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "semver range 'not a range'") {
			t.Errorf("message %q", msg)
		}
	})
}

// layerSelector picks a layer by media type; operation copy stores it as
// it is in the registry; spec.ignore filters an extracted layer.
func TestLayerSelectorAndIgnore(t *testing.T) {
	ns := env.NewNamespace(t, "ocirepo")
	reg := ocitest.Start(t, ocitest.Options{})
	content := ocitest.TarGz(map[string]string{"deploy/app.yaml": "kind: ConfigMap\n", "deploy/notes.txt": "skip me\n"})
	img, err := oci.Image(content, "application/vnd.example.manifests.v1.tar+gzip", nil)
	if err != nil {
		t.Fatal(err)
	}
	digest := reg.Push(t, "custom", "v1", img)

	selector := &sourcev1.OCILayerSelector{MediaType: "application/vnd.example.manifests.v1.tar+gzip", Operation: sourcev1.OCILayerCopy}
	create(t, newOCIRepository(ns, "copy", reg.URL("custom"), withRef(sourcev1.OCIRepositoryRef{Tag: "v1"}),
		func(o *sourcev1.OCIRepository) { o.Spec.LayerSelector = selector }))
	o := waitFor(t, client.ObjectKey{Namespace: ns, Name: "copy"}, "Ready", isReadyAt("v1@"+digest))
	if got := testenv.FetchArtifact(t, o.Status.Artifact); string(got) != string(content) {
		t.Errorf("copied layer differs from the pushed one (%d vs %d bytes)", len(got), len(content))
	}
	if o.Status.ObservedLayerSelector == nil || o.Status.ObservedLayerSelector.Operation != sourcev1.OCILayerCopy {
		t.Errorf("observedLayerSelector %+v", o.Status.ObservedLayerSelector)
	}

	ignore := "*.txt\n"
	create(t, newOCIRepository(ns, "extract", reg.URL("custom"), withRef(sourcev1.OCIRepositoryRef{Tag: "v1"}),
		func(o *sourcev1.OCIRepository) {
			o.Spec.LayerSelector = &sourcev1.OCILayerSelector{MediaType: selector.MediaType}
			o.Spec.Ignore = &ignore
		}))
	o = waitFor(t, client.ObjectKey{Namespace: ns, Name: "extract"}, "Ready", isReadyAt("v1@"+digest))
	if files := untarFiles(t, testenv.FetchArtifact(t, o.Status.Artifact)); len(files) != 1 || files["deploy/app.yaml"] == "" {
		t.Errorf("extracted files %v: want deploy/app.yaml only", files)
	}

	create(t, newOCIRepository(ns, "missing", reg.URL("custom"), withRef(sourcev1.OCIRepositoryRef{Tag: "v1"}),
		func(o *sourcev1.OCIRepository) {
			o.Spec.LayerSelector = &sourcev1.OCILayerSelector{MediaType: "application/x-nothing"}
		}))
	o = waitFor(t, client.ObjectKey{Namespace: ns, Name: "missing"}, "failing", isFailing(sourcev1.OCIPullFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "no layer of media type 'application/x-nothing'") {
		t.Errorf("message %q", msg)
	}
}

// Credentials come from a Docker config Secret or a ServiceAccount's
// imagePullSecrets; a refusal says what to do and never quotes them.
func TestAuthentication(t *testing.T) {
	ns := env.NewNamespace(t, "ocirepo")
	reg := ocitest.Start(t, ocitest.Options{Username: ociUser, Password: ociPassword})
	auth := oci.Options{Insecure: true, Keychain: keychain(t, reg.Host(), ociUser, ociPassword)}
	digest := push(t, reg, "private", "latest", map[string]string{"a.yaml": "a: 1\n"}, auth)

	create(t, newOCIRepository(ns, "anonymous", reg.URL("private")))
	o := waitFor(t, client.ObjectKey{Namespace: ns, Name: "anonymous"}, "failing", isFailing(meta.AuthenticationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "set spec.secretRef to a Docker config secret") {
		t.Errorf("message %q: want the hint", msg)
	}

	create(t, dockerConfig(ns, "creds", reg.Host(), ociUser, ociPassword))
	create(t, newOCIRepository(ns, "secret", reg.URL("private"), func(o *sourcev1.OCIRepository) {
		o.Spec.SecretRef = &meta.LocalObjectReference{Name: "creds"}
	}))
	waitFor(t, client.ObjectKey{Namespace: ns, Name: "secret"}, "Ready", isReadyAt("latest@"+digest))

	create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "puller"},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "creds"}}})
	create(t, newOCIRepository(ns, "account", reg.URL("private"), func(o *sourcev1.OCIRepository) {
		o.Spec.ServiceAccountName = "puller"
	}))
	waitFor(t, client.ObjectKey{Namespace: ns, Name: "account"}, "Ready", isReadyAt("latest@"+digest))

	create(t, dockerConfig(ns, "wrong", reg.Host(), ociUser, "not-"+ociPassword))
	create(t, newOCIRepository(ns, "wrong", reg.URL("private"), func(o *sourcev1.OCIRepository) {
		o.Spec.SecretRef = &meta.LocalObjectReference{Name: "wrong"}
	}))
	o = waitFor(t, client.ObjectKey{Namespace: ns, Name: "wrong"}, "failing", isFailing(meta.AuthenticationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "rejected the credentials") {
		t.Errorf("message %q", msg)
	}
	testenv.AssertNoSecret(t, env.Client, o, ociPassword)

	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "basic"},
		Data: map[string][]byte{"username": []byte(ociUser), "password": []byte(ociPassword)}})
	create(t, newOCIRepository(ns, "basic", reg.URL("private"), func(o *sourcev1.OCIRepository) {
		o.Spec.SecretRef = &meta.LocalObjectReference{Name: "basic"}
	}))
	o = waitFor(t, client.ObjectKey{Namespace: ns, Name: "basic"}, "failing", isFailing(meta.AuthenticationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "kubectl create secret docker-registry") {
		t.Errorf("message %q: want what kind of secret is expected", msg)
	}
	testenv.AssertNoSecret(t, env.Client, o, ociPassword)
}

// A TLS registry is trusted through spec.certSecretRef's ca.crt; plain
// HTTP needs spec.insecure.
func TestTLSAndInsecure(t *testing.T) {
	ns := env.NewNamespace(t, "ocirepo")
	tlsReg := ocitest.Start(t, ocitest.Options{TLS: true})
	tlsOpts := oci.Options{TLS: tlsReg.Client().Transport.(*http.Transport).TLSClientConfig}
	digest := push(t, tlsReg, "app", "latest", map[string]string{"a.yaml": "a: 1\n"}, tlsOpts)
	secure := func(o *sourcev1.OCIRepository) { o.Spec.Insecure = false }

	create(t, newOCIRepository(ns, "untrusted", tlsReg.URL("app"), secure))
	o := waitFor(t, client.ObjectKey{Namespace: ns, Name: "untrusted"}, "failing", isFailing(sourcev1.OCIPullFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "certificate") {
		t.Errorf("message %q: want the certificate error", msg)
	}

	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ca"}, Data: map[string][]byte{"ca.crt": tlsReg.CA()}})
	create(t, newOCIRepository(ns, "trusted", tlsReg.URL("app"), secure, func(o *sourcev1.OCIRepository) {
		o.Spec.CertSecretRef = &meta.LocalObjectReference{Name: "ca"}
	}))
	waitFor(t, client.ObjectKey{Namespace: ns, Name: "trusted"}, "Ready", isReadyAt("latest@"+digest))

	plain := ocitest.Start(t, ocitest.Options{})
	push(t, plain, "app", "latest", map[string]string{"a.yaml": "a: 1\n"})
	create(t, newOCIRepository(ns, "plain", plain.URL("app"), secure))
	key := client.ObjectKey{Namespace: ns, Name: "plain"}
	o = waitFor(t, key, "failing", isFailing(sourcev1.OCIPullFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "plain HTTP to an OCI registry needs spec.insecure: true") {
		t.Errorf("message %q", msg)
	}
	// The registry's answer, which may change: retried, not stalled.
	if c := cond(o, meta.StalledCondition); c != nil {
		t.Errorf("a plain-HTTP answer stalled the OCIRepository: %+v", c)
	}
}

// What ferry cannot do yet is refused before any request, and a spec.verify
// is never ignored: nothing is served unverified.
func TestRefusedSpecs(t *testing.T) {
	ns := env.NewNamespace(t, "ocirepo")
	reg := ocitest.Start(t, ocitest.Options{})
	push(t, reg, "app", "latest", map[string]string{"a.yaml": "a: 1\n"})
	cases := []struct {
		name, reason, message string
		mutate                func(*sourcev1.OCIRepository)
	}{
		{"aws", "UnsupportedProvider", "provider 'aws' is not supported by ferry yet",
			func(o *sourcev1.OCIRepository) { o.Spec.Provider = "aws" }},
		{"notation", "UnsupportedProvider", "verification provider 'notation' is not supported by ferry yet: the artifact is not pulled unverified",
			func(o *sourcev1.OCIRepository) {
				o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: "notation", SecretRef: &meta.LocalObjectReference{Name: "keys"}}
			}},
		{"keyless", "UnsupportedProvider", "keyless cosign verification (spec.verify without secretRef) is not supported by ferry yet",
			func(o *sourcev1.OCIRepository) {
				o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: "cosign",
					MatchOIDCIdentity: []sourcev1.OIDCIdentityMatch{{Issuer: "^https://token.actions.githubusercontent.com$", Subject: ".*"}}}
			}},
		{"tag-in-url", meta.URLInvalidReason, "set the tag in spec.ref.tag",
			func(o *sourcev1.OCIRepository) { o.Spec.URL += ":v1" }},
		{"userinfo", meta.URLInvalidReason, "credentials or a digest do not belong in the URL",
			func(o *sourcev1.OCIRepository) {
				o.Spec.URL = strings.Replace(o.Spec.URL, "oci://", "oci://user:"+ociPassword+"@", 1)
			}},
	}
	heads := reg.Requests("HEAD", "manifests")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			create(t, newOCIRepository(ns, c.name, reg.URL("app"), c.mutate))
			key := client.ObjectKey{Namespace: ns, Name: c.name}
			waitFor(t, key, "Stalled", func(o *sourcev1.OCIRepository) bool { return cond(o, meta.StalledCondition) != nil })
			o := waitFor(t, key, "failing", isFailing(c.reason))
			if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, c.message) {
				t.Errorf("message %q: want %q", msg, c.message)
			}
			if o.Status.Artifact != nil {
				t.Errorf("an artifact was stored: %+v", o.Status.Artifact)
			}
			if o.Spec.Verify != nil {
				if v := cond(o, meta.SourceVerifiedCondition); v == nil || v.Status != metav1.ConditionFalse || v.Message != cond(o, meta.ReadyCondition).Message {
					t.Errorf("SourceVerified %+v: want False with Ready's message", v)
				}
			}
			testenv.AssertNoSecret(t, env.Client, o, ociPassword)
		})
	}
	if got := reg.Requests("HEAD", "manifests") - heads; got != 0 {
		t.Errorf("%d requests for refused specs", got)
	}
}

// spec.verify with cosign public keys: only an artifact signed by one of
// the Secret's *.pub keys for its own digest is stored; an unsigned,
// foreign-signed or copied-signature push is refused with
// SourceVerified=False and the verified artifact stays served.
func TestCosignVerification(t *testing.T) {
	ns := env.NewNamespace(t, "ocirepo")
	reg := ocitest.Start(t, ocitest.Options{})
	release, ci, stranger := ocitest.NewCosignKey(t), ocitest.NewCosignKey(t), ocitest.NewCosignKey(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cosign-keys"},
		Data: map[string][]byte{"release.pub": release.PublicPEM, "ci.pub": ci.PublicPEM, "README": []byte("not a key")}})

	first := push(t, reg, "app", "latest", map[string]string{"a.yaml": "a: 1\n"})
	reg.Sign(t, "app", first, first, ci)
	create(t, newOCIRepository(ns, "app", reg.URL("app"), func(o *sourcev1.OCIRepository) {
		o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: "cosign", SecretRef: &meta.LocalObjectReference{Name: "cosign-keys"}}
	}))
	key := client.ObjectKey{Namespace: ns, Name: "app"}
	o := waitFor(t, key, "Ready and verified", isReadyAt("latest@"+first))
	if v := cond(o, meta.SourceVerifiedCondition); v == nil || v.Status != metav1.ConditionTrue ||
		v.Message != "verified signature of revision latest@"+first+" with key 'ci.pub' of secret 'cosign-keys'" {
		t.Errorf("SourceVerified %+v", v)
	}
	// A verified, unchanged digest is neither pulled nor verified again:
	// one HEAD per reconcile.
	gets, heads := reg.Requests("GET", "manifests"), reg.Requests("HEAD", "manifests")
	reconcileNow(t, key)
	if g, h := reg.Requests("GET", "manifests")-gets, reg.Requests("HEAD", "manifests")-heads; g != 0 || h != 1 {
		t.Errorf("unchanged verified digest: %d manifest GETs, %d HEADs; want 0 and 1", g, h)
	}

	refused := []struct {
		name, want string
		sign       func(digest string)
	}{
		{"unsigned", "is not signed (no signature manifest at tag 'sha256-", func(string) {}},
		{"stranger", "none of its 1 signatures verifies with the keys ci.pub, release.pub", func(d string) { reg.Sign(t, "app", d, d, stranger) }},
		{"copied", "a signature by a trusted key signs another digest, '" + first + "'", func(d string) { reg.Sign(t, "app", d, first, release) }},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			img, err := oci.Image(ocitest.TarGz(map[string]string{"a.yaml": "a: " + c.name + "\n"}), oci.ContentMediaType, nil)
			if err != nil {
				t.Fatal(err)
			}
			layers, _ := img.Layers()
			layer, _ := layers[0].Digest()
			d := reg.Push(t, "app", "latest", img)
			c.sign(d)
			reconcileNow(t, key)
			o := waitFor(t, key, "refused", isFailing(meta.VerificationError))
			v := cond(o, meta.SourceVerifiedCondition)
			if v == nil || v.Status != metav1.ConditionFalse || !strings.Contains(v.Message, c.want) ||
				!strings.HasPrefix(v.Message, "failed to verify the signature using provider 'cosign': no matching signatures") {
				t.Errorf("SourceVerified %+v: want False with %q", v, c.want)
			}
			if o.Status.Artifact == nil || o.Status.Artifact.Revision != "latest@"+first {
				t.Errorf("artifact %+v: want the verified latest@%s kept", o.Status.Artifact, first)
			}
			if files := untarFiles(t, testenv.FetchArtifact(t, o.Status.Artifact)); files["a.yaml"] != "a: 1\n" {
				t.Errorf("served artifact %v: want the verified content", files)
			}
			if got := reg.Fetched(layer.String()); got != 0 {
				t.Errorf("the refused artifact's layer was downloaded %d times", got)
			}
		})
	}

	// Signed by the release key: stored, verified again.
	signed := push(t, reg, "app", "latest", map[string]string{"a.yaml": "a: 2\n"})
	reg.Sign(t, "app", signed, signed, release)
	reconcileNow(t, key)
	o = waitFor(t, key, "Ready at the signed push", isReadyAt("latest@"+signed))
	if v := cond(o, meta.SourceVerifiedCondition); v == nil || v.Status != metav1.ConditionTrue || !strings.Contains(v.Message, "with key 'release.pub'") {
		t.Errorf("SourceVerified %+v", v)
	}

	t.Run("no-keys", func(t *testing.T) {
		create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "no-keys"}, Data: map[string][]byte{"key.asc": []byte("x")}})
		create(t, newOCIRepository(ns, "no-keys", reg.URL("app"), func(o *sourcev1.OCIRepository) {
			o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: "cosign", SecretRef: &meta.LocalObjectReference{Name: "no-keys"}}
		}))
		o := waitFor(t, client.ObjectKey{Namespace: ns, Name: "no-keys"}, "refused", isFailing(meta.VerificationError))
		if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "secret '"+ns+"/no-keys': no '*.pub' key with a cosign public key") {
			t.Errorf("message %q", msg)
		}
		if o.Status.Artifact != nil {
			t.Errorf("an unverified artifact was stored: %+v", o.Status.Artifact)
		}
	})
}

// A layer over the maximum artifact size is refused from the manifest's
// size, before it is downloaded, and the previous artifact stays.
func TestOversizedLayerKeepsThePreviousArtifact(t *testing.T) {
	ns := env.NewNamespace(t, "ocirepo")
	reg := ocitest.Start(t, ocitest.Options{})
	first := push(t, reg, "app", "latest", map[string]string{"a.yaml": "a: 1\n"})
	create(t, newOCIRepository(ns, "app", reg.URL("app")))
	key := client.ObjectKey{Namespace: ns, Name: "app"}
	waitFor(t, key, "Ready", isReadyAt("latest@"+first))

	big := make([]byte, testMaxArtifactSize+1)
	for i := range big {
		big[i] = byte(i * 7)
	}
	img, err := oci.Image(big, oci.ContentMediaType, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg.Push(t, "app", "latest", img)
	blobs := reg.Requests("GET", "blobs")
	reconcileNow(t, key)
	o := waitFor(t, key, "failing", isFailing(sourcev1.OCIPullFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "more than the maximum") {
		t.Errorf("message %q", msg)
	}
	if o.Status.Artifact == nil || o.Status.Artifact.Revision != "latest@"+first {
		t.Errorf("artifact %+v: want the previous one kept", o.Status.Artifact)
	}
	testenv.FetchArtifact(t, o.Status.Artifact)
	if got := reg.Requests("GET", "blobs") - blobs; got > 1 { // the config blob
		t.Errorf("%d blob downloads for an oversized layer", got)
	}
}

// A Kustomization applies what an OCIRepository stores, and a new push
// reaches the cluster; deleting the source removes its artifacts.
func TestKustomizationFromOCIRepository(t *testing.T) {
	ns := env.NewNamespace(t, "ocirepo")
	reg := ocitest.Start(t, ocitest.Options{})
	manifest := func(v string) map[string]string {
		return map[string]string{"deploy/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: " + ns + "\ndata:\n  version: \"" + v + "\"\n"}
	}
	push(t, reg, "fleet", "main", manifest("1"))
	create(t, newOCIRepository(ns, "fleet", reg.URL("fleet"), withRef(sourcev1.OCIRepositoryRef{Tag: "main"})))
	key := client.ObjectKey{Namespace: ns, Name: "fleet"}
	waitFor(t, key, "Ready", isReadyAt(""))

	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "apps"},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: time.Hour},
			Path:      "./deploy",
			Prune:     true,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: "fleet"},
		},
	}
	create(t, ks)
	version := func() string {
		cm := &corev1.ConfigMap{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "settings"}, cm); err != nil {
			return ""
		}
		return cm.Data["version"]
	}
	testenv.Eventually(t, "the ConfigMap at version 1", func() (bool, string) { return version() == "1", version() })

	moved := push(t, reg, "fleet", "main", manifest("2"))
	reconcileNow(t, key)
	waitFor(t, key, "Ready at the new digest", isReadyAt("main@"+moved))
	testenv.Eventually(t, "the ConfigMap at version 2", func() (bool, string) { return version() == "2", version() })

	o := &sourcev1.OCIRepository{}
	if err := env.Client.Get(context.Background(), key, o); err != nil {
		t.Fatal(err)
	}
	path := o.Status.Artifact.URL
	if err := env.Client.Delete(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the artifact removed with its OCIRepository", func() (bool, string) {
		resp, err := http.Get(path)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNotFound, resp.Status
	})
}

// keychain returns a keychain with user and password for host.
func keychain(t *testing.T, host, user, password string) *oci.Keychain {
	t.Helper()
	kc, err := oci.KeychainFromSecrets(dockerConfig("", "push", host, user, password))
	if err != nil {
		t.Fatal(err)
	}
	return kc
}
