package build

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// TestBuildSubstitution checks postBuild substitution: values, bash-style
// defaults, the $${VAR} escape, the opt-out annotation, and the strict
// refusal of variables with neither a value nor a default.
func TestBuildSubstitution(t *testing.T) {
	tests := map[string]struct {
		sub     *Substitution
		wantErr []string
		check   func(t *testing.T, objs []*unstructured.Unstructured)
	}{
		"values and defaults": {
			sub: &Substitution{Vars: map[string]string{"CLUSTER": "prod", "TOKEN": "abc\ndef", "REPLICAS": "3"}},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				cm := find(objs, "ConfigMap", "cluster-settings")
				data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
				want := map[string]string{"cluster": "prod", "region": "eu-west-1", "token": "abcdef", "literal": "${NOT_A_VAR}"}
				for k, v := range want {
					if data[k] != v {
						t.Errorf("data.%s = %q, want %q", k, data[k], v)
					}
				}
				d := find(objs, "Deployment", "web-prod")
				if d == nil {
					t.Fatalf("no Deployment web-prod in %q", ids(objs))
				}
				if r, ok, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); !ok || r != 3 {
					t.Errorf("replicas = %d (set %t), want the integer 3", r, ok)
				}
				if got := images(t, d); got[0] != "nginx:1.27" {
					t.Errorf("image = %q, want the default nginx:1.27", got[0])
				}
				script, _, _ := unstructured.NestedString(find(objs, "ConfigMap", "script").Object, "data", "run.sh")
				if !strings.Contains(script, "${HOME} ${UNSET_IN_SCRIPT}") {
					t.Errorf("an object with substitution disabled was substituted: %q", script)
				}
			},
		},
		"missing variable named with its object and file": {
			sub: &Substitution{Vars: map[string]string{"TOKEN": "x"}},
			wantErr: []string{
				"ConfigMap/apps/cluster-settings (subst/app/configmap.yaml): ${CLUSTER}",
				"Deployment/apps/web-${CLUSTER} (subst/app/deployment.yaml): ${CLUSTER}",
				"spec.postBuild.substitute", "$${VAR}", "kustomize.toolkit.fluxcd.io/substitute: disabled",
			},
		},
		"several missing variables": {
			sub:     &Substitution{Vars: map[string]string{}},
			wantErr: []string{"(subst/app/configmap.yaml): ${CLUSTER}, ${TOKEN}"},
		},
		"invalid variable name": {
			sub:     &Substitution{Vars: map[string]string{"CLUSTER": "a", "TOKEN": "b", "bad-name": "c"}},
			wantErr: []string{`variable name "bad-name" is invalid`},
		},
		"substituted YAML that does not parse hides secret values": {
			sub:     &Substitution{Vars: map[string]string{"CLUSTER": "a", "TOKEN": "s3cr3t\": [", "REPLICAS": "{"}, Sensitive: []string{"s3cr3t\": ["}},
			wantErr: []string{"substituted YAML is invalid"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var warnings []Warning
			objs, err := Build(context.Background(), Options{Root: "testdata", Path: "subst/app", Substitution: tt.sub,
				Warn: func(w Warning) { warnings = append(warnings, w) }})
			if len(warnings) > 0 {
				t.Errorf("warnings with postBuild set: %v", warnings)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatal("no error")
				}
				if !errors.Is(err, ErrSubstitution) {
					t.Errorf("error %q is not ErrSubstitution", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				for _, v := range tt.sub.Sensitive {
					if strings.Contains(err.Error(), v) || strings.Contains(err.Error(), "s3cr3t") {
						t.Errorf("error %q shows a secret value", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, objs)
		})
	}
}

// TestBuildWarnsUnsubstituted checks that without postBuild the build keeps
// ${VAR} as is and warns, naming the variables and files; escapes and
// opted-out objects are not reported.
func TestBuildWarnsUnsubstituted(t *testing.T) {
	var warnings []Warning
	objs, err := Build(context.Background(), Options{Root: "testdata", Path: "subst/app",
		Warn: func(w Warning) { warnings = append(warnings, w) }})
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := unstructured.NestedString(find(objs, "ConfigMap", "cluster-settings").Object, "data", "cluster"); v != "${CLUSTER}" {
		t.Errorf("data.cluster = %q, want it untouched", v)
	}
	if len(warnings) != 1 {
		t.Fatalf("warnings = %v, want one", warnings)
	}
	w := warnings[0]
	if w.Reason != UnsubstitutedVariableReason {
		t.Errorf("reason = %q", w.Reason)
	}
	for _, want := range []string{
		"ConfigMap/apps/cluster-settings (subst/app/configmap.yaml): ${CLUSTER}, ${REGION}, ${TOKEN}",
		"(subst/app/deployment.yaml): ${CLUSTER}, ${NGINX_VERSION}, ${REPLICAS}",
		"no spec.postBuild", "add spec.postBuild.substitute",
	} {
		if !strings.Contains(w.Message, want) {
			t.Errorf("warning %q does not contain %q", w.Message, want)
		}
	}
	for _, not := range []string{"NOT_A_VAR", "HOME", "UNSET_IN_SCRIPT"} {
		if strings.Contains(w.Message, not) {
			t.Errorf("warning %q reports %s", w.Message, not)
		}
	}

	// Shell-style $VAR and $$ are not variables.
	root := t.TempDir()
	writeFile(t, root+"/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sh\ndata:\n  run.sh: echo $HOME $$ $1 $(date)\n")
	warnings = nil
	if _, err := Build(context.Background(), Options{Root: root, Warn: func(w Warning) { warnings = append(warnings, w) }}); err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings for shell syntax: %v", warnings)
	}
}

// TestSubstituteUnset checks which references count as unset.
func TestSubstituteUnset(t *testing.T) {
	vars := map[string]string{"SET": "v", "EMPTY": ""}
	tests := map[string]string{
		"${SET} ${EMPTY}":        "",
		"${MISSING}":             "MISSING",
		"${MISSING:=d}":          "",
		"${MISSING:-d}":          "",
		"${MISSING=d}":           "",
		"${MISSING:=${OTHER}}":   "OTHER",
		"${SET:=${OTHER}}":       "",
		"$${MISSING} $MISSING":   "",
		"${MISSING^^}":           "MISSING",
		"a ${A} b ${B:=x} ${C} ": "A,C",
	}
	for in, want := range tests {
		objs := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "x"}, "data": map[string]any{"v": in}}}
		_, missing, err := substitute(objs, &Substitution{Vars: vars})
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := strings.Join(missing, ","); got != want {
			t.Errorf("%q: unset %q, want %q", in, got, want)
		}
	}
}

// TestBuildDeprecatedFields checks that deprecated kustomize fields still
// build and are reported as warnings naming the file and the replacement.
func TestBuildDeprecatedFields(t *testing.T) {
	var warnings []Warning
	objs, err := Build(context.Background(), Options{Root: "testdata", Path: "deprecated/overlay",
		Warn: func(w Warning) { warnings = append(warnings, w) }})
	if err != nil {
		t.Fatal(err)
	}
	d := find(objs, "Deployment", "web")
	if d == nil {
		t.Fatalf("no Deployment web in %q", ids(objs))
	}
	if r, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); r != 4 {
		t.Errorf("replicas = %d, want 4 (patchesStrategicMerge)", r)
	}
	if d.GetAnnotations()["patched"] != "json6902" {
		t.Errorf("annotations = %v, want patched: json6902 (patchesJson6902)", d.GetAnnotations())
	}
	if sel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels"); sel["team"] != "web" {
		t.Errorf("selector = %v, want team: web (commonLabels)", sel)
	}
	golden(t, "deprecated", render(t, objs))

	want := map[string][]string{
		"deprecated/base/kustomization.yaml: commonLabels":             {"labels (with includeSelectors: true"},
		"deprecated/overlay/kustomization.yaml: bases":                 {"use resources"},
		"deprecated/overlay/kustomization.yaml: patchesStrategicMerge": {"use patches"},
		"deprecated/overlay/kustomization.yaml: patchesJson6902":       {"use patches"},
		"deprecated/overlay/kustomization.yaml: vars":                  {"use replacements"},
	}
	if len(warnings) != len(want) {
		t.Errorf("warnings = %v, want %d", warnings, len(want))
	}
	for prefix, parts := range want {
		found := false
		for _, w := range warnings {
			if strings.HasPrefix(w.Message, prefix+" is deprecated") && w.Reason == DeprecatedFieldReason {
				found = true
				for _, p := range parts {
					if !strings.Contains(w.Message, p) {
						t.Errorf("warning %q does not contain %q", w.Message, p)
					}
				}
			}
		}
		if !found {
			t.Errorf("no warning starting with %q in %v", prefix, warnings)
		}
	}
}

// TestBuildCycles checks that kustomizations referencing themselves or each
// other fail with a message instead of looping.
func TestBuildCycles(t *testing.T) {
	tests := map[string]string{
		"cycle/a":    "cycle/b/kustomization.yaml: the kustomizations form a cycle: cycle/a -> cycle/b -> cycle/a",
		"cycle/self": "cycle/self/kustomization.yaml: the kustomizations form a cycle: cycle/self -> cycle/self",
	}
	for path, want := range tests {
		t.Run(path, func(t *testing.T) {
			_, err := Build(context.Background(), Options{Root: "testdata", Path: path})
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error = %v, want one containing %q", err, want)
			}
		})
	}

	// A base shared by two overlays (a diamond) is not a cycle.
	root := t.TempDir()
	writeFile(t, root+"/base/cm.yaml", configMap("shared"))
	writeFile(t, root+"/base/kustomization.yaml", "resources: [cm.yaml]\n")
	writeFile(t, root+"/one/kustomization.yaml", "resources: [../base]\nnamePrefix: one-\n")
	writeFile(t, root+"/two/kustomization.yaml", "resources: [../base]\nnamePrefix: two-\n")
	writeFile(t, root+"/all/kustomization.yaml", "resources: [../one, ../two]\n")
	if _, err := Build(context.Background(), Options{Root: root, Path: "all"}); err != nil {
		t.Fatal(err)
	}
}

// TestBuildSubstitutionOrder checks, as in kustomize-controller, that
// commonMetadata is set after substitution (its values are not substituted),
// and that "$$" becomes "$" in every substituted object.
func TestBuildSubstitutionOrder(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root+"/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sh\ndata:\n  run.sh: echo $$HOME\n")
	objs, err := Build(context.Background(), Options{Root: root,
		Substitution:   &Substitution{Vars: map[string]string{"A": "a"}},
		CommonMetadata: &kustomizev1.CommonMetadata{Annotations: map[string]string{"note": "${A} ${UNSET}"}}})
	if err != nil {
		t.Fatal(err)
	}
	cm := find(objs, "ConfigMap", "sh")
	if got := cm.GetAnnotations()["note"]; got != "${A} ${UNSET}" {
		t.Errorf("annotation = %q, want commonMetadata as written", got)
	}
	if got, _, _ := unstructured.NestedString(cm.Object, "data", "run.sh"); got != "echo $HOME" {
		t.Errorf("run.sh = %q, want the $$ escape resolved", got)
	}
}

func TestMask(t *testing.T) {
	s := &Substitution{Sensitive: []string{"abc", "s3cr3t", "s3cr3t-longer", ""}}
	got := s.Mask("value s3cr3t-longer and s3cr3t, abc kept")
	if want := "value *** and ***, abc kept"; got != want {
		t.Errorf("Mask = %q, want %q", got, want)
	}
	if got := (*Substitution)(nil).Mask("x"); got != "x" {
		t.Errorf("nil Mask = %q", got)
	}
}
