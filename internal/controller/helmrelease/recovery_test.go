package helmrelease_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	releasecommon "helm.sh/helm/v4/pkg/release/common"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/helm/release"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestPendingReleaseRecovered: a release left pending-upgrade (as a crash
// mid-upgrade leaves it) does not block forever with "another operation is
// in progress": ferry marks it failed, says so in an event, and upgrades.
func TestPendingReleaseRecovered(t *testing.T) {
	ns := env.NewNamespace(t, "hr-pending")
	ctx := context.Background()
	publish(t, ns, "app", helmtest.Chart{Name: "app", Version: "1.0.0"})
	apply(t, ns, hrDoc("app", ""))
	waitHR(t, ns, "app", "installed", readyWith(helmv2.InstallSucceededReason))

	// Leave a pending-upgrade v2 in Helm's storage, as an interrupted upgrade does.
	cluster, err := release.NewCluster(env.Config)
	must(t, err)
	cfg, err := cluster.Configuration(ctx, release.Target{Namespace: ns, StorageNamespace: ns})
	must(t, err)
	runner := &release.Runner{Config: cfg, Release: &helmv2.HelmRelease{Spec: helmv2.HelmReleaseSpec{ReleaseName: "app"}}}
	last, err := runner.Last()
	must(t, err)
	pending := *last
	info := *last.Info
	pending.Info = &info
	pending.Version = 2
	pending.Info.Status = releasecommon.StatusPendingUpgrade
	pending.Info.Description = "interrupted by the test"
	must(t, cfg.Releases.Create(&pending))

	apply(t, ns, hrDoc("app", "  values:\n    data:\n      k: v\n"))
	hr := waitHR(t, ns, "app", "upgraded past the pending release", readyWith(helmv2.UpgradeSucceededReason))
	if latest := hr.Status.History.Latest(); latest == nil || latest.Version != 3 {
		t.Errorf("history: %s", describeHistory(t, ns, "app"))
	}
	if got := releaseSecrets(t, ns, "app"); got["2"] != "failed" || got["3"] != "deployed" {
		t.Errorf("Helm storage = %v", got)
	}
	found := false
	for _, e := range testenv.Events(t, env.Client, helmv2.HelmReleaseKind, ns, "app") {
		if e.Reason == helmv2.StaleReleaseRecoveredReason && strings.Contains(e.Message, "pending-upgrade") {
			found = true
		}
	}
	if !found {
		t.Error("no StaleReleaseRecovered event")
	}
}

const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.%s.ferry.dev
spec:
  group: %s.ferry.dev
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
      additionalPrinterColumns:
        - {name: Size, type: string, jsonPath: .spec.size}
%s`

// TestCRDPolicies: the chart's crds/ are created on install (Create) and
// the chart's custom resource is applied with them; an upgrade with the
// default policy (Skip) leaves the CRD as it is, CreateReplace updates it.
func TestCRDPolicies(t *testing.T) {
	ns := env.NewNamespace(t, "hr-crds")
	ctx := context.Background()
	group := ns // unique per run
	crd := func(extraColumn string) string {
		return fmt.Sprintf(widgetCRD, group, group, extraColumn)
	}
	chart := func(version, extra string) helmtest.Chart {
		return helmtest.Chart{Name: "widgets", Version: version,
			Files:     map[string]string{"crds/widget.yaml": crd(extra)},
			Templates: map[string]string{"widget.yaml": fmt.Sprintf("apiVersion: %s.ferry.dev/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: large\n", group)},
		}
	}
	publish(t, ns, "widgets", chart("1.0.0", ""))
	apply(t, ns, hrDoc("widgets", ""))
	waitHR(t, ns, "widgets", "installed", readyWith(helmv2.InstallSucceededReason))
	w := &unstructured.Unstructured{}
	w.SetAPIVersion(group + ".ferry.dev/v1")
	w.SetKind("Widget")
	must(t, env.Client.Get(ctx, testenv.Key(ns, "w"), w))

	columns := func() int {
		var c apiextensionsv1.CustomResourceDefinition
		must(t, env.Client.Get(ctx, testenv.Key("", "widgets."+group+".ferry.dev"), &c))
		return len(c.Spec.Versions[0].AdditionalPrinterColumns)
	}
	color := "        - {name: Color, type: string, jsonPath: .spec.color}\n"
	publish(t, ns, "widgets", chart("1.1.0", color))
	waitHR(t, ns, "widgets", "at 1.1.0", func(hr *helmv2.HelmRelease) bool {
		return hr.Status.History.Latest() != nil && hr.Status.History.Latest().ChartVersion == "1.1.0" && readyWith("")(hr)
	})
	if n := columns(); n != 1 {
		t.Errorf("upgrade with crds Skip changed the CRD: %d columns", n)
	}
	apply(t, ns, hrDoc("widgets", "  upgrade:\n    crds: CreateReplace\n"))
	publish(t, ns, "widgets", chart("1.2.0", color))
	waitHR(t, ns, "widgets", "at 1.2.0", func(hr *helmv2.HelmRelease) bool {
		return hr.Status.History.Latest() != nil && hr.Status.History.Latest().ChartVersion == "1.2.0" && readyWith("")(hr)
	})
	if n := columns(); n != 2 {
		t.Errorf("upgrade with crds CreateReplace did not update the CRD: %d columns", n)
	}
}
