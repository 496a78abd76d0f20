package tlsconfig

import (
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func secret(data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "tls"}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestFromSecret(t *testing.T) {
	srv := httptest.NewTLSServer(nil)
	defer srv.Close()
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	if cfg, err := FromSecret(secret(nil), Standard); cfg != nil || err != nil {
		t.Errorf("no keys: %v, %v; want nil, nil", cfg, err)
	}
	cfg, err := FromSecret(secret(map[string]string{"ca.crt": ca}), Standard)
	if err != nil || cfg.RootCAs == nil {
		t.Fatalf("CA only: %v, %v", cfg, err)
	}
	if _, err := srv.Certificate().Verify(x509.VerifyOptions{Roots: cfg.RootCAs}); err != nil {
		t.Errorf("the CA does not verify the server: %v", err)
	}
	if cfg, err := FromSecret(secret(map[string]string{"caFile": ca}), Legacy); err != nil || cfg.RootCAs == nil {
		t.Errorf("legacy keys: %v, %v", cfg, err)
	}
	for _, tc := range []struct {
		data map[string]string
		want string
	}{
		{map[string]string{"tls.crt": ca}, "'tls.crt' requires 'tls.key'"},
		{map[string]string{"tls.key": "k"}, "'tls.key' requires 'tls.crt'"},
		{map[string]string{"tls.crt": ca, "tls.key": "not a key"}, "are not a certificate and its key"},
		{map[string]string{"ca.crt": "not PEM"}, "'ca.crt' holds no PEM certificate"},
	} {
		_, err := FromSecret(secret(tc.data), Standard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "apps/tls") {
			t.Errorf("%v: error %v, want one naming the Secret and %q", tc.data, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "not a key") {
			t.Errorf("the error repeats the key material: %v", err)
		}
	}
}
