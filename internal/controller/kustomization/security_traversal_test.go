package kustomization_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestBuildStaysInsideTheArtifact commits kustomizations that reach out of
// the unpacked artifact with "../" (far enough to climb to the root of
// the file system from wherever ferry unpacks it) to a directory of this
// test holding a Secret and a kustomization: as a resource file, as a
// base, as a component, as a patch and as a generator's file. Each build
// fails naming the file and the escape, and nothing is applied.
func TestBuildStaysInsideTheArtifact(t *testing.T) {
	outside := t.TempDir()
	for name, content := range map[string]string{
		"secret.yaml":        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\nstringData:\n  password: outside-the-artifact\n",
		"kustomization.yaml": "resources: [secret.yaml]\n",
		"patch.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\ndata:\n  stolen: \"yes\"\n",
	} {
		if err := os.WriteFile(filepath.Join(outside, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	up := strings.Repeat("../", 40) + strings.TrimPrefix(outside, "/")
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n"
	cases := map[string]string{
		"resource":  "resources:\n  - " + up + "/secret.yaml\n",
		"base":      "resources:\n  - " + up + "\n",
		"component": "resources: [cm.yaml]\ncomponents:\n  - " + up + "\n",
		"patch":     "resources: [cm.yaml]\npatches:\n  - path: " + up + "/patch.yaml\n",
		"generator": "secretGenerator:\n  - name: gen\n    files:\n      - key=" + up + "/secret.yaml\n",
	}
	files := map[string]string{}
	names := make([]string, 0, len(cases))
	for name, k := range cases {
		files[name+"/kustomization.yaml"] = k
		files[name+"/cm.yaml"] = cm
		names = append(names, name)
	}
	sort.Strings(names)
	f := newFixture(t, files)
	var stream strings.Builder
	stream.WriteString(sourceYAML)
	for _, name := range names {
		fmt.Fprintf(&stream, "\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: %s\n  namespace: {{ns}}\n"+
			"spec: {interval: 1h, retryInterval: 1h, path: ./%s, prune: true, targetNamespace: {{ns}}, sourceRef: {kind: GitRepository, name: app}}", name, name)
	}
	f.ApplyYAML(stream.String())
	for _, name := range names {
		ks := f.WaitForKS(f.NS, name, "BuildFailed", testenv.KustomizationFailed("BuildFailed", f.Head()))
		msg := testenv.ReadyCondition(ks).Message
		t.Logf("%s: %s", name, msg)
		if !strings.Contains(msg, "outside the source root") {
			t.Errorf("%s: Ready message %q does not say the build left the source root", name, msg)
		}
		if strings.Contains(msg, "outside-the-artifact") {
			t.Errorf("%s: Ready message %q shows the content of the file outside", name, msg)
		}
	}
	if f.Get("v1", "Secret", "stolen") != nil || f.Get("v1", "Secret", "gen") != nil {
		t.Error("a Secret from outside the artifact was applied")
	}
	if cm := f.Get("v1", "ConfigMap", "local"); cm != nil {
		t.Errorf("a build reaching outside applied ConfigMap local: %v", testenv.Nested(cm, "data"))
	}
}
