package impersonation

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeConfigKeys are the keys of a kubeconfig Secret tried, in order, when
// spec.kubeConfig.secretRef.key is empty (Flux's).
var kubeConfigKeys = []string{"value", "value.yaml"}

// remoteConfig reads the kubeconfig of t.KubeConfig.SecretRef from t's
// namespace and returns its REST configuration, refusing kubeconfigs that
// would run programs or read files on ferry's host.
func (i *Impersonator) remoteConfig(ctx context.Context, t Target) (*rest.Config, error) {
	ref := t.KubeConfig.SecretRef
	key := types.NamespacedName{Namespace: t.Namespace, Name: ref.Name}
	secret := &corev1.Secret{}
	if err := i.APIReader.Get(ctx, key, secret); err != nil {
		return nil, fmt.Errorf("spec.kubeConfig: reading Secret %s: %w", key, err)
	}
	var (
		data    []byte
		dataKey string
	)
	if ref.Key != "" {
		dataKey, data = ref.Key, secret.Data[ref.Key]
		if len(data) == 0 {
			return nil, fmt.Errorf("spec.kubeConfig: Secret %s has no key '%s' with a kubeconfig", key, ref.Key)
		}
	} else {
		for _, k := range kubeConfigKeys {
			if len(secret.Data[k]) > 0 {
				dataKey, data = k, secret.Data[k]
				break
			}
		}
		if data == nil {
			return nil, fmt.Errorf("spec.kubeConfig: Secret %s has no key '%s' with a kubeconfig",
				key, strings.Join(kubeConfigKeys, "' or '"))
		}
	}
	cfg, err := restConfigFromKubeconfig(data)
	if err != nil {
		return nil, fmt.Errorf("spec.kubeConfig: Secret %s key '%s': %w", key, dataKey, err)
	}
	return cfg, nil
}

// restConfigFromKubeconfig parses a kubeconfig and returns the REST
// configuration of its current context. Like Flux's defaults (no
// --insecure-kubeconfig-exec, no --insecure-kubeconfig-tls), and more
// strictly, it refuses credential plugins (exec, auth-provider), references
// to files on ferry's host (certificate-authority, client-certificate,
// client-key, tokenFile) and insecure-skip-tls-verify: a kubeconfig in a
// Secret must carry everything it needs and nothing that acts on the host.
func restConfigFromKubeconfig(data []byte) (*rest.Config, error) {
	kc, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("invalid kubeconfig: %s", loadProblem(err))
	}
	if err := validateKubeconfig(kc); err != nil {
		return nil, err
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*kc, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("invalid kubeconfig: %w", err)
	}
	return cfg, nil
}

// loadProblem says why clientcmd.Load refused a kubeconfig without its
// error's text, which can quote the kubeconfig's values (a token) when the
// YAML does not convert to JSON: only the line, when the error names one.
func loadProblem(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		end := i + len("line ")
		for end < len(msg) && msg[end] >= '0' && msg[end] <= '9' {
			end++
		}
		if end > i+len("line ") {
			return "it does not parse as YAML or JSON (at " + msg[i:end] + ")"
		}
	}
	return "it does not parse as a kubeconfig in YAML or JSON"
}

// validateKubeconfig refuses the kubeconfig features restConfigFromKubeconfig
// does not allow, naming the user or cluster entry.
func validateKubeconfig(kc *clientcmdapi.Config) error {
	var problems []string
	for _, name := range sortedKeys(kc.AuthInfos) {
		u := kc.AuthInfos[name]
		if u == nil {
			continue
		}
		if u.Exec != nil {
			problems = append(problems, fmt.Sprintf("user '%s' runs an exec credential plugin", name))
		}
		if u.AuthProvider != nil {
			problems = append(problems, fmt.Sprintf("user '%s' uses the auth-provider '%s'", name, u.AuthProvider.Name))
		}
		for field, v := range map[string]string{"client-certificate": u.ClientCertificate, "client-key": u.ClientKey, "tokenFile": u.TokenFile} {
			if v != "" {
				problems = append(problems, fmt.Sprintf("user '%s' refers to a file (%s)", name, field))
			}
		}
	}
	for _, name := range sortedKeys(kc.Clusters) {
		c := kc.Clusters[name]
		if c == nil {
			continue
		}
		if c.CertificateAuthority != "" {
			problems = append(problems, fmt.Sprintf("cluster '%s' refers to a file (certificate-authority)", name))
		}
		if c.InsecureSkipTLSVerify {
			problems = append(problems, fmt.Sprintf("cluster '%s' sets insecure-skip-tls-verify", name))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return fmt.Errorf("kubeconfig refused: %s; embed credentials and certificates as data (token, client-certificate-data, client-key-data, certificate-authority-data)",
		strings.Join(problems, ", "))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
