package decrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Format is the syntax of a SOPS-encrypted file.
type Format int

// The file formats, as SOPS names them.
const (
	Binary Format = iota
	Dotenv
	INI
	JSON
	YAML
)

func (f Format) String() string {
	switch f {
	case Dotenv:
		return "dotenv"
	case INI:
		return "INI"
	case JSON:
		return "JSON"
	case YAML:
		return "YAML"
	default:
		return "binary"
	}
}

// markers identify a SOPS-encrypted file of each format by its MAC entry;
// a binary file is a JSON document, so it shares JSON's marker.
var markers = []struct {
	format Format
	marker []byte
}{
	{Dotenv, []byte("sops_mac=ENC[")},
	{JSON, []byte(`"mac": "ENC[`)},
	{YAML, []byte("mac: ENC[")},
	{INI, []byte("[sops]")},
}

// DetectFormat reports whether data is a SOPS-encrypted file, and its format.
func DetectFormat(data []byte) (Format, bool) {
	for _, m := range markers {
		if bytes.Contains(data, m.marker) {
			return m.format, true
		}
	}
	return Binary, false
}

// FormatForPath returns the format SOPS infers from a file name's extension,
// binary for anything else.
func FormatForPath(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		return YAML
	case ".json":
		return JSON
	case ".env":
		return Dotenv
	case ".ini":
		return INI
	default:
		return Binary
	}
}

// encRe matches a value encrypted by SOPS.
var encRe = regexp.MustCompile(`^ENC\[AES256_GCM,data:([^,]*),iv:([^,]+),tag:([^,]+),type:([a-z]+)\]$`)

// DecryptFile decrypts a SOPS-encrypted file in format in and returns the
// plaintext in format out (binary: the raw "data" value). Nothing decrypted
// is written anywhere.
func (k *Keys) DecryptFile(data []byte, in, out Format) (_ []byte, err error) {
	doc, md, err := load(data, in)
	if err != nil {
		return nil, err
	}
	if err := k.decryptTree(doc, md); err != nil {
		return nil, err
	}
	return emit(doc, out)
}

// load parses a file into a YAML node tree without its metadata.
func load(data []byte, f Format) (*yaml.Node, map[string]any, error) {
	switch f {
	case Dotenv:
		return loadDotenv(data)
	case YAML, JSON, Binary:
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, nil, fmt.Errorf("parsing the encrypted %s file: %w", f, scrub(err))
		}
		if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
			return nil, nil, fmt.Errorf("the encrypted %s file is not a single mapping", f)
		}
		root := doc.Content[0]
		var md map[string]any
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "sops" {
				if err := root.Content[i+1].Decode(&md); err != nil {
					return nil, nil, fmt.Errorf("reading the sops metadata: %w", scrub(err))
				}
				root.Content = append(root.Content[:i:i], root.Content[i+2:]...)
				break
			}
		}
		if md == nil {
			return nil, nil, fmt.Errorf("the %s file has no sops metadata", f)
		}
		return root, md, nil
	default:
		return nil, nil, fmt.Errorf("SOPS files in %s format are not supported by ferry", f)
	}
}

// loadDotenv parses KEY=VALUE lines ("\n" escaped as in SOPS); the sops_*
// keys are the flattened metadata.
func loadDotenv(data []byte) (*yaml.Node, map[string]any, error) {
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	flat := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, nil, fmt.Errorf("line %d of the dotenv file is not KEY=VALUE", i+1)
		}
		value = strings.ReplaceAll(value, `\n`, "\n")
		if rest, ok := strings.CutPrefix(key, "sops_"); ok {
			flat[rest] = value
			continue
		}
		root.Content = append(root.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
	}
	if len(flat) == 0 {
		return nil, nil, errors.New("the dotenv file has no sops metadata")
	}
	return root, unflatten(flat), nil
}

// unflatten rebuilds the metadata tree from SOPS' flattened keys
// ("age__list_0__map_enc").
func unflatten(flat map[string]string) map[string]any {
	var root any = map[string]any{}
	for key, value := range flat {
		root = insert(root, flatTokens(key), value)
	}
	m, _ := root.(map[string]any)
	return m
}

// flatToken is one step of a flattened key: a map key or a list index.
type flatToken struct {
	key  string
	idx  int
	list bool
}

// flatTokens splits "age__list_0__map_enc" into age, [0], enc.
func flatTokens(key string) []flatToken {
	next := func(s string) int {
		n := len(s)
		if j := strings.Index(s, "__map_"); j >= 0 && j < n {
			n = j
		}
		if j := strings.Index(s, "__list_"); j >= 0 && j < n {
			n = j
		}
		return n
	}
	i := next(key)
	tokens := []flatToken{{key: key[:i]}}
	rest := key[i:]
	for rest != "" {
		list := strings.HasPrefix(rest, "__list_")
		if list {
			rest = rest[len("__list_"):]
		} else {
			rest = rest[len("__map_"):]
		}
		i := next(rest)
		if list {
			n, _ := strconv.Atoi(rest[:i])
			tokens = append(tokens, flatToken{idx: n, list: true})
		} else {
			tokens = append(tokens, flatToken{key: rest[:i]})
		}
		rest = rest[i:]
	}
	return tokens
}

// insert sets value at the path of tokens below container, creating maps
// and lists on the way, and returns the (possibly new) container.
func insert(container any, tokens []flatToken, value string) any {
	t := tokens[0]
	if t.list {
		l, _ := container.([]any)
		if t.idx < 0 || t.idx > 1000 {
			return l
		}
		for len(l) <= t.idx {
			l = append(l, nil)
		}
		if len(tokens) == 1 {
			l[t.idx] = value
		} else {
			l[t.idx] = insert(l[t.idx], tokens[1:], value)
		}
		return l
	}
	m, _ := container.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	if len(tokens) == 1 {
		m[t.key] = value
	} else {
		m[t.key] = insert(m[t.key], tokens[1:], value)
	}
	return m
}

// decryptTree recovers the data key and decrypts every encrypted value of
// the tree in place.
func (k *Keys) decryptTree(root *yaml.Node, raw map[string]any) error {
	md, err := parseMetadata(raw)
	if err != nil {
		return err
	}
	key, err := k.dataKey(md)
	if err != nil {
		return err
	}
	return walk(root, nil, key, md)
}

// walk decrypts the scalars below n; path is the list of mapping keys
// leading to n, as SOPS uses it for the additional data (sequences do not
// add to it).
func walk(n *yaml.Node, path []string, key []byte, md *metadata) error {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := append(path[:len(path):len(path)], n.Content[i].Value)
			if err := walk(n.Content[i+1], p, key, md); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if err := walk(c, path, key, md); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		m := encRe.FindStringSubmatch(n.Value)
		if m == nil || !md.encrypted(path) {
			return nil
		}
		plain, err := decryptValue(m, key, strings.Join(path, ":")+":")
		if err != nil {
			return fmt.Errorf("value at %s: %w", strings.Join(path, "."), err)
		}
		n.Value, n.Style = plain, 0
		switch m[4] {
		case "int":
			n.Tag = "!!int"
		case "float":
			n.Tag = "!!float"
		case "bool":
			n.Tag = "!!bool"
		default:
			n.Tag = "!!str"
			if strings.Contains(plain, "\n") {
				n.Style = yaml.LiteralStyle
			}
		}
	}
	return nil
}

// decryptValue opens one AES-256-GCM value; m is the match of encRe.
func decryptValue(m []string, key []byte, additionalData string) (string, error) {
	data, err1 := base64.StdEncoding.DecodeString(m[1])
	iv, err2 := base64.StdEncoding.DecodeString(m[2])
	tag, err3 := base64.StdEncoding.DecodeString(m[3])
	if err := errors.Join(err1, err2, err3); err != nil || len(iv) == 0 {
		return "", errors.New("malformed encrypted value")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("data key: %w", err)
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(iv))
	if err != nil {
		return "", errors.New("malformed encrypted value")
	}
	plain, err := gcm.Open(nil, iv, append(data, tag...), []byte(additionalData))
	if err != nil {
		return "", errors.New("authentication failed (the value or its key path was modified after encryption)")
	}
	switch m[4] {
	case "str", "bytes", "int", "float", "bool", "time", "comment":
		return string(plain), nil
	default:
		return "", fmt.Errorf("unknown SOPS value type %q", m[4])
	}
}

// emit writes the decrypted tree in format f.
func emit(root *yaml.Node, f Format) ([]byte, error) {
	switch f {
	case YAML:
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(root); err != nil {
			return nil, fmt.Errorf("writing the decrypted YAML: %w", scrub(err))
		}
		return buf.Bytes(), enc.Close()
	case JSON:
		var v any
		if err := root.Decode(&v); err != nil {
			return nil, fmt.Errorf("writing the decrypted JSON: %w", scrub(err))
		}
		out, err := json.MarshalIndent(v, "", "    ")
		if err != nil {
			return nil, fmt.Errorf("writing the decrypted JSON: %w", scrub(err))
		}
		return append(out, '\n'), nil
	case Dotenv:
		var buf bytes.Buffer
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("key %s holds a nested value, which dotenv cannot hold", k.Value)
			}
			fmt.Fprintf(&buf, "%s=%s\n", k.Value, strings.ReplaceAll(v.Value, "\n", `\n`))
		}
		return buf.Bytes(), nil
	case Binary:
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "data" && root.Content[i+1].Kind == yaml.ScalarNode {
				return []byte(root.Content[i+1].Value), nil
			}
		}
		return nil, errors.New("the binary SOPS file has no data entry")
	default:
		return nil, fmt.Errorf("writing %s is not supported by ferry", f)
	}
}

// scrub drops the message of a parser error, which can quote the input.
func scrub(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		end := i + len("line ")
		for end < len(msg) && msg[end] >= '0' && msg[end] <= '9' {
			end++
		}
		return errors.New("syntax error at " + msg[i:end])
	}
	return errors.New("syntax error")
}
