package bucket_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
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
)

// etag is the ETag of an object put in one part: the MD5 of its content.
func etag(content string) string {
	sum := md5.Sum([]byte(content))
	return hex.EncodeToString(sum[:])
}

// downloads counts the object downloads of srv but the .sourceignore
// probe every reconcile makes.
func downloads(srv *s3test.Server) int { return srv.ObjectGets() - srv.KeyGets(".sourceignore") }

// The objects are listed, digested into Flux's revision and downloaded
// once; a reconcile that lists the same keys and ETags downloads nothing;
// a changed or deleted object is a new revision with the new content.
func TestPulledOnceAndAgainOnlyWhenChanged(t *testing.T) {
	ns := env.NewNamespace(t, "bucket")
	srv := s3test.Start(t, s3test.Options{})
	srv.MakeBucket(t, "fleet")
	cm, readme := "kind: ConfigMap\n", "hello\n"
	srv.Put(t, "fleet", map[string]string{"app/configmap.yaml": cm, "README.md": readme})

	create(t, newBucket(ns, "app", srv.Endpoint(), "fleet"))
	key := client.ObjectKey{Namespace: ns, Name: "app"}
	rev := revisionOf("README.md "+etag(readme), "app/configmap.yaml "+etag(cm))
	o := waitFor(t, key, "Ready at "+rev, isReadyAt(rev))
	if got := cond(o, meta.ReadyCondition).Message; got != "stored artifact: revision '"+rev+"'" {
		t.Errorf("Ready message %q", got)
	}
	if files := artifactFiles(t, o.Status.Artifact); len(files) != 2 || files["app/configmap.yaml"] != cm || files["README.md"] != readme {
		t.Errorf("artifact files %v", files)
	}
	if o.Status.URL != o.Status.Artifact.URL {
		t.Errorf("status.url %q, artifact URL %q", o.Status.URL, o.Status.Artifact.URL)
	}
	e := testenv.WaitForEvent(t, env.Client, ns, "app", corev1.EventTypeNormal, "NewArtifact")
	if e.Message != "stored artifact with 2 fetched files from 'fleet' bucket" {
		t.Errorf("NewArtifact event %q", e.Message)
	}

	before, requests := downloads(srv), srv.Requests()
	o = reconcileNow(t, key)
	if got := downloads(srv) - before; got != 0 {
		t.Errorf("%d objects downloaded for an unchanged bucket", got)
	}
	// The pooled client knows the bucket's region: the existence check,
	// the listing and the .sourceignore probe, no location lookup.
	if got := srv.Requests() - requests; got != 3 {
		t.Errorf("%d S3 requests for an unchanged bucket, want 3", got)
	}
	if !isReadyAt(rev)(o) {
		t.Errorf("not Ready at %s after an unchanged reconcile: %+v", rev, o.Status.Conditions)
	}

	changed := "kind: ConfigMap\ndata: {a: b}\n"
	srv.Put(t, "fleet", map[string]string{"app/configmap.yaml": changed})
	srv.Remove(t, "fleet", "README.md")
	reconcileNow(t, key)
	rev2 := revisionOf("app/configmap.yaml " + etag(changed))
	o = waitFor(t, key, "Ready at the new revision", isReadyAt(rev2))
	if files := artifactFiles(t, o.Status.Artifact); len(files) != 1 || files["app/configmap.yaml"] != changed {
		t.Errorf("artifact after the change: %v", files)
	}

	create(t, newBucket(ns, "missing", srv.Endpoint(), "nothing"))
	o = waitFor(t, client.ObjectKey{Namespace: ns, Name: "missing"}, "failing", isFailing(sourcev1.BucketOperationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "bucket 'nothing' not found") {
		t.Errorf("message %q", msg)
	}
}

// spec.prefix lists only the keys under it; the bucket's root
// .sourceignore, then spec.ignore, leave keys out of the index (so out of
// the revision, and never downloaded); a new spec.ignore rebuilds.
func TestPrefixAndIgnore(t *testing.T) {
	ns := env.NewNamespace(t, "bucket")
	srv := s3test.Start(t, s3test.Options{})
	srv.MakeBucket(t, "fleet")
	app, notes, other := "kind: ConfigMap\n", "skip me\n", "other: 1\n"
	srv.Put(t, "fleet", map[string]string{
		"deploy/app.yaml":   app,
		"deploy/notes.txt":  notes,
		"other/x.yaml":      other,
		".sourceignore":     "*.txt\n",
		"deploy/image.png":  "png",
		"deploy/sub/b.yaml": "b: 1\n",
	})

	create(t, newBucket(ns, "prefix", srv.Endpoint(), "fleet", func(o *sourcev1.Bucket) { o.Spec.Prefix = "deploy/" }))
	o := waitFor(t, client.ObjectKey{Namespace: ns, Name: "prefix"}, "Ready", isReadyAt(""))
	files := artifactFiles(t, o.Status.Artifact)
	want := map[string]string{"deploy/app.yaml": app, "deploy/image.png": "png", "deploy/sub/b.yaml": "b: 1\n"}
	if len(files) != len(want) {
		t.Errorf("files with prefix deploy/: %v, want %v", files, want)
	}
	for k, v := range want {
		if files[k] != v {
			t.Errorf("file %s: %q, want %q", k, files[k], v)
		}
	}
	if rev := revisionOf("deploy/app.yaml "+etag(app), "deploy/image.png "+etag("png"), "deploy/sub/b.yaml "+etag("b: 1\n")); o.Status.Artifact.Revision != rev {
		t.Errorf("revision %s, want %s (the ignored keys are not in the index)", o.Status.Artifact.Revision, rev)
	}
	if srv.KeyGets("deploy/notes.txt") != 0 {
		t.Error("an ignored object was downloaded")
	}

	ignore := "other/\n!deploy/notes.txt\n"
	create(t, newBucket(ns, "ignore", srv.Endpoint(), "fleet", func(o *sourcev1.Bucket) { o.Spec.Ignore = &ignore }))
	key := client.ObjectKey{Namespace: ns, Name: "ignore"}
	o = waitFor(t, key, "Ready", isReadyAt(""))
	files = artifactFiles(t, o.Status.Artifact)
	if len(files) != 4 || files["deploy/notes.txt"] != notes || files["other/x.yaml"] != "" || files[".sourceignore"] != "" {
		t.Errorf("files with spec.ignore: %v: want deploy/ with notes.txt re-included, no other/, no .sourceignore", files)
	}
	if o.Status.ObservedIgnore == nil || *o.Status.ObservedIgnore != ignore {
		t.Errorf("observedIgnore %v", o.Status.ObservedIgnore)
	}

	if err := env.Client.Get(context.Background(), key, o); err != nil {
		t.Fatal(err)
	}
	narrower := "other/\ndeploy/sub/\n*.png\n"
	o.Spec.Ignore = &narrower
	if err := env.Client.Update(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	o = waitFor(t, key, "Ready with the new ignore", func(o *sourcev1.Bucket) bool {
		return isReadyAt("")(o) && o.Status.ObservedIgnore != nil && *o.Status.ObservedIgnore == narrower
	})
	if files := artifactFiles(t, o.Status.Artifact); len(files) != 1 || files["deploy/app.yaml"] != app {
		t.Errorf("files after the ignore change: %v", files)
	}
}

// Credentials come from spec.secretRef's accesskey and secretkey; a
// refusal says what to do and never quotes the secret key.
func TestAuthentication(t *testing.T) {
	ns := env.NewNamespace(t, "bucket")
	srv := s3test.Start(t, s3test.Options{AccessKey: accessKey, SecretKey: secretKey})
	srv.MakeBucket(t, "private")
	srv.Put(t, "private", map[string]string{"a.yaml": "a: 1\n"})

	create(t, newBucket(ns, "anonymous", srv.Endpoint(), "private"))
	o := waitFor(t, client.ObjectKey{Namespace: ns, Name: "anonymous"}, "failing", isFailing(meta.AuthenticationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "set spec.secretRef to a Secret with 'accesskey' and 'secretkey'") {
		t.Errorf("message %q: want the hint", msg)
	}

	create(t, newBucket(ns, "no-secret", srv.Endpoint(), "private", withSecret("absent")))
	o = waitFor(t, client.ObjectKey{Namespace: ns, Name: "no-secret"}, "failing", isFailing(meta.AuthenticationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "failed to get secret '"+ns+"/absent'") {
		t.Errorf("message %q", msg)
	}

	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "incomplete"},
		Data: map[string][]byte{"accesskey": []byte(accessKey), "secret": []byte(secretKey)}})
	create(t, newBucket(ns, "incomplete", srv.Endpoint(), "private", withSecret("incomplete")))
	o = waitFor(t, client.ObjectKey{Namespace: ns, Name: "incomplete"}, "failing", isFailing(meta.AuthenticationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "missing 'secretkey'") {
		t.Errorf("message %q: want the missing key named", msg)
	}
	testenv.AssertNoSecret(t, env.Client, o, secretKey)

	create(t, credentials(ns, "wrong", accessKey, "not-"+secretKey))
	create(t, newBucket(ns, "wrong", srv.Endpoint(), "private", withSecret("wrong")))
	o = waitFor(t, client.ObjectKey{Namespace: ns, Name: "wrong"}, "failing", isFailing(meta.AuthenticationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "SignatureDoesNotMatch") || !strings.Contains(msg, "rejected the credentials of secret 'wrong'") {
		t.Errorf("message %q", msg)
	}
	testenv.AssertNoSecret(t, env.Client, o, secretKey)

	create(t, credentials(ns, "creds", accessKey, secretKey))
	create(t, newBucket(ns, "right", srv.Endpoint(), "private", withSecret("creds")))
	o = waitFor(t, client.ObjectKey{Namespace: ns, Name: "right"}, "Ready", isReadyAt(revisionOf("a.yaml "+etag("a: 1\n"))))
	if files := artifactFiles(t, o.Status.Artifact); files["a.yaml"] != "a: 1\n" {
		t.Errorf("files %v", files)
	}
}

// An HTTPS endpoint is trusted through spec.certSecretRef's ca.crt; plain
// HTTP needs spec.insecure.
func TestTLSAndInsecure(t *testing.T) {
	ns := env.NewNamespace(t, "bucket")
	tlsSrv := s3test.Start(t, s3test.Options{TLS: true})
	tlsSrv.MakeBucket(t, "fleet")
	tlsSrv.Put(t, "fleet", map[string]string{"a.yaml": "a: 1\n"})
	secure := func(o *sourcev1.Bucket) { o.Spec.Insecure = false }

	create(t, newBucket(ns, "untrusted", tlsSrv.Endpoint(), "fleet", secure))
	o := waitFor(t, client.ObjectKey{Namespace: ns, Name: "untrusted"}, "failing", isFailing(sourcev1.BucketOperationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "certificate") {
		t.Errorf("message %q: want the certificate error", msg)
	}

	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ca"}, Data: map[string][]byte{"ca.crt": tlsSrv.CA()}})
	create(t, newBucket(ns, "trusted", tlsSrv.Endpoint(), "fleet", secure, func(o *sourcev1.Bucket) {
		o.Spec.CertSecretRef = &meta.LocalObjectReference{Name: "ca"}
	}))
	waitFor(t, client.ObjectKey{Namespace: ns, Name: "trusted"}, "Ready", isReadyAt(revisionOf("a.yaml "+etag("a: 1\n"))))

	// A plain-HTTP answer is the server's, which may change: retried,
	// not stalled.
	plain := s3test.Start(t, s3test.Options{})
	plain.MakeBucket(t, "fleet")
	create(t, newBucket(ns, "plain", plain.Endpoint(), "fleet", secure))
	key := client.ObjectKey{Namespace: ns, Name: "plain"}
	o = waitFor(t, key, "failing", isFailing(sourcev1.BucketOperationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "answered an HTTPS request in plain HTTP") || !strings.Contains(msg, "set spec.insecure: true") {
		t.Errorf("message %q", msg)
	}
	if isStalled(o) {
		t.Errorf("a plain-HTTP answer stalled the Bucket: %+v", cond(o, meta.StalledCondition))
	}

	create(t, newBucket(ns, "http-url", "http://"+plain.Endpoint(), "fleet", secure))
	o = waitFor(t, client.ObjectKey{Namespace: ns, Name: "http-url"}, "Stalled", isStalled)
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "needs spec.insecure: true") {
		t.Errorf("message %q", msg)
	}
}

// The cloud providers and STS are refused before any request, with a
// message saying to use the generic provider.
func TestRefusedSpecs(t *testing.T) {
	ns := env.NewNamespace(t, "bucket")
	srv := s3test.Start(t, s3test.Options{})
	srv.MakeBucket(t, "fleet")
	before := srv.Requests()
	cases := []struct {
		name, reason, message string
		mutate                func(*sourcev1.Bucket)
	}{
		{"aws", "UnsupportedProvider", "provider 'aws' is not supported by ferry yet: use provider 'generic'",
			func(o *sourcev1.Bucket) { o.Spec.Provider = sourcev1.BucketProviderAmazon }},
		{"gcp", "UnsupportedProvider", "provider 'gcp' is not supported by ferry yet: use provider 'generic'",
			func(o *sourcev1.Bucket) { o.Spec.Provider = sourcev1.BucketProviderGoogle }},
		{"azure", "UnsupportedProvider", "provider 'azure' is not supported by ferry yet: use provider 'generic'",
			func(o *sourcev1.Bucket) { o.Spec.Provider = sourcev1.BucketProviderAzure }},
		{"sts", "UnsupportedProvider", "spec.sts (provider 'ldap') is not supported by ferry yet: remove spec.sts and use provider 'generic'",
			func(o *sourcev1.Bucket) {
				o.Spec.STS = &sourcev1.BucketSTSSpec{Provider: sourcev1.BucketSTSProviderLDAP, Endpoint: "https://sts.example.test"}
			}},
		{"endpoint-path", meta.URLInvalidReason, "set the bucket in spec.bucketName",
			func(o *sourcev1.Bucket) { o.Spec.Endpoint = "https://" + o.Spec.Endpoint + "/fleet" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			create(t, newBucket(ns, c.name, srv.Endpoint(), "fleet", c.mutate))
			key := client.ObjectKey{Namespace: ns, Name: c.name}
			waitFor(t, key, "Stalled", isStalled)
			o := waitFor(t, key, "failing", isFailing(c.reason))
			if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, c.message) {
				t.Errorf("message %q: want %q", msg, c.message)
			}
			if o.Status.Artifact != nil {
				t.Errorf("an artifact was stored: %+v", o.Status.Artifact)
			}
		})
	}
	if got := srv.Requests() - before; got != 0 {
		t.Errorf("%d requests for refused specs", got)
	}
}

// Keys that would be written outside the artifact, or elsewhere than they
// name, are refused by name before anything is downloaded; the previous
// artifact stays served and nothing is written.
func TestUnsafeKeysRefused(t *testing.T) {
	ns := env.NewNamespace(t, "bucket")
	srv := s3test.Start(t, s3test.Options{})
	srv.MakeBucket(t, "fleet")
	srv.Put(t, "fleet", map[string]string{"a.yaml": "a: 1\n"})
	create(t, newBucket(ns, "app", srv.Endpoint(), "fleet"))
	key := client.ObjectKey{Namespace: ns, Name: "app"}
	first := revisionOf("a.yaml " + etag("a: 1\n"))
	waitFor(t, key, "Ready", isReadyAt(first))

	marker := "ferry-bucket-traversal-" + ns
	srv.Put(t, "fleet", map[string]string{
		"../" + marker + ".yaml":       "evil",
		"a/../../" + marker + "-b":     "evil",
		"/tmp/" + marker + "-abs":      "evil",
		`dir\` + marker + "-backslash": "evil",
	})
	before := downloads(srv)
	reconcileNow(t, key)
	o := waitFor(t, key, "failing", isFailing(meta.InvalidPathReason))
	msg := cond(o, meta.ReadyCondition).Message
	for _, k := range []string{"'../" + marker + ".yaml' (it climbs out", "'a/../../" + marker + "-b' (it climbs out", "'/tmp/" + marker + "-abs' (it is absolute)"} {
		if !strings.Contains(msg, k) {
			t.Errorf("message %q does not name %s", msg, k)
		}
	}
	if !strings.Contains(msg, "…") {
		t.Errorf("message %q: want the fourth refused key elided", msg)
	}
	if o.Status.Artifact == nil || o.Status.Artifact.Revision != first {
		t.Errorf("artifact %+v: want the previous one kept", o.Status.Artifact)
	}
	testenv.FetchArtifact(t, o.Status.Artifact)
	if got := downloads(srv) - before; got != 0 {
		t.Errorf("%d objects downloaded from a bucket with refused keys", got)
	}
	for _, p := range []string{filepath.Join(os.TempDir(), marker+".yaml"), filepath.Join(os.TempDir(), marker+"-b"), "/tmp/" + marker + "-abs"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}

	// Leaving them out with spec.ignore makes the bucket usable again.
	if err := env.Client.Get(context.Background(), key, o); err != nil {
		t.Fatal(err)
	}
	ignore := "*" + marker + "*\n"
	o.Spec.Ignore = &ignore
	if err := env.Client.Update(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	waitFor(t, key, "Ready with the keys ignored", isReadyAt(first))
}

// Objects totalling more than the maximum artifact size are refused from
// the listed sizes, before any download, and the previous artifact stays.
func TestOversizedKeepsThePreviousArtifact(t *testing.T) {
	ns := env.NewNamespace(t, "bucket")
	srv := s3test.Start(t, s3test.Options{})
	srv.MakeBucket(t, "fleet")
	srv.Put(t, "fleet", map[string]string{"a.yaml": "a: 1\n"})
	create(t, newBucket(ns, "app", srv.Endpoint(), "fleet"))
	key := client.ObjectKey{Namespace: ns, Name: "app"}
	first := revisionOf("a.yaml " + etag("a: 1\n"))
	waitFor(t, key, "Ready", isReadyAt(first))

	half := strings.Repeat("x", int(testMaxArtifactSize/2)+1)
	srv.Put(t, "fleet", map[string]string{"big/1.bin": half, "big/2.bin": half})
	before := downloads(srv)
	reconcileNow(t, key)
	o := waitFor(t, key, "failing", isFailing(sourcev1.BucketOperationFailedReason))
	if msg := cond(o, meta.ReadyCondition).Message; !strings.Contains(msg, "more than the maximum artifact size of 1048576 bytes") {
		t.Errorf("message %q", msg)
	}
	if o.Status.Artifact == nil || o.Status.Artifact.Revision != first {
		t.Errorf("artifact %+v: want the previous one kept", o.Status.Artifact)
	}
	testenv.FetchArtifact(t, o.Status.Artifact)
	if got := downloads(srv) - before; got != 0 {
		t.Errorf("%d downloads for an oversized bucket", got)
	}
}

// A Kustomization applies what a Bucket stores, and a changed object
// reaches the cluster; deleting the Bucket removes its artifacts.
func TestKustomizationFromBucket(t *testing.T) {
	ns := env.NewNamespace(t, "bucket")
	srv := s3test.Start(t, s3test.Options{AccessKey: accessKey, SecretKey: secretKey})
	srv.MakeBucket(t, "fleet")
	manifest := func(v string) map[string]string {
		return map[string]string{"deploy/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: " + ns + "\ndata:\n  version: \"" + v + "\"\n"}
	}
	srv.Put(t, "fleet", manifest("1"))
	create(t, credentials(ns, "creds", accessKey, secretKey))
	create(t, newBucket(ns, "fleet", srv.Endpoint(), "fleet", withSecret("creds")))
	key := client.ObjectKey{Namespace: ns, Name: "fleet"}
	waitFor(t, key, "Ready", isReadyAt(""))

	create(t, &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "apps"},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: time.Hour},
			Path:      "./deploy",
			Prune:     true,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.BucketKind, Name: "fleet"},
		},
	})
	version := func() string {
		cm := &corev1.ConfigMap{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "settings"}, cm); err != nil {
			return ""
		}
		return cm.Data["version"]
	}
	testenv.Eventually(t, "the ConfigMap at version 1", func() (bool, string) { return version() == "1", version() })

	srv.Put(t, "fleet", manifest("2"))
	reconcileNow(t, key)
	waitFor(t, key, "Ready at the new revision", isReadyAt(revisionOf("deploy/settings.yaml "+etag(manifest("2")["deploy/settings.yaml"]))))
	testenv.Eventually(t, "the ConfigMap at version 2", func() (bool, string) { return version() == "2", version() })

	o := &sourcev1.Bucket{}
	if err := env.Client.Get(context.Background(), key, o); err != nil {
		t.Fatal(err)
	}
	url := o.Status.Artifact.URL
	if err := env.Client.Delete(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the artifact removed with its Bucket", func() (bool, string) {
		resp, err := http.Get(url)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNotFound, resp.Status
	})
}
