package s3_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/s3"
	"github.com/ferrycd/ferry/internal/s3/s3test"
	"github.com/ferrycd/ferry/internal/testserver"
)

// TestServerFaults reads a bucket through a fault-injecting proxy: a
// listing answered with an HTML page is an error, not an empty bucket; a
// plain-HTTP answer to HTTPS is ErrPlainHTTPAnswer, not the spec's
// ErrPlainHTTP; an object that is an HTML page is still content.
func TestServerFaults(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{AccessKey: accessKey, SecretKey: secretKey})
	srv.MakeBucket(t, "fleet")
	srv.Put(t, "fleet", map[string]string{"a.yaml": "a: 1\n", "page.html": "<!DOCTYPE html><html><body>hello</body></html>"})
	proxy := testserver.StartFaultProxy(t, "http://"+srv.Endpoint(), testserver.FaultProxyOptions{TLS: true})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(proxy.CA())
	c, err := s3.New(s3.Options{Endpoint: proxy.Host(), AccessKey: accessKey, SecretKey: secretKey, TLS: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if objs, err := c.List(ctx, "fleet", "", 10); err != nil || len(objs) != 2 {
		t.Fatalf("List through the proxy: %+v, %v", objs, err)
	}

	page := []byte("<!DOCTYPE html>\n<html><body><form>Sign in</form></body></html>\n")
	listing := func(r *http.Request) bool { return r.URL.Query().Has("list-type") }
	for name, f := range map[string]testserver.Fault{
		"as text/html":    testserver.Responding(http.StatusOK, "text/html; charset=utf-8", page).On(listing),
		"as XML":          testserver.Responding(http.StatusOK, "application/xml", page).On(listing),
		"no content type": testserver.Responding(http.StatusOK, "", page).On(listing),
	} {
		t.Run("HTML listing "+name, func(t *testing.T) {
			proxy.Set(f)
			objs, err := c.List(ctx, "fleet", "", 10)
			if !errors.Is(err, s3.ErrNotS3) || !strings.Contains(err.Error(), "an HTML page") {
				t.Fatalf("List of an HTML page: %+v, %v; want ErrNotS3", objs, err)
			}
			t.Log(err)
		})
	}

	proxy.Set(testserver.PassThrough())
	var buf bytes.Buffer
	if _, _, err := c.Get(ctx, "fleet", "page.html", &buf, 1000); err != nil || !strings.HasPrefix(buf.String(), "<!DOCTYPE html>") {
		t.Errorf("Get of an HTML object: %q, %v", buf.String(), err)
	}

	proxy.Set(testserver.PlainHTTPBehindHTTPS())
	_, err = c.List(ctx, "fleet", "", 10)
	if !errors.Is(err, s3.ErrPlainHTTPAnswer) || errors.Is(err, s3.ErrPlainHTTP) {
		t.Errorf("List answered in plain HTTP: %v; want ErrPlainHTTPAnswer only", err)
	}
	t.Log(err)
}
