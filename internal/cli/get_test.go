package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestPrintStatusTable(t *testing.T) {
	rows := []statusRow{
		{Namespace: "flux-system", Name: "podinfo", Revision: "main@sha1:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", Ready: "False", Message: "failed to checkout and determine revision: unable to clone 'http://127.0.0.1/podinfo':\nauthentication required"},
		{Namespace: "apps", Name: "web", Revision: "v1.2.3@sha1:89abcdef0123456789abcdef0123456789abcdef", Suspended: true, Ready: "True", Message: "Applied revision: v1.2.3@sha1:89abcdef0123456789abcdef0123456789abcdef"},
		{Namespace: "flux-system", Name: "flux-system", Ready: "Unknown", Message: "waiting to be reconciled"},
	}
	// The notification kinds have no revision, and Providers no SUSPENDED
	// column, as in flux get.
	notificationRows := []statusRow{
		{Namespace: "flux-system", Name: "slack", Ready: "False", Message: "provider secret 'flux-system/slack-url' not found"},
		{Namespace: "apps", Name: "on-call", Suspended: true, Ready: "True", Message: "Initialized"},
		{Namespace: "flux-system", Name: "github", Ready: "Unknown", Message: "waiting to be reconciled"},
	}
	tests := map[string]struct {
		rows                    []statusRow
		columns                 []string
		allNamespaces, noHeader bool
	}{
		"get_namespace.golden":       {rows: rows},
		"get_all_namespaces.golden":  {rows: rows, allNamespaces: true},
		"get_no_header.golden":       {rows: rows, noHeader: true},
		"get_alerts.golden":          {rows: notificationRows, columns: alerts.columns},
		"get_alert_providers.golden": {rows: notificationRows, columns: providers.columns, allNamespaces: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := printStatusTable(&buf, append([]statusRow(nil), tt.rows...), tt.columns, tt.allNamespaces, tt.noHeader); err != nil {
				t.Fatal(err)
			}
			golden(t, name, buf.Bytes())
		})
	}
}
