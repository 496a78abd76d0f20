package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferrycd/ferry/api/meta"
)

// CopyToPath fetches artifact a (digest verified, safely unpacked) and
// copies its subtree fromPath into dir/toPath, creating toPath and merging
// with what is there. Both paths are slash-separated and relative
// (ConfinedPath: "" is the root); every write goes through an os.Root on
// dir, so no symlink already in dir can redirect it outside. Symlinks in
// the artifact are not copied.
func (f *Fetcher) CopyToPath(ctx context.Context, a *meta.Artifact, fromPath, dir, toPath string) error {
	from, err := ConfinedPath(fromPath)
	if err != nil {
		return fmt.Errorf("fromPath %w", err)
	}
	to, err := ConfinedPath(toPath)
	if err != nil {
		return fmt.Errorf("toPath %w", err)
	}
	tmp, err := os.MkdirTemp("", "ferry-include-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := f.Fetch(ctx, a, tmp); err != nil {
		return err
	}
	src := filepath.Join(tmp, filepath.FromSlash(from))
	info, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("fromPath %q does not exist in the artifact", fromPath)
	}
	if err != nil {
		return err
	}

	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if info.Mode().IsRegular() {
		if d := filepath.Dir(filepath.FromSlash(to)); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		return copyFile(root, src, filepath.FromSlash(to), info)
	}
	if !info.IsDir() {
		return fmt.Errorf("fromPath %q is neither a file nor a directory", fromPath)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(filepath.FromSlash(to), rel)
		switch {
		case d.IsDir():
			if target == "." {
				return nil
			}
			return root.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			return copyFile(root, p, target, info)
		}
		return nil
	})
}

// copyFile copies the regular file src to name below root, replacing it.
func copyFile(root *os.Root, src, name string, info fs.FileInfo) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	mode := fs.FileMode(0o644)
	if info.Mode()&0o111 != 0 {
		mode = 0o755
	}
	// Replace rather than write through whatever is at name (a symlink
	// would be refused by the Root anyway if it left it).
	if fi, err := root.Lstat(name); err == nil && !fi.IsDir() {
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
