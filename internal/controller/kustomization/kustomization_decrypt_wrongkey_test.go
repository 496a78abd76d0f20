package kustomization_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr/funcr"

	"github.com/ferrycd/ferry/internal/controller"

	"github.com/ferrycd/ferry/internal/decrypt/sopstest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDecryptWrongKey checks that a decryption Secret without the right key
// fails the build with a message naming the Secret, its file and the key it
// needs, applies nothing, and shows neither plaintext, ciphertext nor key in
// the status, the events or the reconciler's logs.
func TestDecryptWrongKey(t *testing.T) {
	right, wrong := sopstest.NewAgeKey(t), sopstest.NewAgeKey(t)
	f := newFixture(t, sopsFiles(t, right, nil))
	f.createKeys(map[string]string{"identity.agekey": wrong.Identity})

	// A reconciler of its own, to read its logs.
	var mu sync.Mutex
	var logs strings.Builder
	logger := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		logs.WriteString(prefix + " " + args + "\n")
	}, funcr.Options{Verbosity: 2})
	startReconcilerLogging(f, "decrypt-logs", logger, func(*controller.Options) {})
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
  labels:
    test.ferry.dev/reconciler: decrypt-logs
spec:
  interval: 1h
  retryInterval: 1s
  path: app
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app
` + decryptionSpec)

	ks := f.WaitFor("failed", testenv.KustomizationFailed("BuildFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	for _, want := range []string{"Secret/" + f.NS + "/db", "secret.enc.yaml", "decryption failed",
		"none of the 1 age and 0 PGP keys", right.Recipient} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	if f.Get("v1", "Secret", "db") != nil || f.Get("v1", "Secret", "generated") != nil {
		t.Error("a Secret was applied although it could not be decrypted")
	}
	f.assertNoLeak(right.Identity, wrong.Identity)

	mu.Lock()
	text := logs.String()
	mu.Unlock()
	if !strings.Contains(text, "none of the 1 age and 0 PGP keys") {
		t.Errorf("the reconciler's logs do not report the failure:\n%s", text)
	}
	for _, s := range []string{sopsPassword, sopsAPIKey, sopsEnvToken, "ENC[AES256_GCM", "AGE ENCRYPTED FILE", right.Identity, wrong.Identity} {
		if strings.Contains(text, s) {
			t.Errorf("the reconciler's logs show a secret (%.12s...)", s)
		}
	}
}
