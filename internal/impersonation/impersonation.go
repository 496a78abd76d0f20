package impersonation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/ferrycd/ferry/api/meta"
)

// Target is what an object says about where and as whom its objects are
// applied.
type Target struct {
	// Namespace is the object's; the ServiceAccount and the kubeconfig
	// Secret are in it.
	Namespace string
	// ServiceAccountName is spec.serviceAccountName; empty means the
	// Impersonator's default.
	ServiceAccountName string
	// KubeConfig is spec.kubeConfig; nil means ferry's own cluster.
	KubeConfig *meta.KubeConfigReference
}

// Impersonator makes the clients of targets, from ferry's own client and
// configuration.
type Impersonator struct {
	// Client is ferry's own client: returned for a target with nothing to
	// impersonate, and its scheme (and, on ferry's own cluster, its
	// RESTMapper) serve the clients made.
	Client client.Client

	// RESTConfig is ferry's own configuration, from which the clients that
	// impersonate a ServiceAccount are made; its rate limits and user agent
	// also apply to remote clusters.
	RESTConfig *rest.Config

	// APIReader reads ServiceAccounts and kubeconfig Secrets straight from
	// the API server (no cache of every Secret).
	APIReader client.Reader

	// DefaultServiceAccount is impersonated for targets without a
	// ServiceAccountName (--default-service-account); empty means ferry's
	// own rights.
	DefaultServiceAccount string
}

// ServiceAccountName returns the ServiceAccount (of t's namespace) whose
// rights t's objects are applied with: t.ServiceAccountName, else the
// default; empty means ferry's own rights.
func (i *Impersonator) ServiceAccountName(t Target) string {
	if t.ServiceAccountName != "" {
		return t.ServiceAccountName
	}
	return i.DefaultServiceAccount
}

// serviceAccountUser is the user name of a ServiceAccount, as impersonated.
func serviceAccountUser(namespace, name string) string {
	return fmt.Sprintf("system:serviceaccount:%s:%s", namespace, name)
}

// ClientFor returns the client (and its configuration) that applies,
// prunes, health-checks and deletes t's objects. Without a kubeconfig nor
// a ServiceAccount to impersonate it is the Impersonator's own client and
// configuration. A client it makes reads objects straight from the API
// server.
func (i *Impersonator) ClientFor(ctx context.Context, t Target) (client.Client, *rest.Config, error) {
	sa := i.ServiceAccountName(t)
	var (
		cfg    *rest.Config
		mapper apimeta.RESTMapper
	)
	switch {
	case t.KubeConfig != nil:
		remote, err := i.remoteConfig(ctx, t)
		if err != nil {
			return nil, nil, err
		}
		cfg = remote
		if i.RESTConfig != nil {
			// The controller's client-side rate limits, not client-go's
			// defaults (5 per second), which would stall every apply.
			cfg.QPS, cfg.Burst = i.RESTConfig.QPS, i.RESTConfig.Burst
			cfg.UserAgent = i.RESTConfig.UserAgent
		}
	case sa != "":
		if i.RESTConfig == nil {
			return nil, nil, errors.New("impersonating a ServiceAccount: the controller has no REST configuration")
		}
		cfg = rest.CopyConfig(i.RESTConfig)
		// Same cluster, same kinds: the shared mapper's discovery is not a
		// matter of rights.
		mapper = i.Client.RESTMapper()
	default:
		return i.Client, i.RESTConfig, nil
	}
	if sa != "" {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: serviceAccountUser(t.Namespace, sa)}
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the client%s: %w", i.ActingAs(t), err)
	}
	if mapper == nil {
		if mapper, err = apiutil.NewDynamicRESTMapper(cfg, httpClient); err != nil {
			return nil, nil, fmt.Errorf("creating the client%s: %w", i.ActingAs(t), err)
		}
	}
	c, err := client.New(cfg, client.Options{HTTPClient: httpClient, Scheme: i.Client.Scheme(), Mapper: mapper})
	if err != nil {
		return nil, nil, fmt.Errorf("creating the client%s: %w", i.ActingAs(t), err)
	}
	return c, cfg, nil
}

// ActingAs describes, for messages, whose rights t's objects are applied
// with and on which cluster, e.g. " as ServiceAccount ns/tenant"; empty
// for ferry's own rights on its own cluster.
func (i *Impersonator) ActingAs(t Target) string {
	var parts []string
	if sa := i.ServiceAccountName(t); sa != "" {
		parts = append(parts, fmt.Sprintf("as ServiceAccount %s/%s", t.Namespace, sa))
	}
	if kc := t.KubeConfig; kc != nil {
		parts = append(parts, fmt.Sprintf("on the cluster of the kubeconfig in Secret %s/%s", t.Namespace, kc.SecretRef.Name))
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// Missing names what ClientFor needs for t and is gone ("ServiceAccount
// ns/name", "kubeconfig Secret ns/name"), or returns "" when nothing is. A
// deletion checks it first: as in Flux, when the namespace is being
// deleted the objects are left in place rather than the deletion blocked
// forever.
func (i *Impersonator) Missing(ctx context.Context, t Target) (string, error) {
	if sa := i.ServiceAccountName(t); sa != "" {
		err := i.APIReader.Get(ctx, types.NamespacedName{Namespace: t.Namespace, Name: sa}, &corev1.ServiceAccount{})
		switch {
		case apierrors.IsNotFound(err):
			return fmt.Sprintf("ServiceAccount %s/%s", t.Namespace, sa), nil
		case err != nil:
			return "", fmt.Errorf("reading ServiceAccount %s/%s: %w", t.Namespace, sa, err)
		}
	}
	if kc := t.KubeConfig; kc != nil {
		err := i.APIReader.Get(ctx, types.NamespacedName{Namespace: t.Namespace, Name: kc.SecretRef.Name}, &corev1.Secret{})
		switch {
		case apierrors.IsNotFound(err):
			return fmt.Sprintf("kubeconfig Secret %s/%s", t.Namespace, kc.SecretRef.Name), nil
		case err != nil:
			return "", fmt.Errorf("reading kubeconfig Secret %s/%s: %w", t.Namespace, kc.SecretRef.Name, err)
		}
	}
	return "", nil
}
