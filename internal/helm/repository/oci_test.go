package repository

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/ferrycd/ferry/internal/helm/helmtest"
)

func TestOCIResolveAndPull(t *testing.T) {
	reg := helmtest.NewRegistry(t, helmtest.RegistryOptions{Username: "user", Password: testPassword})
	digests := map[string]string{}
	for _, v := range []string{"1.0.0", "1.1.0+build.3", "2.0.0-rc.1"} {
		digests[v] = reg.Push(t, helmtest.Chart{Name: "demo", Version: v})
	}
	opts := Options{URL: reg.URL(), Username: "user", Password: testPassword, Insecure: true}
	ctx := context.Background()

	tests := map[string]struct{ version, want string }{
		"newest stable":     {"", "1.1.0+build.3"},
		"range":             {"~1.0", "1.0.0"},
		"pre-release range": {">=2.0.0-0", "2.0.0-rc.1"},
		"exact":             {"1.0.0", "1.0.0"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			version, err := ResolveOCI(ctx, opts, "demo", tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if version != tt.want {
				t.Fatalf("resolved %s, want %s", version, tt.want)
			}
			data, digest, err := PullOCI(ctx, opts, "demo", version)
			if err != nil {
				t.Fatal(err)
			}
			if digest != digests[version] {
				t.Fatalf("digest %s, pushed %s", digest, digests[version])
			}
			ch, err := loader.LoadArchive(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if ch.Metadata.Version != version {
				t.Fatalf("pulled version %s, want %s", ch.Metadata.Version, version)
			}
		})
	}

	if _, err := ResolveOCI(ctx, opts, "demo", ">=5"); err == nil || !strings.Contains(err.Error(), "no 'demo' chart with version matching '>=5' found") {
		t.Fatalf("no match: %v", err)
	}
	if _, _, err := PullOCI(ctx, opts, "demo", "9.9.9"); err == nil || !strings.Contains(err.Error(), "demo:9.9.9") {
		t.Fatalf("missing tag: %v", err)
	}
	small := opts
	small.MaxChartSize = 16
	if _, _, err := PullOCI(ctx, small, "demo", "1.0.0"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
}

func TestOCIFailures(t *testing.T) {
	reg := helmtest.NewRegistry(t, helmtest.RegistryOptions{Username: "user", Password: testPassword})
	reg.Push(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	ctx := context.Background()

	tests := map[string]struct {
		opts Options
		is   error
		want string
	}{
		"wrong password": {
			opts: Options{URL: reg.URL(), Username: "user", Password: "wrong-" + testPassword, Insecure: true},
			is:   ErrAuthentication,
		},
		"no credentials": {
			opts: Options{URL: reg.URL(), Insecure: true},
			is:   ErrAuthentication,
		},
		"plain HTTP without insecure": {
			opts: Options{URL: reg.URL(), Username: "user", Password: testPassword},
			want: "spec.insecure",
		},
		"not oci": {
			opts: Options{URL: "https://" + reg.Host()},
			is:   ErrInvalidURL,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ResolveOCI(ctx, tt.opts, "demo", "*")
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
			if _, _, err := PullOCI(ctx, tt.opts, "demo", "1.0.0"); err == nil || strings.Contains(err.Error(), testPassword) {
				t.Errorf("pull: %v", err)
			}
		})
	}
}
