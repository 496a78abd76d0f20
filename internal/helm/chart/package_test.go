package chart

import (
	"bytes"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

func TestPackage(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, merge(chartFiles("app", "app", "1.0.0"), chartFiles("app/charts/db", "db", "0.1.0"), map[string]string{
		"app/files/a.txt":          "a",
		"app/values.schema.json":   `{"type": "object"}`,
		"app/crds/crd.yaml":        "kind: CustomResourceDefinition\n",
		"app/templates/_helpers.t": "{{/* helpers */}}",
	}))
	ch, err := LoadDir(root, "app")
	if err != nil {
		t.Fatal(err)
	}
	first, err := Package(ch)
	if err != nil {
		t.Fatal(err)
	}
	// Reloading and packaging again gives the same bytes.
	again, err := LoadDir(root, "app")
	if err != nil {
		t.Fatal(err)
	}
	second, err := Package(again)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("packaging the same chart twice gave different bytes")
	}

	back, err := loader.LoadArchive(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if back.Name() != "app" || back.Metadata.Version != "1.0.0" || len(back.Templates) != 3 || back.Schema == nil {
		t.Errorf("round trip lost something: %s %s, %d templates, schema %q", back.Name(), back.Metadata.Version, len(back.Templates), back.Schema)
	}
	if len(back.Dependencies()) != 1 || back.Dependencies()[0].Name() != "db" {
		t.Errorf("dependencies = %v", back.Dependencies())
	}
	if len(back.CRDObjects()) != 1 {
		t.Errorf("CRDs = %d", len(back.CRDObjects()))
	}
	// A packaged chart repackages to the same bytes.
	third, err := Package(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, third) {
		t.Error("repackaging a loaded package changed its bytes")
	}
}

func TestSetVersionMetadata(t *testing.T) {
	tests := map[string]struct{ version, metadata, want string }{
		"generation":           {"6.0.3", "1", "6.0.3+1"},
		"revision":             {"6.0.3", "4e5cbb7b97d0", "6.0.3+4e5cbb7b97d0"},
		"revision, generation": {"6.0.3", "4e5cbb7b97d0.2", "6.0.3+4e5cbb7b97d0.2"},
		"replaces metadata":    {"1.0.0+old", "2", "1.0.0+2"},
		"none":                 {"1.0.0", "", "1.0.0"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, chartFiles("app", "app", tt.version))
			ch, err := LoadDir(root, "app")
			if err != nil {
				t.Fatal(err)
			}
			got, err := SetVersionMetadata(ch, tt.metadata)
			if err != nil || got != tt.want || ch.Metadata.Version != tt.want {
				t.Errorf("SetVersionMetadata = %q, %v (chart %q); want %q", got, err, ch.Metadata.Version, tt.want)
			}
		})
	}
}
