package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/scheme"
)

// defaultNamespace is where Flux keeps its objects, and so where the CLI
// looks when -n is not given.
const defaultNamespace = "flux-system"

// globals are the flags every command shares.
type globals struct {
	kubeconfig string
	context    string
	namespace  string
	as         string
	asGroups   []string

	out    io.Writer
	errOut io.Writer
}

// exitError carries a process exit code through cobra without printing usage.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Main runs the ferry command line with args and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := NewRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(stderr, "✗ %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "✗ %v\n", err)
	return 1
}

// NewRootCommand builds the ferry command tree.
func NewRootCommand(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{out: stdout, errOut: stderr}
	root := &cobra.Command{
		Use:           "ferry",
		Short:         "ferry keeps Kubernetes clusters in sync with Git, serving Flux's API",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	pf.StringVar(&g.context, "context", "", "kubeconfig context to use")
	pf.StringVarP(&g.namespace, "namespace", "n", defaultNamespace, "namespace of the object")
	pf.StringVar(&g.as, "as", "", "user to impersonate, as kubectl --as")
	pf.StringSliceVar(&g.asGroups, "as-group", nil, "group to impersonate, repeatable, as kubectl --as-group")

	root.AddCommand(
		newVersionCommand(g),
		newControllerCommand(g),
		newInstallCommand(g),
		newBootstrapCommand(g),
		newCheckCommand(g),
		newStatsCommand(g),
		newTraceCommand(g),
		newUninstallCommand(g),
		newLogsCommand(g),
		newDevCommand(g),
		newGetCommand(g),
		newReconcileCommand(g),
		newCreateCommand(g),
		newSuspendCommand(g),
		newResumeCommand(g),
		newExportCommand(g),
		newBuildCommand(g),
		newDiffCommand(g),
		newPushCommand(g),
		newPullCommand(g),
		newListCommand(g),
		newTagCommand(g),
		newTreeCommand(g),
		newEventsCommand(g),
		newBenchCommand(g),
		newUICommand(g),
	)
	return root
}

// restConfig loads the Kubernetes client configuration from the flags, the
// KUBECONFIG variable, ~/.kube/config or the in-cluster service account.
func (g *globals) restConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if g.kubeconfig != "" {
		rules.ExplicitPath = g.kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{
		CurrentContext: g.context,
		AuthInfo:       clientcmdapi.AuthInfo{Impersonate: g.as, ImpersonateGroups: g.asGroups},
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			if in, inErr := rest.InClusterConfig(); inErr == nil {
				return in, nil
			}
			return nil, errors.New("no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, or start a local cluster with 'ferry dev'")
		}
		return nil, fmt.Errorf("loading the kubeconfig: %w", err)
	}
	cfg.UserAgent = "ferry"
	return cfg, nil
}

// rawKubeconfig loads the kubeconfig the flags name, merged as kubectl
// merges it.
func (g *globals) rawKubeconfig() (clientcmdapi.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if g.kubeconfig != "" {
		rules.ExplicitPath = g.kubeconfig
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).RawConfig()
}

// client returns a Kubernetes client that knows ferry's API groups.
func (g *globals) client() (client.Client, error) {
	cfg, err := g.restConfig()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return c, nil
}

// discovery returns a discovery client of the cluster.
func (g *globals) discovery() (*discovery.DiscoveryClient, error) {
	cfg, err := g.restConfig()
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return dc, nil
}

// printf writes a progress line to stderr, as Flux's CLI does, so stdout
// stays clean for tables and YAML.
func (g *globals) printf(format string, args ...any) {
	fmt.Fprintf(g.errOut, format+"\n", args...)
}

// envOr returns the environment variable's value, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
