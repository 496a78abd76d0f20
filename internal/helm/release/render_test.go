package release

import (
	"bytes"
	"context"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
)

// renderChart has a ConfigMap that shows the values, the kube version and
// whether it is an upgrade, a pre-install hook, a test hook and a CRD.
var renderChart = helmtest.Chart{
	Name: "web", Version: "1.0.0",
	Values: "greeting: hello\n",
	Templates: map[string]string{
		"configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  greeting: {{ .Values.greeting }}
  kube: {{ .Capabilities.KubeVersion.Version }}
  upgrade: {{ .Release.IsUpgrade | quote }}
`,
		"hook.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-hook
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
`,
		"test.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    helm.sh/hook: test
spec:
  containers:
  - name: test
    image: busybox
`,
	},
	Files: map[string]string{"crds/crd.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`},
}

func TestRender(t *testing.T) {
	hr := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "apps"},
		Spec: helmv2.HelmReleaseSpec{
			TargetNamespace: "prod",
			CommonMetadata:  &helmv2.CommonMetadata{Labels: map[string]string{"team": "web"}},
			PostRenderers: []helmv2.PostRenderer{{Kustomize: &helmv2.Kustomize{Patches: []kustomizev1.Patch{{
				Patch:  `[{"op": "add", "path": "/data/patched", "value": "yes"}]`,
				Target: &kustomizev1.Selector{Kind: "ConfigMap", Name: "prod-web-settings"},
			}}}}},
		},
	}
	caps := &common.Capabilities{KubeVersion: common.KubeVersion{Version: "v1.99.0", Major: "1", Minor: "99"}}
	tests := map[string]struct {
		upgrade   bool
		caps      *common.Capabilities
		crds      helmv2.CRDsPolicy
		noHooks   bool
		wantKube  string
		wantCRDs  int
		wantHooks int
	}{
		"install":           {wantKube: common.DefaultCapabilities.KubeVersion.Version, wantCRDs: 1, wantHooks: 1},
		"upgrade":           {upgrade: true, caps: caps, wantKube: "v1.99.0", wantHooks: 1},
		"upgrade with crds": {upgrade: true, crds: helmv2.CreateReplace, wantKube: common.DefaultCapabilities.KubeVersion.Version, wantCRDs: 1, wantHooks: 1},
		"hooks disabled":    {noHooks: true, wantKube: common.DefaultCapabilities.KubeVersion.Version, wantCRDs: 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			hr := hr.DeepCopy()
			hr.Spec.Install = &helmv2.Install{DisableHooks: tt.noHooks}
			hr.Spec.Upgrade = &helmv2.Upgrade{CRDs: tt.crds}
			hr.Spec.Values = &apiextensionsv1.JSON{Raw: []byte(`{"greeting":"hi"}`)}
			ch, err := loader.LoadArchive(bytes.NewReader(renderChart.Package(t)))
			if err != nil {
				t.Fatal(err)
			}
			values, err := ComposeValues(context.Background(), nil, hr)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Render(context.Background(), hr, ch, values, RenderOptions{Upgrade: tt.upgrade, Capabilities: tt.caps, TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Objects) != 1 || len(r.CRDs) != tt.wantCRDs || len(r.Hooks) != tt.wantHooks {
				t.Fatalf("%d objects, %d CRDs, %d hooks; want 1, %d, %d", len(r.Objects), len(r.CRDs), len(r.Hooks), tt.wantCRDs, tt.wantHooks)
			}
			cm := r.Objects[0]
			data := cm.Object["data"].(map[string]any)
			want := map[string]any{"greeting": "hi", "kube": tt.wantKube, "upgrade": map[bool]string{true: "true", false: "false"}[tt.upgrade], "patched": "yes"}
			for k, v := range want {
				if data[k] != v {
					t.Errorf("data.%s = %v, want %v", k, data[k], v)
				}
			}
			if cm.GetName() != "prod-web-settings" {
				t.Errorf("name = %s, want prod-web-settings", cm.GetName())
			}
			labels := cm.GetLabels()
			if labels["team"] != "web" || labels[NameLabel] != "web" || labels[NamespaceLabel] != "apps" {
				t.Errorf("labels = %v, want commonMetadata and the origin labels", labels)
			}
			for _, h := range r.Hooks {
				if h.GetKind() != "ConfigMap" || h.GetLabels()[NameLabel] != "web" {
					t.Errorf("hook %s/%s, want the post-rendered ConfigMap hook", h.GetKind(), h.GetName())
				}
			}
		})
	}

	// A render error names the chart.
	bad := renderChart
	bad.Templates = map[string]string{"bad.yaml": "{{ fail \"no\" }}"}
	ch, err := loader.LoadArchive(bytes.NewReader(bad.Package(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Render(context.Background(), hr, ch, nil, RenderOptions{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("web@1.0.0")) {
		t.Errorf("error = %v, want one naming web@1.0.0", err)
	}
}
