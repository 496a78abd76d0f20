// Package s3test runs an in-process S3 server (gofakes3 on an in-memory
// backend) on loopback for tests: optionally over TLS, optionally
// requiring AWS Signature V4 with one access key, counting the requests
// it serves.
package s3test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Options configures a Server.
type Options struct {
	// AccessKey and SecretKey, when set, are the only credentials the
	// server accepts; every other request is answered 403.
	AccessKey, SecretKey string
	// TLS serves HTTPS with httptest's self-signed certificate.
	TLS bool
}

// Server is a running S3 server.
type Server struct {
	srv  *httptest.Server
	opts Options

	mu       sync.Mutex
	requests []Request
}

// Request is one request the server answered.
type Request struct {
	Method string
	// Bucket and Key are the path's first element and the rest; Key is
	// empty for bucket-level requests (listings, location, HEAD bucket).
	Bucket, Key string
	// Query is the raw query.
	Query string
}

// Start starts a server, stopped when t ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{opts: o}
	fake := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	handler := s.handler(fake.Server())
	s.srv = httptest.NewUnstartedServer(handler)
	// Refused handshakes (an untrusted certificate) are what tests check.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if o.TLS {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(s.srv.Close)
	return s
}

// Endpoint returns host:port, as a Bucket's spec.endpoint names it.
func (s *Server) Endpoint() string { return s.srv.Listener.Addr().String() }

// CA returns the PEM of the server's certificate (TLS only), for a
// certSecretRef's ca.crt.
func (s *Server) CA() []byte {
	if s.srv.Certificate() == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// Client returns a minio-go client of the server with its credentials,
// for a test to create buckets and put objects.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	opts := &minio.Options{Secure: s.opts.TLS, Region: "us-east-1"}
	if s.opts.AccessKey != "" {
		opts.Creds = credentials.NewStaticV4(s.opts.AccessKey, s.opts.SecretKey, "")
	}
	if s.opts.TLS {
		opts.Transport = s.srv.Client().Transport
	}
	c, err := minio.New(s.Endpoint(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// MakeBucket creates bucket.
func (s *Server) MakeBucket(t testing.TB, bucket string) {
	t.Helper()
	if err := s.Client(t).MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", bucket, err)
	}
}

// Put writes the objects of files (key → content) to bucket with
// minio-go.
func (s *Server) Put(t testing.TB, bucket string, files map[string]string) {
	t.Helper()
	c := s.Client(t)
	for key, content := range files {
		if _, err := c.PutObject(context.Background(), bucket, key, strings.NewReader(content), int64(len(content)),
			minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
			t.Fatalf("put %s/%s: %v", bucket, key, err)
		}
	}
}

// Remove deletes the objects keys of bucket.
func (s *Server) Remove(t testing.TB, bucket string, keys ...string) {
	t.Helper()
	c := s.Client(t)
	for _, key := range keys {
		if err := c.RemoveObject(context.Background(), bucket, key, minio.RemoveObjectOptions{}); err != nil {
			t.Fatalf("remove %s/%s: %v", bucket, key, err)
		}
	}
}

// ObjectGets counts the GETs of objects (downloads) the server answered.
func (s *Server) ObjectGets() int {
	return s.count(func(r Request) bool { return r.Method == http.MethodGet && r.Key != "" })
}

// KeyGets counts the GETs of the object key the server answered.
func (s *Server) KeyGets(key string) int {
	return s.count(func(r Request) bool { return r.Method == http.MethodGet && r.Key == key })
}

// Requests counts every request the server answered.
func (s *Server) Requests() int { return s.count(func(Request) bool { return true }) }

func (s *Server) count(match func(Request) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if match(r) {
			n++
		}
	}
	return n
}

func (s *Server) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Bucket: bucket, Key: key, Query: r.URL.RawQuery})
		s.mu.Unlock()
		if s.opts.AccessKey != "" {
			if code := s.verify(r); code != "" {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource></Error>`,
					code, messages[code], r.URL.Path)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

var messages = map[string]string{
	"AccessDenied":          "Access Denied",
	"InvalidAccessKeyId":    "The AWS Access Key Id you provided does not exist in our records.",
	"SignatureDoesNotMatch": "The request signature we calculated does not match the signature you provided.",
}

// verify checks r's AWS Signature V4 Authorization header against the
// server's credentials; it returns the S3 error code of a refusal, or "".
func (s *Server) verify(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	const algorithm = "AWS4-HMAC-SHA256"
	if !strings.HasPrefix(auth, algorithm+" ") {
		return "AccessDenied"
	}
	fields := map[string]string{}
	for _, f := range strings.Split(strings.TrimPrefix(auth, algorithm+" "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/") // key/date/region/service/aws4_request
	if len(cred) != 5 {
		return "AccessDenied"
	}
	if cred[0] != s.opts.AccessKey {
		return "InvalidAccessKeyId"
	}
	date, region, service := cred[1], cred[2], cred[3]
	signed := strings.Split(fields["SignedHeaders"], ";")

	var canonical bytes.Buffer
	canonical.WriteString(r.Method + "\n")
	canonical.WriteString(s3utils.EncodePath(r.URL.Path) + "\n")
	canonical.WriteString(strings.ReplaceAll(r.URL.Query().Encode(), "+", "%20") + "\n")
	sort.Strings(signed)
	for _, h := range signed {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = r.Header.Get("Content-Length")
			if v == "" {
				v = strconv.FormatInt(r.ContentLength, 10)
			}
		default:
			vals := r.Header.Values(h)
			for i := range vals {
				vals[i] = strings.Join(strings.Fields(vals[i]), " ")
			}
			v = strings.Join(vals, ",")
		}
		canonical.WriteString(h + ":" + v + "\n")
	}
	canonical.WriteString("\n" + strings.Join(signed, ";") + "\n")
	canonical.WriteString(r.Header.Get("X-Amz-Content-Sha256"))

	sum := sha256.Sum256(canonical.Bytes())
	scope := strings.Join(cred[1:], "/")
	toSign := algorithm + "\n" + r.Header.Get("X-Amz-Date") + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + s.opts.SecretKey)
	for _, part := range []string{date, region, service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return "SignatureDoesNotMatch"
	}
	return ""
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
