// Package s3 is the client of S3-compatible object storage that Bucket
// sources (provider generic) read from: listing a bucket under a prefix
// and downloading objects, bounded in count and size, on minio-go, the
// library Flux's source-controller uses for the same provider.
package s3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

var (
	// ErrInvalidEndpoint is an endpoint that is not host[:port] or an
	// http(s) URL with no path.
	ErrInvalidEndpoint = errors.New("invalid endpoint")
	// ErrPlainHTTP is a plain-HTTP endpoint without Options.Insecure.
	ErrPlainHTTP = errors.New("plain HTTP to the bucket's endpoint needs spec.insecure: true")
	// ErrPlainHTTPAnswer is an HTTPS request answered in plain HTTP: an
	// endpoint that serves plain HTTP only, or one misconfigured for a
	// while (a load balancer in front of it), which a retry may find
	// fixed.
	ErrPlainHTTPAnswer = errors.New("the endpoint answered an HTTPS request in plain HTTP")
	// ErrAuthentication is a request the server refused for its
	// credentials (or their absence).
	ErrAuthentication = errors.New("access denied")
	// ErrNotFound is an object that does not exist (any more).
	ErrNotFound = errors.New("object not found")
	// ErrTooMany is a listing with more objects than allowed.
	ErrTooMany = errors.New("too many objects")
	// ErrTooLarge is content past the size allowed.
	ErrTooLarge = errors.New("too large")
	// ErrNotS3 is a listing answered with an HTML page (a login page, a
	// proxy's error page), which minio-go would read as an empty bucket.
	ErrNotS3 = errors.New("the endpoint did not answer as S3")
)

// maxRetries bounds minio-go's retries of one request (its default is
// 10, with backoff); the reconcile is retried anyway.
const maxRetries = 3

// Options configures a Client.
type Options struct {
	// Endpoint is host[:port], or an http:// or https:// URL without a
	// path.
	Endpoint string
	// Region is the bucket's region; empty asks the server.
	Region string
	// Insecure connects with plain HTTP to a host[:port] endpoint, and
	// allows an http:// one.
	Insecure bool
	// AccessKey and SecretKey sign the requests (AWS Signature V4); both
	// empty means anonymous requests.
	AccessKey, SecretKey string
	// TLS is the client TLS configuration (CA, client certificate); nil
	// means the system roots.
	TLS *tls.Config
	// Proxy is the HTTP proxy to use; nil means none, whatever the
	// environment says.
	Proxy *url.URL
}

// Client reads one S3-compatible endpoint.
type Client struct {
	c         *minio.Client
	secure    bool
	transport *http.Transport
}

// Close closes the client's idle connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// Object is one listed object.
type Object struct {
	Key  string
	ETag string
	Size int64
}

// New returns a client of o's endpoint. It makes no request.
func New(o Options) (*Client, error) {
	host, secure, err := ParseEndpoint(o.Endpoint, o.Insecure)
	if err != nil {
		return nil, err
	}
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	tr.Proxy = nil
	if o.Proxy != nil {
		tr.Proxy = http.ProxyURL(o.Proxy)
	}
	if secure && o.TLS != nil {
		cfg := o.TLS.Clone()
		if cfg.MinVersion == 0 {
			cfg.MinVersion = tls.VersionTLS12
		}
		tr.TLSClientConfig = cfg
	}
	opts := &minio.Options{
		Secure:     secure,
		Region:     o.Region,
		Transport:  htmlGuard{next: tr},
		MaxRetries: maxRetries,
	}
	if o.AccessKey != "" || o.SecretKey != "" {
		opts.Creds = credentials.NewStaticV4(o.AccessKey, o.SecretKey, "")
	}
	c, err := minio.New(host, opts)
	if err != nil {
		return nil, fmt.Errorf("%w '%s': %s", ErrInvalidEndpoint, o.Endpoint, err)
	}
	return &Client{c: c, secure: secure, transport: tr}, nil
}

// ParseEndpoint returns the host[:port] of endpoint and whether it is
// reached over TLS: a bare host[:port] is HTTPS unless insecure; an
// https:// URL is HTTPS; an http:// URL needs insecure.
func ParseEndpoint(endpoint string, insecure bool) (host string, secure bool, err error) {
	invalid := func(why string) error {
		return fmt.Errorf("%w '%s': %s", ErrInvalidEndpoint, redactEndpoint(endpoint), why)
	}
	if endpoint == "" {
		return "", false, invalid("empty")
	}
	if !strings.Contains(endpoint, "://") {
		if strings.ContainsAny(endpoint, "/?#@ ") {
			return "", false, invalid("want host[:port], or an http(s) URL without a path")
		}
		return endpoint, !insecure, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", false, invalid("not a URL")
	}
	switch {
	case u.User != nil:
		return "", false, invalid("credentials do not belong in the endpoint: use spec.secretRef")
	case u.Host == "":
		return "", false, invalid("no host")
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", false, invalid("the endpoint has no path: set the bucket in spec.bucketName and a key prefix in spec.prefix")
	}
	switch u.Scheme {
	case "https":
		return u.Host, true, nil
	case "http":
		if !insecure {
			return "", false, fmt.Errorf("endpoint '%s': %w", endpoint, ErrPlainHTTP)
		}
		return u.Host, false, nil
	}
	return "", false, invalid("scheme must be http or https")
}

// redactEndpoint drops the user information of an endpoint, with or
// without a scheme: everything of its authority (up to the first '/', '?'
// or '#') before the last '@'. Messages quote endpoints; Bucket statuses
// and events must never carry a password written into one.
func redactEndpoint(endpoint string) string {
	scheme, rest := "", endpoint
	if i := strings.Index(endpoint, "://"); i >= 0 {
		scheme, rest = endpoint[:i+len("://")], endpoint[i+len("://"):]
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		return scheme + "***@" + rest[at+1:]
	}
	return endpoint
}

// BucketExists reports whether bucket exists.
func (c *Client) BucketExists(ctx context.Context, bucket string) (bool, error) {
	ok, err := c.c.BucketExists(ctx, bucket)
	return ok, c.classify(err)
}

// List returns the objects of bucket whose keys start with prefix, in
// the server's (lexical) order, skipping directory markers (keys ending
// in "/"). More than max objects fail with ErrTooMany.
func (c *Client) List(ctx context.Context, bucket, prefix string, max int) ([]Object, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine on an early return
	var objs []Object
	for o := range c.c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, c.classify(o.Err)
		}
		if strings.HasSuffix(o.Key, "/") {
			continue
		}
		if len(objs) == max {
			return nil, fmt.Errorf("bucket '%s' has more than %d objects under prefix '%s': %w", bucket, max, prefix, ErrTooMany)
		}
		objs = append(objs, Object{Key: o.Key, ETag: o.ETag, Size: o.Size})
	}
	return objs, nil
}

// Get copies the content of the object key of bucket to w, at most limit
// bytes (ErrTooLarge past it), and returns its ETag.
func (c *Client) Get(ctx context.Context, bucket, key string, w io.Writer, limit int64) (etag string, n int64, err error) {
	obj, err := c.c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return "", 0, c.classify(err)
	}
	defer obj.Close()
	info, err := obj.Stat()
	if err != nil {
		return "", 0, c.classify(err)
	}
	if info.Size > limit {
		return "", 0, fmt.Errorf("object '%s' is %d bytes: %w", key, info.Size, ErrTooLarge)
	}
	n, err = io.Copy(w, io.LimitReader(obj, limit+1))
	if err != nil {
		return "", n, c.classify(err)
	}
	if n > limit {
		return "", n, fmt.Errorf("object '%s' is more than %d bytes: %w", key, limit, ErrTooLarge)
	}
	return info.ETag, n, nil
}

// classify wraps the errors callers act on: a refusal of the credentials
// (ErrAuthentication), a missing key (ErrNotFound), plain HTTP where TLS
// was expected (ErrPlainHTTPAnswer). minio-go's messages quote no credentials.
func (c *Client) classify(err error) error {
	if err == nil {
		return nil
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken":
		return fmt.Errorf("%w: %s (%s)", ErrAuthentication, err, resp.Code)
	case "NoSuchKey":
		return fmt.Errorf("%w: %s", ErrNotFound, err)
	}
	if resp.Code == "" && resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("%w: %s", ErrAuthentication, err)
	}
	var rh tls.RecordHeaderError
	if c.secure && (errors.As(err, &rh) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")) {
		return fmt.Errorf("%w (%s): if it serves plain HTTP only, set spec.insecure: true", ErrPlainHTTPAnswer, err)
	}
	return err
}

// htmlGuard fails the bucket-level answers that must be S3's XML (a
// listing, the bucket's location) when they are an HTML page: minio-go
// decodes an HTML page without error as an empty listing, and the Bucket
// would store an empty artifact in place of the bucket's content.
type htmlGuard struct{ next http.RoundTripper }

func (g htmlGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.next.RoundTrip(req)
	q := req.URL.Query()
	if err != nil || req.Method != http.MethodGet || resp.StatusCode != http.StatusOK || !(q.Has("list-type") || q.Has("location")) {
		return resp, err
	}
	body := bufio.NewReader(resp.Body)
	peek, _ := body.Peek(512)
	ct := resp.Header.Get("Content-Type")
	media, _, _ := mime.ParseMediaType(ct)
	if media != "text/html" && !strings.HasPrefix(http.DetectContentType(peek), "text/html") {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{body, resp.Body}
		return resp, nil
	}
	what := "a listing"
	if q.Has("location") {
		what = "the bucket's location"
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{errReader{fmt.Errorf("%w: it answered the request for %s with an HTML page (Content-Type '%s'): check spec.endpoint, and that no login page or proxy answers in its place", ErrNotS3, what, ct)}, resp.Body}
	return resp, nil
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
