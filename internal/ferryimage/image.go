package ferryimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// DefaultSource is the org.opencontainers.image.source label when
	// Options.Source is empty.
	DefaultSource = "https://github.com/ferrycd/ferry"
	// DefaultCABundle is the host file copied into the image when
	// Options.CABundle is empty (Debian's and Ubuntu's ca-certificates).
	DefaultCABundle = "/etc/ssl/certs/ca-certificates.crt"

	// BinaryPath is where the ferry binary sits in the image.
	BinaryPath = "/ferry"
	// CABundlePath is where the CA bundle sits in the image; SSL_CERT_FILE
	// points at it.
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
	// User is the image's user and group, the nonroot account of
	// /etc/passwd; the install Deployment runs as the same ids.
	User = "65532:65532"

	title       = "ferry"
	description = "ferry, a GitOps engine for Kubernetes that serves Flux's API in one binary"
)

// passwd and group are the image's /etc/passwd and /etc/group: root and
// nonroot (65532), both with home / (the root file system is read-only in
// the install Deployment, so a home directory would be of no use).
const (
	passwd = "root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/sbin/nologin\n"
	group  = "root:x:0:\nnonroot:x:65532:\n"
)

// Label keys of the OCI image spec that Build sets.
const (
	LabelTitle       = "org.opencontainers.image.title"
	LabelSource      = "org.opencontainers.image.source"
	LabelVersion     = "org.opencontainers.image.version"
	LabelRevision    = "org.opencontainers.image.revision"
	LabelDescription = "org.opencontainers.image.description"
)

// Options says what Build puts into the image.
type Options struct {
	// Binary is the path of the static ferry binary (CGO_ENABLED=0) built
	// for Platform.
	Binary string
	// Platform is the OS (empty means linux), architecture and variant the
	// binary was built for.
	Platform v1.Platform
	// Version is the release, the org.opencontainers.image.version label.
	Version string
	// Revision is the Git commit the binary was built from, the
	// org.opencontainers.image.revision label; empty leaves it out.
	Revision string
	// Source is the repository URL; empty means DefaultSource.
	Source string
	// CABundle is the path of the PEM bundle of trusted CAs to copy in;
	// empty means DefaultCABundle.
	CABundle string
	// Created is the image's creation time and the mtime of every file in
	// it; zero means the Unix epoch. Set it from SOURCE_DATE_EPOCH or the
	// commit time, never from the clock, to keep the build reproducible.
	Created time.Time
}

// Build returns ferry's image for one platform: scratch plus one layer, with
// OCI media types, entrypoint /ferry, command controller and user
// 65532:65532.
func Build(opts Options) (v1.Image, error) {
	// Check the options and fill in the defaults.
	if opts.Binary == "" {
		return nil, errors.New("build image: no binary given")
	}
	if opts.Platform.OS == "" {
		opts.Platform.OS = "linux"
	}
	if opts.Platform.Architecture == "" {
		return nil, errors.New("build image: no architecture given")
	}
	if opts.Version == "" {
		return nil, errors.New("build image: no version given")
	}
	if opts.Source == "" {
		opts.Source = DefaultSource
	}
	if opts.CABundle == "" {
		opts.CABundle = DefaultCABundle
	}
	created := opts.Created.UTC().Truncate(time.Second)
	if opts.Created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}

	// Read the files the layer holds.
	binary, err := readRegular(opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("build image: binary: %w", err)
	}
	caBundle, err := readRegular(opts.CABundle)
	if err != nil {
		return nil, fmt.Errorf("build image: CA bundle: %w (install ca-certificates or pass the path of a PEM bundle)", err)
	}

	// Write the layer's tar and wrap it in a gzip layer.
	tarBytes, err := layerTar(created, []entry{
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: CABundlePath[1:], mode: 0o644, data: caBundle},
		{name: BinaryPath[1:], mode: 0o755, data: binary},
		{name: "tmp/", mode: 0o1777},
	})
	if err != nil {
		return nil, fmt.Errorf("build image: write layer: %w", err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression), tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("build image: compress layer: %w", err)
	}

	// Put it on scratch with OCI media types.
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     plainLayer{layer},
		MediaType: types.OCILayer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "ferryimage.Build",
			Comment:   "ferry " + opts.Version,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("build image: append layer: %w", err)
	}

	// Set the config: how to run ferry, the platform, the labels.
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("build image: read config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: created}
	cfg.OS = opts.Platform.OS
	cfg.Architecture = opts.Platform.Architecture
	cfg.Variant = opts.Platform.Variant
	cfg.OSVersion = opts.Platform.OSVersion
	labels := map[string]string{
		LabelTitle:       title,
		LabelSource:      opts.Source,
		LabelVersion:     opts.Version,
		LabelDescription: description,
	}
	if opts.Revision != "" {
		labels[LabelRevision] = opts.Revision
	}
	cfg.Config = v1.Config{
		Entrypoint: []string{BinaryPath},
		Cmd:        []string{"controller"},
		User:       User,
		WorkingDir: "/",
		Env:        []string{"SSL_CERT_FILE=" + CABundlePath},
		Labels:     labels,
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("build image: set config: %w", err)
	}
	return img, nil
}

// Index returns an OCI image index of images, one per platform, each
// described by the platform of its config. The labels that every image
// shares (source, version, revision...) become annotations of the index,
// where registries look for them on a multi-platform image.
func Index(images ...v1.Image) (v1.ImageIndex, error) {
	if len(images) == 0 {
		return nil, errors.New("image index: no images")
	}
	var adds []mutate.IndexAddendum
	var shared map[string]string
	seen := map[string]bool{}
	for i, img := range images {
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("image index: image %d: read config: %w", i+1, err)
		}
		platform := cfg.Platform()
		if platform == nil {
			return nil, fmt.Errorf("image index: image %d has no platform in its config", i+1)
		}
		if seen[platform.String()] {
			return nil, fmt.Errorf("image index: two images for platform %s", platform)
		}
		seen[platform.String()] = true
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: platform}})
		if i == 0 {
			shared = map[string]string{}
			for k, v := range cfg.Config.Labels {
				shared[k] = v
			}
			continue
		}
		for k, v := range shared {
			if cfg.Config.Labels[k] != v {
				delete(shared, k)
			}
		}
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	if len(shared) > 0 {
		idx = mutate.Annotations(idx, shared).(v1.ImageIndex)
	}
	return idx, nil
}

// plainLayer hides the Descriptor method of a tarball layer, whose empty,
// non-nil annotations map makes the manifest differ from its own JSON round
// trip (validate.Image fails on it) though both marshal the same.
type plainLayer struct{ v1.Layer }

// entry is one file or directory (a name ending in /) of the layer.
type entry struct {
	name string
	mode int64
	data []byte
}

// layerTar returns the tar of entries, sorted by name, each owned by 0:0
// with mtime created, in the ustar format (no PAX records, so no access or
// change times).
func layerTar(created time.Time, entries []entry) ([]byte, error) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			ModTime: created,
			Format:  tar.FormatUSTAR,
		}
		if e.name[len(e.name)-1] == '/' {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("%s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("%s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readRegular reads the regular file at path.
func readRegular(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errors.New("not a regular file")}
	}
	return os.ReadFile(path)
}
