package artifact

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Defaults for UntarOptions.
const (
	// DefaultMaxUntarSize bounds the total size of the files unpacked from
	// one archive.
	DefaultMaxUntarSize int64 = 1 << 30
	// DefaultMaxEntries bounds the number of entries in one archive.
	DefaultMaxEntries = 100_000
)

// UntarOptions limits what Untar accepts.
type UntarOptions struct {
	// MaxSize bounds the total bytes of regular files; zero means
	// DefaultMaxUntarSize.
	MaxSize int64
	// MaxEntries bounds the number of entries; zero means DefaultMaxEntries.
	MaxEntries int
}

// Untar unpacks the gzip-compressed tar stream r into dir, creating dir if
// needed. It accepts regular files, directories and symlinks whose relative
// target stays inside dir; it refuses absolute names, names with "..", links
// that would leave dir, hard links, devices, and archives past the limits.
// Every write goes through an os.Root on dir, so nothing, not even a symlink
// planted by an earlier entry, can make it write outside dir; and a link's
// target is checked from where the link really is (its parent may be
// reached through other links), so no link, alone or chained with others,
// leads outside dir.
func Untar(r io.Reader, dir string, opts UntarOptions) error {
	maxSize := opts.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxUntarSize
	}
	maxEntries := opts.MaxEntries
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("untar: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("untar: %w", err)
	}
	defer root.Close()
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("untar: %w", err)
	}

	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("untar: not a gzip stream: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	var total int64
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("untar: %w", err)
		}
		if entries >= maxEntries {
			return fmt.Errorf("untar: more than %d entries: %w", maxEntries, ErrTooLarge)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			return fmt.Errorf("untar: %w", err)
		}
		if name == "" {
			continue // the archive root itself
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("untar %s: %w", name, err)
			}
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // TypeRegA is what old writers emit
			if hdr.Size < 0 || hdr.Size > maxSize-total {
				return fmt.Errorf("untar %s: unpacked files larger than %d bytes: %w", name, maxSize, ErrTooLarge)
			}
			if err := writeFile(root, name, tr, hdr); err != nil {
				return fmt.Errorf("untar %s: %w", name, err)
			}
			total += hdr.Size
		case tar.TypeSymlink:
			if err := checkLink(name, hdr.Linkname); err != nil {
				return fmt.Errorf("untar %s: %w", name, err)
			}
			if err := mkParent(root, name); err != nil {
				return fmt.Errorf("untar %s: %w", name, err)
			}
			if err := checkLinkFromParent(root, realDir, name, hdr.Linkname); err != nil {
				return fmt.Errorf("untar %s: %w", name, err)
			}
			if err := root.Symlink(hdr.Linkname, name); err != nil {
				return fmt.Errorf("untar %s: %w", name, err)
			}
		case tar.TypeLink:
			return fmt.Errorf("untar %s: hard links are not supported", name)
		default:
			return fmt.Errorf("untar %s: unsupported entry type %q", name, string(hdr.Typeflag))
		}
	}
}

// entryName validates a tar entry name and returns it cleaned and relative,
// or "" for the archive root.
func entryName(n string) (string, error) {
	if strings.ContainsAny(n, "\x00\\") {
		return "", fmt.Errorf("invalid entry name %q", n)
	}
	if path.IsAbs(n) || filepath.IsAbs(n) {
		return "", fmt.Errorf("absolute entry name %q", n)
	}
	for _, elem := range strings.Split(n, "/") {
		if elem == ".." {
			return "", fmt.Errorf("entry name %q leaves the directory", n)
		}
	}
	clean := path.Clean(n)
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

// checkLink refuses symlink targets that are absolute or, resolved from the
// directory of the link, leave the archive root.
func checkLink(name, target string) error {
	if target == "" || strings.ContainsAny(target, "\x00\\") {
		return fmt.Errorf("invalid link target %q", target)
	}
	if path.IsAbs(target) || filepath.IsAbs(target) {
		return fmt.Errorf("link to absolute path %q", target)
	}
	resolved := path.Join(path.Dir(name), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("link target %q leaves the directory", target)
	}
	return nil
}

// checkLinkFromParent refuses a link target that leaves the archive root
// when followed from the real directory the link is created in, which
// differs from the one its name says when a component of the name is a
// link. The target's ".." elements are followed only through directories
// that exist and are not links: once the target names a link, or
// something not there yet (which a later entry may make a link), a ".."
// after it could lead anywhere, and is refused. So every link created
// resolves inside the root, whatever links are created after it.
func checkLinkFromParent(root *os.Root, realDir, name, target string) error {
	parent, err := filepath.EvalSymlinks(filepath.Join(realDir, filepath.FromSlash(path.Dir(name))))
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(realDir, parent)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("link target %q leaves the directory", target)
	}
	var cur []string // the real directory reached, relative to the root
	if rel != "." {
		cur = strings.Split(filepath.ToSlash(rel), "/")
	}
	known := true // cur is a real directory, reached without a link
	for _, elem := range strings.Split(target, "/") {
		switch {
		case elem == "" || elem == ".":
		case elem == "..":
			if !known || len(cur) == 0 {
				return fmt.Errorf("link target %q leaves the directory", target)
			}
			cur = cur[:len(cur)-1]
		case known:
			fi, err := root.Lstat(path.Join(append(cur, elem)...))
			if err != nil || !fi.IsDir() {
				known = false // a link, a file, or nothing yet
				continue
			}
			cur = append(cur, elem)
		}
	}
	return nil
}

func mkParent(root *os.Root, name string) error {
	if d := path.Dir(name); d != "." {
		return root.MkdirAll(d, 0o755)
	}
	return nil
}

// writeFile writes exactly hdr.Size bytes of r to name below root.
func writeFile(root *os.Root, name string, r io.Reader, hdr *tar.Header) error {
	if err := mkParent(root, name); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if hdr.Mode&0o111 != 0 {
		mode = 0o755
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	_, err = io.CopyN(f, r, hdr.Size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
