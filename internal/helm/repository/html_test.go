package repository

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/helm/helmtest"
)

// TestFetchIndexHTML serves a login page where the index should be: the
// error says so and what to check, and is still an ErrInvalidIndex.
func TestFetchIndexHTML(t *testing.T) {
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{})
	tests := map[string]struct {
		body string
		html bool
	}{
		"login page":         {body: "\n<!DOCTYPE html>\n<html><body><form>Sign in</form></body></html>\n", html: true},
		"bare html":          {body: "<HTML><body>Moved</body></HTML>", html: true},
		"broken YAML":        {body: "entries: [\n"},
		"YAML with a <html>": {body: "apiVersion: v1\nentries: [<html>\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r.Put("/index.yaml", []byte(tt.body))
			_, _, err := FetchIndex(context.Background(), Options{URL: r.URL()})
			if !errors.Is(err, ErrInvalidIndex) {
				t.Fatalf("error %v, want an invalid index", err)
			}
			t.Log(err)
			if got := strings.Contains(err.Error(), "the server answered with an HTML page, not an index"); got != tt.html {
				t.Errorf("error %q: says HTML %v, want %v", err, got, tt.html)
			}
		})
	}
}
