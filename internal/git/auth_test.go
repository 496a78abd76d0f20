package git_test

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/internal/git"
)

func TestAuthFromSecret(t *testing.T) {
	secret := func(data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "creds"}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	tests := map[string]struct {
		secret  *corev1.Secret
		want    *git.Auth
		wantErr string
	}{
		"nil":            {secret: nil, want: nil},
		"empty":          {secret: secret(nil), want: &git.Auth{}},
		"basic":          {secret: secret(map[string]string{"username": "u", "password": "p"}), want: &git.Auth{Username: "u", Password: "p"}},
		"username only":  {secret: secret(map[string]string{"username": "u"}), want: &git.Auth{Username: "u"}},
		"bearer":         {secret: secret(map[string]string{"bearerToken": "t"}), want: &git.Auth{BearerToken: "t"}},
		"ca.crt":         {secret: secret(map[string]string{"ca.crt": "PEM"}), want: &git.Auth{CABundle: []byte("PEM")}},
		"legacy caFile":  {secret: secret(map[string]string{"caFile": "OLD"}), want: &git.Auth{CABundle: []byte("OLD")}},
		"ca.crt wins":    {secret: secret(map[string]string{"caFile": "OLD", "ca.crt": "NEW"}), want: &git.Auth{CABundle: []byte("NEW")}},
		"password alone": {secret: secret(map[string]string{"password": "p"}), wantErr: "invalid secret 'ns/creds': 'password' requires 'username' to be set"},
		"ssh identity with passphrase": {secret: secret(map[string]string{"identity": "KEY", "password": "pass", "known_hosts": "KH"}),
			want: &git.Auth{Identity: []byte("KEY"), Password: "pass", KnownHosts: []byte("KH")}},
		"client certificate": {secret: secret(map[string]string{"tls.crt": "CRT", "tls.key": "KEY", "ca.crt": "CA"}),
			want: &git.Auth{ClientCert: []byte("CRT"), ClientKey: []byte("KEY"), CABundle: []byte("CA")}},
		"tls.crt alone": {secret: secret(map[string]string{"tls.crt": "CRT"}), wantErr: "invalid secret 'ns/creds': 'tls.crt' requires 'tls.key' to be set"},
		"tls.key alone": {secret: secret(map[string]string{"tls.key": "KEY"}), wantErr: "invalid secret 'ns/creds': 'tls.key' requires 'tls.crt' to be set"},
		"bearer and user": {secret: secret(map[string]string{"username": "u", "bearerToken": "t"}),
			wantErr: "invalid secret 'ns/creds': 'bearerToken' and 'username' cannot both be set"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := git.AuthFromSecret(tt.secret)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if got == nil {
				return
			}
			if got.Username != tt.want.Username || got.Password != tt.want.Password ||
				got.BearerToken != tt.want.BearerToken || string(got.CABundle) != string(tt.want.CABundle) ||
				string(got.ClientCert) != string(tt.want.ClientCert) || string(got.ClientKey) != string(tt.want.ClientKey) ||
				string(got.Identity) != string(tt.want.Identity) || string(got.KnownHosts) != string(tt.want.KnownHosts) {
				t.Errorf("got %+v, want %+v", *got, *tt.want)
			}
		})
	}
}

func TestAuthStringHidesSecrets(t *testing.T) {
	for _, a := range []*git.Auth{
		{Username: "user", Password: "hunter22"},
		{BearerToken: "hunter22"},
		{Identity: []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nhunter22\n"), Password: "hunter22", KnownHosts: []byte("h k")},
		{ClientCert: []byte("CRT"), ClientKey: []byte("hunter22")},
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			for _, v := range []any{a, *a} {
				if s := fmt.Sprintf(verb, v); strings.Contains(s, "hunter22") {
					t.Errorf("Sprintf(%q) = %q leaks the secret", verb, s)
				}
			}
		}
	}
}

func TestAuthRedact(t *testing.T) {
	a := &git.Auth{Username: "user", Password: "hunter22", BearerToken: "t0k3n-xyz"}
	got := a.Redact(`clone https://user:hunter22@host/x failed: hunter22 and t0k3n-xyz`)
	if want := "clone https://host/x failed: *** and ***"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	var none *git.Auth
	if got := none.Redact("https://u:p@h/x"); got != "https://h/x" {
		t.Errorf("nil Redact = %q", got)
	}
}
