package helmrelease_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// chartEntry is one entry of a hand-made chart archive.
type chartEntry struct {
	name, body string
	size       int64 // the declared size, when larger than body: zeros follow
}

// chartArchive builds a gzipped tar of entries, as a malicious chart
// repository could serve it.
func chartArchive(t *testing.T, entries ...chartEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		size := max(e.size, int64(len(e.body)))
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
		zeros := make([]byte, 1<<20)
		for left := size - int64(len(e.body)); left > 0; left -= int64(len(zeros)) {
			if _, err := tw.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// publishArchive stores data as the chart artifact of the HelmChart
// ns/name, Ready, as publish does for a chart built by helmtest.
func publishArchive(t *testing.T, ns, name string, data []byte) {
	t.Helper()
	ctx := context.Background()
	hc := &sourcev1.HelmChart{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.HelmChartSpec{Chart: name, Version: "*", Interval: metav1.Duration{Duration: time.Hour},
			SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: "test"}},
	}
	must(t, env.Client.Create(ctx, hc))
	art, err := env.Storage.StoreFile(sourcev1.HelmChartKind, ns, name, "1.0.0", name+"-1.0.0.tgz", bytes.NewReader(data))
	must(t, err)
	hc.Status.Artifact, hc.Status.ObservedGeneration, hc.Status.ObservedChartName = art, hc.Generation, name
	apimeta.SetStatusCondition(&hc.Status.Conditions, metav1.Condition{Type: meta.ReadyCondition, Status: metav1.ConditionTrue,
		Reason: sourcev1.ChartPullSucceededReason, Message: "pulled", ObservedGeneration: hc.Generation})
	must(t, env.Client.Status().Update(ctx, hc))
}

// TestMaliciousChartArchives installs charts whose archives a hostile
// repository crafted: an entry climbing out of the chart with "..", an
// absolute entry, and a decompression bomb (a 200 MiB file of zeros in a
// 200 KiB archive, past Helm's 100 MiB limit on a chart). Each release
// fails naming the problem before anything is written or installed: no
// release in Helm's storage, no object of the chart.
func TestMaliciousChartArchives(t *testing.T) {
	ns := env.NewNamespace(t, "hr-evil")
	chartYAML := func(name string) chartEntry {
		return chartEntry{name: name + "/Chart.yaml", body: "apiVersion: v2\nname: " + name + "\nversion: 1.0.0\n"}
	}
	cm := func(name string) chartEntry {
		return chartEntry{name: name + "/templates/cm.yaml", body: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "-installed\n"}
	}
	cases := map[string]struct {
		data []byte
		want string
	}{
		"dotdot": {chartArchive(t, chartYAML("dotdot"), cm("dotdot"),
			chartEntry{name: "dotdot/../../escaped.yaml", body: "x: 1\n"}), "chart illegally references parent directory"},
		"absolute": {chartArchive(t, chartYAML("absolute"), cm("absolute"),
			chartEntry{name: "absolute//etc/ferry-escaped.yaml", body: "x: 1\n"}), "chart illegally contains absolute paths"},
		"bomb": {chartArchive(t, chartYAML("bomb"), cm("bomb"),
			chartEntry{name: "bomb/templates/zeros.yaml", size: 200 << 20}), "decompressed chart is larger than the maximum size"},
	}
	for name, c := range cases {
		t.Logf("%s: archive of %d bytes", name, len(c.data))
		publishArchive(t, ns, name, c.data)
		apply(t, ns, hrDoc(name, ""))
	}
	for name, c := range cases {
		hr := waitHR(t, ns, name, "failed", func(hr *helmv2.HelmRelease) bool {
			r := condition(hr, meta.ReadyCondition)
			return r != nil && r.Status == metav1.ConditionFalse && strings.Contains(r.Message, c.want)
		})
		t.Logf("%s: %s", name, readyMessage(hr))
		if got := releaseSecrets(t, ns, name); len(got) != 0 {
			t.Errorf("%s: Helm's storage holds %v", name, got)
		}
		if _, err := configMap(t, ns, name+"-installed"); err == nil {
			t.Errorf("%s: an object of the chart was installed", name)
		}
	}
}
