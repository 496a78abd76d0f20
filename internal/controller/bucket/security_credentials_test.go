package bucket_test

import (
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/s3/s3test"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestEndpointCredentialsNeverEchoed writes the S3 secret key into
// spec.endpoint, in each form a user might (an http or https URL with
// userinfo, a bare host with userinfo): each Bucket stalls with a message
// that says to use spec.secretRef, makes no request, and the key is in no
// condition, event or log line.
func TestEndpointCredentialsNeverEchoed(t *testing.T) {
	ns := env.NewNamespace(t, "bucketcreds")
	srv := s3test.Start(t, s3test.Options{})
	srv.MakeBucket(t, "fleet")
	host := strings.TrimPrefix(strings.TrimPrefix(srv.Endpoint(), "http://"), "https://")
	tests := map[string]struct{ endpoint, message string }{
		"http":     {"http://" + accessKey + ":" + secretKey + "@" + host, "credentials do not belong in the endpoint: use spec.secretRef"},
		"https":    {"https://" + secretKey + "@" + host, "credentials do not belong in the endpoint: use spec.secretRef"},
		"userinfo": {accessKey + ":" + secretKey + "@" + host, "want host[:port]"},
	}
	before, logged := srv.Requests(), len(env.Logs.String())
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			create(t, newBucket(ns, name, tt.endpoint, "fleet"))
			key := client.ObjectKey{Namespace: ns, Name: name}
			waitFor(t, key, "Stalled", isStalled)
			o := waitFor(t, key, "failing", isFailing(meta.URLInvalidReason))
			msg := cond(o, meta.ReadyCondition).Message
			t.Logf("Ready=False: %s", msg)
			if !strings.Contains(msg, tt.message) {
				t.Errorf("message %q: want %q", msg, tt.message)
			}
			if o.Status.Artifact != nil {
				t.Errorf("an artifact was stored: %+v", o.Status.Artifact)
			}
			testenv.AssertNoSecret(t, env.Client, o, secretKey)
		})
	}
	if got := srv.Requests() - before; got != 0 {
		t.Errorf("%d requests for endpoints with credentials", got)
	}
	if strings.Contains(env.Logs.String()[logged:], secretKey) {
		t.Error("the controllers logged the secret key of spec.endpoint")
	}
}
