package artifact

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// WalkOptions tune Walk.
type WalkOptions struct {
	// Filter leaves entries out; nil keeps everything.
	Filter Filter
	// Prune skips a directory Filter leaves out with everything below it.
	// Without it the directory is still walked, so a later pattern may
	// bring back a file below it (as Flux's archiver does).
	Prune bool
	// EscapingSymlink, when set, is returned (wrapped, naming the entry)
	// for a symlink that dangles or resolves outside the root; without it
	// such a symlink is skipped.
	EscapingSymlink error
}

// Visitor receives what Walk finds, in name order; a nil func is not
// called.
type Visitor struct {
	// Dir is called for a directory entry before what is below it; a
	// directory Filter leaves out is reported only once something below
	// it is.
	Dir func(name string) error
	// File is called for a regular file: its slash-separated name
	// relative to the root, its real path and its information.
	File func(name, real string, info os.FileInfo) error
}

// Walk visits the tree of the directory root the way ferry archives and
// packs one: .git is left out; symlinks are followed when they resolve
// inside root (a symlink back to a directory being walked is a cycle,
// skipped); special files are left out.
func Walk(root string, opts WalkOptions, v Visitor) error {
	rootReal, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	if rootReal, err = filepath.Abs(rootReal); err != nil {
		return err
	}
	fi, err := os.Stat(rootReal)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", root)
	}
	w := &walker{rootReal: rootReal, opts: opts, v: v}
	return w.walk(rootReal, "", map[string]bool{rootReal: true})
}

type walker struct {
	rootReal string
	opts     WalkOptions
	v        Visitor
	// pending holds the names of the filtered-out directories being
	// walked that were not reported yet, outermost first.
	pending []string
}

// flush reports the pending directories, which now have something below
// them.
func (w *walker) flush() error {
	if w.v.Dir != nil {
		for _, name := range w.pending {
			if err := w.v.Dir(name); err != nil {
				return err
			}
		}
	}
	w.pending = w.pending[:0]
	return nil
}

// walk visits the entries of the real directory realDir under the path
// prefix; ancestors holds the real paths of the directories being walked.
func (w *walker) walk(realDir, prefix string, ancestors map[string]bool) error {
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
			if err == nil && !within(w.rootReal, target) {
				err = fmt.Errorf("it resolves to %s", target)
			}
			if err == nil {
				info, err = os.Stat(target)
			}
			if err != nil {
				if w.opts.EscapingSymlink != nil {
					return fmt.Errorf("%s: %w: %v", name, w.opts.EscapingSymlink, err)
				}
				continue // dangling or leaving the root
			}
			real = target
		}
		excluded := w.opts.Filter != nil && w.opts.Filter(name, info.IsDir())
		switch {
		case info.IsDir():
			if ancestors[real] || (excluded && w.opts.Prune) {
				continue
			}
			n := len(w.pending)
			if excluded {
				w.pending = append(w.pending, name)
			} else {
				if err := w.flush(); err != nil {
					return err
				}
				if w.v.Dir != nil {
					if err := w.v.Dir(name); err != nil {
						return err
					}
				}
			}
			ancestors[real] = true
			err := w.walk(real, name, ancestors)
			delete(ancestors, real)
			if len(w.pending) > n {
				w.pending = w.pending[:n]
			}
			if err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if excluded {
				continue
			}
			if err := w.flush(); err != nil {
				return err
			}
			if w.v.File != nil {
				if err := w.v.File(name, real, info); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// within reports whether the cleaned absolute path p is root or below it.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}
