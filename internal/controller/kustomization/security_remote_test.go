package kustomization_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestRemoteReferencesNeverFetched commits kustomizations that would make
// kustomize fetch from the network, every way it can (a remote resource
// over http and https, a git base over http and ssh, a remote component,
// patch, generator file, CRD, transformer and openapi schema, Helm chart
// inflation by helmCharts and by a HelmChartInflationGenerator), all at a
// loopback server that counts its connections. Every Kustomization fails
// its build with a message naming the entry, and the server is never
// connected to.
func TestRemoteReferencesNeverFetched(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	host := srv.Listener.Addr().String()
	base := "http://" + host

	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n"
	cases := map[string]struct {
		kustomization string
		extra         map[string]string
		want          string // in the Ready message
	}{
		"http-resource":  {kustomization: "resources:\n  - " + base + "/cm.yaml\n", want: base + "/cm.yaml"},
		"https-resource": {kustomization: "resources:\n  - https://" + host + "/cm.yaml\n", want: "https://" + host + "/cm.yaml"},
		"git-http-base":  {kustomization: "resources:\n  - git::" + base + "/org/repo//base?ref=main\n", want: "remote bases are disabled"},
		"git-ssh-base":   {kustomization: "resources:\n  - ssh://git@" + host + "/org/repo\n", want: "ssh://" + host + "/org/repo"},
		"scp-base":       {kustomization: "resources:\n  - git@127.0.0.1:org/repo\n", want: "remote bases are disabled"},
		"json":           {kustomization: `{"resources": ["` + base + `/cm.yaml"]}`, want: base + "/cm.yaml"},
		"credentials":    {kustomization: "resources:\n  - http://user:s3cr3t-remote@" + host + "/cm.yaml\n", want: base + "/cm.yaml"},
		"component":      {kustomization: "resources: [cm.yaml]\ncomponents:\n  - " + base + "/component\n", want: "components entry"},
		"patch":          {kustomization: "resources: [cm.yaml]\npatches:\n  - path: " + base + "/patch.yaml\n", want: "patches entry"},
		"generator-file": {kustomization: "configMapGenerator:\n  - name: gen\n    files:\n      - key=" + base + "/file\n", want: "configMapGenerator entry"},
		"crd":            {kustomization: "resources: [cm.yaml]\ncrds:\n  - " + base + "/crd.json\n", want: "crds entry"},
		"transformer":    {kustomization: "resources: [cm.yaml]\ntransformers:\n  - " + base + "/t.yaml\n", want: "transformers entry"},
		"openapi":        {kustomization: "resources: [cm.yaml]\nopenapi:\n  path: " + base + "/schema.json\n", want: "openapi entry"},
		"helm-charts": {kustomization: "helmCharts:\n  - name: podinfo\n    repo: " + base + "/charts\n    version: 6.5.0\n",
			want: "helmCharts needs Helm inside kustomize, which is not enabled"},
		"helm-generator": {kustomization: "generators: [helm.yaml]\n",
			extra: map[string]string{"helm.yaml": "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n  name: podinfo\nname: podinfo\nrepo: " + base + "/charts\nversion: 6.5.0\nreleaseName: podinfo\n"},
			want:  "must specify --enable-helm"},
	}
	files := map[string]string{}
	for name, c := range cases {
		files[name+"/kustomization.yaml"] = c.kustomization
		files[name+"/cm.yaml"] = cm
		for p, content := range c.extra {
			files[name+"/"+p] = content
		}
	}
	f := newFixture(t, files)
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	var stream strings.Builder
	stream.WriteString(sourceYAML)
	for _, name := range names {
		fmt.Fprintf(&stream, `
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %s
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 1h
  path: ./%s
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app`, name, name)
	}
	f.ApplyYAML(stream.String())

	for _, name := range names {
		ks := f.WaitForKS(f.NS, name, "BuildFailed", testenv.KustomizationFailed("BuildFailed", f.Head()))
		msg := testenv.ReadyCondition(ks).Message
		t.Logf("%s: %s", name, msg)
		if !strings.Contains(msg, cases[name].want) {
			t.Errorf("%s: Ready message %q does not contain %q", name, msg, cases[name].want)
		}
		if strings.Contains(msg, "s3cr3t-remote") {
			t.Errorf("%s: Ready message %q shows the URL's password", name, msg)
		}
		for _, e := range testenv.Events(t, env.Client, kustomizev1.KustomizationKind, f.NS, name) {
			if strings.Contains(e.Message, "s3cr3t-remote") {
				t.Errorf("%s: event %s shows the URL's password", name, e.Reason)
			}
		}
	}
	if f.Get("v1", "ConfigMap", "fetched") != nil || f.Get("v1", "ConfigMap", "local") != nil {
		t.Error("a build with a remote reference applied objects")
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the builds connected %d times to the server the remote references name", n)
	}
	if strings.Contains(env.Logs.String(), "s3cr3t-remote") {
		t.Error("the controllers logged the password of a remote URL")
	}
}
