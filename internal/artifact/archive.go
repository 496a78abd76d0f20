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
// digest and compressed size: the entries Walk finds, directories
// included, in name order, time zero, mode 0755 for directories and
// executables, 0644 for other files.
func writeArchive(w io.Writer, dir string, maxSize int64, filter Filter) (digest string, size int64, err error) {
	h := sha256.New()
	lw := &limitWriter{w: io.MultiWriter(w, h), max: maxSize}
	gz := gzip.NewWriter(lw)
	tw := tar.NewWriter(gz)
	err = Walk(dir, WalkOptions{Filter: filter}, Visitor{
		Dir: func(name string) error { return tw.WriteHeader(dirHeader(name)) },
		File: func(name, real string, info os.FileInfo) error {
			mode := int64(0o644)
			if info.Mode()&0o111 != 0 {
				mode = 0o755
			}
			return WriteTarFile(tw, name, real, info.Size(), mode)
		},
	})
	if err != nil {
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

// WriteTarFile writes the regular file at real to tw as name, of size
// bytes, with mode, time zero and no owner.
func WriteTarFile(tw *tar.Writer, name, real string, size, mode int64) error {
	if err := tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     size,
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
	if _, err := io.CopyN(tw, f, size); err != nil {
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
