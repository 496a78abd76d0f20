package decrypt_test

import (
	"strings"
	"testing"

	"filippo.io/age"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferrycd/ferry/internal/decrypt"
)

// The tests decrypting real SOPS files are in package sopstest, so that this
// package's test binary stays free of the SOPS library and its KMS SDKs
// (which makes fuzzing here fast).

func TestParseKeysErrorsNameEntryOnly(t *testing.T) {
	tests := map[string]map[string][]byte{
		"bad age": {"x.agekey": []byte("AGE-SECRET-KEY-1NOTAKEYATALLsecretish")},
		"bad pgp": {"x.asc": []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\nsecretish\n")},
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := decrypt.ParseKeys(data)
			if err == nil || !strings.Contains(err.Error(), `entry "x.`) || strings.Contains(err.Error(), "secretish") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	tests := map[string]struct {
		in   string
		want decrypt.Format
		ok   bool
	}{
		"yaml":   {"a: ENC[x]\nsops:\n  mac: ENC[AES256_GCM", decrypt.YAML, true},
		"json":   {`{"sops": {"mac": "ENC[AES`, decrypt.JSON, true},
		"dotenv": {"A=1\nsops_mac=ENC[AES", decrypt.Dotenv, true},
		"plain":  {"password: hunter2", decrypt.Binary, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := decrypt.DetectFormat([]byte(tt.in))
			if got != tt.want || ok != tt.ok {
				t.Errorf("DetectFormat = %v, %v", got, ok)
			}
		})
	}
}

// FuzzDecryptFile feeds arbitrary files to the SOPS parsers: they may fail,
// never panic.
func FuzzDecryptFile(f *testing.F) {
	const meta = "sops:\n  age:\n    - recipient: age1xyz\n      enc: |\n        -----BEGIN AGE ENCRYPTED FILE-----\n        YWdlLWVuY3J5cHRpb24ub3JnL3YxCg==\n        -----END AGE ENCRYPTED FILE-----\n  mac: ENC[AES256_GCM,data:AA==,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n  encrypted_regex: ^data$\n"
	f.Add([]byte("data:\n  a: ENC[AES256_GCM,data:AA==,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n"+meta), uint8(decrypt.YAML))
	f.Add([]byte(`{"data": "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]", "sops": {"mac": "ENC[x]", "age": [{"recipient": "r", "enc": "e"}], "key_groups": [{"pgp": [{"fp": "F", "enc": "e"}]}]}}`), uint8(decrypt.JSON))
	f.Add([]byte("A=ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\nsops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\nx\\n-----END AGE ENCRYPTED FILE-----\nsops_mac=ENC[x]\n"), uint8(decrypt.Dotenv))
	f.Add([]byte("sops_age__list_99999999__map_enc=x\nsops_a__map___list_0=y\nsops_mac=ENC[\n"), uint8(decrypt.Dotenv))
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	keys, err := decrypt.ParseKeys(map[string][]byte{"a.agekey": []byte(id.String())})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		fm := decrypt.Format(format % 5)
		_, _ = keys.DecryptFile(data, fm, fm)
	})
}

func TestIsEncryptedAndDisabled(t *testing.T) {
	secret := func(annotations map[string]any, extra map[string]any) *unstructured.Unstructured {
		o := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s", "annotations": annotations}}
		for k, v := range extra {
			o[k] = v
		}
		return &unstructured.Unstructured{Object: o}
	}
	tests := map[string]struct {
		obj                 *unstructured.Unstructured
		encrypted, disabled bool
	}{
		"plain":       {obj: secret(nil, map[string]any{"data": map[string]any{"a": "eA=="}})},
		"whole":       {obj: secret(nil, map[string]any{"sops": map[string]any{"mac": "x"}}), encrypted: true},
		"envs":        {obj: secret(nil, map[string]any{"data": map[string]any{"sops_mac": "eA=="}}), encrypted: true},
		"file entry":  {obj: secret(nil, map[string]any{"data": map[string]any{"f.yaml": "bWFjOiBFTkNbeA=="}}), encrypted: true},
		"opted out":   {obj: secret(map[string]any{decrypt.DisabledAnnotation: "Disabled"}, map[string]any{"sops": map[string]any{}}), encrypted: true, disabled: true},
		"a ConfigMap": {obj: &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "sops": map[string]any{}}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := decrypt.IsEncrypted(tt.obj); got != tt.encrypted {
				t.Errorf("IsEncrypted = %v", got)
			}
			if got := decrypt.Disabled(tt.obj); got != tt.disabled {
				t.Errorf("Disabled = %v", got)
			}
		})
	}
}
