package build

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// readsTree writes a repository with a base shared by two overlays and an
// app directory without a kustomization file, into a new directory.
func readsTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "base/kustomization.yaml"), "resources:\n- cm.yaml\n")
	writeFile(t, filepath.Join(root, "base/cm.yaml"), configMap("base"))
	for _, env := range []string{"staging", "production"} {
		writeFile(t, filepath.Join(root, "overlays", env, "kustomization.yaml"),
			"resources:\n- ../../base\nnamePrefix: "+env+"-\n")
	}
	writeFile(t, filepath.Join(root, "apps/web/cm.yaml"), configMap("web"))
	writeFile(t, filepath.Join(root, "apps/web/README.md"), "not a manifest\n")
	writeFile(t, filepath.Join(root, "docs/index.md"), "# docs\n")
	return root
}

// copyTree copies the regular files of src into a new directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		writeFile(t, filepath.Join(dst, rel), string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestReadsReplay(t *testing.T) {
	root := readsTree(t)
	record := func(path string) *Reads {
		t.Helper()
		reads := &Reads{}
		if _, err := Build(context.Background(), Options{Root: root, Path: path, Reads: reads}); err != nil {
			t.Fatal(err)
		}
		if reads.Len() == 0 || reads.Digest() == "" {
			t.Fatalf("%s: nothing recorded", path)
		}
		return reads
	}
	staging, web := record("overlays/staging"), record("apps/web")

	cases := []struct {
		name   string
		change func(dir string)
		// same says whether each of staging and web reads the same input after the change.
		staging, web bool
	}{
		{"nothing", func(string) {}, true, true},
		{"a file no build reads", func(d string) { writeFile(t, filepath.Join(d, "docs/index.md"), "# new\n") }, true, true},
		{"the other overlay", func(d string) {
			writeFile(t, filepath.Join(d, "overlays/production/kustomization.yaml"), "resources:\n- ../../base\n")
		}, true, true},
		{"the shared base", func(d string) { writeFile(t, filepath.Join(d, "base/cm.yaml"), configMap("base2")) }, false, true},
		{"the overlay", func(d string) {
			writeFile(t, filepath.Join(d, "overlays/staging/kustomization.yaml"), "resources:\n- ../../base\nnamePrefix: stg-\n")
		}, false, true},
		{"a manifest of a generated kustomization", func(d string) {
			writeFile(t, filepath.Join(d, "apps/web/cm.yaml"), configMap("web2"))
		}, true, false},
		{"a new file beside them", func(d string) { writeFile(t, filepath.Join(d, "apps/web/more.yaml"), configMap("more")) }, true, false},
		{"a non-manifest file beside them", func(d string) { writeFile(t, filepath.Join(d, "apps/web/README.md"), "changed\n") }, true, true},
		{"a kustomization file added", func(d string) {
			writeFile(t, filepath.Join(d, "apps/web/kustomization.yaml"), "resources:\n- cm.yaml\n")
		}, true, false},
		{"a removed base", func(d string) { os.RemoveAll(filepath.Join(d, "base")) }, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyTree(t, root)
			tc.change(dir)
			for _, c := range []struct {
				name  string
				reads *Reads
				same  bool
			}{{"staging", staging, tc.staging}, {"web", web, tc.web}} {
				got, err := c.reads.Replay(dir)
				if err != nil {
					t.Fatal(err)
				}
				if (got == c.reads.Digest()) != c.same {
					t.Errorf("%s: same input = %v, want %v", c.name, got == c.reads.Digest(), c.same)
				}
			}
		})
	}
}
