package setters

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fuzzTag is what a registry may list as a tag (the distribution spec's
// grammar): FuzzSetters writes only such tags.
var fuzzTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// FuzzSetters edits the markers of arbitrary YAML files as Apply does,
// with any valid tag: the edited file must still parse, have the same
// markers in the same order, every marker of the policy must now read
// the policy's value and every other marker its old value; a second edit
// changes nothing.
func FuzzSetters(f *testing.F) {
	for _, s := range []string{
		"image: ghcr.io/acme/web:1.0.0 # {\"$imagepolicy\": \"flux-system:web\"}\n",
		"spec:\n  image: \"ghcr.io/acme/web:1.0.0\" # {\"$imagepolicy\": \"flux-system:web\"}\n  tag: '1.0' # {\"$imagepolicy\": \"flux-system:web:tag\"}\n",
		"a:\n  - ghcr.io/acme/web:1 # {\"$imagepolicy\": \"flux-system:web\"}\n  - x # {\"$imagepolicy\": \"flux-system:other\"}\n---\nkind: K\nmetadata: {name: n}\nname: ghcr.io/acme/web # {\"$imagepolicy\": \"flux-system:web:name\"}\n",
		"list: [ghcr.io/acme/web:1] # {\"$imagepolicy\": \"flux-system:web\"}\n",
		"m: {image: ghcr.io/acme/web:1} # {\"$imagepolicy\": \"flux-system:web\"}\n",
		"tag: 1.0 # {\"$imagepolicy\": \"flux-system:web:tag\"}\ndigest: x # {\"$imagepolicy\": \"flux-system:web:digest\"}\n",
		"# {\"$imagepolicy\": \"flux-system:web\"}\nimage: é:1 # {\"$imagepolicy\": \"flux-system:web\"}\n",
		"key: # {\"$imagepolicy\": \"flux-system:web:tag\"}\n  v1\n",
		"a: &x 1 # {\"$imagepolicy\": \"flux-system:web:tag\"}\nb: *x\n",
		"t: |\n  1 # {\"$imagepolicy\": \"flux-system:web:tag\"}\n",
	} {
		f.Add([]byte(s), "1.4.2", false)
		f.Add([]byte(s), "true", true)
	}
	f.Fuzz(func(t *testing.T, data []byte, tag string, withDigest bool) {
		if !fuzzTag.MatchString(tag) {
			return
		}
		ref := Ref{Name: "ghcr.io/acme/web", Tag: tag}
		if withDigest {
			ref.Digest = "sha256:" + strings.Repeat("0a", 32)
		}
		policies := map[string]Ref{"flux-system:web": ref}
		edits, ok := find(data)
		if !ok {
			return
		}
		out, applied, err := edit1(data, edits, policies)
		if err != nil || applied == 0 {
			return
		}
		after, ok := find(out)
		if !ok {
			t.Fatalf("the edited file no longer parses:\n%s\nwas:\n%s", out, data)
		}
		if len(after) != len(edits) {
			t.Fatalf("%d markers became %d:\n%s\nwas:\n%s", len(edits), len(after), out, data)
		}
		for i, e := range edits {
			want := e.old
			if r, ok := policies[e.policy]; ok {
				if v, ok := e.valueFor(r); ok {
					want = v
				}
			}
			if after[i].setter != e.setter || after[i].old != want {
				t.Fatalf("marker %d (%s) reads %q after the edit, want %q:\n%s\nwas:\n%s", i, e.setter, after[i].old, want, out, data)
			}
		}
		again, n, err := edit1(out, after, policies)
		if err != nil || n != 0 || string(again) != string(out) {
			t.Fatalf("a second edit changed %d values (%v):\n%s", n, err, again)
		}
	})
}

// edit1 is Apply's edit of one file: the edits of the policies whose value
// differs, spliced in.
func edit1(data []byte, edits []edit, policies map[string]Ref) ([]byte, int, error) {
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
		return data, 0, nil
	}
	out, err := splice(data, applied)
	return out, len(applied), err
}

// FuzzMarkersPath lists the markers under arbitrary paths of a checkout
// that holds a symlink to a directory outside it: a path is refused or
// every file listed is inside the checkout, never the outside one.
func FuzzMarkersPath(f *testing.F) {
	for _, s := range []string{"", ".", "./apps", "apps/../apps", "..", "../outside", "/abs", "link", "link/x", "apps/link", "apps//", "a\x00b"} {
		f.Add(s)
	}
	base := f.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	marker := "image: ghcr.io/acme/web:1 # {\"$imagepolicy\": \"flux-system:web\"}\n"
	for dir, name := range map[string]string{root: "apps/a.yaml", outside: "secret.yaml"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(marker), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	for _, l := range []string{"link", "apps/link"} {
		if err := os.Symlink(outside, filepath.Join(root, filepath.FromSlash(l))); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, path string) {
		ms, err := Markers(root, path, Options{})
		if err != nil {
			if filepath.IsAbs(path) || path == ".." || strings.HasPrefix(path, "../") {
				if !errors.Is(err, ErrPath) {
					t.Fatalf("Markers(%q) = %v, want ErrPath", path, err)
				}
			}
			return
		}
		for _, m := range ms {
			if m.File != "apps/a.yaml" {
				t.Fatalf("Markers(%q) listed %s, which is not the checkout's file", path, m.File)
			}
		}
	})
}
