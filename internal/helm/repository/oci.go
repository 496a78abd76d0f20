package repository

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/ferrycd/ferry/internal/oci"
)

// The media types of a Helm chart in an OCI registry.
const (
	ConfigMediaType     = "application/vnd.cncf.helm.config.v1+json"
	ChartLayerMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	// LegacyChartLayerMediaType is the layer type of charts pushed by Helm
	// before 3.8.
	LegacyChartLayerMediaType = "application/tar+gzip"
)

// ResolveOCI returns the version of chart in the OCI repository opts.URL
// (oci://host/path) for versionRange: an exact semver version is returned
// as it is, as Flux does (PullOCI then fails if it is missing); a range,
// "" or "*" lists the tags of <url>/<chart> (a "_" in a tag means "+") and
// picks the newest match with Resolve's rules.
func ResolveOCI(ctx context.Context, opts Options, chart, versionRange string) (string, error) {
	versionRange = strings.TrimSpace(versionRange)
	if v, err := semver.StrictNewVersion(versionRange); err == nil && versionRange != "" {
		return v.Original(), nil
	}
	repository, ropts, t, err := ociRepository(ctx, opts, chart)
	if err != nil {
		return "", err
	}
	defer t.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, opts.timeout())
	defer cancel()
	tags, err := remote.List(repository, append(ropts, remote.WithContext(ctx))...)
	if err != nil {
		return "", redact(ociError(opts, fmt.Sprintf("failed to list the tags of '%s'", repository), err), opts)
	}
	version, err := newest(tags, chart, versionRange)
	if err != nil {
		return "", fmt.Errorf("%w in '%s'", err, repository)
	}
	return version, nil
}

// PullOCI downloads chart at version from the OCI repository opts.URL: the
// manifest tagged version ("+" written "_"), then its chart layer, bounded
// by MaxChartSize and checked against its digest. It returns the archive and
// the manifest's digest ("sha256:...").
func PullOCI(ctx context.Context, opts Options, chart, version string) (data []byte, digest string, err error) {
	repository, ropts, t, err := ociRepository(ctx, opts, chart)
	if err != nil {
		return nil, "", err
	}
	defer t.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, opts.timeout())
	defer cancel()
	ropts = append(ropts, remote.WithContext(ctx))
	ref := repository.Tag(strings.ReplaceAll(version, "+", "_"))
	img, err := remote.Image(ref, ropts...)
	if err != nil {
		return nil, "", redact(ociError(opts, fmt.Sprintf("failed to get chart '%s'", ref), err), opts)
	}
	manifest, err := img.Manifest()
	if err != nil {
		return nil, "", redact(ociError(opts, fmt.Sprintf("failed to get chart '%s'", ref), err), opts)
	}
	if manifest.Config.MediaType != ConfigMediaType {
		return nil, "", fmt.Errorf("'%s' is not a Helm chart: its config media type is '%s', not '%s'", ref, manifest.Config.MediaType, ConfigMediaType)
	}
	var layer *v1.Descriptor
	for i, l := range manifest.Layers {
		if l.MediaType == ChartLayerMediaType || l.MediaType == LegacyChartLayerMediaType {
			layer = &manifest.Layers[i]
			break
		}
	}
	if layer == nil {
		return nil, "", fmt.Errorf("'%s' is not a Helm chart: no layer of media type '%s'", ref, ChartLayerMediaType)
	}
	if layer.Size > opts.maxChartSize() {
		return nil, "", fmt.Errorf("chart '%s': %w: %d bytes is more than the maximum of %s", ref, ErrTooLarge, layer.Size, humanSize(opts.maxChartSize()))
	}
	l, err := remote.Layer(repository.Digest(layer.Digest.String()), ropts...)
	if err != nil {
		return nil, "", redact(ociError(opts, fmt.Sprintf("failed to get chart '%s'", ref), err), opts)
	}
	rc, err := l.Compressed() // verifies the digest as it reads
	if err != nil {
		return nil, "", redact(ociError(opts, fmt.Sprintf("failed to pull chart '%s'", ref), err), opts)
	}
	defer rc.Close()
	data, err = io.ReadAll(io.LimitReader(rc, opts.maxChartSize()+1))
	if err != nil {
		return nil, "", redact(ociError(opts, fmt.Sprintf("failed to pull chart '%s'", ref), err), opts)
	}
	if int64(len(data)) > opts.maxChartSize() {
		return nil, "", fmt.Errorf("chart '%s': %w: more than the maximum of %s", ref, ErrTooLarge, humanSize(opts.maxChartSize()))
	}
	d, err := img.Digest()
	if err != nil {
		return nil, "", err
	}
	return data, d.String(), nil
}

// ociRepository returns the repository <opts.URL>/<chart> and the remote
// options for opts: its credentials, TLS configuration, and plain HTTP only
// when opts.Insecure, and the transport whose idle connections the caller
// closes when done.
func ociRepository(ctx context.Context, opts Options, chart string) (name.Repository, []remote.Option, *http.Transport, error) {
	if err := ValidateURL(opts.URL); err != nil {
		return name.Repository{}, nil, nil, err
	}
	if !strings.HasPrefix(opts.URL, "oci://") {
		return name.Repository{}, nil, nil, fmt.Errorf("%w '%s': an OCI repository URL starts with oci://", ErrInvalidURL, opts.URL)
	}
	if chart == "" || strings.ContainsAny(chart, ":@") {
		return name.Repository{}, nil, nil, fmt.Errorf("invalid chart name '%s'", chart)
	}
	var nameOpts []name.Option
	if opts.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	raw := strings.TrimSuffix(strings.TrimPrefix(opts.URL, "oci://"), "/") + "/" + chart
	repository, err := name.NewRepository(raw, nameOpts...)
	if err != nil {
		return name.Repository{}, nil, nil, fmt.Errorf("%w '%s': %v", ErrInvalidURL, opts.URL+"/"+chart, err)
	}
	var auth authn.Authenticator = authn.Anonymous
	if opts.Username != "" || opts.Password != "" {
		auth = &authn.Basic{Username: opts.Username, Password: opts.Password}
	}
	t := newTransport(opts)
	return repository, []remote.Option{
		remote.WithAuth(auth),
		remote.WithTransport(&oci.SchemeGuard{Next: t, Insecure: opts.Insecure}),
		remote.WithContext(ctx),
		remote.WithUserAgent("ferry"),
	}, t, nil
}

// ociError wraps err with what, marking authentication failures with
// ErrAuthentication.
func ociError(opts Options, what string, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		hint := "the registry requires credentials: set spec.secretRef to a Secret with 'username' and 'password'"
		if opts.Username != "" || opts.Password != "" {
			hint = "the registry rejected the credentials"
		}
		return fmt.Errorf("%s: %w (%s): %v", what, ErrAuthentication, hint, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
