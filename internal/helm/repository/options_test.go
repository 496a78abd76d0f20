package repository

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
)

func secret(name string, typ corev1.SecretType, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Type: typ, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestOptionsFor(t *testing.T) {
	ca := string(helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{TLS: true}).CACert())
	dockerConfig, _ := json.Marshal(map[string]any{"auths": map[string]any{
		"registry.example.com": map[string]any{"auth": []byte("robot:" + testPassword)},
	}})
	scheme := runtime.NewScheme()
	_ = corev1.AddToScheme(scheme)
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		secret("basic", "", map[string]string{UsernameKey: "user", PasswordKey: testPassword}),
		secret("no-password", "", map[string]string{UsernameKey: "user"}),
		secret("empty", "", nil),
		secret("certs", "", map[string]string{CAKey: ca}),
		secret("legacy", "", map[string]string{LegacyCAKey: ca}),
		secret("half-cert", "", map[string]string{TLSCertKey: ca}),
		secret("bad-ca", "", map[string]string{CAKey: "not pem"}),
		secret("docker", corev1.SecretTypeDockerConfigJson, map[string]string{corev1.DockerConfigJsonKey: string(dockerConfig)}),
	).Build()

	ref := func(name string) *meta.LocalObjectReference { return &meta.LocalObjectReference{Name: name} }
	tests := map[string]struct {
		spec    sourcev1.HelmRepositorySpec
		check   func(t *testing.T, o Options)
		wantErr string
		is      error
	}{
		"anonymous": {
			spec: sourcev1.HelmRepositorySpec{URL: "https://charts.example.com"},
			check: func(t *testing.T, o Options) {
				if o.Username != "" || o.TLS != nil || o.Timeout == 0 {
					t.Fatalf("options %v", o)
				}
			},
		},
		"basic auth": {
			spec: sourcev1.HelmRepositorySpec{URL: "https://charts.example.com", SecretRef: ref("basic"), PassCredentials: true},
			check: func(t *testing.T, o Options) {
				if o.Username != "user" || o.Password != testPassword || !o.PassCredentials {
					t.Fatalf("options %v", o)
				}
				if strings.Contains(o.String(), testPassword) {
					t.Fatal("String reveals the password")
				}
			},
		},
		"certSecretRef CA": {
			spec:  sourcev1.HelmRepositorySpec{URL: "https://charts.example.com", CertSecretRef: ref("certs")},
			check: func(t *testing.T, o Options) { requireRoots(t, o) },
		},
		"deprecated caFile in secretRef": {
			spec:  sourcev1.HelmRepositorySpec{URL: "https://charts.example.com", SecretRef: ref("legacy")},
			check: func(t *testing.T, o Options) { requireRoots(t, o) },
		},
		"docker config for OCI": {
			spec: sourcev1.HelmRepositorySpec{URL: "oci://registry.example.com/charts", Type: "oci", SecretRef: ref("docker")},
			check: func(t *testing.T, o Options) {
				if o.Username != "robot" || o.Password != testPassword {
					t.Fatalf("options %v", o)
				}
			},
		},
		"missing secret":        {spec: sourcev1.HelmRepositorySpec{URL: "https://h", SecretRef: ref("nope")}, wantErr: "failed to get secret 'ns/nope'"},
		"missing certSecret":    {spec: sourcev1.HelmRepositorySpec{URL: "https://h", CertSecretRef: ref("nope")}, wantErr: "failed to get secret 'ns/nope'"},
		"no password":           {spec: sourcev1.HelmRepositorySpec{URL: "https://h", SecretRef: ref("no-password")}, wantErr: "invalid secret 'ns/no-password': 'username' requires 'password' to be set"},
		"empty secret":          {spec: sourcev1.HelmRepositorySpec{URL: "https://h", SecretRef: ref("empty")}, wantErr: "required fields 'username' and 'password' are missing"},
		"empty certSecret":      {spec: sourcev1.HelmRepositorySpec{URL: "https://h", CertSecretRef: ref("empty")}, wantErr: "none of 'tls.crt', 'tls.key' and 'ca.crt' is set"},
		"cert without key":      {spec: sourcev1.HelmRepositorySpec{URL: "https://h", CertSecretRef: ref("half-cert")}, wantErr: "'tls.crt' requires 'tls.key' to be set"},
		"bad CA":                {spec: sourcev1.HelmRepositorySpec{URL: "https://h", CertSecretRef: ref("bad-ca")}, wantErr: "'ca.crt' holds no PEM certificate"},
		"docker config, host":   {spec: sourcev1.HelmRepositorySpec{URL: "oci://other.example.com/x", Type: "oci", SecretRef: ref("docker")}, wantErr: "no credentials for registry 'other.example.com'"},
		"oci URL, default type": {spec: sourcev1.HelmRepositorySpec{URL: "oci://r/x"}, is: ErrInvalidURL, wantErr: "needs spec.type 'oci'"},
		"oci type, https URL":   {spec: sourcev1.HelmRepositorySpec{URL: "https://r/x", Type: "oci"}, is: ErrInvalidURL, wantErr: "needs an oci:// URL"},
		"ftp URL":               {spec: sourcev1.HelmRepositorySpec{URL: "ftp://r/x"}, is: ErrInvalidURL, wantErr: "scheme must be http, https or oci"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			obj := &sourcev1.HelmRepository{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "repo"}, Spec: tt.spec}
			o, err := OptionsFor(context.Background(), c, obj)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Fatalf("error %v is not %v", err, tt.is)
				}
				if strings.Contains(err.Error(), testPassword) {
					t.Fatalf("error reveals the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

func requireRoots(t *testing.T, o Options) {
	t.Helper()
	if o.TLS == nil || o.TLS.RootCAs == nil {
		t.Fatalf("no CA in %v", o)
	}
}

func TestValidateURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://charts.example.com":     true,
		"http://127.0.0.1:8080/sub":      true,
		"oci://ghcr.io/org/charts":       true,
		"ftp://example.com":              false,
		"https://user:pass@example.com":  false,
		"oci://user@ghcr.io/org":         false,
		"https://":                       false,
		"charts.example.com":             false,
		"oci://ghcr.io/org?x=1":          false,
		"https://example.com/charts?x=1": true,
		"https://exa mple.com":           false,
		"HTTPS://example.com":            true,
	} {
		err := ValidateURL(raw)
		if (err == nil) != ok {
			t.Errorf("ValidateURL(%q) = %v, want ok=%v", raw, err, ok)
		}
		if err != nil && (!errors.Is(err, ErrInvalidURL) || strings.Contains(err.Error(), "pass@")) {
			t.Errorf("ValidateURL(%q) = %v", raw, err)
		}
	}
}
