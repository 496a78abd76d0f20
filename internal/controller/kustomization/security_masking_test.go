package kustomization_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/decrypt"
	"github.com/ferrycd/ferry/internal/decrypt/sopstest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// quotingPolicy makes the API server refuse the Secrets of namespace ns
// labelled quote-me with a message that quotes their password (as the
// object holds it, base64-encoded), as an admission policy or webhook may,
// and waits until the policy is in force.
func quotingPolicy(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	fail := admissionv1.Fail
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "quote-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
					Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"secrets"}},
				},
			}}},
			Validations: []admissionv1.Validation{{
				Expression:        "!has(object.metadata.labels) || !('quote-me' in object.metadata.labels)",
				Message:           "refused",
				MessageExpression: "'refusing ' + object.metadata.name + ' with password ' + string(object.data.password)",
			}},
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "quote-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy.Name,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns},
			}},
		},
	}
	for _, obj := range []client.Object{policy, binding} {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.Client.Delete(context.Background(), obj) })
	}
	probe := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: ns, Labels: map[string]string{"quote-me": "true"}},
		StringData: map[string]string{"password": "probe-value"},
	}
	testenv.Eventually(t, "the quoting policy in force", func() (bool, string) {
		err := env.Client.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		if err != nil && strings.Contains(err.Error(), "with password "+base64.StdEncoding.EncodeToString([]byte("probe-value"))) {
			return true, ""
		}
		return false, "dry-run create: " + errString(err)
	})
}

func errString(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

func randomValue(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// TestRejectedSecretValueMasked applies Secrets that the API server
// refuses with a message quoting their password: one written in Git, one
// SOPS-encrypted and decrypted by ferry, one a secretGenerator's. The
// refusal is reported, naming the object and quoting the policy, with the
// value masked (plain and base64) in the Ready condition, the events and
// the controllers' logs. (Values substituted from a Secret are masked by
// TestSubstituteFrom.)
func TestRejectedSecretValueMasked(t *testing.T) {
	plain, sops, generated := randomValue(t, "plain-"), randomValue(t, "sops-"), randomValue(t, "gen-")
	age := sopstest.NewAgeKey(t)
	secret := func(name, value string) string {
		return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  labels:\n    quote-me: \"true\"\ntype: Opaque\nstringData:\n  password: " + value + "\n"
	}
	f := newFixture(t, map[string]string{
		"plain/secret.yaml": secret("plain", plain),
		"sops/secret.yaml": string(sopstest.Encrypt(t, []byte(secret("sops", sops)), decrypt.YAML,
			sopstest.Options{Age: []sopstest.AgeKey{age}, EncryptedRegex: "^(data|stringData)$"})),
		"generated/kustomization.yaml": "secretGenerator:\n  - name: generated\n    literals:\n      - password=" + generated +
			"\n    options:\n      labels:\n        quote-me: \"true\"\n      disableNameSuffixHash: true\n",
	})
	quotingPolicy(t, f.NS)
	f.createKeys(map[string]string{"identity.agekey": age.Identity + "\n"})
	f.ApplyYAML(sourceYAML + `
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: plain
  namespace: {{ns}}
spec: {interval: 1h, retryInterval: 1h, path: ./plain, prune: true, targetNamespace: {{ns}}, sourceRef: {kind: GitRepository, name: app}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: sops
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 1h
  path: ./sops
  prune: true
  targetNamespace: {{ns}}
  sourceRef: {kind: GitRepository, name: app}
  decryption: {provider: sops, secretRef: {name: sops-keys}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: generated
  namespace: {{ns}}
spec: {interval: 1h, retryInterval: 1h, path: ./generated, prune: true, targetNamespace: {{ns}}, sourceRef: {kind: GitRepository, name: app}}`)

	values := map[string]string{"plain": plain, "sops": sops, "generated": generated}
	for name, value := range values {
		ks := f.WaitForKS(f.NS, name, "ReconciliationFailed", testenv.KustomizationFailed("ReconciliationFailed", f.Head()))
		msg := testenv.ReadyCondition(ks).Message
		t.Logf("%s: %s", name, msg)
		for _, want := range []string{"Secret/" + f.NS + "/" + name, "refusing " + name + " with password"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: Ready message %q does not contain %q", name, msg, want)
			}
		}
		testenv.WaitForEvent(t, env.Client, f.NS, name, corev1.EventTypeWarning, "ReconciliationFailed")
		for _, v := range []string{value, base64.StdEncoding.EncodeToString([]byte(value))} {
			testenv.AssertNoSecret(t, env.Client, ks, v)
		}
		if f.Get("v1", "Secret", name) != nil {
			t.Errorf("%s: the refused Secret exists", name)
		}
	}
	logs := env.Logs.String()
	for name, value := range values {
		if strings.Contains(logs, value) || strings.Contains(logs, base64.StdEncoding.EncodeToString([]byte(value))) {
			t.Errorf("the controllers logged the value of Secret %s quoted by the API server", name)
		}
	}
}
