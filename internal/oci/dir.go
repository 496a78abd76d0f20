package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/ferrycd/ferry/internal/artifact"
)

// DefaultMaxPackSize bounds the total size of the files PackPath reads.
const DefaultMaxPackSize int64 = 256 << 20

// DefaultIgnorePaths are the paths `flux push artifact` leaves out unless
// --ignore-paths is given: the VCS files, images and archives.
var DefaultIgnorePaths = append(strings.Split(artifact.ExcludeVCS, ","), strings.Split(artifact.ExcludeExt, ",")...)

// ErrSymlinkEscape is returned (wrapped) for a symlink in a packed
// directory that resolves outside it, or does not resolve at all.
var ErrSymlinkEscape = errors.New("symlink points outside the directory")

// PackOptions tune PackPath.
type PackOptions struct {
	// Ignore are .gitignore-style patterns, relative to the packed
	// directory, of the paths to leave out; the patterns of the
	// .sourceignore files in the directory apply after them. .git is
	// always left out.
	Ignore []string
	// MaxSize bounds the total bytes of the packed files; zero means
	// DefaultMaxPackSize.
	MaxSize int64
}

// PackPath returns the tar.gz of the directory or file at p the way TarGz
// writes one, so the same files give the same bytes every time: regular
// files only (no directory entries), sorted by name, mode 0644, time zero,
// no owner. A file is packed alone under its base name. A directory is
// walked as artifact.Walk does, pruning what opts.Ignore and the
// .sourceignore files leave out; a symlink that dangles or resolves
// outside it is refused (ErrSymlinkEscape).
func PackPath(p string, opts PackOptions) ([]byte, error) {
	maxSize := opts.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxPackSize
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	left := maxSize
	file := func(name, real string, info os.FileInfo) error {
		if info.Size() > left {
			return fmt.Errorf("the files to pack are larger than %d bytes: %w", maxSize, artifact.ErrTooLarge)
		}
		left -= info.Size()
		return artifact.WriteTarFile(tw, name, real, info.Size(), 0o644)
	}
	switch {
	case fi.Mode().IsRegular():
		if err := file(filepath.Base(p), p, fi); err != nil {
			return nil, err
		}
	case fi.IsDir():
		ps := artifact.ReadPatterns(strings.NewReader(strings.Join(opts.Ignore, "\n")), nil)
		sourceIgnore, err := artifact.LoadIgnorePatterns(p)
		if err != nil {
			return nil, err
		}
		match := gitignore.NewMatcher(append(ps, sourceIgnore...))
		filter := func(name string, isDir bool) bool { return match.Match(strings.Split(name, "/"), isDir) }
		if err := artifact.Walk(p, artifact.WalkOptions{Filter: filter, Prune: true, EscapingSymlink: ErrSymlinkEscape}, artifact.Visitor{File: file}); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s is neither a directory nor a regular file", p)
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fileHeader is the header TarGz writes for a file, as
// artifact.WriteTarFile writes it for PackPath.
func fileHeader(name string, size int64) *tar.Header {
	return &tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
}

// TarGzDigests reads the gzip-compressed tar stream r and returns the
// sha256 (hex) of each regular file by its cleaned slash-separated name,
// and of each symlink's target ("-> target"); directories are skipped. It
// reads at most maxSize bytes of file content (zero means
// DefaultMaxPackSize) and refuses names that climb out.
func TarGzDigests(r io.Reader, maxSize int64) (map[string]string, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxPackSize
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a gzip stream: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	out := map[string]string{}
	left := maxSize
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		name, err := artifact.ConfinedPath(strings.TrimPrefix(hdr.Name, "./"))
		if err != nil {
			return nil, err
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old writers
			if hdr.Size > left {
				return nil, fmt.Errorf("files larger than %d bytes: %w", maxSize, artifact.ErrTooLarge)
			}
			left -= hdr.Size
			h := sha256.New()
			if _, err := io.CopyN(h, tr, hdr.Size); err != nil {
				return nil, fmt.Errorf("reading %s: %w", name, err)
			}
			out[name] = hex.EncodeToString(h.Sum(nil))
		case tar.TypeSymlink:
			out[name] = "-> " + hdr.Linkname
		}
	}
}
