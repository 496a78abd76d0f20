// Package tagstore keeps the tags each ImageRepository scanned, for its
// ImagePolicies to choose from. Flux's image-reflector-controller keeps
// them in a Badger database whose memory and compactions its users
// complain about; ferry keeps one sorted list per repository in memory,
// written to one small file per repository (a newline-separated list,
// replaced atomically) so that a restart does not need a full rescan before
// policies can be computed.
package tagstore

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// maxFileSize bounds a stored list read back from disk: a million tags of
// the distribution spec's longest (128 bytes) would not fit, which no
// registry serves for one repository.
const maxFileSize = 64 << 20

// Store is the tag lists of every ImageRepository, by namespace and name.
// It is safe for concurrent use.
type Store struct {
	dir string

	mu    sync.RWMutex
	lists map[key]*List
}

type key struct{ namespace, name string }

// List is one repository's tags, sorted, and their revision. A List is
// never modified once stored: readers share it without copying.
type List struct {
	// Tags are sorted in byte order, without duplicates, the empty tag or
	// tags with a line break.
	Tags []string
	// Revision is "sha256:<hex>" of the tags joined by newlines.
	Revision string
}

// Open returns the store kept under dir, which it creates.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the image tag store: %w", err)
	}
	return &Store{dir: dir, lists: map[key]*List{}}, nil
}

// Revision returns the revision of tags, as Set would store it.
func Revision(tags []string) string {
	sorted := normalize(tags)
	return revision(sorted)
}

// normalize sorts tags and drops duplicates and the tags the list file
// cannot hold: the empty tag and tags with a line break (no valid OCI tag
// is either; a registry that lists one would otherwise see its tags
// change after a restart, when the file is read back).
func normalize(tags []string) []string {
	sorted := slices.DeleteFunc(slices.Clone(tags), func(t string) bool {
		return t == "" || strings.ContainsAny(t, "\r\n")
	})
	slices.Sort(sorted)
	return slices.Compact(sorted)
}

func revision(sorted []string) string {
	h := sha256.New()
	for i, t := range sorted {
		if i > 0 {
			h.Write([]byte{'\n'})
		}
		h.Write([]byte(t))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Set stores the tags of namespace/name and reports whether they differ
// from what was stored; an unchanged list is not written again.
func (s *Store) Set(namespace, name string, tags []string) (*List, bool, error) {
	sorted := normalize(tags)
	l := &List{Tags: slices.Clip(sorted), Revision: revision(sorted)}
	if old, _ := s.Get(namespace, name); old != nil && old.Revision == l.Revision {
		return old, false, nil
	}
	if err := s.write(namespace, name, sorted); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	s.lists[key{namespace, name}] = l
	s.mu.Unlock()
	return l, true, nil
}

// Get returns the tags of namespace/name, reading them from disk after a
// restart; nil when none were stored.
func (s *Store) Get(namespace, name string) (*List, error) {
	k := key{namespace, name}
	s.mu.RLock()
	l := s.lists[k]
	s.mu.RUnlock()
	if l != nil {
		return l, nil
	}
	p, err := s.path(namespace, name)
	if err != nil {
		return nil, err
	}
	data, err := readBounded(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the stored tags of '%s/%s': %w", namespace, name, err)
	}
	var tags []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if t := sc.Text(); t != "" {
			tags = append(tags, t)
		}
	}
	sorted := normalize(tags)
	l = &List{Tags: slices.Clip(sorted), Revision: revision(sorted)}
	s.mu.Lock()
	s.lists[k] = l
	s.mu.Unlock()
	return l, nil
}

// Delete forgets the tags of namespace/name.
func (s *Store) Delete(namespace, name string) error {
	s.mu.Lock()
	delete(s.lists, key{namespace, name})
	s.mu.Unlock()
	p, err := s.path(namespace, name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the stored tags of '%s/%s': %w", namespace, name, err)
	}
	return nil
}

// path is the file of namespace/name: Kubernetes names are DNS labels
// and subdomains, but the store refuses anything that could leave dir.
func (s *Store) path(namespace, name string) (string, error) {
	for _, part := range []string{namespace, name} {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, `/\`) {
			return "", fmt.Errorf("invalid object name '%s/%s' for the tag store", namespace, name)
		}
	}
	return filepath.Join(s.dir, namespace, name+".tags"), nil
}

// write replaces the file of namespace/name: a temporary file, synced,
// renamed over the old one, so a crash leaves the old list or the new one.
func (s *Store) write(namespace, name string, sorted []string) error {
	p, err := s.path(namespace, name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("storing the tags of '%s/%s': %w", namespace, name, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tags-*")
	if err != nil {
		return fmt.Errorf("storing the tags of '%s/%s': %w", namespace, name, err)
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriter(f)
	for _, t := range sorted {
		w.WriteString(t)
		w.WriteByte('\n')
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		return fmt.Errorf("storing the tags of '%s/%s': %w", namespace, name, err)
	}
	return nil
}

func readBounded(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("%d bytes is more than the %d a tag list may have", fi.Size(), maxFileSize)
	}
	return os.ReadFile(p)
}
