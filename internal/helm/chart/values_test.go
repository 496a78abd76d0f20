package chart

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

func TestMergeValuesFiles(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, merge(chartFiles("charts/app", "app", "1.0.0"), map[string]string{
		"charts/app/values.yaml":      "replicas: 1\nimage:\n  repository: web\n  tag: \"1.0\"\nports: [80, 443]\n",
		"charts/app/values-prod.yaml": "replicas: 3\nimage:\n  tag: \"2.0\"\nports: [8080]\n",
		"values.yaml":                 "fromRoot: true\n",
		"env/prod.yaml":               "image:\n  pullPolicy: Always\n",
	}))
	ch, err := LoadDir(root, "charts/app")
	if err != nil {
		t.Fatal(err)
	}

	tests := map[string]struct {
		files         []string
		ignoreMissing bool
		want          map[string]any
		wantUsed      []string
		wantErr       error
		message       string
	}{
		"later files win, maps merge deeply, lists are replaced": {
			files: []string{"charts/app/values.yaml", "charts/app/values-prod.yaml", "env/prod.yaml"},
			want: map[string]any{"replicas": float64(3), "ports": []any{float64(8080)},
				"image": map[string]any{"repository": "web", "tag": "2.0", "pullPolicy": "Always"}},
			wantUsed: []string{"charts/app/values.yaml", "charts/app/values-prod.yaml", "env/prod.yaml"},
		},
		"relative to the root first": {
			files: []string{"values.yaml"}, want: map[string]any{"fromRoot": true}, wantUsed: []string{"values.yaml"},
		},
		"then relative to the chart directory": {
			files: []string{"values-prod.yaml"}, wantUsed: []string{"values-prod.yaml"},
			want: map[string]any{"replicas": float64(3), "ports": []any{float64(8080)}, "image": map[string]any{"tag": "2.0"}},
		},
		"missing": {
			files: []string{"values.yaml", "values-staging.yaml"}, wantErr: ErrNotFound,
			message: "no values file found at path 'values-staging.yaml' nor 'charts/app/values-staging.yaml' in the source artifact",
		},
		"missing and ignored": {
			files: []string{"values-staging.yaml", "values.yaml"}, ignoreMissing: true,
			want: map[string]any{"fromRoot": true}, wantUsed: []string{"values.yaml"},
		},
		"leaving the artifact": {
			files: []string{"../../../../etc/passwd"}, wantErr: ErrOutsideRoot, ignoreMissing: true,
			message: "invalid values file '../../../../etc/passwd'",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, used, err := MergeValuesFiles(ch, root, "charts/app", tt.files, tt.ignoreMissing)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.message) {
					t.Fatalf("err = %v, want %v saying %q", err, tt.wantErr, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(used, tt.wantUsed) {
				t.Errorf("got %v from %v, want %v from %v", got, used, tt.want, tt.wantUsed)
			}
		})
	}
}

func TestMergeValuesFilesSymlinkEscape(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	writeTree(t, outside, map[string]string{"secret.yaml": "password: SECRET\n"})
	writeTree(t, root, chartFiles("app", "app", "1.0.0"))
	symlink(t, root, outside+"/secret.yaml", "app/values-secret.yaml")
	ch, err := LoadDir(root, "app")
	if err == nil {
		t.Fatalf("LoadDir loaded a chart with an escaping symlink: %v", ch.Name())
	}
	_, _, err = MergeValuesFiles(nil, root, "app", []string{"app/values-secret.yaml"}, true)
	if !errors.Is(err, ErrOutsideRoot) || !strings.Contains(err.Error(), "symlink 'app/values-secret.yaml' points outside the source artifact") {
		t.Errorf("err = %v, want the symlink refused", err)
	}
}

func TestMergeValuesFilesOfPackagedChart(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, merge(chartFiles("app", "app", "1.0.0"), map[string]string{"app/values-prod.yaml": "replicas: 3\nprod: true\n"}))
	ch, err := LoadDir(root, "app")
	if err != nil {
		t.Fatal(err)
	}
	got, used, err := MergeValuesFiles(ch, "", "", []string{"values.yaml", "./values-prod.yaml", "missing.yaml"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"replicas": float64(3), "prod": true}; !reflect.DeepEqual(got, want) || len(used) != 2 {
		t.Errorf("got %v from %v, want %v", got, used, want)
	}
	if _, _, err := MergeValuesFiles(ch, "", "", []string{"missing.yaml"}, false); !errors.Is(err, ErrNotFound) ||
		!strings.Contains(err.Error(), "no values file found at path 'missing.yaml' in chart 'app'") {
		t.Errorf("missing file: %v", err)
	}

	// The merged values replace values.yaml in the packaged chart.
	if err := ReplaceValues(ch, got); err != nil {
		t.Fatal(err)
	}
	data, err := Package(ch)
	if err != nil {
		t.Fatal(err)
	}
	back, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Values, got) {
		t.Errorf("packaged values = %v, want %v", back.Values, got)
	}
}
