package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func TestDependsOnBothWays(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "deps")
	kustomization(t, ns, "infra", ready("Applied"))
	// A depends on infra (Flux's form), on a HelmRelease that does not
	// exist (ferry's cross-kind form) and on a Kustomization elsewhere
	// that does not exist either.
	a := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: time.Minute},
			Path:      "./web",
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "repo"},
			DependsOn: []kustomizev1.DependencyReference{
				{Name: "infra"},
				{Kind: helmv2.HelmReleaseKind, Name: "redis"},
				{Name: "gone", Namespace: "elsewhere"},
			},
		},
	}
	// A HelmRelease depends on infra too, across kinds.
	hr := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cache"},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: time.Minute},
			Chart: &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
				Chart: "redis", SourceRef: helmv2.CrossNamespaceObjectReference{Kind: sourcev1.HelmRepositoryKind, Name: "charts"},
			}},
			DependsOn: []helmv2.DependencyReference{{Kind: kustomizev1.KustomizationKind, Name: "infra"}},
		},
	}
	for _, o := range []client.Object{a, hr} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	srv := newUI(t, nil)

	resp, body := get(t, srv, "/o/Kustomization/"+ns+"/web")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET web = %d:\n%s", resp.StatusCode, body)
	}
	deps := section(t, body, "depends-h")
	mustContain(t, "web's Depends on", deps,
		`Kustomization <a href="/o/Kustomization/`+ns+`/infra">`+ns+`/infra</a> <span class="state state-ready">`,
		`HelmRelease <a href="/o/HelmRelease/`+ns+`/redis">`+ns+`/redis</a> <span class="state state-failing">not found</span>`,
		`elsewhere/gone</a> <span class="state state-failing">not found</span>`)
	mustContain(t, "web's Needed by", section(t, body, "needed-h"), "No Kustomization or HelmRelease depends on it.")

	_, body = get(t, srv, "/o/Kustomization/"+ns+"/infra")
	needed := section(t, body, "needed-h")
	mustContain(t, "infra's Needed by", needed, `href="/o/Kustomization/`+ns+`/web"`, `href="/o/HelmRelease/`+ns+`/cache"`)
	mustContain(t, "infra's Depends on", section(t, body, "depends-h"), "it waits for no other object")

	_, body = get(t, srv, "/o/HelmRelease/"+ns+"/cache")
	mustContain(t, "cache's Depends on", section(t, body, "depends-h"), `Kustomization <a href="/o/Kustomization/`+ns+`/infra">`)

	// A source has neither section.
	gitRepository(t, ns, "repo", metav1.ConditionTrue, "stored artifact", "main@sha1:4444")
	if _, body = get(t, srv, "/o/GitRepository/"+ns+"/repo"); strings.Contains(body, `id="depends-h"`) {
		t.Errorf("a GitRepository's page has a Depends on section")
	}
}

// section is the page's section headed by the heading of id.
func section(t *testing.T, body, id string) string {
	t.Helper()
	start := strings.Index(body, `id="`+id+`"`)
	if start < 0 {
		t.Fatalf("the page has no section %s:\n%s", id, body)
	}
	end := strings.Index(body[start:], "</section>")
	if end < 0 {
		t.Fatalf("section %s does not end", id)
	}
	return body[start : start+end]
}
