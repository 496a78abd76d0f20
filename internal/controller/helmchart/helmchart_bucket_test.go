package helmchart_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/s3/s3test"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestChartFromBucket builds the chart directory of a Bucket's artifact,
// as from a GitRepository's, and rebuilds it when the bucket changes.
func TestChartFromBucket(t *testing.T) {
	ns := newNamespace(t)
	s3 := s3test.Start(t, s3test.Options{})
	s3.MakeBucket(t, "charts")
	s3.Put(t, "charts", chartFiles(t, "charts/app", helmtest.Chart{Name: "app", Version: "0.1.0"}))
	create(t, &sourcev1.Bucket{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Spec: sourcev1.BucketSpec{BucketName: "charts", Endpoint: s3.Endpoint(), Insecure: true,
			Interval: metav1.Duration{Duration: time.Hour}},
	})
	create(t, newHelmChart(ns, "app", sourcev1.BucketKind, "source", "./charts/app"))
	hc := waitFor(t, testenv.Key(ns, "app"), "Ready with 0.1.0", readyWith("0.1.0"))
	if got := storedChart(t, hc).Metadata; got.Name != "app" || got.Version != "0.1.0" {
		t.Errorf("stored chart %s %s", got.Name, got.Version)
	}

	// A new version in the bucket: the Bucket's new artifact rebuilds it.
	s3.Put(t, "charts", chartFiles(t, "charts/app", helmtest.Chart{Name: "app", Version: "0.2.0"}))
	testenv.ReconcileNow(t, env.Client, &sourcev1.Bucket{}, testenv.Key(ns, "source"),
		func(b *sourcev1.Bucket) string { return b.Status.LastHandledReconcileAt })
	waitFor(t, testenv.Key(ns, "app"), "Ready with 0.2.0", readyWith("0.2.0"))
}

// chartFiles returns the files of c written as a chart directory under
// prefix, keyed by their object keys.
func chartFiles(t *testing.T, prefix string, c helmtest.Chart) map[string]string {
	t.Helper()
	dir := t.TempDir()
	c.WriteDir(t, dir)
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		files[prefix+"/"+filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
