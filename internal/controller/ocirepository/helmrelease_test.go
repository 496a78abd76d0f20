package ocirepository_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/testenv"
)

// A HelmRelease installs the chart of an OCIRepository (spec.chartRef):
// the chart pushed as `helm push` does, its layer copied or extracted. As
// Flux, the chart version carries the artifact's digest, so a new push of
// the same version upgrades the release; a tag that is not the chart's
// version is refused.
func TestHelmReleaseFromOCIRepository(t *testing.T) {
	ns := env.NewNamespace(t, "ocichart")
	reg := helmtest.NewRegistry(t)
	chart := helmtest.Chart{Name: "podinfo", Version: "6.6.2", Values: "data: {color: blue}\n"}
	first := reg.Push(t, chart)
	url := reg.URL() + "/podinfo"

	copyLayer := &sourcev1.OCILayerSelector{MediaType: helmtest.ChartLayerMediaType, Operation: sourcev1.OCILayerCopy}
	create(t, newOCIRepository(ns, "podinfo", url, withRef(sourcev1.OCIRepositoryRef{Tag: "6.6.2"}),
		func(o *sourcev1.OCIRepository) { o.Spec.LayerSelector = copyLayer }))
	create(t, helmRelease(ns, "podinfo", "podinfo"))

	hr := waitHelmRelease(t, ns, "podinfo", "installed at the first push", installedAt("6.6.2+"+hex12(first)))
	if hr.Status.LastAttemptedRevisionDigest != first || hr.Status.History.Latest().OCIDigest != first {
		t.Errorf("lastAttemptedRevisionDigest %q, history ociDigest %q; want %s", hr.Status.LastAttemptedRevisionDigest, hr.Status.History.Latest().OCIDigest, first)
	}
	if hr.Status.HelmChart != "" {
		t.Errorf("status.helmChart %q for an OCIRepository chart", hr.Status.HelmChart)
	}
	if got := configMapData(t, ns, "podinfo-podinfo")["color"]; got != "blue" {
		t.Errorf("ConfigMap data color %q, want blue", got)
	}

	// The same version pushed again is a new digest: an upgrade, started
	// by the OCIRepository's new artifact.
	chart.Values = "data: {color: green}\n"
	second := reg.Push(t, chart)
	reconcileNow(t, client.ObjectKey{Namespace: ns, Name: "podinfo"})
	hr = waitHelmRelease(t, ns, "podinfo", "upgraded to the second push", installedAt("6.6.2+"+hex12(second)))
	if latest := hr.Status.History.Latest(); latest.Version != 2 || latest.OCIDigest != second {
		t.Errorf("latest release v%d ociDigest %s; want v2 of %s", latest.Version, latest.OCIDigest, second)
	}
	if got := configMapData(t, ns, "podinfo-podinfo")["color"]; got != "green" {
		t.Errorf("ConfigMap data color %q after the upgrade, want green", got)
	}

	t.Run("extracted-by-digest", func(t *testing.T) {
		create(t, newOCIRepository(ns, "pinned", url, withRef(sourcev1.OCIRepositoryRef{Digest: first})))
		create(t, helmRelease(ns, "pinned", "pinned"))
		waitHelmRelease(t, ns, "pinned", "installed", installedAt("6.6.2+"+hex12(first)))
		if got := configMapData(t, ns, "pinned-podinfo")["color"]; got != "blue" {
			t.Errorf("ConfigMap data color %q, want blue", got)
		}
	})

	t.Run("tag-is-not-the-version", func(t *testing.T) {
		c := oci.New(oci.Options{Insecure: true})
		defer c.Close()
		repo, err := c.Repository(url)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(repo.Digest(first), c.Remote(context.Background())...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Push(context.Background(), repo.Tag("stable"), img); err != nil {
			t.Fatal(err)
		}
		create(t, newOCIRepository(ns, "stable", url, withRef(sourcev1.OCIRepositoryRef{Tag: "stable"}),
			func(o *sourcev1.OCIRepository) { o.Spec.LayerSelector = copyLayer }))
		create(t, helmRelease(ns, "stable", "stable"))
		hr := waitHelmRelease(t, ns, "stable", "refused", func(hr *helmv2.HelmRelease) bool {
			c := cond(hr, meta.ReadyCondition)
			return c != nil && c.Status == metav1.ConditionFalse && c.Reason == helmv2.ArtifactFailedReason
		})
		if msg := cond(hr, meta.ReadyCondition).Message; !strings.Contains(msg, "artifact tag 'stable' is not the chart's version '6.6.2'") {
			t.Errorf("message %q", msg)
		}
		if len(hr.Status.History) != 0 {
			t.Errorf("a release was made: %v", hr.Status.History)
		}
	})
}

func helmRelease(ns, name, source string) *helmv2.HelmRelease {
	return &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: time.Hour},
			ChartRef: &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: source},
		},
	}
}

func waitHelmRelease(t *testing.T, ns, name, what string, ok func(*helmv2.HelmRelease) bool) *helmv2.HelmRelease {
	t.Helper()
	return testenv.WaitFor(t, env.Client, client.ObjectKey{Namespace: ns, Name: name}, what, ok)
}

// installedAt holds once the HelmRelease is Ready with chart version
// version installed.
func installedAt(version string) func(*helmv2.HelmRelease) bool {
	return func(hr *helmv2.HelmRelease) bool {
		c := cond(hr, meta.ReadyCondition)
		latest := hr.Status.History.Latest()
		return c != nil && c.Status == metav1.ConditionTrue && hr.Status.ObservedGeneration == hr.Generation &&
			hr.Status.LastAttemptedRevision == version && latest != nil && latest.ChartVersion == version
	}
}

func hex12(digest string) string { return strings.TrimPrefix(digest, "sha256:")[:12] }

func configMapData(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	cm := &corev1.ConfigMap{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, cm); err != nil {
		t.Fatal(err)
	}
	return cm.Data
}
