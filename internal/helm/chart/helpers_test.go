package chart

import (
	"os"
	"path/filepath"
	"testing"
)

// writeTree writes files (slash-separated names relative to root) below root.
func writeTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// symlink creates the symlink name (relative to root) pointing to target.
func symlink(t testing.TB, root, target, name string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// chartFiles returns the files of a minimal chart named name at version
// in the directory dir (slash-separated, relative to the source root).
func chartFiles(dir, name, version string) map[string]string {
	return map[string]string{
		dir + "/Chart.yaml":          "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n",
		dir + "/values.yaml":         "replicas: 1\n",
		dir + "/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
		dir + "/templates/NOTES.txt": "installed\n",
	}
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
