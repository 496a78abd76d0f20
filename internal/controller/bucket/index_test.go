package bucket

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/s3"
)

func TestUnsafeKey(t *testing.T) {
	for key, unsafe := range map[string]bool{
		"a.yaml": false, "dir/sub/b.yaml": false, "..a/b..": false, "a..b": false,
		"../evil.yaml": true, "a/../../b": true, "a/..": true, "/abs": true, `a\b`: true,
		"a//b": true, "./a": true, "a/./b": true, "a\x00b": true,
	} {
		if got := unsafeKey(key) != ""; got != unsafe {
			t.Errorf("unsafeKey(%q) = %q, want unsafe %v", key, unsafeKey(key), unsafe)
		}
	}
}

func TestBuildIndexAndRevision(t *testing.T) {
	objs := []s3.Object{
		{Key: ".sourceignore", ETag: "i", Size: 1},
		{Key: "b.yaml", ETag: "2", Size: 20},
		{Key: "a.yaml", ETag: "1", Size: 10},
		{Key: "notes.txt", ETag: "3", Size: 30},
	}
	ix, total, err := buildIndex("fleet", objs, ignoreMatcher("*.txt\n", nil))
	if err != nil || total != 30 || len(ix) != 2 || ix["a.yaml"] != "1" || ix["b.yaml"] != "2" {
		t.Fatalf("buildIndex: %v %d %v", ix, total, err)
	}
	// Flux's digest of its index: sha256 of "a.yaml 1\nb.yaml 2\n".
	if got, want := ix.revision(), "sha256:30f82d35f995e5b3ada7e32578ac76a86299dc106492dd551fca840f1920ae2b"; got != want {
		t.Errorf("revision %s, want %s", got, want)
	}
	spec := "!notes.txt\n"
	if ix, _, _ := buildIndex("fleet", objs, ignoreMatcher("*.txt\n", &spec)); len(ix) != 3 {
		t.Errorf("spec.ignore re-including notes.txt: %v", ix)
	}
	bad := append(objs, s3.Object{Key: "../x"}, s3.Object{Key: "/y"}, s3.Object{Key: "a//z"}, s3.Object{Key: "../w"})
	_, _, err = buildIndex("fleet", bad, ignoreMatcher("", nil))
	if err == nil || !strings.Contains(err.Error(), "'../x' (it climbs out") || !strings.Contains(err.Error(), "'/y' (it is absolute)") || !strings.Contains(err.Error(), "…") {
		t.Errorf("unsafe keys: %v", err)
	}
}
