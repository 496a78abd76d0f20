package decrypt_test

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"filippo.io/age"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferrycd/ferry/internal/decrypt"
)

// canary marks the values of the seed documents: a refusal may name data
// entries and the keys on the path to a value, never a value.
const canary = "S3CR"

// FuzzDecryptObject puts an arbitrary file into a Secret, as a data entry
// or (whole) as the Secret itself, and decrypts it as the build does:
// DecryptObject never panics (its recover would hide a parser panic as
// "could not be read"), leaves a Secret that IsEncrypted rejects
// unchanged, and never quotes a value in its error.
func FuzzDecryptObject(f *testing.F) {
	const enc = "ENC[AES256_GCM,data:AA==,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]"
	const meta = "sops:\n  age:\n    - recipient: age1xyz\n      enc: |\n        -----BEGIN AGE ENCRYPTED FILE-----\n        YWdlLWVuY3J5cHRpb24ub3JnL3YxCg==\n        -----END AGE ENCRYPTED FILE-----\n  mac: " + enc + "\n"
	seeds := []struct {
		data  string
		entry string
		whole bool
	}{
		{"password: " + enc + "\nplain: " + canary + "ET-hunter2\n" + meta, "secret.yaml", false},
		{"password: " + canary + "ET-hunter2\n" + meta, "secret.yaml", true},
		{`{"data": "` + enc + `", "note": "` + canary + `ET", "sops": {"mac": "` + enc + `", "age": [{"recipient": "r", "enc": "e"}]}}`, "s.json", false},
		{"A=" + enc + "\nB=" + canary + "ET\nsops_mac=" + enc + "\nsops_age__list_0__map_enc=x\n", "app.env", false},
		{"A=" + canary + "ET\nsops_mac=ENC[\n", "sops_mac", false},
		{"data:\n  a: [" + canary + "ET, " + enc + "]\n" + meta, "x", true},
		{"mac: ENC[" + canary + "ET\n", "x", false},
		{"[sops]\nmac=" + canary + "\n", "a.ini", false},
		{"k: !!binary " + canary + "ET\nmac: ENC[x]\n", "k.yaml", false},
	}
	for _, s := range seeds {
		f.Add([]byte(s.data), s.entry, s.whole)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	keys, err := decrypt.ParseKeys(map[string][]byte{"a.agekey": []byte(id.String())})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, entry string, whole bool) {
		obj := &unstructured.Unstructured{Object: map[string]any{}}
		if whole {
			var m map[string]any
			if yaml.Unmarshal(data, &m) != nil || m == nil {
				return
			}
			obj.Object = jsonable(m).(map[string]any)
		} else {
			obj.Object["data"] = map[string]any{entry: base64.StdEncoding.EncodeToString(data)}
		}
		obj.Object["apiVersion"], obj.Object["kind"] = "v1", "Secret"
		before := obj.DeepCopy()
		encrypted := decrypt.IsEncrypted(obj)
		err := keys.DecryptObject(obj)
		if !encrypted {
			if err != nil || !reflect.DeepEqual(obj.Object, before.Object) {
				t.Fatalf("DecryptObject changed a Secret IsEncrypted rejects (%v)", err)
			}
			return
		}
		if err == nil {
			return
		}
		if err.Error() == "the SOPS document could not be read" {
			t.Fatalf("a SOPS parser panicked on the %s entry %q", map[bool]string{true: "whole", false: "data"}[whole], entry)
		}
		if strings.Contains(err.Error(), canary) && !strings.Contains(entry, canary) && !inKeys(data) {
			t.Fatalf("the refusal quotes a value: %v", err)
		}
	})
}

// inKeys reports whether canary is in a key of data read as YAML, or
// before the '=' of one of its lines (a dotenv key).
func inKeys(data []byte) bool {
	for _, line := range bytes.Split(data, []byte("\n")) {
		if k, _, ok := bytes.Cut(line, []byte("=")); ok && bytes.Contains(k, []byte(canary)) {
			return true
		}
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return false
	}
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if strings.Contains(n.Content[i].Value, canary) || walk(n.Content[i]) {
					return true
				}
			}
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return n.Kind == yaml.AliasNode && n.Alias != nil && walk(n.Alias)
	}
	return walk(&doc)
}

// jsonable turns what YAML decoded into what a JSON document holds:
// maps keyed by strings, and no types JSON lacks.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonable(e)
		}
		return out
	case string, bool, nil:
		return v
	case int:
		return int64(v)
	case int64, float64:
		return v
	default:
		return reflect.ValueOf(v).String()
	}
}
