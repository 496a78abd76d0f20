package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// DownloadChart downloads the archive of cv from its first URL, a relative
// one resolved against opts.URL as Helm does. The credentials go only to
// opts.URL's host unless opts.PassCredentials; the archive is bounded by
// MaxChartSize and checked against the index's digest when it has one.
func DownloadChart(ctx context.Context, opts Options, cv *repo.ChartVersion) ([]byte, error) {
	if cv == nil || cv.Metadata == nil {
		return nil, fmt.Errorf("no chart version to download")
	}
	what := fmt.Sprintf("chart %s-%s", cv.Name, cv.Version)
	if len(cv.URLs) == 0 {
		return nil, fmt.Errorf("%s has no URL in the repository index", what)
	}
	u, err := ChartURL(opts.URL, cv.URLs[0])
	if err != nil {
		return nil, redact(fmt.Errorf("%s: %w", what, err), opts)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.timeout())
	defer cancel()
	data, err := get(ctx, opts, u, opts.maxChartSize(), what)
	if err != nil {
		return nil, redact(err, opts)
	}
	if want := strings.ToLower(strings.TrimPrefix(cv.Digest, "sha256:")); want != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != want {
			return nil, fmt.Errorf("%s from '%s': digest mismatch: the index says sha256:%s, the download is sha256:%s", what, u.Redacted(), want, got)
		}
	}
	return data, nil
}

// ChartURL resolves a chart URL of an index against the repository URL:
// an absolute http(s) URL stays as it is, a relative one is resolved below
// the repository's path (keeping its query, as Helm does). URLs with
// credentials are refused.
func ChartURL(repoURL, chartURL string) (*url.URL, error) {
	ref, err := url.Parse(chartURL)
	if err != nil {
		return nil, fmt.Errorf("invalid chart URL %q", redactRawURL(chartURL))
	}
	if ref.User != nil {
		return nil, fmt.Errorf("invalid chart URL '%s': credentials in chart URLs are not allowed", redactRawURL(chartURL))
	}
	if ref.IsAbs() {
		if ref.Scheme != "http" && ref.Scheme != "https" {
			return nil, fmt.Errorf("invalid chart URL '%s': the scheme must be http or https", redactRawURL(chartURL))
		}
		return ref, nil
	}
	base, err := url.Parse(repoURL)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot parse %q", ErrInvalidURL, redactURLs(repoURL))
	}
	base.Path = strings.TrimSuffix(base.Path, "/") + "/"
	base.RawPath = ""
	resolved := base.ResolveReference(ref)
	if ref.RawQuery == "" {
		resolved.RawQuery = base.RawQuery
	}
	return resolved, nil
}
