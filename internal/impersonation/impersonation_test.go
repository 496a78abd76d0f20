package impersonation

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/api/meta"
)

// testKubeconfig returns a kubeconfig of one cluster (server
// https://remote.example:6443, more fields in cluster) and one user (fields
// in user).
func testKubeconfig(cluster, user string) string {
	return `apiVersion: v1
kind: Config
clusters:
  - name: c
    cluster:
      server: https://remote.example:6443
` + cluster + `
users:
  - name: u
    user:
` + user + `
contexts:
  - name: x
    context:
      cluster: c
      user: u
current-context: x
`
}

func TestRestConfigFromKubeconfig(t *testing.T) {
	const ca = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
	for _, tc := range []struct {
		name, cluster, user string
		wantErr             []string // empty: accepted
	}{
		{name: "token and embedded CA", cluster: "      certificate-authority-data: " + ca, user: "      token: abc"},
		{name: "basic auth", user: "      username: a\n      password: b"},
		{name: "exec plugin", user: "      exec:\n        apiVersion: client.authentication.k8s.io/v1\n        command: aws\n        interactiveMode: Never",
			wantErr: []string{"user 'u' runs an exec credential plugin"}},
		{name: "auth provider", user: "      auth-provider:\n        name: oidc",
			wantErr: []string{"user 'u' uses the auth-provider 'oidc'"}},
		{name: "token file", user: "      tokenFile: /var/run/secrets/token",
			wantErr: []string{"user 'u' refers to a file (tokenFile)"}},
		{name: "client certificate files", user: "      client-certificate: /a.crt\n      client-key: /a.key",
			wantErr: []string{"user 'u' refers to a file (client-certificate)", "user 'u' refers to a file (client-key)"}},
		{name: "CA file", cluster: "      certificate-authority: /ca.crt", user: "      token: abc",
			wantErr: []string{"cluster 'c' refers to a file (certificate-authority)"}},
		{name: "insecure", cluster: "      insecure-skip-tls-verify: true", user: "      token: abc",
			wantErr: []string{"cluster 'c' sets insecure-skip-tls-verify"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := restConfigFromKubeconfig([]byte(testKubeconfig(tc.cluster, tc.user)))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if cfg.Host != "https://remote.example:6443" {
					t.Errorf("Host = %q", cfg.Host)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			for _, secret := range []string{"abc", "/var/run", "/a.crt", "/ca.crt", "aws"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows the kubeconfig's content %q", err, secret)
				}
			}
		})
	}
	if _, err := restConfigFromKubeconfig([]byte("{not yaml")); err == nil || !strings.Contains(err.Error(), "invalid kubeconfig") {
		t.Errorf("garbage: err = %v", err)
	}
}

func TestServiceAccountNameAndActingAs(t *testing.T) {
	target := func(sa string, kc bool) Target {
		tg := Target{Namespace: "team", ServiceAccountName: sa}
		if kc {
			tg.KubeConfig = &meta.KubeConfigReference{SecretRef: meta.SecretKeyReference{Name: "prod"}}
		}
		return tg
	}
	for _, tc := range []struct {
		name, defaultSA, sa string
		kubeConfig          bool
		wantSA, wantActing  string
	}{
		{name: "own rights"},
		{name: "spec", sa: "deployer", wantSA: "deployer", wantActing: " as ServiceAccount team/deployer"},
		{name: "default", defaultSA: "restricted", wantSA: "restricted", wantActing: " as ServiceAccount team/restricted"},
		{name: "spec over default", defaultSA: "restricted", sa: "deployer", wantSA: "deployer", wantActing: " as ServiceAccount team/deployer"},
		{name: "remote", kubeConfig: true, wantActing: " on the cluster of the kubeconfig in Secret team/prod"},
		{name: "remote as", sa: "deployer", kubeConfig: true, wantSA: "deployer",
			wantActing: " as ServiceAccount team/deployer on the cluster of the kubeconfig in Secret team/prod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := &Impersonator{DefaultServiceAccount: tc.defaultSA}
			tgt := target(tc.sa, tc.kubeConfig)
			if got := i.ServiceAccountName(tgt); got != tc.wantSA {
				t.Errorf("ServiceAccountName = %q, want %q", got, tc.wantSA)
			}
			if got := i.ActingAs(tgt); got != tc.wantActing {
				t.Errorf("ActingAs = %q, want %q", got, tc.wantActing)
			}
		})
	}
}
