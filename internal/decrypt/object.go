package decrypt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// DisabledAnnotation set to "disabled" on an object leaves it encrypted, as
// in kustomize-controller.
const DisabledAnnotation = "kustomize.toolkit.fluxcd.io/decrypt"

// dotenvMAC is the data key a secretGenerator produces from a SOPS-encrypted
// dotenv file listed under envs: (the file's sops_mac line).
const dotenvMAC = "sops_mac"

// IsEncrypted reports whether obj is a v1 Secret holding SOPS ciphertext:
// a top-level "sops" field, a data entry that is a SOPS-encrypted file, or
// the entries generated from an encrypted dotenv file.
func IsEncrypted(obj *unstructured.Unstructured) bool {
	if !isSecret(obj) {
		return false
	}
	if _, ok := obj.Object["sops"]; ok {
		return true
	}
	data, _, _ := unstructured.NestedStringMap(obj.Object, "data")
	if _, ok := data[dotenvMAC]; ok {
		return true
	}
	for _, v := range data {
		if b, err := base64.StdEncoding.DecodeString(v); err == nil {
			if _, ok := DetectFormat(b); ok {
				return true
			}
		}
	}
	return false
}

func isSecret(obj *unstructured.Unstructured) bool {
	return obj.GetKind() == "Secret" && obj.GetAPIVersion() == "v1"
}

// Disabled reports whether obj opts out of decryption with the annotation
// kustomize.toolkit.fluxcd.io/decrypt: disabled.
func Disabled(obj *unstructured.Unstructured) bool {
	return strings.EqualFold(obj.GetAnnotations()[DisabledAnnotation], "disabled")
}

// DecryptObject decrypts a Secret in place: the whole object when it has a
// top-level "sops" field, else each data entry that is a SOPS-encrypted
// file (decrypted into the format of the entry's name, as SOPS infers it),
// and the entries generated from an encrypted dotenv file. Objects that are
// not encrypted Secrets are left unchanged. Errors name the data entry and
// the path of the value, never a value.
func (k *Keys) DecryptObject(obj *unstructured.Unstructured) (err error) {
	defer func() {
		// A parser panic on hostile input fails this object, not the controller;
		// the panic value is left out, as it could quote the input.
		if r := recover(); r != nil {
			err = errors.New("the SOPS document could not be read")
		}
	}()
	if !IsEncrypted(obj) {
		return nil
	}
	if _, ok := obj.Object["sops"]; ok {
		return k.decryptWhole(obj)
	}
	data, _, err := unstructured.NestedStringMap(obj.Object, "data")
	if err != nil {
		return fmt.Errorf("reading data: %w", err)
	}
	if _, ok := data[dotenvMAC]; ok {
		if err := k.decryptEnvEntries(data); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(data))
	for key := range data {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		raw, err := base64.StdEncoding.DecodeString(data[key])
		if err != nil {
			continue // not ours to report: the apply rejects it
		}
		in, ok := DetectFormat(raw)
		if !ok {
			continue
		}
		out := FormatForPath(key)
		if in == Dotenv && out == Binary {
			out = Dotenv
		}
		plain, err := k.DecryptFile(raw, in, out)
		if err != nil {
			return fmt.Errorf("data entry %q (SOPS %s file): %w", key, in, err)
		}
		data[key] = base64.StdEncoding.EncodeToString(plain)
	}
	return unstructured.SetNestedStringMap(obj.Object, data, "data")
}

// decryptWhole decrypts a Secret encrypted as a whole YAML or JSON document.
func (k *Keys) decryptWhole(obj *unstructured.Unstructured) error {
	raw, err := json.Marshal(obj.Object)
	if err != nil {
		return fmt.Errorf("encoding the object: %w", err)
	}
	root, md, err := load(raw, JSON)
	if err != nil {
		return err
	}
	if err := k.decryptTree(root, md); err != nil {
		return err
	}
	var v any
	if err := root.Decode(&v); err != nil {
		return errors.New("decoding the decrypted object failed")
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return errors.New("encoding the decrypted object failed")
	}
	var out unstructured.Unstructured
	if err := out.UnmarshalJSON(plain); err != nil {
		return errors.New("decoding the decrypted object failed")
	}
	obj.Object = out.Object
	return nil
}

// decryptEnvEntries decrypts, in data (base64 values), the entries a
// secretGenerator made from an encrypted dotenv file: the sops_* entries
// are the file's metadata and are removed, the others are decrypted.
func (k *Keys) decryptEnvEntries(data map[string]string) error {
	var file strings.Builder
	for key, v := range data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			continue
		}
		if !strings.HasPrefix(key, "sops_") && !encRe.Match(b) {
			continue // a plain entry from another source
		}
		file.WriteString(key + "=" + strings.ReplaceAll(string(b), "\n", `\n`) + "\n")
	}
	root, md, err := loadDotenv([]byte(file.String()))
	if err != nil {
		return fmt.Errorf("entries generated from a SOPS dotenv file: %w", err)
	}
	if err := k.decryptTree(root, md); err != nil {
		return fmt.Errorf("entries generated from a SOPS dotenv file: %w", err)
	}
	for key := range data {
		if strings.HasPrefix(key, "sops_") {
			delete(data, key)
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		kn, vn := root.Content[i], root.Content[i+1]
		if vn.Kind == yaml.ScalarNode {
			data[kn.Value] = base64.StdEncoding.EncodeToString([]byte(vn.Value))
		}
	}
	return nil
}
