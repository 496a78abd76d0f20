package controller

import (
	"context"
	"testing"
)

type recordedWarnings []string

func (r *recordedWarnings) HandleWarningHeaderWithContext(_ context.Context, _ int, _, text string) {
	*r = append(*r, text)
}

func TestQuietFinalizerWarning(t *testing.T) {
	tests := map[string]struct {
		text string
		kept bool
	}{
		"flux finalizer":  {`metadata.finalizers: "finalizers.fluxcd.io": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers`, false},
		"other finalizer": {`metadata.finalizers: "example.com": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers`, true},
		"deprecation":     {`policy/v1beta1 PodSecurityPolicy is deprecated`, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var got recordedWarnings
			quietFinalizerWarning{next: &got}.HandleWarningHeaderWithContext(context.Background(), 299, "", tt.text)
			if kept := len(got) == 1; kept != tt.kept {
				t.Errorf("warning kept = %v, want %v", kept, tt.kept)
			}
		})
	}
}
