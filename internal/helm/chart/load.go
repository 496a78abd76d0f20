package chart

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/ignore"
)

// Helm's limits on an unpacked chart, which LoadDir applies unless
// WithLimits changes them.
const (
	// DefaultMaxFileSize bounds one file of a chart.
	DefaultMaxFileSize int64 = 5 << 20
	// DefaultMaxChartSize bounds all the files of a chart together.
	DefaultMaxChartSize int64 = 100 << 20
)

var (
	// ErrOutsideRoot is returned (wrapped) for a path or a symlink that
	// leads out of the source artifact.
	ErrOutsideRoot = errors.New("outside the source artifact")
	// ErrNotFound is returned (wrapped) when there is no chart directory
	// at the chart path.
	ErrNotFound = errors.New("not found")
	// ErrTooLarge is returned (wrapped) for a file or chart over its limit.
	ErrTooLarge = errors.New("too large")
)

// modTime is the timestamp of every file LoadDir loads and Package writes,
// so that the same content always packages to the same bytes.
var modTime = time.Unix(0, 0).UTC()

// Option tunes LoadDir and the functions that load charts through it.
type Option func(*options)

type options struct {
	maxFileSize, maxChartSize int64
}

// WithLimits bounds one file and the whole chart; zero or less keeps the
// default of that limit.
func WithLimits(maxFileSize, maxChartSize int64) Option {
	return func(o *options) {
		if maxFileSize > 0 {
			o.maxFileSize = maxFileSize
		}
		if maxChartSize > 0 {
			o.maxChartSize = maxChartSize
		}
	}
}

func newOptions(opts []Option) options {
	o := options{maxFileSize: DefaultMaxFileSize, maxChartSize: DefaultMaxChartSize}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// ConfinedPath checks that p, a slash-separated path relative to the source
// root, stays inside it, and returns it cleaned ("." for the root itself).
// An empty, absolute or escaping path is an error; an escape wraps
// ErrOutsideRoot.
func ConfinedPath(p string) (string, error) {
	switch {
	case p == "":
		return "", errors.New("empty path")
	case strings.ContainsRune(p, 0):
		return "", fmt.Errorf("path %q contains a NUL byte", p)
	case path.IsAbs(p):
		return "", fmt.Errorf("path '%s' is absolute: %w", p, ErrOutsideRoot)
	}
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("path '%s' is %w", p, ErrOutsideRoot)
	}
	return clean, nil
}

// LoadDir loads the chart directory at chartPath (relative to root, the
// unpacked source artifact) with every file read through an os.Root on
// root: a chart path or a symlink leading out of root fails with
// ErrOutsideRoot, a missing directory with ErrNotFound, a file or chart
// past the limits with ErrTooLarge. .helmignore is honoured as Helm does.
func LoadDir(root, chartPath string, opts ...Option) (*chart.Chart, error) {
	o := newOptions(opts)
	dir, err := ConfinedPath(chartPath)
	if err != nil {
		return nil, fmt.Errorf("invalid chart path: %w", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("opening the source artifact: %w", err)
	}
	defer r.Close()
	return loadDir(r, dir, o)
}

// loadDir loads the chart at the root-relative directory dir.
func loadDir(r *os.Root, dir string, o options) (*chart.Chart, error) {
	fi, err := statConfined(r, dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("chart directory '%s' %w in the source artifact", dir, ErrNotFound)
	case err != nil:
		return nil, err
	case !fi.IsDir():
		return nil, fmt.Errorf("chart path '%s' is not a directory: %w", dir, ErrNotFound)
	}

	rules := ignore.Empty()
	if data, err := readConfined(r, path.Join(dir, ignore.HelmIgnore), o.maxFileSize); err == nil {
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", path.Join(dir, ignore.HelmIgnore), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	rules.AddDefaults()

	w := &walker{root: r, top: dir, rules: rules, opts: o}
	if err := w.walk(dir, "", []os.FileInfo{fi}); err != nil {
		return nil, err
	}
	ch, err := loader.LoadFiles(w.files)
	if err != nil {
		return nil, fmt.Errorf("loading chart '%s': %w", dir, err)
	}
	return ch, nil
}

// walker collects the files of one chart directory.
type walker struct {
	root  *os.Root
	top   string
	rules *ignore.Rules
	opts  options
	files []*archive.BufferedFile
	total int64
}

// walk reads the directory dir (root-relative) whose chart-relative name is
// rel; ancestors are the directories being walked, so that a symlink back
// to one of them is skipped rather than followed forever.
func (w *walker) walk(dir, rel string, ancestors []os.FileInfo) error {
	f, err := w.root.Open(dir)
	if err != nil {
		return fmt.Errorf("reading '%s': %w", dir, err)
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("reading '%s': %w", dir, err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range entries {
		p, n := path.Join(dir, e.Name()), path.Join(rel, e.Name())
		// Follow symlinks, through the root: one leaving it is refused.
		fi, err := statConfined(w.root, p)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("symlink '%s' points to nothing", p)
		}
		if err != nil {
			return err
		}
		if fi.IsDir() {
			if w.rules.Ignore(n, fi) {
				continue
			}
			if slices.ContainsFunc(ancestors, func(a os.FileInfo) bool { return os.SameFile(a, fi) }) {
				continue // a symlink cycle
			}
			if err := w.walk(p, n, append(ancestors, fi)); err != nil {
				return err
			}
			continue
		}
		if w.rules.Ignore(n, fi) {
			continue
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("cannot load irregular file '%s' of the chart", p)
		}
		if fi.Size() > w.opts.maxFileSize {
			return fmt.Errorf("file '%s' of %d bytes is larger than the %d bytes a chart file may take: %w", p, fi.Size(), w.opts.maxFileSize, ErrTooLarge)
		}
		if w.total+fi.Size() > w.opts.maxChartSize {
			return fmt.Errorf("chart '%s' is larger than %d bytes: %w", w.top, w.opts.maxChartSize, ErrTooLarge)
		}
		data, err := readConfined(w.root, p, w.opts.maxFileSize)
		if err != nil {
			return err
		}
		w.total += int64(len(data))
		data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF}) // a UTF-8 BOM, as Helm drops it
		w.files = append(w.files, &archive.BufferedFile{Name: n, ModTime: modTime, Data: data})
	}
	return nil
}

// statConfined stats p (root-relative) following symlinks inside the root;
// anything that resolves outside it is an ErrOutsideRoot error naming p.
func statConfined(r *os.Root, p string) (os.FileInfo, error) {
	fi, err := r.Stat(p)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return fi, err
	}
	if lfi, lerr := r.Lstat(p); lerr == nil && lfi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("symlink '%s' points %w", p, ErrOutsideRoot)
	}
	// The path itself, or a symlink on the way to it, leaves the root.
	return nil, fmt.Errorf("path '%s' leads %w: %v", p, ErrOutsideRoot, err)
}

// readConfined reads the regular file p (root-relative), at most max bytes.
func readConfined(r *os.Root, p string, max int64) ([]byte, error) {
	fi, err := statConfined(r, p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("'%s' is not a regular file", p)
	}
	f, err := r.Open(p)
	if err != nil {
		return nil, fmt.Errorf("reading '%s': %w", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading '%s': %w", p, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("file '%s' is larger than %d bytes: %w", p, max, ErrTooLarge)
	}
	return data, nil
}
