package release

import (
	"context"
	"io"
	"log/slog"
	"sync"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// FieldManager is the server-side apply field manager of the objects Helm
// applies for a HelmRelease: Flux's, so ferry takes over from Flux without
// conflicts.
const FieldManager = "helm-controller"

var setFieldManager sync.Once

// SetFieldManager sets Helm's process-wide field manager to FieldManager.
// It is the only Helm global ferry changes.
func SetFieldManager() {
	setFieldManager.Do(func() { kube.ManagedFieldsManager = FieldManager })
}

// Target says where a release lives.
type Target struct {
	// Namespace is where the release's objects go (targetNamespace).
	Namespace string
	// StorageNamespace holds Helm's release Secrets.
	StorageNamespace string
	// MaxHistory is how many release versions Helm keeps; 0 is unlimited.
	MaxHistory int
}

// Configuration returns a Helm action configuration for t on the cluster:
// Helm's Secret storage in t.StorageNamespace (so helm list, history and
// rollback see the same releases), the cluster's shared discovery and
// capabilities, and a logger of its own.
func (c *Cluster) Configuration(ctx context.Context, t Target) (*action.Configuration, error) {
	cs, err := c.clientset()
	if err != nil {
		return nil, err
	}
	caps, err := c.Capabilities()
	if err != nil {
		return nil, err
	}
	handler := logHandler(ctx)
	g := &getter{cluster: c, namespace: t.Namespace}
	kc := kube.New(g)
	kc.Factory = &validatingFactory{Factory: kc.Factory, cluster: c}
	kc.Namespace = t.Namespace
	kc.SetLogger(handler)
	d := driver.NewSecrets(cs.CoreV1().Secrets(t.StorageNamespace))
	d.SetLogger(handler)
	store := storage.Init(d)
	store.MaxHistory = t.MaxHistory
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(handler))
	cfg.RESTClientGetter = g
	cfg.KubeClient = kc
	cfg.Releases = store
	cfg.Capabilities = caps
	cfg.HookOutputFunc = func(_, _, _ string) io.Writer { return io.Discard }
	return cfg, nil
}

func (c *Cluster) clientset() (kubernetes.Interface, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cs == nil {
		cs, err := kubernetes.NewForConfig(c.config)
		if err != nil {
			return nil, err
		}
		c.cs = cs
	}
	return c.cs, nil
}

// logHandler sends Helm's logs to the reconcile's logger, at debug level:
// Helm logs every object it touches.
func logHandler(ctx context.Context) slog.Handler {
	return logr.ToSlogHandler(logr.FromContextOrDiscard(ctx).V(1))
}
