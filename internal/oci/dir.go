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
	"path"
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
// no owner. A file is packed alone under its base name. Symlinks inside a
// directory are followed when they resolve inside it, and refused
// (ErrSymlinkEscape) otherwise; other special files are left out.
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
	pk := &packer{tw: tar.NewWriter(gz), left: maxSize, max: maxSize}
	switch {
	case fi.Mode().IsRegular():
		if err := pk.file(filepath.Base(p), p, fi); err != nil {
			return nil, err
		}
	case fi.IsDir():
		root, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil, err
		}
		root, err = filepath.Abs(root)
		if err != nil {
			return nil, err
		}
		ps := artifact.ReadPatterns(strings.NewReader(strings.Join(opts.Ignore, "\n")), nil)
		sourceIgnore, err := artifact.LoadIgnorePatterns(root)
		if err != nil {
			return nil, err
		}
		pk.root = root
		pk.match = gitignore.NewMatcher(append(ps, sourceIgnore...))
		if err := pk.walk(root, "", map[string]bool{root: true}); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s is neither a directory nor a regular file", p)
	}
	if err := pk.tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type packer struct {
	tw        *tar.Writer
	root      string
	match     gitignore.Matcher
	left, max int64
}

// walk packs the entries of the real directory dir under the archive path
// prefix; ancestors are the real directories being walked (a symlink back
// to one is a cycle, skipped).
func (pk *packer) walk(dir, prefix string, ancestors map[string]bool) error {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == ".git" {
			continue
		}
		name := path.Join(prefix, e.Name())
		full := filepath.Join(dir, e.Name())
		info, err := os.Lstat(full)
		if err != nil {
			return err
		}
		real := full
		if info.Mode()&os.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(full)
			if err != nil {
				return fmt.Errorf("%s: %w: %v", name, ErrSymlinkEscape, err)
			}
			if !within(pk.root, target) {
				return fmt.Errorf("%s: %w", name, ErrSymlinkEscape)
			}
			if info, err = os.Stat(target); err != nil {
				return err
			}
			real = target
		}
		if pk.match.Match(strings.Split(name, "/"), info.IsDir()) {
			continue
		}
		switch {
		case info.IsDir():
			if ancestors[real] {
				continue
			}
			ancestors[real] = true
			err := pk.walk(real, name, ancestors)
			delete(ancestors, real)
			if err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := pk.file(name, real, info); err != nil {
				return err
			}
		}
	}
	return nil
}

func (pk *packer) file(name, real string, info os.FileInfo) error {
	if info.Size() > pk.left {
		return fmt.Errorf("the files to pack are larger than %d bytes: %w", pk.max, artifact.ErrTooLarge)
	}
	pk.left -= info.Size()
	if err := pk.tw.WriteHeader(fileHeader(name, info.Size())); err != nil {
		return err
	}
	f, err := os.Open(real)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyN(pk.tw, f, info.Size()); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}

// fileHeader is the header TarGz and PackPath write for a file.
func fileHeader(name string, size int64) *tar.Header {
	return &tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
}

// within reports whether the absolute path p is root or below it.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
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
