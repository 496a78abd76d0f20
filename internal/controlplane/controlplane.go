package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// DefaultServiceClusterIPRange is the Service CIDR of a control plane when
// Options leaves it empty. It is as large as a real cluster's, unlike
// envtest's /24 which runs out after about 250 Services.
const DefaultServiceClusterIPRange = "10.96.0.0/12"

const (
	// processStartTimeout bounds how long etcd and kube-apiserver may take to
	// become healthy, generous for a loaded machine.
	processStartTimeout = 2 * time.Minute
	// processStopTimeout bounds a graceful stop before SIGKILL.
	processStopTimeout = 15 * time.Second
	// readyTimeout bounds the wait for a usable plane after its processes
	// are up, unless the context passed to Start ends earlier.
	readyTimeout = 3 * time.Minute
	// userName is the admin user of Kubeconfig and Config.
	userName = "ferry-admin"
	// kubeconfigName names the cluster, user and context of Kubeconfig.
	kubeconfigName = "ferry"
)

// Options configures Start.
type Options struct {
	// Simulated adds kube-controller-manager, kube-scheduler and kwok with
	// one fake Node, so that workloads become ready. The default is an
	// API-only plane (etcd and kube-apiserver).
	Simulated bool
	// Progress receives human-readable progress messages, such as the one
	// of a first build of the binaries. Nil discards them.
	Progress io.Writer
	// ServiceClusterIPRange is the Service CIDR (default
	// DefaultServiceClusterIPRange).
	ServiceClusterIPRange string
}

// ControlPlane is a running control plane. Stop it when done: its processes
// run until Stop is called (or until the process that started them dies).
type ControlPlane struct {
	// Config is an admin (system:masters) client configuration.
	Config *rest.Config

	kubeconfig []byte
	workDir    string
	plane      *envtest.ControlPlane
	procs      []*process

	// apiLauncher starts kube-apiserver; after RestartAPIServer, apiProc
	// is the kube-apiserver it started with apiArgs.
	apiLauncher string
	restartMu   sync.Mutex
	apiProc     *process
	apiArgs     []string
	restarts    int

	stopOnce sync.Once
	stopErr  error
}

// Start starts a control plane of the shape opts asks for and returns once
// it is usable: kube-apiserver is healthy and, for a simulated plane, the
// Node is Ready and kube-controller-manager is at work. ctx bounds the build
// of missing binaries and the start, not the life of the plane.
func Start(ctx context.Context, opts Options) (cp *ControlPlane, err error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	cidr := opts.ServiceClusterIPRange
	if cidr == "" {
		cidr = DefaultServiceClusterIPRange
	}

	binDir, err := EnsureBinaries(ctx, progress, opts.Simulated)
	if err != nil {
		return nil, fmt.Errorf("control plane binaries: %w", err)
	}
	workDir, err := os.MkdirTemp("", "ferry-controlplane-")
	if err != nil {
		return nil, fmt.Errorf("failed to create the control plane directory: %w", err)
	}
	cp = &ControlPlane{workDir: workDir}
	defer func() {
		if err != nil {
			_ = cp.Stop()
			cp = nil
		}
	}()

	if err := cp.startAPI(ctx, binDir, cidr); err != nil {
		return nil, err
	}
	if opts.Simulated {
		if err := cp.startSimulation(ctx, binDir); err != nil {
			return nil, err
		}
	}
	return cp, nil
}

// startAPI starts etcd and kube-apiserver through envtest and provisions the
// admin user.
func (c *ControlPlane) startAPI(ctx context.Context, binDir, cidr string) error {
	etcdLog, err := c.logFile("etcd")
	if err != nil {
		return err
	}
	apiLog, err := c.logFile("kube-apiserver")
	if err != nil {
		return err
	}
	etcdPath, err := c.launcher(filepath.Join(binDir, etcdBin))
	if err != nil {
		return err
	}
	apiPath, err := c.launcher(filepath.Join(binDir, apiServerBin))
	if err != nil {
		return err
	}
	c.apiLauncher = apiPath
	// Start with fresh objects on each attempt: a failed attempt keeps the
	// ports it picked, and one of them may be what made it fail.
	const attempts = 3
	for i := 1; ; i++ {
		etcd := &envtest.Etcd{
			Path:         etcdPath,
			Out:          etcdLog,
			Err:          etcdLog,
			StartTimeout: processStartTimeout,
			StopTimeout:  processStopTimeout,
		}
		api := &envtest.APIServer{
			Path:         apiPath,
			Out:          apiLog,
			Err:          apiLog,
			StartTimeout: processStartTimeout,
			StopTimeout:  processStopTimeout,
		}
		api.Configure().Set("service-cluster-ip-range", cidr)
		// SO_REUSEADDR on the listener and so on every connection it
		// accepts: without it a restarted kube-apiserver (RestartAPIServer)
		// cannot bind its port while the old connections linger.
		api.Configure().Set("permit-address-sharing", "true")
		plane := &envtest.ControlPlane{Etcd: etcd, APIServer: api}
		err := plane.Start()
		if err == nil {
			c.plane = plane
			break
		}
		if i == attempts || ctx.Err() != nil {
			return fmt.Errorf("failed to start etcd and kube-apiserver: %w\netcd log:\n%s\nkube-apiserver log:\n%s",
				err, tailFile(etcdLog.Name(), 20), tailFile(apiLog.Name(), 20))
		}
	}

	user, err := c.plane.AddUser(envtest.User{Name: userName, Groups: []string{"system:masters"}},
		&rest.Config{QPS: 1000, Burst: 2000})
	if err != nil {
		return fmt.Errorf("failed to provision the admin user: %w", err)
	}
	c.Config = user.Config()
	c.kubeconfig, err = kubeconfigFor(c.Config)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := waitForDefaultNamespace(ctx, c.Config); err != nil {
		return fmt.Errorf("kube-apiserver is not serving: %w\nkube-apiserver log:\n%s", err, tailFile(apiLog.Name(), 20))
	}
	return nil
}

// Kubeconfig returns an admin kubeconfig for the plane, usable by kubectl
// and by every client-go based tool.
func (c *ControlPlane) Kubeconfig() ([]byte, error) {
	if c.kubeconfig == nil {
		return nil, errors.New("control plane is not started")
	}
	return c.kubeconfig, nil
}

// WriteKubeconfig writes Kubeconfig to path, readable by the owner only.
func (c *ControlPlane) WriteKubeconfig(path string) error {
	data, err := c.Kubeconfig()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("failed to write kubeconfig: %w", err)
	}
	return nil
}

// LogDir returns the directory holding the log file of each process of the
// plane. It is removed by Stop.
func (c *ControlPlane) LogDir() string {
	return filepath.Join(c.workDir, "logs")
}

// Stop stops every process of the plane, waits for them to exit and removes
// their files. It is safe to call more than once.
func (c *ControlPlane) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		// Stop in reverse start order: simulation first, then the API.
		for i := len(c.procs) - 1; i >= 0; i-- {
			if err := c.procs[i].stop(processStopTimeout); err != nil {
				errs = append(errs, err)
			}
		}
		if c.plane != nil {
			if err := c.plane.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("failed to stop etcd and kube-apiserver: %w", err))
			}
		}
		if c.workDir != "" {
			if err := os.RemoveAll(c.workDir); err != nil {
				errs = append(errs, fmt.Errorf("failed to remove the control plane directory: %w", err))
			}
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// logFile creates the log file of a process.
func (c *ControlPlane) logFile(name string) (*os.File, error) {
	if err := os.MkdirAll(c.LogDir(), 0o755); err != nil {
		return nil, fmt.Errorf("failed to create the log directory: %w", err)
	}
	f, err := os.Create(filepath.Join(c.LogDir(), name+".log"))
	if err != nil {
		return nil, fmt.Errorf("failed to create the %s log: %w", name, err)
	}
	return f, nil
}

// kubeconfigFor renders an admin kubeconfig from cfg, with client
// certificate and CA inline.
func kubeconfigFor(cfg *rest.Config) ([]byte, error) {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[kubeconfigName] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos[kubeconfigName] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
	}
	kc.Contexts[kubeconfigName] = &clientcmdapi.Context{Cluster: kubeconfigName, AuthInfo: kubeconfigName}
	kc.CurrentContext = kubeconfigName
	data, err := clientcmd.Write(*kc)
	if err != nil {
		return nil, fmt.Errorf("failed to render the kubeconfig: %w", err)
	}
	return data, nil
}

// tailFile returns the last n lines of the file at path.
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	const maxBytes = 16 << 10
	if len(data) > maxBytes {
		data = data[len(data)-maxBytes:]
	}
	return tail(data, n)
}
