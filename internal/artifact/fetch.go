package artifact

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ferrycd/ferry/api/meta"
)

// ErrDigestMismatch is returned (wrapped) when an artifact's content does not
// match its digest.
var ErrDigestMismatch = errors.New("digest mismatch")

// defaultClient is used by a Fetcher without a Client.
var defaultClient = &http.Client{Timeout: 5 * time.Minute}

// Fetcher downloads, verifies and unpacks artifacts.
type Fetcher struct {
	// Storage, when set, serves artifacts whose URL it owns straight from
	// disk, without HTTP.
	Storage *Storage
	// Client is used for HTTP downloads; nil means a client with a five
	// minute timeout.
	Client *http.Client
	// MaxSize bounds the compressed size of an artifact; zero means
	// DefaultMaxSize.
	MaxSize int64
	// Limits bounds the unpacked tree.
	Limits UntarOptions
}

func (f *Fetcher) maxSize() int64 {
	if f.MaxSize > 0 {
		return f.MaxSize
	}
	return DefaultMaxSize
}

// Fetch gets artifact a, checks it against a.Digest and unpacks it into dir
// (created if needed). Errors name the artifact's URL, which never holds
// credentials.
func (f *Fetcher) Fetch(ctx context.Context, a *meta.Artifact, dir string) error {
	src, err := f.Open(ctx, a)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := Untar(src, dir, f.Limits); err != nil {
		return fmt.Errorf("fetching artifact %s: %w", a.URL, err)
	}
	return nil
}

// Open gets artifact a, a tarball or a single file (StoreFile), checks the
// whole of it against a.Digest and returns it positioned at its start: no
// byte is handed out before the digest matched. Close it when done.
func (f *Fetcher) Open(ctx context.Context, a *meta.Artifact) (io.ReadSeekCloser, error) {
	if a == nil {
		return nil, errors.New("fetching artifact: no artifact")
	}
	h, want, err := parseDigest(a.Digest)
	if err != nil {
		return nil, fmt.Errorf("fetching artifact %s: %w", a.URL, err)
	}
	src, err := f.open(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("fetching artifact %s: %w", a.URL, err)
	}
	if _, err := io.Copy(h, src); err != nil {
		src.Close()
		return nil, fmt.Errorf("fetching artifact %s: %w", a.URL, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		src.Close()
		return nil, fmt.Errorf("fetching artifact %s: %w: computed %s, expected %s", a.URL, ErrDigestMismatch, got, want)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		src.Close()
		return nil, fmt.Errorf("fetching artifact %s: %w", a.URL, err)
	}
	return src, nil
}

// open returns the artifact file, size-checked: the stored file when the
// Storage owns the URL and has it, else a temporary copy of the download
// that is removed on Close.
func (f *Fetcher) open(ctx context.Context, a *meta.Artifact) (io.ReadSeekCloser, error) {
	if rel, ok := f.local(a.URL); ok {
		file, err := openConfined(f.Storage.Root(), rel)
		if err == nil {
			fi, err := file.Stat()
			switch {
			case err != nil:
				file.Close()
				return nil, err
			case !fi.Mode().IsRegular():
				file.Close()
				return nil, errors.New("not a file")
			case fi.Size() > f.maxSize():
				file.Close()
				return nil, fmt.Errorf("artifact of %d bytes is larger than %d bytes: %w", fi.Size(), f.maxSize(), ErrTooLarge)
			}
			return file, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		// Not on this replica's disk: fall back to HTTP.
	}
	return f.download(ctx, a.URL)
}

// local reports whether the Storage serves url, and the storage-relative
// path it names.
func (f *Fetcher) local(raw string) (string, bool) {
	if f.Storage == nil {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host != f.Storage.Hostname() || u.User != nil {
		return "", false
	}
	rel, err := cleanRelative(strings.TrimPrefix(u.Path, "/"))
	if err != nil {
		return "", false
	}
	return rel, true
}

// tempFile is a temporary file removed on Close.
type tempFile struct{ *os.File }

func (t tempFile) Close() error {
	err := t.File.Close()
	_ = os.Remove(t.Name())
	return err
}

func (f *Fetcher) download(ctx context.Context, rawURL string) (io.ReadSeekCloser, error) {
	client := f.Client
	if client == nil {
		client = defaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("unexpected HTTP status %s", resp.Status)
	}
	max := f.maxSize()
	if resp.ContentLength > max {
		return nil, fmt.Errorf("artifact of %d bytes is larger than %d bytes: %w", resp.ContentLength, max, ErrTooLarge)
	}
	tmp, err := os.CreateTemp("", "ferry-artifact-*")
	if err != nil {
		return nil, err
	}
	t := tempFile{tmp}
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, max+1))
	if err != nil {
		t.Close()
		return nil, err
	}
	if n > max {
		t.Close()
		return nil, fmt.Errorf("artifact larger than %d bytes: %w", max, ErrTooLarge)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// parseDigest splits "<algorithm>:<hex>" and returns a hash for the
// algorithm and the expected hex.
func parseDigest(d string) (hash.Hash, string, error) {
	algo, hexDigest, ok := strings.Cut(d, ":")
	if !ok || hexDigest == "" {
		return nil, "", fmt.Errorf("invalid digest %q: want <algorithm>:<hex>", d)
	}
	var h hash.Hash
	switch algo {
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return nil, "", fmt.Errorf("invalid digest %q: unsupported algorithm %q", d, algo)
	}
	if _, err := hex.DecodeString(hexDigest); err != nil || len(hexDigest) != 2*h.Size() {
		return nil, "", fmt.Errorf("invalid digest %q: malformed hex", d)
	}
	return h, strings.ToLower(hexDigest), nil
}
