package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
)

// DefaultMaxSize bounds the size of one compressed artifact when a Storage or
// Fetcher does not set its own.
const DefaultMaxSize int64 = 256 << 20

// archiveExt is the file name extension of every artifact.
const archiveExt = ".tar.gz"

// tempPrefix starts the name of an archive still being written.
const tempPrefix = ".tmp-"

// Storage keeps artifacts in a directory tree and describes them with URLs
// on hostname.
type Storage struct {
	// MaxSize bounds the compressed size of an archive Archive writes;
	// zero means DefaultMaxSize.
	MaxSize int64

	root     string
	hostname string
}

// NewStorage returns a Storage rooted at root (created if missing) whose
// artifact URLs are "http://<hostname>/<path>"; hostname is the host[:port]
// clients reach Handler on, e.g. "127.0.0.1:9790".
func NewStorage(root, hostname string) (*Storage, error) {
	if hostname == "" {
		return nil, errors.New("artifact storage: hostname is required")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("artifact storage %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("artifact storage %s: %w", root, err)
	}
	return &Storage{root: abs, hostname: hostname}, nil
}

// Root returns the absolute directory the artifacts are stored in.
func (s *Storage) Root() string { return s.root }

// Hostname returns the host[:port] written into artifact URLs.
func (s *Storage) Hostname() string { return s.hostname }

// MaxArtifactSize returns the largest artifact the storage accepts:
// MaxSize, or DefaultMaxSize when it is not set.
func (s *Storage) MaxArtifactSize() int64 { return s.maxSize() }

func (s *Storage) maxSize() int64 {
	if s.MaxSize > 0 {
		return s.MaxSize
	}
	return DefaultMaxSize
}

// URL returns the URL Handler serves the artifact at the storage-relative
// slash-separated path p under.
func (s *Storage) URL(p string) string {
	return "http://" + s.hostname + "/" + strings.TrimPrefix(p, "/")
}

// objectDir returns the storage-relative directory of one object's
// artifacts, "<kind>/<namespace>/<name>", refusing components that are not
// single path elements.
func objectDir(kind, namespace, name string) (string, error) {
	for _, c := range []struct{ what, v string }{{"kind", kind}, {"namespace", namespace}, {"name", name}} {
		if err := validComponent(c.v); err != nil {
			return "", fmt.Errorf("invalid artifact %s %q: %w", c.what, c.v, err)
		}
	}
	return path.Join(strings.ToLower(kind), namespace, name), nil
}

// validComponent reports whether v can be one element of a storage path.
func validComponent(v string) error {
	switch {
	case v == "":
		return errors.New("empty")
	case v == "." || v == "..":
		return errors.New("not a name")
	case strings.ContainsAny(v, `/\`+"\x00"):
		return errors.New("contains a path separator")
	case strings.HasPrefix(v, tempPrefix):
		return errors.New("reserved prefix")
	}
	return nil
}

// LocalPath returns the absolute file name of the storage-relative
// slash-separated path p, or an error when p is not a clean relative path
// inside the storage root. It does not check that the file exists.
func (s *Storage) LocalPath(p string) (string, error) {
	rel, err := cleanRelative(p)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.root, filepath.FromSlash(rel)), nil
}

// cleanRelative checks that p names something strictly below a root: not
// empty, not absolute, no "..", no NUL, no backslashes; it returns p cleaned.
func cleanRelative(p string) (string, error) {
	switch {
	case p == "":
		return "", errors.New("empty path")
	case strings.ContainsAny(p, "\x00\\"):
		return "", fmt.Errorf("invalid path %q", p)
	case path.IsAbs(p) || filepath.IsAbs(p):
		return "", fmt.Errorf("absolute path %q", p)
	}
	clean := path.Clean(p)
	if clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("path %q is outside the storage", p)
	}
	return clean, nil
}

// Exists reports whether the file of artifact a is in the storage.
func (s *Storage) Exists(a *meta.Artifact) bool {
	if a == nil {
		return false
	}
	root, err := os.OpenRoot(s.root)
	if err != nil {
		return false
	}
	defer root.Close()
	rel, err := cleanRelative(a.Path)
	if err != nil {
		return false
	}
	fi, err := root.Stat(rel)
	return err == nil && fi.Mode().IsRegular()
}

// Archive writes the deterministic tar.gz of dir to the storage as an
// artifact of the object kind/namespace/name at revision, and returns its
// description. The file is named after its digest and written atomically; an
// identical archive replaces the existing file, which makes it the newest
// for GC. Options may filter what is archived (WithFilter). An archive past
// MaxSize fails with ErrTooLarge and leaves nothing in the storage.
func (s *Storage) Archive(kind, namespace, name, revision, dir string, opts ...ArchiveOption) (*meta.Artifact, error) {
	var o archiveOptions
	for _, opt := range opts {
		opt(&o)
	}
	return s.store(kind, namespace, name, revision, archiveExt, func(w io.Writer) (string, int64, error) {
		digest, size, err := writeArchive(w, dir, s.maxSize(), o.filter)
		if err != nil {
			return "", 0, fmt.Errorf("archiving %s: %w", filepath.Base(dir), err)
		}
		return digest, size, nil
	})
}

// store writes an artifact of the object kind/namespace/name: write puts
// its content into a temporary file and returns its digest and size; the
// file is then renamed to "<hex of the digest><ext>".
func (s *Storage) store(kind, namespace, name, revision, ext string, write func(io.Writer) (string, int64, error)) (*meta.Artifact, error) {
	objDir, err := objectDir(kind, namespace, name)
	if err != nil {
		return nil, err
	}
	absDir := filepath.Join(s.root, filepath.FromSlash(objDir))
	if err := os.MkdirAll(absDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating artifact directory: %w", err)
	}
	tmp, err := os.CreateTemp(absDir, tempPrefix+"*"+ext)
	if err != nil {
		return nil, fmt.Errorf("creating artifact file: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if tmp != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()

	digest, size, err := write(tmp)
	if err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("writing artifact: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing artifact: %w", err)
	}
	if err := os.Chmod(tmpName, 0o644); err != nil {
		return nil, fmt.Errorf("writing artifact: %w", err)
	}
	fileName := strings.TrimPrefix(digest, digestPrefix) + ext
	if err := os.Rename(tmpName, filepath.Join(absDir, fileName)); err != nil {
		return nil, fmt.Errorf("storing artifact: %w", err)
	}
	tmp = nil

	p := path.Join(objDir, fileName)
	return &meta.Artifact{
		Path:           p,
		URL:            s.URL(p),
		Revision:       revision,
		Digest:         digest,
		LastUpdateTime: metav1.Now(),
		Size:           &size,
	}, nil
}

// StoreFile writes the content of r as a single-file artifact of the object
// kind/namespace/name at revision: a Helm chart, a repository index, an OCI
// layer. The file is named after its SHA-256 digest with the extension of
// fileName ("index.yaml" is stored as "<hex>.yaml", "web-1.0.0.tgz" as
// "<hex>.tgz") and written atomically. Content past MaxSize fails with
// ErrTooLarge and leaves nothing in the storage.
func (s *Storage) StoreFile(kind, namespace, name, revision, fileName string, r io.Reader) (*meta.Artifact, error) {
	ext, err := fileExt(fileName)
	if err != nil {
		return nil, err
	}
	return s.store(kind, namespace, name, revision, ext, func(w io.Writer) (string, int64, error) {
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, s.maxSize()+1))
		if err != nil {
			return "", 0, fmt.Errorf("writing %s: %w", fileName, err)
		}
		if n > s.maxSize() {
			return "", 0, fmt.Errorf("%s: %w: the maximum artifact size is %d bytes", fileName, ErrTooLarge, s.maxSize())
		}
		return digestPrefix + hex.EncodeToString(h.Sum(nil)), n, nil
	})
}

// fileExt returns the extension of a single-file artifact's name: ".tar.gz"
// or the last one, made of lower-case letters and digits only.
func fileExt(fileName string) (string, error) {
	base := path.Base(fileName)
	ext := path.Ext(base)
	if strings.HasSuffix(base, archiveExt) {
		ext = archiveExt
	}
	if len(ext) < 2 || len(ext) > 16 || strings.IndexFunc(ext[1:], func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.')
	}) >= 0 {
		return "", fmt.Errorf("artifact file name %q: want a name with a plain extension such as .tgz or .yaml", fileName)
	}
	return ext, nil
}

// GC removes all but the keep most recently written artifacts (tarballs and
// single files) of the object kind/namespace/name, and any leftover partial
// writes. keep below 1 is
// treated as 1, so the newest artifact always survives.
func (s *Storage) GC(kind, namespace, name string, keep int) error {
	objDir, err := objectDir(kind, namespace, name)
	if err != nil {
		return err
	}
	if keep < 1 {
		keep = 1
	}
	absDir := filepath.Join(s.root, filepath.FromSlash(objDir))
	entries, err := os.ReadDir(absDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("garbage collecting artifacts of %s: %w", objDir, err)
	}
	type file struct {
		name string
		mod  time.Time
	}
	var files []file
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if strings.HasPrefix(e.Name(), tempPrefix) {
			errs = append(errs, os.Remove(filepath.Join(absDir, e.Name())))
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, file{e.Name(), info.ModTime()})
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.After(files[j].mod)
		}
		return files[i].name > files[j].name
	})
	for i := keep; i < len(files); i++ {
		errs = append(errs, os.Remove(filepath.Join(absDir, files[i].name)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("garbage collecting artifacts of %s: %w", objDir, err)
	}
	return nil
}

// Remove deletes every artifact of the object kind/namespace/name, and the
// namespace directory when it is left empty.
func (s *Storage) Remove(kind, namespace, name string) error {
	objDir, err := objectDir(kind, namespace, name)
	if err != nil {
		return err
	}
	absDir := filepath.Join(s.root, filepath.FromSlash(objDir))
	if err := os.RemoveAll(absDir); err != nil {
		return fmt.Errorf("removing artifacts of %s: %w", objDir, err)
	}
	_ = os.Remove(filepath.Dir(absDir)) // only succeeds when empty
	return nil
}

// Handler serves the artifact files below the root (GET and HEAD), and
// nothing else: no directory listings, no partial writes, nothing reached
// through a symlink that leaves the root.
func (s *Storage) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		rel, err := cleanRelative(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil || hidden(rel) {
			http.NotFound(w, r)
			return
		}
		f, err := openConfined(s.root, rel)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(rel, archiveExt) {
			w.Header().Set("Content-Type", "application/gzip")
		}
		http.ServeContent(w, r, path.Base(rel), fi.ModTime(), f)
	})
}

// hidden reports whether a path the handler is asked for has a component
// starting with a dot: an archive still being written (tempPrefix), or
// what ferry keeps beside the artifacts and does not serve (the image
// tag store, under .image-tags). No artifact path has one.
func hidden(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}

// openConfined opens the relative name below root, refusing any path or
// symlink that leaves root.
func openConfined(root, rel string) (*os.File, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Open(filepath.FromSlash(rel))
}
