package chartregistry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// The media types `helm push` writes (helm.sh/helm/v4/pkg/registry).
const (
	ConfigMediaType     = "application/vnd.cncf.helm.config.v1+json"
	ChartLayerMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// The OCI annotations `helm push` sets from Chart.yaml.
const (
	annotationTitle       = "org.opencontainers.image.title"
	annotationVersion     = "org.opencontainers.image.version"
	annotationDescription = "org.opencontainers.image.description"
	annotationURL         = "org.opencontainers.image.url"
	annotationSource      = "org.opencontainers.image.source"
	annotationAuthors     = "org.opencontainers.image.authors"
	annotationCreated     = "org.opencontainers.image.created"
)

// DefaultCreated is the creation time Push writes when PushOptions.Created
// is zero: the timestamp internal/helm/chart packages files with, so the
// same chart always gives the same digest.
var DefaultCreated = time.Unix(0, 0).UTC()

// PushOptions tune Push.
type PushOptions struct {
	// Created is the manifest's org.opencontainers.image.created; zero is
	// DefaultCreated.
	Created time.Time
}

// Pushed is a chart in the registry.
type Pushed struct {
	Name, Version string
	// Ref is "HOST/charts/<name>:<tag>", without a scheme.
	Ref string
	// Digest is the manifest's, "sha256:...".
	Digest string
	// Dir is the chart directory PushDir packaged; empty for Push.
	Dir string
}

// Tag returns the OCI tag of a chart version: "+" becomes "_", as Helm
// writes it.
func Tag(version string) string { return strings.ReplaceAll(version, "+", "_") }

// Push pushes the packaged chart archive (.tgz) as `helm push` does, to
// "charts/<name>:<Tag(version)>" of the chart's own Chart.yaml.
func (r *Registry) Push(ctx context.Context, archive []byte, opts PushOptions) (Pushed, error) {
	ch, err := loader.LoadArchive(bytes.NewReader(archive))
	if err != nil {
		return Pushed{}, fmt.Errorf("loading the chart archive: %w", err)
	}
	md := ch.Metadata
	config, err := json.Marshal(md)
	if err != nil {
		return Pushed{}, err
	}
	ref, err := name.NewTag(r.host+"/"+Repository+"/"+md.Name+":"+Tag(md.Version), name.Insecure)
	if err != nil {
		return Pushed{}, fmt.Errorf("chart %s %s: %w", md.Name, md.Version, err)
	}
	var auth authn.Authenticator = authn.Anonymous
	if r.opts.Username != "" || r.opts.Password != "" {
		auth = &authn.Basic{Username: r.opts.Username, Password: r.opts.Password}
	}
	ropts := []remote.Option{remote.WithAuth(auth), remote.WithContext(ctx)}

	// Upload the config and the chart, then the manifest that ties them.
	configLayer := static.NewLayer(config, ConfigMediaType)
	chartLayer := static.NewLayer(archive, ChartLayerMediaType)
	for _, l := range []v1.Layer{configLayer, chartLayer} {
		if err := remote.WriteLayer(ref.Context(), l, ropts...); err != nil {
			return Pushed{}, fmt.Errorf("pushing %s: %w", ref, err)
		}
	}
	configDesc, err := describe(configLayer)
	if err != nil {
		return Pushed{}, err
	}
	chartDesc, err := describe(chartLayer)
	if err != nil {
		return Pushed{}, err
	}
	created := opts.Created
	if created.IsZero() {
		created = DefaultCreated
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        configDesc,
		Layers:        []v1.Descriptor{chartDesc},
		Annotations:   annotations(md, created),
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return Pushed{}, err
	}
	if err := remote.Put(ref, rawManifest(raw), ropts...); err != nil {
		return Pushed{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return Pushed{}, err
	}
	return Pushed{Name: md.Name, Version: md.Version, Ref: ref.String(), Digest: h.String()}, nil
}

// annotations returns the manifest annotations `helm push` writes: those
// from Chart.yaml's fields, then the chart's own annotations, which cannot
// replace the title or the version.
func annotations(md *chart.Metadata, created time.Time) map[string]string {
	out := map[string]string{}
	add := func(k, v string) {
		if strings.TrimSpace(v) != "" {
			out[k] = v
		}
	}
	add(annotationDescription, md.Description)
	add(annotationTitle, md.Name)
	add(annotationVersion, md.Version)
	add(annotationURL, md.Home)
	add(annotationCreated, created.UTC().Format(time.RFC3339))
	if len(md.Sources) > 0 {
		add(annotationSource, md.Sources[0])
	}
	var authors []string
	for _, m := range md.Maintainers {
		if m == nil {
			continue
		}
		a := m.Name
		if m.Email != "" {
			a += " (" + m.Email + ")"
		}
		authors = append(authors, a)
	}
	add(annotationAuthors, strings.Join(authors, ", "))
	own := maps.Clone(md.Annotations)
	delete(own, annotationTitle)
	delete(own, annotationVersion)
	maps.Copy(out, own)
	return out
}

func describe(l v1.Layer) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	size, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := l.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d}, nil
}

// rawManifest is an OCI image manifest for remote.Put.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
