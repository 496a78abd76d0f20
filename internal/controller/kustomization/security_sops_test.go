package kustomization_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/decrypt"
	"github.com/ferrycd/ferry/internal/decrypt/sopstest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestSOPSPlaintextStaysInMemory syncs SOPS-encrypted Secrets (a whole
// Secret, a secretGenerator's YAML file and dotenv file), then changes the
// applied Secret in the cluster so that ferry corrects the drift. The
// Secrets are applied decrypted, and their plaintext is nowhere else: not
// in a file under the controllers' directories or the temporary directory
// (artifacts, unpacked sources, checkouts), not in the logs, not in an
// annotation or the status of the Kustomization, not in an annotation of
// the applied Secrets, not in an event.
func TestSOPSPlaintextStaysInMemory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the controllers' temporary files go meanwhile
	password, apiKey, token := randomValue(t, "sops-pw-"), randomValue(t, "sops-key-"), randomValue(t, "sops-tok-")
	age := sopstest.NewAgeKey(t)
	opts := sopstest.Options{Age: []sopstest.AgeKey{age}}
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: " + password + "\n"
	f := newFixture(t, map[string]string{
		"app/kustomization.yaml": "resources: [secret.enc.yaml]\nsecretGenerator:\n  - name: generated\n    files: [config.yaml=config.enc.yaml]\n" +
			"    envs: [app.enc.env]\ngeneratorOptions:\n  disableNameSuffixHash: true\n",
		"app/secret.enc.yaml": string(sopstest.Encrypt(t, []byte(secret), decrypt.YAML,
			sopstest.Options{Age: []sopstest.AgeKey{age}, EncryptedRegex: "^(data|stringData)$"})),
		"app/config.enc.yaml": string(sopstest.Encrypt(t, []byte("apiKey: "+apiKey+"\n"), decrypt.YAML, opts)),
		"app/app.enc.env":     string(sopstest.Encrypt(t, []byte("TOKEN="+token+"\n"), decrypt.Dotenv, opts)),
	})
	f.createKeys(map[string]string{"identity.agekey": age.Identity + "\n"})
	f.syncSpec("app", decryptionSpec)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if got := secretValue(t, testenv.Nested(f.Get("v1", "Secret", "db"), "data", "password")); got != password {
		t.Fatalf("Secret db holds %q, want the plaintext", got)
	}

	// Drift: the value is changed in the cluster; a reconcile reverts it.
	ctx := context.Background()
	db := &corev1.Secret{}
	if err := env.Client.Get(ctx, testenv.Key(f.NS, "db"), db); err != nil {
		t.Fatal(err)
	}
	db.Data["password"] = []byte("changed-by-hand")
	if err := env.Client.Update(ctx, db); err != nil {
		t.Fatal(err)
	}
	f.RequestReconcile(f.kustomization(), "app")
	f.Eventually("the drift reverted", func() string {
		if got := secretValue(t, testenv.Nested(f.Get("v1", "Secret", "db"), "data", "password")); got != password {
			return "password is " + got
		}
		return ""
	})

	plaintexts := []string{password, apiKey, token}
	var forms []string
	for _, p := range plaintexts {
		forms = append(forms, p, base64.StdEncoding.EncodeToString([]byte(p)))
	}
	leaks := func(what string, b []byte) {
		t.Helper()
		for _, s := range forms {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds a SOPS plaintext (%.12s...)", what, s)
			}
		}
	}

	// Disk: the environment's directory (artifact storage, unpacked
	// artifacts, the controllers' temporary files) and the temporary one.
	scanned := 0
	for _, dir := range []string{filepath.Dir(env.Storage.Root()), tmp} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			scanned++
			leaks("file "+p, b)
			return nil
		})
	}
	t.Logf("scanned %d files", scanned)
	if scanned == 0 {
		t.Error("no file scanned: the artifact storage is not where the test looks")
	}

	// The logs, the Kustomization, the applied Secrets' metadata, the events.
	leaks("the controllers' logs", []byte(env.Logs.String()))
	ks, _ := json.Marshal(f.kustomization())
	leaks("the Kustomization", ks)
	for _, name := range []string{"db", "generated"} {
		s := f.Get("v1", "Secret", name)
		if s == nil {
			t.Fatalf("Secret %s was not applied", name)
		}
		meta, _ := json.Marshal(map[string]any{"annotations": s.GetAnnotations(), "labels": s.GetLabels(), "managedFields": s.GetManagedFields()})
		leaks("the metadata of Secret "+name, meta)
	}
	events := &corev1.EventList{}
	if err := env.Client.List(ctx, events, client.InNamespace(f.NS)); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		leaks("event "+e.Reason+" of "+e.InvolvedObject.Kind, []byte(e.Message+" "+e.Action))
	}
	f.assertNoLeak(append(forms, age.Identity)...)
}
