package oci

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Artifact is a pulled manifest and the layer selected from it.
type Artifact struct {
	// Annotations are the manifest's annotations.
	Annotations map[string]string
	// Layer is the selected layer.
	Layer v1.Layer
	// LayerMediaType and LayerSize describe it.
	LayerMediaType types.MediaType
	LayerSize      int64
}

// Pull reads the manifest of digest in repo and selects its first layer of
// mediaType (the first layer when mediaType is ""). A layer larger than
// maxSize is refused before it is downloaded.
func (c *Client) Pull(ctx context.Context, repo name.Repository, digest v1.Hash, mediaType string, maxSize int64) (*Artifact, error) {
	ref := repo.Digest(digest.String())
	img, err := remote.Image(ref, c.Remote(ctx)...)
	if err != nil {
		return nil, Classify(fmt.Sprintf("failed to pull artifact from '%s'", ref), err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, Classify(fmt.Sprintf("failed to read the manifest of '%s'", ref), err)
	}
	for _, l := range m.Layers {
		if mediaType != "" && string(l.MediaType) != mediaType {
			continue
		}
		if l.Size > maxSize {
			return nil, fmt.Errorf("layer %s of '%s' is %d bytes, more than the maximum of %d", l.Digest, ref, l.Size, maxSize)
		}
		layer, err := img.LayerByDigest(l.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer %s of '%s': %w", l.Digest, ref, err)
		}
		return &Artifact{Annotations: m.Annotations, Layer: layer, LayerMediaType: l.MediaType, LayerSize: l.Size}, nil
	}
	if mediaType != "" {
		return nil, fmt.Errorf("no layer of media type '%s' in '%s' (%d layers)", mediaType, ref, len(m.Layers))
	}
	return nil, fmt.Errorf("'%s' has no layers", ref)
}

// Open returns the layer's compressed content as stored in the registry,
// checked against its digest as it is read, and at most limit bytes.
func (a *Artifact) Open(limit int64) (io.ReadCloser, error) {
	rc, err := a.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, limit+1), rc}, nil
}
