package bucket

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/s3"
)

// FuzzBuildIndex builds the index of arbitrary object keys, .sourceignore
// and spec.ignore: every key it keeps is a clean relative path that stays
// strictly inside the artifact's root, is not excluded and is not the
// root .sourceignore; an index with a refused key is no index at all; and
// the revision is "sha256:<hex>", the same for the same index.
func FuzzBuildIndex(f *testing.F) {
	f.Add("a.yaml\nb/c.yaml\nnotes.txt\n.sourceignore", "*.txt\n", "!notes.txt", true)
	f.Add("../evil.yaml\na/../../b\n/abs\na\\b\na//b\n./a\na\x00b", "", "", false)
	f.Add("..a/b..\na..b\n...\n.git/config", "/.git\n", "", false)
	f.Add("a/..\n.\n", "!**\n", "**", true)
	f.Add("dir/\ndir/x", "dir/\n", "", false)
	f.Fuzz(func(t *testing.T, keys, sourceignore, ignore string, withIgnore bool) {
		var objs []s3.Object
		for i, k := range strings.Split(keys, "\n") {
			objs = append(objs, s3.Object{Key: k, ETag: "e", Size: int64(i)})
		}
		var spec *string
		if withIgnore {
			spec = &ignore
		}
		m := ignoreMatcher(sourceignore, spec)
		ix, _, err := buildIndex("b", objs, m)
		if err != nil {
			if ix != nil {
				t.Fatalf("buildIndex failed (%v) but returned an index", err)
			}
			return
		}
		root := filepath.FromSlash("/artifact/root")
		for key := range ix {
			if key == artifact.IgnoreFile || m.Match(strings.Split(key, "/"), false) {
				t.Fatalf("the index keeps %q, which is excluded", key)
			}
			local := filepath.FromSlash(key)
			if !filepath.IsLocal(local) || filepath.Clean(local) != local || strings.ContainsAny(key, "\\\x00") {
				t.Fatalf("the index keeps %q, which is not a clean relative path", key)
			}
			joined := filepath.Join(root, local)
			if !strings.HasPrefix(joined, root+string(filepath.Separator)) {
				t.Fatalf("the key %q is written at %s, outside %s", key, joined, root)
			}
		}
		rev := ix.revision()
		if !strings.HasPrefix(rev, "sha256:") || len(rev) != len("sha256:")+64 || rev != ix.revision() {
			t.Fatalf("revision %q", rev)
		}
	})
}
