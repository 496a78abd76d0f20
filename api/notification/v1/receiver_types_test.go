package v1

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestWebhookPath(t *testing.T) {
	tests := map[string]struct {
		token, name, namespace, want string
	}{
		// printf s3cretpodinfoflux-system | sha256sum
		"token, name and namespace": {
			token: "s3cret", name: "podinfo", namespace: "flux-system",
			want: "/hook/7f2bb21d9374ef04fa25de30b723a7cfbc2d1161c4ed5b28c129754d4e233a2a",
		},
		// the SHA-256 of nothing
		"all empty": {
			want: "/hook/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := &Receiver{ObjectMeta: metav1.ObjectMeta{Name: tt.name, Namespace: tt.namespace}}
			if got := r.WebhookPath(tt.token); got != tt.want {
				t.Fatalf("WebhookPath(%q) = %q, want %q", tt.token, got, tt.want)
			}
		})
	}
}

func TestGetInterval(t *testing.T) {
	r := &Receiver{}
	if got := r.GetInterval(); got != 10*time.Minute {
		t.Errorf("default interval = %s, want 10m", got)
	}
	r.Spec.Interval = &metav1.Duration{Duration: time.Minute}
	if got := r.GetRequeueAfter(); got != time.Minute {
		t.Errorf("requeue after = %s, want 1m", got)
	}
}
