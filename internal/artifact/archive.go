package artifact

import (
	"archive/tar"
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
)

// digestPrefix starts every digest this package computes.
const digestPrefix = "sha256:"

// ErrTooLarge is returned (wrapped) when an archive, a download or an
// unpacked tree exceeds its size limit.
var ErrTooLarge = errors.New("size limit exceeded")

// epoch is the modification time of every archive entry.
var epoch = time.Unix(0, 0).UTC()

// limitWriter fails once more than max bytes were written through it.
type limitWriter struct {
	w   io.Writer
	n   int64
	max int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n+int64(len(p)) > l.max {
		return 0, fmt.Errorf("archive larger than %d bytes: %w", l.max, ErrTooLarge)
	}
	n, err := l.w.Write(p)
	l.n += int64(n)
	return n, err
}

// Filter reports whether the entry at the slash-separated path p, relative
// to the archived directory, is left out of an archive; isDir tells whether
// it is a directory. A directory left out is still walked, so a later
// pattern may bring back a file below it (as Flux's archiver does); its own
// entry is written only when something below it is.
type Filter func(p string, isDir bool) bool

// ArchiveOption tunes one Storage.Archive call.
type ArchiveOption func(*archiveOptions)

type archiveOptions struct {
	filter Filter
}

// WithFilter leaves the entries f reports out of the archive.
func WithFilter(f Filter) ArchiveOption {
	return func(o *archiveOptions) { o.filter = f }
}

// writeArchive writes the deterministic tar.gz of dir to w and returns its
// digest and compressed size.
func writeArchive(w io.Writer, dir string, maxSize int64, filter Filter) (digest string, size int64, err error) {
	rootReal, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", 0, err
	}
	fi, err := os.Stat(rootReal)
	if err != nil {
		return "", 0, err
	}
	if !fi.IsDir() {
		return "", 0, fmt.Errorf("%s is not a directory", dir)
	}
	h := sha256.New()
	lw := &limitWriter{w: io.MultiWriter(w, h), max: maxSize}
	gz := gzip.NewWriter(lw)
	tw := tar.NewWriter(gz)
	a := &archiver{tw: tw, rootReal: rootReal, filter: filter}
	if err := a.walk(rootReal, "", map[string]bool{rootReal: true}); err != nil {
		return "", 0, err
	}
	if err := tw.Close(); err != nil {
		return "", 0, err
	}
	if err := gz.Close(); err != nil {
		return "", 0, err
	}
	return digestPrefix + hex.EncodeToString(h.Sum(nil)), lw.n, nil
}

type archiver struct {
	tw       *tar.Writer
	rootReal string
	filter   Filter
	// pending holds the names of the filtered-out directories being
	// walked whose entries are not written yet, outermost first.
	pending []string
}

// flush writes the entries of the pending directories, which now have
// something archived below them.
func (a *archiver) flush() error {
	for _, name := range a.pending {
		if err := a.tw.WriteHeader(dirHeader(name)); err != nil {
			return err
		}
	}
	a.pending = a.pending[:0]
	return nil
}

// walk archives the entries of the real directory realDir under the archive
// path prefix. ancestors holds the real paths of the directories being
// walked, so a symlink back to one of them is skipped instead of looping.
func (a *archiver) walk(realDir, prefix string, ancestors map[string]bool) error {
	entries, err := os.ReadDir(realDir) // sorted by name
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == ".git" {
			continue
		}
		name := path.Join(prefix, e.Name())
		full := filepath.Join(realDir, e.Name())
		info, err := os.Lstat(full)
		if err != nil {
			return err
		}
		real := full
		if info.Mode()&os.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(full)
			if err != nil || !within(a.rootReal, target) {
				continue // dangling or leaving the directory: not archived
			}
			if info, err = os.Stat(target); err != nil {
				continue
			}
			real = target
		}
		excluded := a.filter != nil && a.filter(name, info.IsDir())
		switch {
		case info.IsDir():
			if ancestors[real] {
				continue // a symlink cycle
			}
			n := len(a.pending)
			if excluded {
				a.pending = append(a.pending, name)
			} else {
				if err := a.flush(); err != nil {
					return err
				}
				if err := a.tw.WriteHeader(dirHeader(name)); err != nil {
					return err
				}
			}
			ancestors[real] = true
			err := a.walk(real, name, ancestors)
			delete(ancestors, real)
			if len(a.pending) > n {
				a.pending = a.pending[:n]
			}
			if err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if excluded {
				continue
			}
			if err := a.flush(); err != nil {
				return err
			}
			if err := a.file(name, real, info); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *archiver) file(name, real string, info os.FileInfo) error {
	mode := int64(0o644)
	if info.Mode()&0o111 != 0 {
		mode = 0o755
	}
	if err := a.tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     info.Size(),
		Mode:     mode,
		ModTime:  epoch,
		Format:   tar.FormatPAX,
	}); err != nil {
		return err
	}
	f, err := os.Open(real)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyN(a.tw, f, info.Size()); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}

func dirHeader(name string) *tar.Header {
	return &tar.Header{
		Typeflag: tar.TypeDir,
		Name:     name + "/",
		Mode:     0o755,
		ModTime:  epoch,
		Format:   tar.FormatPAX,
	}
}

// within reports whether the cleaned absolute path p is root or below it.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}
