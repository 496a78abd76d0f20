package repository

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	repo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/ferrycd/ferry/internal/helm/helmtest"
)

// fetchResolved fetches opts' index and resolves name at version.
func fetchResolved(t *testing.T, opts Options, name, version string) *repo.ChartVersion {
	t.Helper()
	data, _, err := FetchIndex(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	index, err := ParseIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := Resolve(index, name, version)
	if err != nil {
		t.Fatal(err)
	}
	return cv
}

func TestDownloadChartRelative(t *testing.T) {
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: "user", Password: testPassword, TLS: true})
	c := helmtest.Chart{Name: "demo", Version: "1.0.0"}
	r.Add(t, c)
	opts := Options{URL: r.URL() + "/", Username: "user", Password: testPassword, TLS: tlsConfig(t, r.CACert())}
	cv := fetchResolved(t, opts, "demo", "1.0.0")
	data, err := DownloadChart(context.Background(), opts, cv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, c.Package(t)) {
		t.Fatal("downloaded archive differs from the chart's package")
	}

	// A digest that does not match the download is refused.
	bad := *cv
	bad.Digest = strings.Repeat("0", 64)
	if _, err := DownloadChart(context.Background(), opts, &bad); err == nil || !strings.Contains(err.Error(), "digest mismatch") {
		t.Fatalf("digest mismatch: %v", err)
	}

	// A chart over MaxChartSize is refused.
	small := opts
	small.MaxChartSize = 64
	if _, err := DownloadChart(context.Background(), small, cv); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
}

func TestDownloadChartCrossHost(t *testing.T) {
	// The index is on one host, the charts on another that wants the same
	// credentials: they only go there with PassCredentials.
	charts := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: "user", Password: testPassword})
	c := helmtest.Chart{Name: "demo", Version: "1.0.0"}
	charts.Add(t, c)
	index := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: "user", Password: testPassword})
	index.Put("/index.yaml", bytes.ReplaceAll(charts.Index(), []byte("- demo-1.0.0.tgz"), []byte("- "+charts.URL()+"/demo-1.0.0.tgz")))

	opts := Options{URL: index.URL(), Username: "user", Password: testPassword}
	cv := fetchResolved(t, opts, "demo", "")
	if !strings.HasPrefix(cv.URLs[0], charts.URL()) {
		t.Fatalf("chart URL %s is not absolute", cv.URLs[0])
	}
	_, err := DownloadChart(context.Background(), opts, cv)
	if !errors.Is(err, ErrAuthentication) || !strings.Contains(err.Error(), "requires credentials") {
		t.Fatalf("credentials sent cross-host, or another error: %v", err)
	}
	opts.PassCredentials = true
	data, err := DownloadChart(context.Background(), opts, cv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, c.Package(t)) {
		t.Fatal("downloaded archive differs")
	}
}

func TestChartURL(t *testing.T) {
	tests := map[string]struct{ repo, chart, want, wantErr string }{
		"relative":           {repo: "https://h/charts", chart: "a-1.0.0.tgz", want: "https://h/charts/a-1.0.0.tgz"},
		"relative, slash":    {repo: "https://h/charts/", chart: "a-1.0.0.tgz", want: "https://h/charts/a-1.0.0.tgz"},
		"relative subdir":    {repo: "https://h/charts", chart: "sub/a-1.0.0.tgz", want: "https://h/charts/sub/a-1.0.0.tgz"},
		"root-relative":      {repo: "https://h/charts", chart: "/other/a.tgz", want: "https://h/other/a.tgz"},
		"query kept":         {repo: "https://h/charts?token=x", chart: "a.tgz", want: "https://h/charts/a.tgz?token=x"},
		"absolute":           {repo: "https://h/charts", chart: "https://cdn/a.tgz", want: "https://cdn/a.tgz"},
		"absolute, userinfo": {repo: "https://h", chart: "https://u:p@cdn/a.tgz", wantErr: "credentials"},
		"absolute, ftp":      {repo: "https://h", chart: "ftp://cdn/a.tgz", wantErr: "scheme"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			u, err := ChartURL(tt.repo, tt.chart)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "u:p@") {
					t.Fatalf("error reveals credentials: %v", err)
				}
				return
			}
			if err != nil || u.String() != tt.want {
				t.Fatalf("got %v %v, want %s", u, err, tt.want)
			}
		})
	}
}
