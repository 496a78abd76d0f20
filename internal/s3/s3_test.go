package s3_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/s3"
	"github.com/ferrycd/ferry/internal/s3/s3test"
)

const (
	accessKey = "ferry-access"
	secretKey = "ferry-secret-that-must-not-leak"
)

func TestListAndGet(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{AccessKey: accessKey, SecretKey: secretKey})
	srv.MakeBucket(t, "fleet")
	srv.Put(t, "fleet", map[string]string{"a.yaml": "a: 1\n", "dir/b.yaml": "b: 2\n", "other/c.yaml": "c"})
	ctx := context.Background()
	c, err := s3.New(s3.Options{Endpoint: srv.Endpoint(), Insecure: true, AccessKey: accessKey, SecretKey: secretKey})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.BucketExists(ctx, "fleet"); !ok || err != nil {
		t.Fatalf("BucketExists fleet: %v, %v", ok, err)
	}
	if ok, err := c.BucketExists(ctx, "nothing"); ok || err != nil {
		t.Fatalf("BucketExists nothing: %v, %v", ok, err)
	}
	objs, err := c.List(ctx, "fleet", "", 10)
	if err != nil || len(objs) != 3 || objs[0].Key != "a.yaml" || objs[0].ETag == "" || objs[0].Size != 5 {
		t.Fatalf("List: %+v, %v", objs, err)
	}
	if objs, err := c.List(ctx, "fleet", "dir/", 10); err != nil || len(objs) != 1 || objs[0].Key != "dir/b.yaml" {
		t.Fatalf("List dir/: %+v, %v", objs, err)
	}
	if _, err := c.List(ctx, "fleet", "", 2); !errors.Is(err, s3.ErrTooMany) {
		t.Fatalf("List max 2: %v", err)
	}
	var buf bytes.Buffer
	etag, n, err := c.Get(ctx, "fleet", "a.yaml", &buf, 100)
	if err != nil || etag != objs[0].ETag || n != 5 || buf.String() != "a: 1\n" {
		t.Fatalf("Get: %q %d %q %v (listed etag %q)", etag, n, buf.String(), err, objs[0].ETag)
	}
	if _, _, err := c.Get(ctx, "fleet", "a.yaml", &buf, 4); !errors.Is(err, s3.ErrTooLarge) {
		t.Fatalf("Get limit 4: %v", err)
	}
	if _, _, err := c.Get(ctx, "fleet", "gone.yaml", &buf, 4); !errors.Is(err, s3.ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
}

func TestAuthentication(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{AccessKey: accessKey, SecretKey: secretKey})
	srv.MakeBucket(t, "fleet")
	ctx := context.Background()
	for name, o := range map[string]s3.Options{
		"anonymous":  {},
		"wrong-key":  {AccessKey: "someone", SecretKey: secretKey},
		"wrong-pass": {AccessKey: accessKey, SecretKey: "not-" + secretKey},
	} {
		t.Run(name, func(t *testing.T) {
			o.Endpoint, o.Insecure = srv.Endpoint(), true
			c, err := s3.New(o)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.List(ctx, "fleet", "", 10)
			if !errors.Is(err, s3.ErrAuthentication) {
				t.Fatalf("List: %v, want ErrAuthentication", err)
			}
			if strings.Contains(err.Error(), secretKey) {
				t.Errorf("error quotes the secret key: %v", err)
			}
		})
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, c := range []struct {
		in       string
		insecure bool
		host     string
		secure   bool
		err      error
	}{
		{"s3.example.com", false, "s3.example.com", true, nil},
		{"127.0.0.1:9000", true, "127.0.0.1:9000", false, nil},
		{"https://s3.example.com", false, "s3.example.com", true, nil},
		{"http://minio:9000", true, "minio:9000", false, nil},
		{"http://minio:9000", false, "", false, s3.ErrPlainHTTP},
		{"https://s3.example.com/bucket", false, "", false, s3.ErrInvalidEndpoint},
		{"https://user:pw@s3.example.com", false, "", false, s3.ErrInvalidEndpoint},
		{"s3.example.com/bucket", false, "", false, s3.ErrInvalidEndpoint},
		{"ftp://s3.example.com", false, "", false, s3.ErrInvalidEndpoint},
		{"", false, "", false, s3.ErrInvalidEndpoint},
	} {
		host, secure, err := s3.ParseEndpoint(c.in, c.insecure)
		if host != c.host || secure != c.secure || !errors.Is(err, c.err) {
			t.Errorf("ParseEndpoint(%q, %v) = %q, %v, %v; want %q, %v, %v", c.in, c.insecure, host, secure, err, c.host, c.secure, c.err)
		}
	}
}
