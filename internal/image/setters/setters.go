// Package setters writes the images ImagePolicies chose into the YAML
// files of a checkout, at Flux's markers:
//
//	image: ghcr.io/acme/web:1.4.1 # {"$imagepolicy": "flux-system:web"}
//	tag: 1.4.1 # {"$imagepolicy": "flux-system:web:tag"}
//
// The marked scalars are found with kyaml's YAML nodes and replaced in the
// file's bytes, so everything else (indentation, quoting, comments, blank
// lines) stays byte for byte as it was; only files whose content changed
// are written.
package setters

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/ferrycd/ferry/internal/atomicfile"
)

// Defaults of Options.
const (
	DefaultMaxFileSize = 1 << 20
	DefaultMaxFiles    = 10000
)

// ErrPath is a path argument that leaves the root.
var ErrPath = errors.New("path leaves the repository")

// Ref is a policy's chosen image.
type Ref struct{ Name, Tag, Digest string }

// String returns "name:tag", or "name:tag@digest" with a digest.
func (r Ref) String() string {
	s := r.Name + ":" + r.Tag
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// ObjectIdentifier names the YAML object a change is in.
type ObjectIdentifier struct{ APIVersion, Kind, Name, Namespace string }

// Change is one edited value; Setter is the marker's reference as written,
// e.g. "flux-system:web:tag".
type Change struct{ OldValue, NewValue, Setter string }

// ObjectChanges are the changes of one file, by object.
type ObjectChanges map[ObjectIdentifier][]Change

// Result is what Apply changed, by file path relative to the root (slash
// separated); Skipped lists the YAML files that could not be parsed.
type Result struct {
	FileChanges map[string]ObjectChanges
	Skipped     []string
	order       []fileChange
}

type fileChange struct {
	file   string
	id     ObjectIdentifier
	change Change
}

// Files returns the changed files, sorted.
func (r Result) Files() []string {
	out := make([]string, 0, len(r.FileChanges))
	for f := range r.FileChanges {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Changes returns every change, by file then position in the file.
func (r Result) Changes() []Change {
	out := make([]Change, len(r.order))
	for i, c := range r.order {
		out[i] = c.change
	}
	return out
}

// Objects returns the changes of every file, by object.
func (r Result) Objects() map[ObjectIdentifier][]Change {
	out := map[ObjectIdentifier][]Change{}
	for _, c := range r.order {
		out[c.id] = append(out[c.id], c.change)
	}
	return out
}

// Options bound the walk.
type Options struct {
	// MaxFileSize skips larger files; zero means DefaultMaxFileSize.
	MaxFileSize int64
	// MaxFiles fails the walk past this many YAML files; zero means
	// DefaultMaxFiles.
	MaxFiles int
	// DryRun computes the changes without writing any file.
	DryRun bool
}

// PolicyKey is the "namespace:name" of the policy a marker's setter
// names, without its ":tag", ":name" or ":digest".
func PolicyKey(setter string) string {
	parts := strings.SplitN(setter, ":", 3)
	if len(parts) < 2 {
		return setter
	}
	return parts[0] + ":" + parts[1]
}

// Marker is one marker found by Markers.
type Marker struct {
	File   string
	Line   int
	Setter string
	Value  string
}

// Apply edits every marker under root/path whose policy ("namespace:name")
// is in policies, writes the files that changed and returns the changes.
func Apply(root, path string, policies map[string]Ref, opts Options) (Result, error) {
	res := Result{FileChanges: map[string]ObjectChanges{}}
	err := walk(root, path, opts, func(rel, abs string, data []byte, info fs.FileInfo) error {
		edits, ok := find(data)
		if !ok {
			res.Skipped = append(res.Skipped, rel)
			return nil
		}
		var applied []edit
		for _, e := range edits {
			ref, ok := policies[e.policy]
			if !ok {
				continue
			}
			value, ok := e.valueFor(ref)
			if !ok || value == e.old {
				continue
			}
			e.new = value
			applied = append(applied, e)
		}
		if len(applied) == 0 {
			return nil
		}
		out, err := splice(data, applied)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		if !opts.DryRun {
			if err := atomicfile.Write(abs, out, info.Mode().Perm()); err != nil {
				return err
			}
		}
		changes := ObjectChanges{}
		for _, e := range applied {
			c := Change{OldValue: e.old, NewValue: e.new, Setter: e.setter}
			changes[e.object] = append(changes[e.object], c)
			res.order = append(res.order, fileChange{file: rel, id: e.object, change: c})
		}
		res.FileChanges[rel] = changes
		return nil
	})
	return res, err
}

// Markers lists the markers under root/path without editing anything.
func Markers(root, path string, opts Options) ([]Marker, error) {
	var out []Marker
	err := walk(root, path, opts, func(rel, _ string, data []byte, _ fs.FileInfo) error {
		edits, _ := find(data)
		for _, e := range edits {
			out = append(out, Marker{File: rel, Line: e.line, Setter: e.setter, Value: e.old})
		}
		return nil
	})
	return out, err
}

// walk calls fn for every regular *.yaml and *.yml file under root/path,
// in lexical order, never following a symlink nor entering a hidden
// directory.
func walk(root, path string, opts Options, fn func(rel, abs string, data []byte, info fs.FileInfo) error) error {
	maxSize, maxFiles := opts.MaxFileSize, opts.MaxFiles
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	start, err := confine(root, path)
	if err != nil {
		return err
	}
	files := 0
	return filepath.WalkDir(start, func(abs string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if d.IsDir() {
			if abs != start && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(d.Name()); !d.Type().IsRegular() || (ext != ".yaml" && ext != ".yml") {
			return nil
		}
		if files++; files > maxFiles {
			return fmt.Errorf("more than %d YAML files under '%s': narrow spec.update.path", maxFiles, path)
		}
		info, err := d.Info()
		if err != nil || info.Size() > maxSize {
			return nil
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, abs)
		return fn(filepath.ToSlash(rel), abs, data, info)
	})
}

// confine returns root/path, refusing a path that is absolute, climbs out
// with "..", or goes through a symlink.
func confine(root, path string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(strings.TrimPrefix(path, "./")))
	if clean == "." || clean == "" {
		return root, nil
	}
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: '%s'", ErrPath, path)
	}
	cur := root
	for _, part := range strings.Split(clean, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if err != nil {
			return "", fmt.Errorf("path '%s': %w", path, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("%w: '%s' goes through a symlink", ErrPath, path)
		}
	}
	return cur, nil
}

// edit is one marked scalar.
type edit struct {
	line, column int // 1-based, of the scalar's first character (its quote)
	style        yaml.Style
	old, new     string
	setter       string // as written: "ns:name[:field]"
	policy       string // "ns:name"
	field        string // "", "tag", "name" or "digest"
	object       ObjectIdentifier
}

func (e edit) valueFor(ref Ref) (string, bool) {
	switch e.field {
	case "":
		return ref.String(), true
	case "tag":
		return ref.Tag, true
	case "name":
		return ref.Name, true
	case "digest":
		return ref.Digest, ref.Digest != ""
	}
	return "", false
}

// find parses every document of data and returns its marked scalars;
// false when data is not YAML.
func find(data []byte) ([]edit, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var edits []edit
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return edits, true
		}
		if err != nil {
			return nil, false
		}
		id := identify(&doc)
		visit(&doc, func(value *yaml.Node, comment string) {
			if e, ok := marker(value, comment); ok {
				e.object = id
				edits = append(edits, e)
			}
		})
	}
}

// visit calls fn for every scalar with the line comment that applies to
// it: its own, or its key's in a mapping.
func visit(n *yaml.Node, fn func(*yaml.Node, string)) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode {
				fn(c, c.LineComment)
			} else {
				visit(c, fn)
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode {
				comment := v.LineComment
				if comment == "" {
					comment = k.LineComment
				}
				fn(v, comment)
			} else {
				visit(v, fn)
			}
		}
	}
}

// marker reads a `# {"$imagepolicy": "ns:name[:field]"}` comment.
func marker(n *yaml.Node, comment string) (edit, bool) {
	text := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(comment), "#"))
	if !strings.HasPrefix(text, "{") || !strings.Contains(text, "$imagepolicy") {
		return edit{}, false
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return edit{}, false
	}
	setter := m["$imagepolicy"]
	parts := strings.Split(setter, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return edit{}, false
	}
	e := edit{line: n.Line, column: n.Column, style: n.Style, old: n.Value, setter: setter, policy: PolicyKey(setter)}
	if len(parts) == 3 {
		e.field = parts[2]
		if e.field != "tag" && e.field != "name" && e.field != "digest" {
			return edit{}, false
		}
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(n.Value, "\n") {
		return edit{}, false
	}
	return e, true
}

// identify names the object a document holds.
func identify(doc *yaml.Node) ObjectIdentifier {
	var id ObjectIdentifier
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return id
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch k, v := m.Content[i].Value, m.Content[i+1]; k {
		case "apiVersion":
			id.APIVersion = v.Value
		case "kind":
			id.Kind = v.Value
		case "metadata":
			for j := 0; j+1 < len(v.Content); j += 2 {
				switch v.Content[j].Value {
				case "name":
					id.Name = v.Content[j+1].Value
				case "namespace":
					id.Namespace = v.Content[j+1].Value
				}
			}
		}
	}
	return id
}

// splice replaces each edit's scalar in data, checking that the bytes
// found there are the old value as YAML wrote it.
func splice(data []byte, edits []edit) ([]byte, error) {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	type span struct {
		from, to int
		text     string
	}
	spans := make([]span, 0, len(edits))
	for _, e := range edits {
		if e.line < 1 || e.line > len(starts) {
			return nil, fmt.Errorf("line %d of the marker %s is out of the file", e.line, e.setter)
		}
		lineStart := starts[e.line-1]
		off := lineStart
		for col := 1; col < e.column && off < len(data); col++ {
			_, size := utf8.DecodeRune(data[off:])
			off += size
		}
		raw, text := e.old, e.new
		switch e.style {
		case yaml.DoubleQuotedStyle:
			raw, text = `"`+e.old+`"`, `"`+e.new+`"`
		case yaml.SingleQuotedStyle:
			raw, text = `'`+e.old+`'`, `'`+e.new+`'`
		default:
			if needsQuotes(e.new) && !needsQuotes(e.old) {
				text = `"` + e.new + `"`
			}
		}
		if !bytes.HasPrefix(data[off:], []byte(raw)) || strings.ContainsAny(e.new, "\"'\n\\") {
			return nil, fmt.Errorf("line %d: the value of the marker %s is not written as a simple scalar; edit it by hand once", e.line, e.setter)
		}
		spans = append(spans, span{off, off + len(raw), text})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var out bytes.Buffer
	last := 0
	for _, s := range spans {
		out.Write(data[last:s.from])
		out.WriteString(s.text)
		last = s.to
	}
	out.Write(data[last:])
	return out.Bytes(), nil
}

// needsQuotes reports whether v written plain would not read back as the
// string v (a number, a boolean, null, or YAML syntax).
func needsQuotes(v string) bool {
	var got any
	if err := yaml.Unmarshal([]byte("v: "+v), &got); err != nil {
		return true
	}
	m, ok := got.(map[string]any)
	if !ok {
		return true
	}
	s, ok := m["v"].(string)
	return !ok || s != v
}
