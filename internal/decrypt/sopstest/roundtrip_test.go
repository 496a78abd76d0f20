// Tests of ferry's decryptor against files written by the SOPS library itself.
package sopstest_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/ferrycd/ferry/internal/decrypt"
	"github.com/ferrycd/ferry/internal/decrypt/sopstest"
)

const secretYAML = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: apps
type: Opaque
stringData:
  password: s3cr3t-plaintext
  port: "5432"
data:
  token: ` + "dG9rZW4tcGxhaW50ZXh0" + ` # token-plaintext
`

func keysFor(t *testing.T, entries map[string]string) *decrypt.Keys {
	t.Helper()
	data := map[string][]byte{}
	for k, v := range entries {
		data[k] = []byte(v)
	}
	k, err := decrypt.ParseKeys(data)
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	return k
}

func objectFrom(t *testing.T, doc []byte) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := obj.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestDecryptWholeSecret(t *testing.T) {
	ageKey, pgpKey := sopstest.NewAgeKey(t), sopstest.NewPGPKey(t)
	enc := sopstest.Encrypt(t, []byte(secretYAML), decrypt.YAML, sopstest.Options{
		Age: []sopstest.AgeKey{ageKey}, PGP: []sopstest.PGPKey{pgpKey}, EncryptedRegex: "^(data|stringData)$",
	})
	if bytes.Contains(enc, []byte("s3cr3t-plaintext")) {
		t.Fatal("fixture is not encrypted")
	}
	tests := map[string]map[string]string{
		"age": {"identity.agekey": "# comment\n" + ageKey.Identity + "\n"},
		"pgp": {"key.asc": pgpKey.Private},
	}
	for name, entries := range tests {
		t.Run(name, func(t *testing.T) {
			obj := objectFrom(t, enc)
			if !decrypt.IsEncrypted(obj) {
				t.Fatal("IsEncrypted = false")
			}
			if err := keysFor(t, entries).DecryptObject(obj); err != nil {
				t.Fatalf("DecryptObject: %v", err)
			}
			if _, ok := obj.Object["sops"]; ok {
				t.Error("sops metadata left in the object")
			}
			if got, _, _ := unstructured.NestedString(obj.Object, "stringData", "password"); got != "s3cr3t-plaintext" {
				t.Errorf("stringData.password = %q", got)
			}
			if got, _, _ := unstructured.NestedString(obj.Object, "stringData", "port"); got != "5432" {
				t.Errorf("stringData.port = %q", got)
			}
			if got, _, _ := unstructured.NestedString(obj.Object, "data", "token"); got != "dG9rZW4tcGxhaW50ZXh0" {
				t.Errorf("data.token = %q", got)
			}
			if obj.GetName() != "db" || obj.GetNamespace() != "apps" {
				t.Errorf("metadata changed: %s/%s", obj.GetNamespace(), obj.GetName())
			}
		})
	}
}

func TestDecryptFailuresNameNoSecret(t *testing.T) {
	right, wrong := sopstest.NewAgeKey(t), sopstest.NewAgeKey(t)
	enc := sopstest.Encrypt(t, []byte(secretYAML), decrypt.YAML, sopstest.Options{
		Age: []sopstest.AgeKey{right}, EncryptedRegex: "^(data|stringData)$",
	})
	tests := map[string]struct {
		keys    map[string]string
		doc     []byte
		mutate  func(*unstructured.Unstructured)
		wantErr string
	}{
		"wrong key": {keys: map[string]string{"k.agekey": wrong.Identity}, doc: enc,
			wantErr: "none of the 1 age and 0 PGP keys in the decryption Secret can decrypt the data key; the file is encrypted for age recipients " + right.Recipient},
		"no key": {keys: map[string]string{"other": "x"}, doc: enc, wantErr: "none of the 0 age and 0 PGP keys"},
		"value moved": {keys: map[string]string{"k.agekey": right.Identity}, doc: enc,
			mutate: func(o *unstructured.Unstructured) {
				sd := o.Object["stringData"].(map[string]any)
				sd["port"], sd["password"] = sd["password"], sd["port"]
			},
			wantErr: "value at stringData.password: authentication failed"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			obj := objectFrom(t, tt.doc)
			if tt.mutate != nil {
				tt.mutate(obj)
			}
			err := keysFor(t, tt.keys).DecryptObject(obj)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			for _, leak := range []string{"s3cr3t-plaintext", "ENC[", right.Identity, wrong.Identity, "AGE ENCRYPTED"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks %q: %v", leak, err)
				}
			}
		})
	}
}

func TestDecryptGeneratedEntries(t *testing.T) {
	k := sopstest.NewAgeKey(t)
	opts := sopstest.Options{Age: []sopstest.AgeKey{k}}
	tests := map[string]struct {
		key    string
		plain  string
		format decrypt.Format
		want   string
	}{
		"yaml file":   {key: "config.yaml", plain: "user: admin\npassword: hunter2\n", format: decrypt.YAML, want: "user: admin\npassword: hunter2\n"},
		"json file":   {key: "config.json", plain: `{"password": "hunter2"}`, format: decrypt.JSON, want: "{\n    \"password\": \"hunter2\"\n}\n"},
		"dotenv file": {key: "app.env", plain: "PASSWORD=hunter2\nMULTI=a\\nb\n", format: decrypt.Dotenv, want: "PASSWORD=hunter2\nMULTI=a\\nb\n"},
		"binary file": {key: "id_rsa", plain: "-----BEGIN KEY-----\nhunter2\n", format: decrypt.Binary, want: "-----BEGIN KEY-----\nhunter2\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			enc := sopstest.Encrypt(t, []byte(tt.plain), tt.format, opts)
			obj := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "gen"},
				"data": map[string]any{tt.key: base64.StdEncoding.EncodeToString(enc), "plain": base64.StdEncoding.EncodeToString([]byte("x"))},
			}}
			if !decrypt.IsEncrypted(obj) {
				t.Fatal("IsEncrypted = false")
			}
			if err := keysFor(t, map[string]string{"a.agekey": k.Identity}).DecryptObject(obj); err != nil {
				t.Fatalf("DecryptObject: %v", err)
			}
			got, _, _ := unstructured.NestedString(obj.Object, "data", tt.key)
			b, _ := base64.StdEncoding.DecodeString(got)
			if string(b) != tt.want {
				t.Errorf("data[%s] = %q, want %q", tt.key, b, tt.want)
			}
			if p, _, _ := unstructured.NestedString(obj.Object, "data", "plain"); p != "eA==" {
				t.Errorf("plain entry changed: %q", p)
			}
		})
	}
}

// TestDecryptEnvsEntries covers a secretGenerator envs: source: kustomize
// turns the encrypted dotenv file into one entry per line, sops_* included.
func TestDecryptEnvsEntries(t *testing.T) {
	k := sopstest.NewAgeKey(t)
	enc := sopstest.Encrypt(t, []byte("USER=admin\nPASSWORD=hunter2\n"), decrypt.Dotenv, sopstest.Options{Age: []sopstest.AgeKey{k}})
	data := map[string]any{"OTHER": base64.StdEncoding.EncodeToString([]byte("kept"))}
	for _, line := range strings.Split(strings.TrimSpace(string(enc)), "\n") {
		key, value, _ := strings.Cut(line, "=")
		data[key] = base64.StdEncoding.EncodeToString([]byte(value))
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "env"}, "data": data,
	}}
	if !decrypt.IsEncrypted(obj) {
		t.Fatal("IsEncrypted = false")
	}
	if err := keysFor(t, map[string]string{"a.agekey": k.Identity}).DecryptObject(obj); err != nil {
		t.Fatalf("DecryptObject: %v", err)
	}
	got, _, _ := unstructured.NestedStringMap(obj.Object, "data")
	want := map[string]string{"USER": "admin", "PASSWORD": "hunter2", "OTHER": "kept"}
	if len(got) != len(want) {
		t.Errorf("data keys = %v", got)
	}
	for key, v := range want {
		if b, _ := base64.StdEncoding.DecodeString(got[key]); string(b) != v {
			t.Errorf("data[%s] = %q, want %q", key, b, v)
		}
	}
}

// TestDecryptFollowsEncryptionRules checks that a value SOPS left in clear
// by the file's rules is not decrypted even when it looks encrypted.
func TestDecryptFollowsEncryptionRules(t *testing.T) {
	k := sopstest.NewAgeKey(t)
	other := sopstest.Encrypt(t, []byte("v: x\n"), decrypt.YAML, sopstest.Options{Age: []sopstest.AgeKey{k}})
	var foreign string
	for _, line := range strings.Split(string(other), "\n") {
		if v, ok := strings.CutPrefix(line, "v: "); ok {
			foreign = v
		}
	}
	if !strings.HasPrefix(foreign, "ENC[") {
		t.Fatalf("no encrypted value in %s", other)
	}
	doc := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    copy: " + foreign + "\nstringData:\n  a: plain\n"
	enc := sopstest.Encrypt(t, []byte(doc), decrypt.YAML, sopstest.Options{Age: []sopstest.AgeKey{k}, EncryptedRegex: "^stringData$"})
	obj := objectFrom(t, enc)
	if err := keysFor(t, map[string]string{"a.agekey": k.Identity}).DecryptObject(obj); err != nil {
		t.Fatalf("DecryptObject: %v", err)
	}
	if got := obj.GetAnnotations()["copy"]; got != foreign {
		t.Errorf("annotation outside encrypted_regex changed to %q", got)
	}
	if got, _, _ := unstructured.NestedString(obj.Object, "stringData", "a"); got != "plain" {
		t.Errorf("stringData.a = %q", got)
	}
}
