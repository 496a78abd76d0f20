package artifact

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// The exclusions of Flux's source-controller (fluxcd/pkg/sourceignore).
const (
	// IgnoreFile is the name of the files, anywhere in a source tree, whose
	// gitignore-style patterns apply to the directory they are in.
	IgnoreFile = ".sourceignore"
	// ExcludeVCS is always excluded.
	ExcludeVCS = ".git/,.gitignore,.gitmodules,.gitattributes"
	// ExcludeExt, ExcludeCI and ExcludeExtra are excluded only when the
	// tree has no .sourceignore file and spec.ignore is not set.
	ExcludeExt   = "*.jpg,*.jpeg,*.gif,*.png,*.wmv,*.flv,*.tar.gz,*.zip"
	ExcludeCI    = ".github/,.circleci/,.travis.yml,.gitlab-ci.yml,appveyor.yml,.drone.yml,cloudbuild.yaml,codeship-services.yml,codeship-steps.yml"
	ExcludeExtra = "**/.goreleaser.yml,**/.sops.yaml,**/.flux.yaml"
)

// maxIgnoreFileSize bounds how much of one .sourceignore file is read.
const maxIgnoreFileSize = 1 << 20

// ReadPatterns parses gitignore-style patterns, one per line, skipping
// blank lines and comments; domain is the slash-separated directory, as
// path elements, the patterns are relative to (nil for the root).
func ReadPatterns(r io.Reader, domain []string) []gitignore.Pattern {
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxIgnoreFileSize)
	for sc.Scan() {
		s := sc.Text()
		if !strings.HasPrefix(s, "#") && strings.TrimSpace(s) != "" {
			ps = append(ps, gitignore.ParsePattern(s, domain))
		}
	}
	return ps
}

func splitPatterns(list string, domain []string) []gitignore.Pattern {
	var ps []gitignore.Pattern
	for _, p := range strings.Split(list, ",") {
		ps = append(ps, gitignore.ParsePattern(p, domain))
	}
	return ps
}

// LoadIgnorePatterns reads the patterns of every .sourceignore file below
// dir, each scoped to its own directory, parents before children. It does
// not follow symlinks and skips .git directories.
func LoadIgnorePatterns(dir string) ([]gitignore.Pattern, error) {
	var ps []gitignore.Pattern
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" && p != dir {
			return filepath.SkipDir
		}
		if d.Name() != IgnoreFile || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, filepath.Dir(p))
		if err != nil {
			return err
		}
		var domain []string
		if rel != "." {
			domain = strings.Split(filepath.ToSlash(rel), "/")
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		ps = append(ps, ReadPatterns(io.LimitReader(f, maxIgnoreFileSize), domain)...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading %s files: %w", IgnoreFile, err)
	}
	return ps, nil
}

// IgnoreFilter returns the Filter Flux's source-controller archives the
// tree at dir with: the .sourceignore patterns found in it, then the
// patterns of spec (spec.ignore, may be nil), always preceded by the VCS
// exclusions; when there are no such patterns at all, Flux's default
// exclusions (VCS, images and archives, CI files, .sops.yaml...) apply.
// Later patterns win, and "!" re-includes, as in .gitignore.
func IgnoreFilter(dir string, spec *string) (Filter, error) {
	ps, err := LoadIgnorePatterns(dir)
	if err != nil {
		return nil, err
	}
	if spec != nil {
		ps = append(ps, ReadPatterns(strings.NewReader(*spec), nil)...)
	}
	return NewIgnoreFilter(ps), nil
}

// NewIgnoreFilter returns a Filter excluding what the patterns ps match,
// with Flux's rules for the defaults: the VCS exclusions always come first;
// the other default exclusions apply only when ps is empty.
func NewIgnoreFilter(ps []gitignore.Pattern) Filter {
	all := splitPatterns(ExcludeVCS, nil)
	if len(ps) == 0 {
		all = append(all, splitPatterns(strings.Join([]string{ExcludeExt, ExcludeCI, ExcludeExtra}, ","), nil)...)
	}
	m := gitignore.NewMatcher(append(all, ps...))
	return func(p string, isDir bool) bool {
		if p == "" || p == "." {
			return false
		}
		return m.Match(strings.Split(p, "/"), isDir)
	}
}

// ErrUnsafePath is returned (wrapped) for a path that is absolute or climbs
// out of the directory it is relative to.
var ErrUnsafePath = errors.New("path must be relative and stay inside the artifact")

// ConfinedPath cleans the slash-separated relative path p and refuses one
// that is absolute, climbs out with "..", or holds a NUL or a backslash.
// An empty path, or one that cleans to ".", is the root: ".".
func ConfinedPath(p string) (string, error) {
	if strings.ContainsAny(p, "\x00\\") || strings.HasPrefix(p, "/") || filepath.IsAbs(p) {
		return "", fmt.Errorf("%q: %w", p, ErrUnsafePath)
	}
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return "", fmt.Errorf("%q: %w", p, ErrUnsafePath)
		}
	}
	clean := filepath.ToSlash(filepath.Clean("/" + p))[1:]
	if clean == "" {
		return ".", nil
	}
	return clean, nil
}

// DirSize returns the total size of the regular files below dir, .git
// included, without following symlinks. It stops with an error wrapping
// ErrTooLarge as soon as the total passes limit (when limit > 0).
func DirSize(dir string, limit int64) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		if limit > 0 && total > limit {
			return fmt.Errorf("larger than %d bytes: %w", limit, ErrTooLarge)
		}
		return nil
	})
	return total, err
}
