package build

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errReadOnly is returned by the write operations of the confined file system:
// a build only reads.
var errReadOnly = errors.New("the build file system is read-only")

// confinedFS is a read-only kustomize file system over a directory on disk
// that refuses every path which, after its symlinks are resolved, is not
// inside root. Files in overlay (absolute paths inside root) shadow the disk:
// they hold the kustomization files generated or rewritten for a build.
type confinedFS struct {
	// root is absolute, clean and free of symlinks.
	root    string
	disk    filesys.FileSystem
	overlay map[string][]byte
	// escaped records that the build tried to read outside the root: the
	// error kustomize returns then only has the message.
	escaped bool
	// sopsWhole names the last file read that is SOPS-encrypted including
	// its kind, which kustomize cannot read, for a clearer build error.
	sopsWhole string
	// reads, when set, records every question asked of the disk.
	reads *Reads
	// yaml is what the YAML limits leave to the build; yamlErr is the
	// first file refused by them, whose error kustomize would bury.
	yaml    yamlBudget
	yamlErr error
}

var _ filesys.FileSystem = (*confinedFS)(nil)

// newConfinedFS returns a confined file system rooted at dir, which must be
// an existing directory.
func newConfinedFS(dir string) (*confinedFS, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("source root %s: %w", dir, err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("source root %s: %w", dir, err)
	}
	if fi, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("source root %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("source root %s is not a directory", dir)
	}
	return &confinedFS{root: root, disk: filesys.MakeFsOnDisk(), overlay: map[string][]byte{}}, nil
}

// rel returns path relative to the root for messages ("." for the root).
func (c *confinedFS) rel(path string) string {
	if r, err := filepath.Rel(c.root, path); err == nil && (r == "." || filepath.IsLocal(r)) {
		return filepath.ToSlash(r)
	}
	return path
}

// inside reports whether the clean absolute path p is root or below it.
func inside(root, p string) bool {
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator)) || root == string(filepath.Separator)
}

// resolve maps path (absolute, or relative to the root) to the real path it
// designates, resolving symlinks component by component. It fails when the
// path, or any symlink met on the way, points outside the root (an error
// that wraps ErrReadOutsideRoot). A path that
// does not exist resolves to its lexical remainder below the deepest existing
// ancestor, so callers can report it as missing.
func (c *confinedFS) resolve(path string) (string, error) {
	p := path
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.root, p)
	}
	p = filepath.Clean(p)
	if !inside(c.root, p) {
		return "", c.escape("path %s is outside the source root", path)
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(p, c.root), string(filepath.Separator))
	if rest == "" {
		return c.root, nil
	}
	cur := c.root
	parts := strings.Split(rest, string(filepath.Separator))
	for i, part := range parts {
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || isNotDir(err) {
			return filepath.Join(append([]string{next}, parts[i+1:]...)...), nil
		}
		if err != nil {
			return "", fmt.Errorf("path %s: %w", c.rel(next), err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		target, err := filepath.EvalSymlinks(next)
		if errors.Is(err, fs.ErrNotExist) {
			// A dangling link: refuse it if its target is outside, else report it missing.
			link, lerr := os.Readlink(next)
			if lerr == nil && !filepath.IsAbs(link) {
				link = filepath.Join(cur, link)
			}
			if lerr != nil || !inside(c.root, filepath.Clean(link)) {
				return "", c.escape("symlink %s points outside the source root", c.rel(next))
			}
			return filepath.Join(append([]string{next}, parts[i+1:]...)...), nil
		}
		if err != nil {
			return "", fmt.Errorf("symlink %s: %w", c.rel(next), unwrapPathError(err))
		}
		if !inside(c.root, target) {
			return "", c.escape("symlink %s points outside the source root", c.rel(next))
		}
		cur = target
	}
	return cur, nil
}

// isNotDir reports an ENOTDIR from Lstat (a path component is a file).
func isNotDir(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "not a directory")
}

// unwrapPathError drops the absolute path from an *fs.PathError.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// overlayKey returns the overlay key for path if it is an overlay file.
func (c *confinedFS) overlayKey(path string) (string, bool) {
	p := path
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.root, p)
	}
	p = filepath.Clean(p)
	_, ok := c.overlay[p]
	return p, ok
}

// setOverlay makes the file at the absolute path p read as data.
func (c *confinedFS) setOverlay(p string, data []byte) {
	c.overlay[filepath.Clean(p)] = data
}

// Create refuses: the build file system is read-only.
func (c *confinedFS) Create(path string) (filesys.File, error) {
	return nil, fmt.Errorf("create %s: %w", c.rel(path), errReadOnly)
}

// Mkdir refuses: the build file system is read-only.
func (c *confinedFS) Mkdir(path string) error {
	return fmt.Errorf("mkdir %s: %w", c.rel(path), errReadOnly)
}

// MkdirAll refuses: the build file system is read-only.
func (c *confinedFS) MkdirAll(path string) error {
	return fmt.Errorf("mkdir %s: %w", c.rel(path), errReadOnly)
}

// RemoveAll refuses: the build file system is read-only.
func (c *confinedFS) RemoveAll(path string) error {
	return fmt.Errorf("remove %s: %w", c.rel(path), errReadOnly)
}

// WriteFile refuses: the build file system is read-only.
func (c *confinedFS) WriteFile(path string, _ []byte) error {
	return fmt.Errorf("write %s: %w", c.rel(path), errReadOnly)
}

// Open opens a file inside the root for reading.
func (c *confinedFS) Open(path string) (filesys.File, error) {
	if key, ok := c.overlayKey(path); ok {
		mem := filesys.MakeFsInMemory()
		if err := mem.WriteFile(key, c.overlay[key]); err != nil {
			return nil, err
		}
		return mem.Open(key)
	}
	real, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	if c.reads != nil {
		if data, err := os.ReadFile(real); err == nil {
			c.record(opRead, path, contentAnswer(data))
		} else {
			c.recordErr(opRead, path)
		}
	}
	return c.disk.Open(real)
}

// IsDir reports whether path is a directory inside the root.
func (c *confinedFS) IsDir(path string) bool {
	if _, ok := c.overlayKey(path); ok {
		return false
	}
	real, err := c.resolve(path)
	is := err == nil && c.disk.IsDir(real)
	c.record(opIsDir, path, boolAnswer(is))
	return is
}

// ReadDir lists the names in a directory inside the root, overlay files included.
func (c *confinedFS) ReadDir(path string) ([]string, error) {
	real, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	names, err := c.disk.ReadDir(real)
	if err != nil {
		c.recordErr(opReadDir, path)
		return nil, err
	}
	c.record(opReadDir, path, listAnswer(names))
	dir := filepath.Clean(path)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(c.root, dir)
	}
	for p := range c.overlay {
		if filepath.Dir(p) == dir && !slices.Contains(names, filepath.Base(p)) {
			names = append(names, filepath.Base(p))
		}
	}
	slices.Sort(names)
	return names, nil
}

// CleanedAbs splits path into its symlink-free directory inside the root and
// a file name (empty when path is a directory).
func (c *confinedFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	if key, ok := c.overlayKey(path); ok {
		dir, err := c.resolve(filepath.Dir(key))
		if err != nil {
			return "", "", err
		}
		return filesys.ConfirmedDir(dir), filepath.Base(key), nil
	}
	real, err := c.resolve(path)
	if err != nil {
		c.recordErr(opAbs, path)
		return "", "", err
	}
	fi, err := os.Stat(real)
	if err != nil {
		c.recordErr(opAbs, path)
		return "", "", fmt.Errorf("%s: %w", c.rel(real), unwrapPathError(err))
	}
	if fi.IsDir() {
		c.record(opAbs, path, listAnswer([]string{c.rel(real), ""}))
		return filesys.ConfirmedDir(real), "", nil
	}
	c.record(opAbs, path, listAnswer([]string{c.rel(filepath.Dir(real)), filepath.Base(real)}))
	return filesys.ConfirmedDir(filepath.Dir(real)), filepath.Base(real), nil
}

// Exists reports whether path exists inside the root.
func (c *confinedFS) Exists(path string) bool {
	if _, ok := c.overlayKey(path); ok {
		return true
	}
	real, err := c.resolve(path)
	exists := err == nil && c.disk.Exists(real)
	c.record(opExists, path, boolAnswer(exists))
	return exists
}

// Glob returns the matches of pattern that resolve inside the root.
func (c *confinedFS) Glob(pattern string) ([]string, error) {
	matches, err := c.disk.Glob(pattern)
	if err != nil {
		c.recordGlob(pattern, nil)
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if _, err := c.resolve(m); err == nil {
			out = append(out, m)
		}
	}
	c.recordGlob(pattern, out)
	return out, nil
}

// recordGlob records a glob's matches, relative to the root, under its
// pattern relative to the root; a pattern outside the root is not recorded.
func (c *confinedFS) recordGlob(pattern string, matches []string) {
	if c.reads == nil || !filepath.IsAbs(pattern) || !inside(c.root, filepath.Clean(pattern)) {
		return
	}
	rel := make([]string, len(matches))
	for i, m := range matches {
		rel[i] = c.rel(m)
	}
	c.reads.note(opGlob, c.rel(filepath.Clean(pattern)), listAnswer(rel))
}

// ReadFile reads a file inside the root (or its overlay).
func (c *confinedFS) ReadFile(path string) ([]byte, error) {
	if key, ok := c.overlayKey(path); ok {
		return slices.Clone(c.overlay[key]), nil
	}
	real, err := c.resolve(path)
	if err != nil {
		c.recordErr(opRead, path)
		return nil, err
	}
	data, err := os.ReadFile(real)
	if err != nil {
		c.recordErr(opRead, path)
		return nil, fmt.Errorf("read %s: %w", c.rel(real), unwrapPathError(err))
	}
	c.record(opRead, path, contentAnswer(data))
	if err := c.yaml.check(real, c.rel(real), data); err != nil {
		if c.yamlErr == nil {
			c.yamlErr = err
		}
		return nil, err
	}
	if bytes.Contains(data, []byte("kind: ENC[AES256_GCM,")) || bytes.Contains(data, []byte(`"kind": "ENC[AES256_GCM,`)) {
		c.sopsWhole = c.rel(real)
	}
	return data, nil
}

// Walk walks the tree at path; entries that resolve outside the root fail the
// walk. Symlinks are reported, not followed, as by filepath.Walk.
func (c *confinedFS) Walk(path string, walkFn filepath.WalkFunc) error {
	real, err := c.resolve(path)
	if err != nil {
		c.recordErr(opWalk, path)
		return err
	}
	if c.reads != nil {
		c.record(opWalk, path, c.listing(real))
	}
	return filepath.Walk(real, func(p string, info fs.FileInfo, err error) error {
		if err == nil {
			if _, rerr := c.resolve(p); rerr != nil {
				return rerr
			}
		}
		return walkFn(p, info, err)
	})
}

// escape records a read outside the root and returns its error, which wraps
// ErrReadOutsideRoot.
func (c *confinedFS) escape(format string, args ...any) error {
	c.escaped = true
	return &outsideRootError{err: fmt.Errorf(format, args...)}
}

// listing is every path below the directory real (relative to the root)
// with its type, whatever a walk's function would skip: what a walk of it
// could see.
func (c *confinedFS) listing(real string) []byte {
	var b strings.Builder
	_ = filepath.Walk(real, func(p string, info fs.FileInfo, err error) error {
		b.WriteString(c.rel(p))
		switch {
		case err != nil:
			b.WriteString("\x00E")
		case info.IsDir():
			b.WriteString("\x00d")
		case info.Mode()&fs.ModeSymlink != 0:
			b.WriteString("\x00l")
		}
		b.WriteByte(0)
		return nil
	})
	return []byte(b.String())
}
