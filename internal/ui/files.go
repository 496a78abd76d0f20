package ui

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
)

// Artifacts opens the artifacts of sources, for the diff of a
// Kustomization and the files of a source. `ferry controller
// --ui-address` and `ferry dev` hand the UI their storage (see
// StoredArtifacts); `ferry ui` on a workstation has none.
type Artifacts interface {
	// Open returns the archive of a, verified against its digest. Close it
	// when done.
	Open(ctx context.Context, a *meta.Artifact) (io.ReadSeekCloser, error)
	// Acquire returns a directory holding a unpacked, which must not be
	// written, and the function to call once it is no longer read.
	Acquire(ctx context.Context, a *meta.Artifact) (string, func(), error)
}

// StoredArtifacts are the Artifacts of a process's storage: Fetcher opens
// them (from the storage's disk when it owns the URL), Cache unpacks each
// digest once.
type StoredArtifacts struct {
	Fetcher *artifact.Fetcher
	Cache   *artifact.Cache
}

// Open returns the archive of a, verified against its digest.
func (s StoredArtifacts) Open(ctx context.Context, a *meta.Artifact) (io.ReadSeekCloser, error) {
	return s.Fetcher.Open(ctx, a)
}

// Acquire returns a directory holding a unpacked, shared read-only.
func (s StoredArtifacts) Acquire(ctx context.Context, a *meta.Artifact) (string, func(), error) {
	return s.Cache.Acquire(ctx, a)
}

// Limits of the file pages: a page reads the whole archive at most once,
// within artifactTimeout, and shows at most maxFileShown bytes of a file.
const (
	artifactTimeout = 30 * time.Second
	maxFileShown    = 1 << 20
	// binarySniff is how much of a file is searched for a NUL byte, which
	// marks it binary, as git does.
	binarySniff = 8000
)

// noLiveUpdates is a kind no change names: a page that reads an
// artifact or dry-runs, costly to redo, is not refreshed by /live.
const noLiveUpdates = "none"

// needsController says why a page that reads artifacts is not offered.
const needsController = "The process serving this UI holds no artifact storage (ferry ui runs on a workstation): " +
	"open the UI of the controller, `ferry controller --ui-address`, or of `ferry dev`."

// browsableKinds are the source kinds whose artifact is a tar.gz of files
// (a HelmRepository's is its index, a single file).
var browsableKinds = map[string]bool{sourcev1.GitRepositoryKind: true, sourcev1.HelmChartKind: true}

// Browsable says whether the kind's artifact can be browsed file by file.
func (k *kind) Browsable() bool { return browsableKinds[k.name] }

// filesPage is the data of the files page: a directory of an artifact,
// or one of its files.
type filesPage struct {
	row
	Artifact *meta.Artifact
	// Path is the directory or file shown, "" for the root.
	Path string
	// Crumbs lead from the root to Path.
	Crumbs []fileCrumb
	// Entries are a directory's, directories first; nil for a file.
	Entries []fileEntry
	// Dir says Path is a directory.
	Dir bool
	// File is the file shown; nil for a directory.
	File *fileView
	// Link is the target of a symbolic link, which is not followed.
	Link string
	// Other names the type of an entry that is neither file, directory
	// nor symbolic link.
	Other string
}

// Base is the last segment of the path shown.
func (p filesPage) Base() string { return path.Base(p.Path) }

// fileCrumb is one directory above the path shown.
type fileCrumb struct{ Name, Path string }

// fileEntry is one entry of a directory.
type fileEntry struct {
	Name string
	// Path is its page.
	Path string
	Size int64
	Dir  bool
	// Link is a symbolic link's target.
	Link string
	// Other names an entry of another type (a hard link, a device).
	Other string
}

// fileView is one file of an artifact.
type fileView struct {
	Size int64
	// Text is the file's text, at most maxFileShown bytes of it; empty
	// for a binary file.
	Text string
	// Binary says the file is not text, and not shown.
	Binary bool
	// Truncated says only the first maxFileShown bytes are shown.
	Truncated bool
}

// MaxShown is the most a file view shows, for the template.
func (fileView) MaxShown() int { return maxFileShown }

// filesPath is the page of the file or directory p of an object's
// artifact, each segment escaped.
func filesPath(kind, ns, name, p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return objectPath(kind, ns, name) + "/files/" + strings.Join(segs, "/")
}

// files serves GET /o/<kind>/<namespace>/<name>/files/<path>: the
// directory or file at path of the source's artifact, read from its
// archive as it streams, nothing unpacked.
func (s *Server) files(w http.ResponseWriter, r *http.Request) {
	k := kindNamed(r.PathValue("kind"))
	if k == nil || !k.Browsable() {
		s.fail(w, r, http.StatusNotFound, "No files", "The UI browses the artifacts of GitRepositories and HelmCharts.")
		return
	}
	want, err := cleanFilePath(r.PathValue("path"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "Invalid path", err.Error())
		return
	}
	if s.opts.Artifacts == nil {
		s.fail(w, r, http.StatusNotImplemented, "Files need the controller's UI", needsController)
		return
	}
	// The cache says whether it exists (and whether the UI shows it to
	// this user); the user's own read, whether they may see what it holds.
	if _, _, ok := s.getObject(w, r); !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), artifactTimeout)
	defer cancel()
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	obj, ok := s.getAsUser(ctx, w, r, k, ns, name)
	if !ok {
		return
	}
	p := filesPage{row: rowOf(k, obj), Path: want, Dir: true}
	p.Crumbs = fileCrumbs(k.name, ns, name, want)
	title := k.name + " " + ns + "/" + name + " files"
	if src, ok := obj.(interface{ GetArtifact() *meta.Artifact }); ok {
		p.Artifact = src.GetArtifact()
	}
	if p.Artifact == nil {
		s.render(w, r, http.StatusOK, "files", page{Title: title, Nav: k.name, LiveKinds: k.name, Data: p})
		return
	}
	archive, err := s.opts.Artifacts.Open(ctx, p.Artifact)
	if err != nil {
		s.opts.Log.Error(err, "opening an artifact", "path", r.URL.Path)
		s.fail(w, r, http.StatusBadGateway, "Cannot read the artifact", err.Error())
		return
	}
	defer archive.Close()
	found, err := readArchive(ctx, archive, want)
	if err != nil {
		s.opts.Log.Error(err, "reading an artifact", "path", r.URL.Path)
		s.fail(w, r, http.StatusBadGateway, "Cannot read the artifact", fmt.Sprintf("revision %s: %s", p.Artifact.Revision, err))
		return
	}
	if !found.exists {
		s.fail(w, r, http.StatusNotFound, "No such file", fmt.Sprintf("Revision %s of %s %s/%s has no file %s.", p.Artifact.Revision, k.name, ns, name, want))
		return
	}
	p.Dir, p.File, p.Link, p.Other = found.dir, found.file, found.link, found.other
	for _, e := range found.entries {
		e.Path = filesPath(k.name, ns, name, path.Join(want, e.Name))
		if e.Dir {
			e.Path += "/"
		}
		p.Entries = append(p.Entries, e)
	}
	if want != "" {
		title += ": " + want
	}
	s.render(w, r, http.StatusOK, "files", page{Title: title, Nav: k.name, LiveKinds: noLiveUpdates, Data: p})
}

// getAsUser reads the object ns/name of kind k with the client of the
// request's user, straight from the API server: whoever may not get it may
// not see what it holds. It answers a refusal (403), a missing object
// (404) or a read-only UI itself.
func (s *Server) getAsUser(ctx context.Context, w http.ResponseWriter, r *http.Request, k *kind, ns, name string) (conditioned, bool) {
	if s.opts.Actions == nil {
		s.fail(w, r, http.StatusForbidden, "Refused", "This UI is read-only: it has no identity of yours to read the source with.")
		return nil, false
	}
	c, _, err := s.opts.Actions(r)
	if err != nil {
		s.fail(w, r, http.StatusForbidden, "Refused", err.Error())
		return nil, false
	}
	obj := k.newObject()
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		what := fmt.Sprintf("%s %s/%s", k.name, ns, name)
		switch {
		case apierrors.IsForbidden(err):
			s.fail(w, r, http.StatusForbidden, "Forbidden", fmt.Sprintf("you may not get %s: %s", what, apiMessage(err)))
		case apierrors.IsNotFound(err):
			s.fail(w, r, http.StatusNotFound, "Not found", what+" does not exist.")
		default:
			s.listErr(w, r, err)
		}
		return nil, false
	}
	return obj, true
}

// fileCrumbs are the directories from the root to p, each with its page.
func fileCrumbs(kind, ns, name, p string) []fileCrumb {
	out := []fileCrumb{{Name: "/", Path: filesPath(kind, ns, name, "")}}
	if p == "" {
		return out
	}
	segs := strings.Split(p, "/")
	for i := range segs[:len(segs)-1] {
		dir := strings.Join(segs[:i+1], "/")
		out = append(out, fileCrumb{Name: segs[i], Path: filesPath(kind, ns, name, dir) + "/"})
	}
	return out
}

// errInvalidPath is a path of the files page that names nothing an
// archive may hold.
var errInvalidPath = errors.New("invalid path")

// cleanFilePath checks the path of a file page, as the URL names it (a
// trailing slash for a directory is allowed): relative, no "." or ".."
// segment, no empty segment, no NUL or backslash. "" is the root.
func cleanFilePath(p string) (string, error) {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "", nil
	}
	if strings.ContainsAny(p, "\x00\\") {
		return "", fmt.Errorf("%w: a path holds no NUL or backslash", errInvalidPath)
	}
	if strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%w: the path must be relative to the artifact's root", errInvalidPath)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%w: the path may not hold an empty, . or .. segment", errInvalidPath)
		}
	}
	return p, nil
}

// archiveName is the name of a tar entry relative to the archive's root
// ("./a/b/" is "a/b"), or false for a name that would leave it or that is
// the root itself: such entries are not shown.
func archiveName(n string) (string, bool) {
	n = strings.TrimPrefix(n, "./")
	n = strings.TrimSuffix(n, "/")
	clean, err := cleanFilePath(n)
	if err != nil || clean == "" {
		return "", false
	}
	return clean, true
}

// archiveEntry is what readArchive found at a path.
type archiveEntry struct {
	exists  bool
	dir     bool
	entries []fileEntry
	file    *fileView
	link    string
	other   string
}

// readArchive reads the gzip-compressed tar stream r for the entry at
// want ("" for the root): a directory's entries (whether the archive has
// an entry for the directory or only for what is in it), a file's first
// maxFileShown bytes, or a symbolic link's target, never followed. It
// stops at a file, else reads the whole stream, within the limits Untar
// keeps to, and gives up when ctx is done.
func readArchive(ctx context.Context, r io.Reader, want string) (*archiveEntry, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a gzip stream: %w", err)
	}
	defer gz.Close()
	// Bound what is decompressed, as Untar does: the entries skipped are
	// decompressed too.
	tr := tar.NewReader(io.LimitReader(gz, artifact.DefaultMaxUntarSize))
	out := &archiveEntry{exists: want == "", dir: want == ""}
	children := map[string]*fileEntry{}
	prefix := ""
	if want != "" {
		prefix = want + "/"
	}
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if n >= artifact.DefaultMaxEntries {
			return nil, fmt.Errorf("more than %d entries", artifact.DefaultMaxEntries)
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		name, ok := archiveName(hdr.Name)
		if !ok || hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if name == want {
			out.exists = true
			switch hdr.Typeflag {
			case tar.TypeDir:
				out.dir = true
			case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old writers emit TypeRegA
				out.dir = false
				out.file, err = readFileView(tr, hdr.Size)
				return out, err
			case tar.TypeSymlink:
				out.dir, out.link = false, hdr.Linkname
				return out, nil
			default:
				out.dir, out.other = false, entryType(hdr.Typeflag)
				return out, nil
			}
			continue
		}
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		// Inside the directory: its own entry, or one that implies a
		// subdirectory.
		out.exists, out.dir = true, true
		child, deeper, _ := strings.Cut(rest, "/")
		e := children[child]
		if e == nil {
			e = &fileEntry{Name: child}
			children[child] = e
		}
		switch {
		case deeper != "" || hdr.Typeflag == tar.TypeDir:
			e.Dir = true
		case hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA: //nolint:staticcheck // old writers emit TypeRegA
			e.Size = hdr.Size
		case hdr.Typeflag == tar.TypeSymlink:
			e.Link = hdr.Linkname
		default:
			e.Other = entryType(hdr.Typeflag)
		}
	}
	for _, e := range children {
		out.entries = append(out.entries, *e)
	}
	sort.Slice(out.entries, func(i, j int) bool {
		a, b := out.entries[i], out.entries[j]
		if a.Dir != b.Dir {
			return a.Dir
		}
		return a.Name < b.Name
	})
	return out, nil
}

// readFileView reads up to maxFileShown bytes of a file of size bytes,
// and tells text from binary.
func readFileView(r io.Reader, size int64) (*fileView, error) {
	v := &fileView{Size: size}
	data, err := io.ReadAll(io.LimitReader(r, maxFileShown))
	if err != nil {
		return nil, err
	}
	v.Truncated = size > int64(len(data))
	// A cut may split the last character: look at whole ones only.
	whole := data
	if v.Truncated {
		for i := 0; i < utf8.UTFMax && len(whole) > 0 && !utf8.Valid(whole); i++ {
			whole = whole[:len(whole)-1]
		}
	}
	if bytes.IndexByte(data[:min(len(data), binarySniff)], 0) >= 0 || !utf8.Valid(whole) {
		v.Binary = true
		return v, nil
	}
	v.Text = string(whole)
	return v, nil
}

// entryType names a tar entry type the pages show but do not read.
func entryType(t byte) string {
	switch t {
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar, tar.TypeBlock:
		return "device"
	case tar.TypeFifo:
		return "named pipe"
	}
	return "entry of type " + fmt.Sprintf("%q", string(t))
}
