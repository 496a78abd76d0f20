package cel

import (
	"context"
	"strings"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestCELStatus(t *testing.T) {
	s := &celStatus{}
	var err error
	if s.current, err = NewExpression("status.phase == 'Ready'"); err != nil {
		t.Fatal(err)
	}
	if s.failed, err = NewExpression("status.?phase.orValue('') == 'Failed'"); err != nil {
		t.Fatal(err)
	}
	if s.inProgress, err = NewExpression("status.?phase.orValue('') == 'Pending'"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		obj     map[string]any
		want    status.Status
		wantErr bool
	}{
		{"current", map[string]any{"status": map[string]any{"phase": "Ready"}}, status.CurrentStatus, false},
		{"failed", map[string]any{"status": map[string]any{"phase": "Failed"}}, status.FailedStatus, false},
		{"in progress", map[string]any{"status": map[string]any{"phase": "Pending"}}, status.InProgressStatus, false},
		{"none true", map[string]any{"status": map[string]any{"phase": "Other"}}, status.InProgressStatus, false},
		{"generation not observed", map[string]any{
			"metadata": map[string]any{"generation": int64(2)},
			"status":   map[string]any{"phase": "Ready", "observedGeneration": int64(1)},
		}, status.InProgressStatus, false},
		{"generation observed", map[string]any{
			"metadata": map[string]any{"generation": int64(2)},
			"status":   map[string]any{"phase": "Ready", "observedGeneration": int64(2)},
		}, status.CurrentStatus, false},
		{"no status yet", map[string]any{"spec": map[string]any{}}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.compute(context.Background(), &unstructured.Unstructured{Object: tc.obj})
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %v, want an error", res.Status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want {
				t.Errorf("status = %s, want %s", res.Status, tc.want)
			}
		})
	}
}

func TestNewExpressionErrors(t *testing.T) {
	for _, tc := range []struct {
		src  string
		vars []string
		want string
	}{
		{"status.phase ==", nil, "invalid CEL expression"},
		{"dep.status + ", []string{"self", "dep"}, "invalid CEL expression"},
		{"other.x == 1", []string{"self", "dep"}, "undeclared reference"},
	} {
		if _, err := NewExpression(tc.src, tc.vars...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewExpression(%q) error = %v, want one containing %q", tc.src, err, tc.want)
		}
	}
	e, err := NewExpression("dep.metadata.name == self.metadata.name", "self", "dep")
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Bool(context.Background(), map[string]any{
		"self": map[string]any{"metadata": map[string]any{"name": "a"}},
		"dep":  map[string]any{"metadata": map[string]any{"name": "a"}},
	})
	if err != nil || !got {
		t.Errorf("Bool = %v, %v; want true", got, err)
	}
	if e, err = NewExpression("'not a bool'"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Bool(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "not a bool") {
		t.Errorf("Bool of a string = %v, want a not-a-bool error", err)
	}
}

func TestNewBoolExpression(t *testing.T) {
	if _, err := NewBoolExpression("'a string'", "req"); err == nil || !strings.Contains(err.Error(), "gives a string, not a bool") {
		t.Errorf("a string expression: error = %v", err)
	}
	for _, src := range []string{"req.action == 'push'", "req.ok", "true"} {
		if _, err := NewBoolExpression(src, "req"); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

func TestStatusReadersErrors(t *testing.T) {
	tests := map[string]struct {
		checks []HealthCheck
		want   string // empty: compiles
	}{
		"compiles": {checks: []HealthCheck{
			{APIVersion: "example.com/v1", Kind: "Widget", Current: "status.ready", Failed: "status.?failed.orValue(false)"},
		}},
		"current missing": {
			checks: []HealthCheck{{APIVersion: "example.com/v1", Kind: "Widget", Failed: "status.failed"}},
			want:   "healthCheckExprs[0] (example.com/v1 Widget): current is required",
		},
		"second entry invalid": {
			checks: []HealthCheck{
				{APIVersion: "v1", Kind: "ConfigMap", Current: "true"},
				{APIVersion: "example.com/v1", Kind: "Widget", Current: "status.ready", InProgress: "status.phase =="},
			},
			want: `healthCheckExprs[1] (example.com/v1 Widget): invalid CEL expression "status.phase =="`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			readers, err := StatusReaders(context.Background(), nil, tc.checks)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(readers) != len(tc.checks) {
					t.Fatalf("%d readers for %d checks", len(readers), len(tc.checks))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
