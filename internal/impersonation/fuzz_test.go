package impersonation

import (
	"bytes"
	"strings"
	"testing"
)

// fuzzToken is the token of the seed kubeconfigs: no refusal may repeat
// it.
const fuzzToken = "fuzzT0kenNeverShown"

// FuzzKubeconfig feeds arbitrary kubeconfigs to restConfigFromKubeconfig:
// an accepted one never runs a program, reads a file of ferry's host or
// skips TLS verification, and a refusal never repeats the token.
func FuzzKubeconfig(f *testing.F) {
	const ca = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
	for _, s := range [][2]string{
		{"      certificate-authority-data: " + ca, "      token: " + fuzzToken},
		{"", "      username: a\n      password: " + fuzzToken},
		{"", "      token: " + fuzzToken + "\n      exec:\n        apiVersion: client.authentication.k8s.io/v1\n        command: aws"},
		{"", "      token: " + fuzzToken + "\n      auth-provider:\n        name: oidc"},
		{"", "      token: " + fuzzToken + "\n      tokenFile: /var/run/secrets/token"},
		{"", "      token: [" + fuzzToken + "]\n      client-certificate: /a.crt\n      client-key: /a.key"},
		{"      certificate-authority: /ca.crt\n      insecure-skip-tls-verify: true", "      token: " + fuzzToken},
		{"      proxy-url: http://p:3128", "      token: {" + fuzzToken + ": 1}"},
	} {
		f.Add([]byte(testKubeconfig(s[0], s[1])))
	}
	f.Add([]byte(`{"apiVersion":"v1","kind":"Config","clusters":[{"name":"c","cluster":{"server":"https://h"}}],"users":[{"name":"u","user":{"token":"` + fuzzToken + `"}}],"contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}],"current-context":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := restConfigFromKubeconfig(data)
		if err != nil {
			if bytes.Contains(data, []byte(fuzzToken)) && strings.Contains(err.Error(), fuzzToken) {
				t.Fatalf("the refusal repeats the token: %v", err)
			}
			return
		}
		switch {
		case cfg.ExecProvider != nil:
			t.Fatal("accepted a kubeconfig with an exec credential plugin")
		case cfg.AuthProvider != nil:
			t.Fatalf("accepted a kubeconfig with the auth-provider %q", cfg.AuthProvider.Name)
		case cfg.BearerTokenFile != "", cfg.CAFile != "", cfg.CertFile != "", cfg.KeyFile != "":
			t.Fatalf("accepted a kubeconfig that refers to files: %q %q %q %q", cfg.BearerTokenFile, cfg.CAFile, cfg.CertFile, cfg.KeyFile)
		case cfg.Insecure:
			t.Fatal("accepted a kubeconfig with insecure-skip-tls-verify")
		}
	})
}
