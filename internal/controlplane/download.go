package controlplane

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// DownloadEnv names the environment variable that says where the release
// binaries of the control plane are downloaded from:
//
//   - unset or empty: from the official release hosts (dl.k8s.io for
//     Kubernetes, GitHub releases for etcd), except inside a test binary,
//     where downloads are off unless this variable asks for them;
//   - "off": never; everything is built from Go modules;
//   - "on": from the official hosts, also inside a test binary;
//   - an http(s) URL: from a mirror that serves the official paths under
//     that URL (/release/<version>/bin/<os>/<arch>/kube-apiserver and
//     /etcd-io/etcd/releases/download/<version>/...), with their checksum
//     files beside them.
const DownloadEnv = "FERRY_CONTROLPLANE_DOWNLOAD"

// Official release hosts.
const (
	kubernetesReleaseHost = "https://dl.k8s.io"
	githubReleaseHost     = "https://github.com"
)

// Size limits of what a download may be.
const (
	maxBinarySize   = 1 << 30
	maxChecksumSize = 1 << 20
)

// release is a published release file and the checksum published for it.
type release struct {
	// host is the official host; path is the file's path on it.
	host, path string
	// sums is the path of the checksum file on host; entry is the name
	// the file has in it (a SHA256SUMS list), or "" when the checksum file
	// holds the one digest of this file.
	sums, entry string
	// member, if set, is the path of the binary inside the .tar.gz at path.
	member string
}

// kubernetesRelease is the release binary of a Kubernetes command, with its
// .sha256 file beside it. Server binaries are published for Linux only.
func kubernetesRelease(version, cmd string) *release {
	if runtime.GOOS != "linux" {
		return nil
	}
	p := path.Join("/release", version, "bin", runtime.GOOS, runtime.GOARCH, cmd)
	return &release{host: kubernetesReleaseHost, path: p, sums: p + ".sha256"}
}

// etcdRelease is etcd's release tarball and its entry in the release's
// SHA256SUMS. Other systems than Linux get zip files; they build etcd.
func etcdRelease(version string) *release {
	if runtime.GOOS != "linux" {
		return nil
	}
	base := fmt.Sprintf("etcd-%s-%s-%s", version, runtime.GOOS, runtime.GOARCH)
	dir := path.Join("/etcd-io/etcd/releases/download", version)
	return &release{
		host:   githubReleaseHost,
		path:   path.Join(dir, base+".tar.gz"),
		sums:   path.Join(dir, "SHA256SUMS"),
		entry:  base + ".tar.gz",
		member: base + "/etcd",
	}
}

// downloader fetches release files. It turns itself off after the first
// failure that is not a checksum mismatch, so an unreachable network costs
// one attempt, not one per file.
type downloader struct {
	// mirror replaces the official hosts when set.
	mirror *url.URL
	client *http.Client
	// off is why downloads are off, "" while they are on.
	off atomic.Pointer[string]
}

// downloaderFromEnv configures downloads from DownloadEnv.
func downloaderFromEnv() (*downloader, error) {
	d := &downloader{client: newDownloadClient()}
	switch v := strings.TrimSpace(os.Getenv(DownloadEnv)); strings.ToLower(v) {
	case "":
		if testing.Testing() {
			d.disable("tests do not download unless " + DownloadEnv + " asks for it")
		}
	case "on":
	case "off":
		d.disable(DownloadEnv + "=off")
	default:
		u, err := url.Parse(v)
		if err == nil && u.User != nil {
			return nil, fmt.Errorf("%s=%s: a mirror URL must not carry credentials", DownloadEnv, u.Redacted())
		}
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s=%q: want off, on or the http(s) URL of a mirror", DownloadEnv, v)
		}
		d.mirror = u
	}
	return d, nil
}

func newDownloadClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second}).DialContext,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("too many redirects")
			}
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return fmt.Errorf("refused a redirect from https to %s", req.URL.Scheme)
			}
			return nil
		},
	}
}

func (d *downloader) enabled() bool { return d != nil && d.off.Load() == nil }

func (d *downloader) disable(why string) { d.off.CompareAndSwap(nil, &why) }

// url is where p of the official host is fetched from.
func (d *downloader) url(host, p string) string {
	if d.mirror != nil {
		return strings.TrimSuffix(d.mirror.String(), "/") + p
	}
	return host + p
}

// checksumError is a download whose SHA-256 is not the published one.
type checksumError struct {
	url       string
	want, got string
}

func (e *checksumError) Error() string {
	return fmt.Sprintf("SHA-256 of %s is %s, but the release publishes %s", e.url, e.got, e.want)
}

// fetch downloads c's release into out, verifies it against the published
// checksum and installs c's file from it. On any failure nothing is left in
// out.
func (b *builder) fetch(ctx context.Context, c component, out string) error {
	r := c.release
	want, err := b.releases.publishedSum(ctx, r)
	if err != nil {
		return err
	}

	src := b.releases.url(r.host, r.path)
	tmp, err := os.CreateTemp(out, ".download-")
	if err != nil {
		return fmt.Errorf("failed to create a download file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	defer func() { _ = tmp.Close() }()

	var received, total atomic.Int64
	done := b.progress.step("downloading "+c.name, "", func() string {
		n, t := received.Load(), total.Load()
		if t > 0 {
			return fmt.Sprintf("%s of %s", megabytes(n), megabytes(t))
		}
		return megabytes(n)
	})
	got, err := b.releases.get(ctx, src, maxBinarySize, tmp, &received, &total)
	done(err)
	if err != nil {
		return err
	}
	if got != want {
		return &checksumError{url: src, want: want, got: got}
	}

	dst := filepath.Join(out, c.files[0])
	if r.member == "" {
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Chmod(tmp.Name(), 0o755); err != nil {
			return err
		}
		return os.Rename(tmp.Name(), dst)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := extractMember(tmp, r.member, dst); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	return nil
}

// publishedSum fetches the SHA-256 published for r, as lowercase hex.
func (d *downloader) publishedSum(ctx context.Context, r *release) (string, error) {
	src := d.url(r.host, r.sums)
	var buf strings.Builder
	if _, err := d.get(ctx, src, maxChecksumSize, &buf, nil, nil); err != nil {
		return "", err
	}
	sum, err := parseChecksum(buf.String(), r.entry)
	if err != nil {
		return "", fmt.Errorf("%s: %w", src, err)
	}
	return sum, nil
}

// parseChecksum finds a SHA-256 in a checksum file: the first field of the
// file when entry is "", else the digest on the line that names entry
// (sha256sum's "<hex>  <name>" or "<hex> *<name>").
func parseChecksum(content, entry string) (string, error) {
	sc := bufio.NewScanner(strings.NewReader(content))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if entry != "" && (len(fields) < 2 || strings.TrimPrefix(fields[1], "*") != entry) {
			continue
		}
		sum := strings.ToLower(fields[0])
		if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
			return "", fmt.Errorf("%q is not a SHA-256 digest", fields[0])
		}
		return sum, nil
	}
	if entry != "" {
		return "", fmt.Errorf("no checksum for %s", entry)
	}
	return "", errors.New("no checksum")
}

// get copies the body of src to w, at most limit bytes, and returns its
// SHA-256. received and total, when set, follow the progress.
func (d *downloader) get(ctx context.Context, src string, limit int64, w io.Writer, received, total *atomic.Int64) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return "", err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", src, resp.Status)
	}
	if resp.ContentLength > limit {
		return "", fmt.Errorf("GET %s: %d bytes is more than the limit of %d", src, resp.ContentLength, limit)
	}
	if total != nil {
		total.Store(resp.ContentLength)
	}
	h := sha256.New()
	body := io.Reader(io.LimitReader(resp.Body, limit+1))
	if received != nil {
		body = &countingReader{r: body, n: received}
	}
	n, err := io.Copy(io.MultiWriter(w, h), body)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", src, err)
	}
	if n > limit {
		return "", fmt.Errorf("GET %s: more than the limit of %d bytes", src, limit)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// extractMember writes the regular file named member of the gzipped tar r
// to dst, executable.
func extractMember(r io.Reader, member, dst string) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("not a gzip file: %w", err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("the archive has no %s", member)
		}
		if err != nil {
			return fmt.Errorf("failed to read the archive: %w", err)
		}
		if path.Clean(h.Name) != member {
			continue
		}
		if h.Typeflag != tar.TypeReg {
			return fmt.Errorf("%s in the archive is not a regular file", member)
		}
		if h.Size > maxBinarySize {
			return fmt.Errorf("%s in the archive is larger than %d bytes", member, maxBinarySize)
		}
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
		if err != nil {
			return err
		}
		_, cerr := io.Copy(f, io.LimitReader(tr, h.Size))
		if err := errors.Join(cerr, f.Close()); err != nil {
			_ = os.Remove(dst)
			return err
		}
		return nil
	}
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
