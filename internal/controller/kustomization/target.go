package kustomization

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
)

// The target cluster is where a Kustomization's objects are applied, pruned,
// health-checked and deleted: ferry's own cluster, or the remote cluster of
// spec.kubeConfig; with ferry's own rights, or those of the ServiceAccount of
// spec.serviceAccountName (or of the controller's default ServiceAccount),
// impersonated as Flux does. Everything else (the Kustomization itself, its
// source, its dependencies, its status) stays with ferry's own identity on
// its own cluster.

// kubeConfigKeys are the keys of a kubeconfig Secret tried, in order, when
// spec.kubeConfig.secretRef.key is empty (Flux's).
var kubeConfigKeys = []string{"value", "value.yaml"}

// serviceAccountName returns the ServiceAccount (of obj's namespace) whose
// rights obj's objects are applied with: spec.serviceAccountName, else the
// controller's default; empty means ferry's own rights.
func (r *Reconciler) serviceAccountName(obj *kustomizev1.Kustomization) string {
	if obj.Spec.ServiceAccountName != "" {
		return obj.Spec.ServiceAccountName
	}
	return r.DefaultServiceAccount
}

// serviceAccountUser is the user name of a ServiceAccount, as impersonated.
func serviceAccountUser(namespace, name string) string {
	return fmt.Sprintf("system:serviceaccount:%s:%s", namespace, name)
}

// targetClient returns the client (and its configuration) that applies,
// prunes, health-checks and deletes obj's objects. Without
// spec.kubeConfig nor a ServiceAccount to impersonate it is the
// reconciler's own client. The client reads objects straight from the API
// server.
func (r *Reconciler) targetClient(ctx context.Context, obj *kustomizev1.Kustomization) (client.Client, *rest.Config, error) {
	sa := r.serviceAccountName(obj)
	var (
		cfg    *rest.Config
		mapper apimeta.RESTMapper
	)
	switch {
	case obj.Spec.KubeConfig != nil:
		remote, err := r.remoteConfig(ctx, obj)
		if err != nil {
			return nil, nil, err
		}
		cfg = remote
		if r.RESTConfig != nil {
			// The controller's client-side rate limits, not client-go's
			// defaults (5 per second), which would stall every apply.
			cfg.QPS, cfg.Burst = r.RESTConfig.QPS, r.RESTConfig.Burst
			cfg.UserAgent = r.RESTConfig.UserAgent
		}
	case sa != "":
		if r.RESTConfig == nil {
			return nil, nil, errors.New("impersonating a ServiceAccount: the controller has no REST configuration")
		}
		cfg = rest.CopyConfig(r.RESTConfig)
		// Same cluster, same kinds: the shared mapper's discovery is not a
		// matter of rights.
		mapper = r.RESTMapper()
	default:
		return r.Client, r.RESTConfig, nil
	}
	if sa != "" {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: serviceAccountUser(obj.Namespace, sa)}
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the client%s: %w", r.actingAs(obj), err)
	}
	if mapper == nil {
		if mapper, err = apiutil.NewDynamicRESTMapper(cfg, httpClient); err != nil {
			return nil, nil, fmt.Errorf("creating the client%s: %w", r.actingAs(obj), err)
		}
	}
	c, err := client.New(cfg, client.Options{HTTPClient: httpClient, Scheme: r.Scheme(), Mapper: mapper})
	if err != nil {
		return nil, nil, fmt.Errorf("creating the client%s: %w", r.actingAs(obj), err)
	}
	return c, cfg, nil
}

// actingAs describes, for messages, whose rights obj's objects are applied
// with and on which cluster, e.g. " as ServiceAccount ns/tenant"; empty
// for ferry's own rights on its own cluster.
func (r *Reconciler) actingAs(obj *kustomizev1.Kustomization) string {
	var parts []string
	if sa := r.serviceAccountName(obj); sa != "" {
		parts = append(parts, fmt.Sprintf("as ServiceAccount %s/%s", obj.Namespace, sa))
	}
	if kc := obj.Spec.KubeConfig; kc != nil {
		parts = append(parts, fmt.Sprintf("on the cluster of the kubeconfig in Secret %s/%s", obj.Namespace, kc.SecretRef.Name))
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// deletionClient returns the client that deletes what obj applied, when it
// is deleted; nil (and no error) when the ServiceAccount to impersonate or
// the kubeconfig Secret is gone, as when its namespace is being deleted: as
// in Flux, the objects are then left in place (logged and reported in an
// event) rather than blocking the deletion forever.
func (r *Reconciler) deletionClient(ctx context.Context, obj *kustomizev1.Kustomization) (client.Client, error) {
	var missing string
	if sa := r.serviceAccountName(obj); sa != "" {
		err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: sa}, &corev1.ServiceAccount{})
		switch {
		case apierrors.IsNotFound(err):
			missing = fmt.Sprintf("ServiceAccount %s/%s", obj.Namespace, sa)
		case err != nil:
			return nil, fmt.Errorf("reading ServiceAccount %s/%s: %w", obj.Namespace, sa, err)
		}
	}
	if kc := obj.Spec.KubeConfig; kc != nil && missing == "" {
		err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: kc.SecretRef.Name}, &corev1.Secret{})
		switch {
		case apierrors.IsNotFound(err):
			missing = fmt.Sprintf("kubeconfig Secret %s/%s", obj.Namespace, kc.SecretRef.Name)
		case err != nil:
			return nil, fmt.Errorf("reading kubeconfig Secret %s/%s: %w", obj.Namespace, kc.SecretRef.Name, err)
		}
	}
	if missing != "" {
		msg := fmt.Sprintf("skipping garbage collection: %s not found; the applied objects are left in place", missing)
		log.FromContext(ctx).Info(msg)
		r.warning(obj, obj.Status.LastAppliedRevision, meta.PruneFailedReason, msg)
		return nil, nil
	}
	c, _, err := r.targetClient(ctx, obj)
	return c, err
}

// remoteConfig reads the kubeconfig of spec.kubeConfig.secretRef from obj's
// namespace and returns its REST configuration, refusing kubeconfigs that
// would run programs or read files on ferry's host.
func (r *Reconciler) remoteConfig(ctx context.Context, obj *kustomizev1.Kustomization) (*rest.Config, error) {
	ref := obj.Spec.KubeConfig.SecretRef
	key := types.NamespacedName{Namespace: obj.Namespace, Name: ref.Name}
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, key, secret); err != nil {
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
		return nil, fmt.Errorf("invalid kubeconfig: %w", err)
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
