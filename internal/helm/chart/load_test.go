package chart

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDir(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, merge(chartFiles("charts/app", "app", "1.2.3"), map[string]string{
		"charts/app/.helmignore":    "secret.txt\n",
		"charts/app/secret.txt":     "not packaged",
		"charts/app/files/conf.ini": "\xEF\xBB\xBFkey=value\n",
		"shared/extra.yaml":         "apiVersion: v1\nkind: Secret\n",
	}))
	// A symlink inside the artifact is followed; a cycle is not walked forever.
	symlink(t, root, "../../../shared/extra.yaml", "charts/app/templates/extra.yaml")
	symlink(t, root, "..", "charts/app/templates/loop")

	ch, err := LoadDir(root, "./charts/app")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name() != "app" || ch.Metadata.Version != "1.2.3" {
		t.Errorf("metadata = %s %s", ch.Name(), ch.Metadata.Version)
	}
	var templates []string
	for _, f := range ch.Templates {
		templates = append(templates, f.Name)
	}
	if got, want := strings.Join(templates, ","), "templates/NOTES.txt,templates/cm.yaml,templates/extra.yaml"; got != want {
		t.Errorf("templates = %s, want %s", got, want)
	}
	for _, f := range ch.Files {
		switch f.Name {
		case "secret.txt":
			t.Error(".helmignore was not honoured")
		case "files/conf.ini":
			if string(f.Data) != "key=value\n" {
				t.Errorf("the UTF-8 BOM was kept: %q", f.Data)
			}
		}
	}
	if ch.Values["replicas"] != float64(1) {
		t.Errorf("values = %v", ch.Values)
	}
}

func TestLoadDirRefuses(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, merge(chartFiles("chart", "secret", "6.6.6"), map[string]string{"passwd": "SECRET"}))

	tests := map[string]struct {
		chartPath string
		noChart   bool // no chart at charts/app
		setup     func(t *testing.T, root string)
		limits    []Option
		want      error
		message   string
	}{
		"absolute chart path": {chartPath: filepath.Join(outside, "chart"), want: ErrOutsideRoot, message: "is absolute"},
		"chart path leaving the artifact": {chartPath: "../chart", want: ErrOutsideRoot,
			message: "path '../chart' is outside the source artifact"},
		"chart path leaving after cleaning": {chartPath: "charts/../../chart", want: ErrOutsideRoot},
		"symlinked chart directory outside": {chartPath: "charts/app", noChart: true,
			setup: func(t *testing.T, root string) { symlink(t, root, filepath.Join(outside, "chart"), "charts/app") },
			want:  ErrOutsideRoot, message: "charts/app"},
		"relative symlink of a file outside": {chartPath: "charts/app",
			setup: func(t *testing.T, root string) {
				symlink(t, root, "../../../../"+filepath.Base(outside)+"/passwd", "charts/app/templates/passwd.yaml")
			},
			want: ErrOutsideRoot, message: "symlink 'charts/app/templates/passwd.yaml' points outside the source artifact"},
		"absolute symlink of a file": {chartPath: "charts/app",
			setup: func(t *testing.T, root string) {
				symlink(t, root, filepath.Join(outside, "passwd"), "charts/app/files/passwd")
			},
			want: ErrOutsideRoot, message: "charts/app/files/passwd"},
		"symlinked directory outside": {chartPath: "charts/app",
			setup: func(t *testing.T, root string) { symlink(t, root, outside, "charts/app/files") },
			want:  ErrOutsideRoot},
		"missing chart directory": {chartPath: "charts/nope", want: ErrNotFound,
			message: "chart directory 'charts/nope' not found in the source artifact"},
		"file over the limit":  {chartPath: "charts/app", limits: []Option{WithLimits(16, 0)}, want: ErrTooLarge},
		"chart over the limit": {chartPath: "charts/app", limits: []Option{WithLimits(0, 100)}, want: ErrTooLarge},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			if !tt.noChart {
				writeTree(t, root, chartFiles("charts/app", "app", "1.0.0"))
			}
			if tt.setup != nil {
				tt.setup(t, root)
			}
			ch, err := LoadDir(root, tt.chartPath, tt.limits...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("LoadDir = %v, %v; want %v", ch, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not say %q", err, tt.message)
			}
		})
	}
}

func TestConfinedPath(t *testing.T) {
	tests := map[string]struct {
		in, want string
		escapes  bool
	}{
		"plain":              {in: "charts/app", want: "charts/app"},
		"dot slash":          {in: "./charts/app/", want: "charts/app"},
		"root":               {in: ".", want: "."},
		"inner dot-dot":      {in: "charts/../app", want: "app"},
		"parent":             {in: "..", escapes: true},
		"leaving":            {in: "charts/../../app", escapes: true},
		"absolute":           {in: "/etc", escapes: true},
		"dot-dot in a name":  {in: "..app/x", want: "..app/x"},
		"leaving via a name": {in: "a/../../..app", escapes: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ConfinedPath(tt.in)
			if tt.escapes {
				if !errors.Is(err, ErrOutsideRoot) {
					t.Errorf("ConfinedPath(%q) = %q, %v; want ErrOutsideRoot", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ConfinedPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	if _, err := ConfinedPath(""); err == nil {
		t.Error("an empty path was accepted")
	}
}
