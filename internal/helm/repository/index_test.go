package repository

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/helm/helmtest"
)

const testPassword = "s3cr3t-password"

func tlsConfig(t *testing.T, caPEM []byte) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("no CA certificate")
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func TestFetchIndex(t *testing.T) {
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: "user", Password: testPassword, TLS: true})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"}, helmtest.Chart{Name: "demo", Version: "2.0.0"},
		helmtest.Chart{Name: "other", Version: "0.1.0"})
	opts := Options{URL: r.URL(), Username: "user", Password: testPassword, TLS: tlsConfig(t, r.CACert())}

	data, revision, err := FetchIndex(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if want := "sha256:" + hex.EncodeToString(sum[:]); revision != want {
		t.Fatalf("revision %s, want the digest of the stored bytes %s", revision, want)
	}
	index, err := ParseIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	if v := index.Entries["demo"]; len(v) != 2 || v[0].Version != "2.0.0" {
		t.Fatalf("entries not sorted newest first: %+v", v)
	}

	// The same index gives the same revision; a changed one another.
	_, again, err := FetchIndex(context.Background(), opts)
	if err != nil || again != revision {
		t.Fatalf("second fetch: %s %v, want %s", again, err, revision)
	}
	r.Add(t, helmtest.Chart{Name: "demo", Version: "2.1.0"})
	_, changed, err := FetchIndex(context.Background(), opts)
	if err != nil || changed == revision {
		t.Fatalf("changed index: %s %v", changed, err)
	}

	// An index served unsorted gets the revision of its sorted form.
	unsorted := strings.Replace(string(r.Index()), "version: 2.1.0", "version: 0.0.9", 1)
	r.Put("/index.yaml", []byte(unsorted))
	data, _, err = FetchIndex(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.Index(string(data), "version: 0.0.9"); i < strings.Index(string(data), "version: 1.0.0") {
		t.Fatalf("index not sorted:\n%s", data)
	}
}

func TestFetchIndexFailures(t *testing.T) {
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: "user", Password: testPassword, TLS: true})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	good := Options{URL: r.URL(), Username: "user", Password: testPassword, TLS: tlsConfig(t, r.CACert())}

	tests := map[string]struct {
		opts  func(Options) Options
		setup func()
		is    error
		want  string
	}{
		"wrong password": {
			opts: func(o Options) Options { o.Password = "wrong-" + testPassword; return o },
			is:   ErrAuthentication, want: "the server rejected the credentials",
		},
		"no credentials": {
			opts: func(o Options) Options { o.Username, o.Password = "", ""; return o },
			is:   ErrAuthentication, want: "set spec.secretRef",
		},
		"unknown CA": {
			opts: func(o Options) Options { o.TLS = nil; return o },
			want: "certificate",
		},
		"over the limit": {
			opts: func(o Options) Options { o.MaxIndexSize = 100; return o },
			is:   ErrTooLarge, want: "more than the maximum of 100 B",
		},
		"server down": {
			opts:  func(o Options) Options { return o },
			setup: func() { r.SetDown(true) },
			want:  "503 Service Unavailable",
		},
		"not an index": {
			opts:  func(o Options) Options { return o },
			setup: func() { r.Put("/index.yaml", []byte("entries: [\n")) },
			is:    ErrInvalidIndex, want: "failed to load index",
		},
		"userinfo in the URL": {
			opts: func(o Options) Options {
				o.URL = strings.Replace(o.URL, "://", "://user:"+testPassword+"@", 1)
				return o
			},
			is: ErrInvalidURL, want: "credentials in the URL are not allowed",
		},
		"oci URL": {
			opts: func(o Options) Options { o.URL = "oci://127.0.0.1/charts"; return o },
			is:   ErrInvalidURL,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			index := r.Index()
			defer func() { r.SetDown(false); r.Put("/index.yaml", index) }()
			if tt.setup != nil {
				tt.setup()
			}
			_, _, err := FetchIndex(context.Background(), tt.opts(good))
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error reveals the password: %s", err)
			}
		})
	}
}

func TestParseIndex(t *testing.T) {
	tests := map[string]struct {
		in       string
		versions int
		wantErr  string
	}{
		"yaml": {in: "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n", versions: 1},
		"json": {in: `{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"1.0.0"}]}}`, versions: 1},
		"invalid entries dropped": {
			in:       "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n  - null\n  - name: a\n",
			versions: 1,
		},
		"empty":          {in: "  \n", wantErr: "empty"},
		"no apiVersion":  {in: "entries: {}\n", wantErr: "no API version"},
		"unknown field":  {in: "apiVersion: v1\nentries: {}\nbogus: 1\n", wantErr: "unknown field"},
		"not yaml":       {in: "{{{", wantErr: "yaml"},
		"no entries key": {in: "apiVersion: v1\n", versions: 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			index, err := ParseIndex([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(index.Entries["a"]); got != tt.versions {
				t.Fatalf("%d versions, want %d", got, tt.versions)
			}
		})
	}
}
