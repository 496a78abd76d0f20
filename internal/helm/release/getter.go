package release

import (
	"sync"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
)

// capabilitiesTTL is how long the cluster's version and API versions are
// reused before discovery is asked again; Helm itself asks on every action.
const capabilitiesTTL = 30 * time.Second

// Cluster is one cluster identity (ferry's own, an impersonated
// ServiceAccount, a remote kubeconfig): its configuration, a discovery
// cache and RESTMapper shared by every action against it (a fresh client
// per action costs memory and API calls: helm/helm#10374), and the
// capabilities Helm renders with.
type Cluster struct {
	config    *rest.Config
	discovery discovery.CachedDiscoveryInterface
	mapper    *restmapper.DeferredDiscoveryRESTMapper

	validators validators

	mu           sync.Mutex
	cs           kubernetes.Interface
	capabilities *common.Capabilities
	fetched      time.Time
}

// NewCluster returns the Cluster of cfg.
func NewCluster(cfg *rest.Config) (*Cluster, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	cached := memory.NewMemCacheClient(dc)
	return &Cluster{
		config:    cfg,
		discovery: cached,
		mapper:    restmapper.NewDeferredDiscoveryRESTMapper(cached),
	}, nil
}

// Invalidate forgets what discovery found, after CRDs were installed.
func (c *Cluster) Invalidate() {
	c.mapper.Reset()
	c.dropValidators()
	c.mu.Lock()
	c.capabilities = nil
	c.mu.Unlock()
}

// Capabilities returns the cluster's version and API versions, cached for
// capabilitiesTTL, so charts' kubeVersion constraints see the real server.
func (c *Cluster) Capabilities() (*common.Capabilities, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.capabilities != nil && time.Since(c.fetched) < capabilitiesTTL {
		return c.capabilities, nil
	}
	v, err := c.discovery.ServerVersion()
	if err != nil {
		return nil, err
	}
	apiVersions, err := action.GetVersionSet(c.discovery)
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, err
	}
	c.capabilities = &common.Capabilities{
		APIVersions: apiVersions,
		KubeVersion: common.KubeVersion{Version: v.GitVersion, Major: v.Major, Minor: v.Minor},
		HelmVersion: common.DefaultCapabilities.HelmVersion,
	}
	c.fetched = time.Now()
	return c.capabilities, nil
}

// getter is the genericclioptions.RESTClientGetter of one namespace of a
// Cluster.
type getter struct {
	cluster   *Cluster
	namespace string
}

func (g *getter) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(g.cluster.config), nil }

func (g *getter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return g.cluster.discovery, nil
}

func (g *getter) ToRESTMapper() (apimeta.RESTMapper, error) {
	return restmapper.NewShortcutExpander(g.cluster.mapper, g.cluster.discovery, nil), nil
}

// ToRawKubeConfigLoader returns a client configuration whose namespace is
// the getter's; Helm reads only the namespace from it.
func (g *getter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["ferry"] = &clientcmdapi.Cluster{Server: g.cluster.config.Host}
	cfg.Contexts["ferry"] = &clientcmdapi.Context{Cluster: "ferry", Namespace: g.namespace}
	cfg.CurrentContext = "ferry"
	return clientcmd.NewDefaultClientConfig(*cfg, &clientcmd.ConfigOverrides{Context: clientcmdapi.Context{Namespace: g.namespace}})
}

// Mapper returns the cluster's RESTMapper, shared by its actions.
func (c *Cluster) Mapper() apimeta.RESTMapper { return c.mapper }
