package build

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// laughs is a "billion laughs" ConfigMap: levels of anchors, each a list
// of ten aliases of the one before, so that its few hundred bytes expand to
// 10^levels nodes.
func laughs(name string, levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  k: v\nlol:\n  a0: &a0 [\"lol\"]\n", name)
	for i := 1; i <= levels; i++ {
		refs := strings.TrimSuffix(strings.Repeat("*a"+strconv.Itoa(i-1)+",", 10), ",")
		fmt.Fprintf(&b, "  a%d: &a%d [%s]\n", i, i, refs)
	}
	return b.String()
}

// wide is a ConfigMap whose data has keys keys.
func wide(keys int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n")
	for i := range keys {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	return b.String()
}

// TestBuildRefusesYAMLBombs builds repositories whose YAML would make
// kustomize expand aliases without bound, or spend minutes on one mapping:
// each is refused with a message naming the file and the limit, before
// kustomize holds the expansion, while YAML within the limits builds.
func TestBuildRefusesYAMLBombs(t *testing.T) {
	kustomization := func(resources ...string) string {
		return "resources: [" + strings.Join(resources, ", ") + "]\n"
	}
	manyAnchored := map[string]string{}
	var names []string
	for i := range 12 {
		// Each file adds 1,110 nodes by aliases to its 23 written ones:
		// within the budget alone, past it together.
		name := fmt.Sprintf("cm%02d.yaml", i)
		manyAnchored["app/"+name] = laughs(fmt.Sprintf("cm%02d", i), 3)
		names = append(names, name)
	}
	manyAnchored["app/kustomization.yaml"] = kustomization(names...)

	tests := map[string]struct {
		files   map[string]string
		wantErr []string // empty: builds
	}{
		"billion laughs listed in a kustomization": {
			files:   map[string]string{"app/kustomization.yaml": kustomization("lol.yaml"), "app/lol.yaml": laughs("lol", 9)},
			wantErr: []string{"app/lol.yaml", "alias bomb", "expand 127 written nodes to 2345679037", "at most 10000 nodes"},
		},
		"billion laughs in a directory without kustomization": {
			files:   map[string]string{"app/lol.yaml": laughs("lol", 9)},
			wantErr: []string{"app/lol.yaml", "alias bomb"},
		},
		"billion laughs as a patch": {
			files: map[string]string{
				"app/kustomization.yaml": "resources: [cm.yaml]\npatches:\n  - path: lol.yaml\n",
				"app/cm.yaml":            configMap("lol"),
				"app/lol.yaml":           laughs("lol", 9),
			},
			wantErr: []string{"app/lol.yaml", "alias bomb"},
		},
		"billion laughs in the kustomization itself": {
			files:   map[string]string{"app/kustomization.yaml": "resources: []\nlol:\n" + strings.SplitN(laughs("x", 9), "lol:\n", 2)[1]},
			wantErr: []string{"app/kustomization.yaml", "alias bomb"},
		},
		"a self-referencing alias": {
			files:   map[string]string{"app/kustomization.yaml": kustomization("self.yaml"), "app/self.yaml": configMap("self") + "x: &x [*x]\n"},
			wantErr: []string{"app/self.yaml"},
		},
		"aliases of many files past the budget together": {
			files:   manyAnchored,
			wantErr: []string{"alias bomb", "at most 10000 nodes"},
		},
		"a mapping of 10001 keys": {
			files:   map[string]string{"app/kustomization.yaml": kustomization("wide.yaml"), "app/wide.yaml": wide(MaxMappingKeys + 1)},
			wantErr: []string{"app/wide.yaml", "the mapping at line 6 has 10001 keys, more than the limit of 10000"},
		},
		"a mapping of 10000 keys": {
			files: map[string]string{"app/kustomization.yaml": kustomization("wide.yaml"), "app/wide.yaml": wide(MaxMappingKeys)},
		},
		"nesting 100000 deep": {
			files:   map[string]string{"app/kustomization.yaml": kustomization("deep.yaml"), "app/deep.yaml": configMap("deep") + "x: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n"},
			wantErr: []string{"deep.yaml", "exceeded max depth"},
		},
		"nesting 20000 deep": {
			files:   map[string]string{"app/kustomization.yaml": kustomization("deep.yaml"), "app/deep.yaml": configMap("deep") + "x: " + strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000) + "\n"},
			wantErr: []string{"deep", "exceeded max depth"},
		},
		"anchors as people use them": {
			files: map[string]string{"app/kustomization.yaml": kustomization("deploy.yaml"), "app/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          env: &env
            - {name: LOG_LEVEL, value: info}
            - {name: REGION, value: eu-west-1}
        - name: sidecar
          image: busybox:1.36
          env: *env
`},
		},
		"three levels of laughs": {
			files: map[string]string{"app/kustomization.yaml": kustomization("lol.yaml"), "app/lol.yaml": laughs("lol", 3)},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			for p, content := range tt.files {
				writeFile(t, filepath.Join(root, filepath.FromSlash(p)), content)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			objs, err := Build(context.Background(), Options{Root: root, Path: "app"})
			runtime.ReadMemStats(&after)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(objs) == 0 {
					t.Error("built nothing")
				}
				return
			}
			if err == nil {
				t.Fatalf("built %d objects, want a refusal", len(objs))
			}
			t.Logf("refused: %s", err)
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "alias bomb") && !errors.Is(err, ErrYAMLLimit) {
				t.Errorf("error %v does not wrap ErrYAMLLimit", err)
			}
			// Kustomize costs about 5 KiB a node: a bomb it expanded would
			// have cost gigabytes, a refused one a few MiB.
			if got := after.TotalAlloc - before.TotalAlloc; got > 256<<20 {
				t.Errorf("the refused build allocated %d MiB", got>>20)
			}
		})
	}
}
