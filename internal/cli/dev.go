package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/localcluster"
	"github.com/ferrycd/ferry/internal/logring"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/source"
)

// devOptions are the flags of `ferry dev`.
type devOptions struct {
	sync          string
	path          string
	branch        string
	name          string
	interval      time.Duration
	stateDir      string
	kubeconfigOut string
	// charts is --charts; chartsSet tells an explicit "" (no registry)
	// from the default (<sync>/charts).
	charts    string
	chartsSet bool
	// receiverAddr is where the Receivers' webhooks are served.
	receiverAddr string
	// uiAddr is where the web UI is served.
	uiAddr string
}

func newDevCommand(g *globals) *cobra.Command {
	o := &devOptions{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a local simulated cluster with ferry's controllers, no cluster needed",
		Long: `Dev starts a local simulated Kubernetes cluster (etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok nodes), installs ferry's CRDs,
runs every controller in this process and writes a kubeconfig for kubectl and
ferry. With --sync it also syncs a Git repository into the cluster: a local
checkout is served to the controller over smart HTTP, so a commit there is
applied within --interval, or at once after
'ferry reconcile kustomization flux-system --with-source'. Dev waits for the
first fetch and apply and prints their outcome; on a failure it prints the
controller's message and keeps running, so the repository can be fixed.
--sync oci://<registry>/<repository>:<tag> syncs an artifact pushed with
'ferry push artifact' instead, through an OCIRepository (plain HTTP to a
registry on loopback).

Dev also runs an OCI registry on loopback (plain HTTP, in memory) and pushes
to it, as 'helm package' and 'helm push' would, every chart directory under
--charts (by default the charts/ directory of --sync): at start, and again
whenever the synced checkout's HEAD moves. The Kustomization that --sync
creates substitutes ${FERRY_DEV_REGISTRY} with the registry's host:port, so
a HelmRepository can say 'type: oci', 'url: oci://${FERRY_DEV_REGISTRY}/charts'
and 'insecure: true'; it also takes variables from the Secret ferry-dev-vars
in flux-system when that exists. --charts "" turns the registry off.

The webhooks of Receivers are served on --receiver-address (127.0.0.1:9292),
with a generic Receiver of the synced GitRepository whose URL is printed: a
post-commit hook of the checkout that POSTs to it has each commit fetched
and applied at once (see docs/cli.md).

The first run installs the Kubernetes binaries into the user cache: downloaded
and checked against their published checksums where the release hosts are
reachable, else built from Go modules (about 10 minutes on 2 cores); later
runs start in seconds. Stop with Ctrl-C.`,
		Example: `  # Sync the bundled example's development overlay
  ferry dev --sync ./examples --path apps/development

  # Just a local cluster with ferry's controllers
  ferry dev`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.chartsSet = cmd.Flags().Changed("charts")
			return runDev(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.sync, "sync", "", "what to sync: a local Git checkout (or a directory inside one), a Git URL, or an OCI artifact oci://<registry>/<repository>[:<tag>]")
	f.StringVar(&o.path, "path", "./", "directory to apply, relative to --sync")
	f.StringVar(&o.branch, "branch", "", "Git branch to sync (default: the checkout's current branch, or main for a URL)")
	f.StringVar(&o.name, "name", "flux-system", "name of the source and Kustomization that --sync creates")
	f.DurationVar(&o.interval, "interval", time.Minute, "how often the synced repository is checked for new commits")
	f.StringVar(&o.stateDir, "state-dir", ".ferry", "directory for the kubeconfig, artifacts and logs")
	f.StringVar(&o.kubeconfigOut, "kubeconfig-out", "", "where to write the kubeconfig (default: <state-dir>/kubeconfig)")
	f.StringVar(&o.charts, "charts", "", `directory of Helm chart directories to push to the loopback registry (default: <sync>/charts; "" turns the registry off)`)
	f.StringVar(&o.receiverAddr, "receiver-address", "127.0.0.1:9292", "address the webhooks of Receivers are served on (a Git hook can call them); 0 turns them off")
	f.StringVar(&o.uiAddr, "ui-address", "127.0.0.1:9080", "loopback address the web UI is served on, without sign-in; 0 turns it off")
	return cmd
}

// syncSource is what `--sync` resolved to: a Git repository (a local
// checkout or a URL) or an OCI artifact.
type syncSource struct {
	kind   string // GitRepository or OCIRepository
	url    string // set for a remote repository and an OCI repository
	repo   string // top of the local checkout
	path   string // Kustomization path, relative to the repository root
	branch string
	// tag or digest and insecure are an OCI artifact's: insecure (plain
	// HTTP) for a registry on loopback.
	tag, digest string
	insecure    bool
}

func runDev(ctx context.Context, g *globals, o *devOptions) error {
	if o.kubeconfigOut == "" {
		o.kubeconfigOut = filepath.Join(o.stateDir, "kubeconfig")
	}
	var src *syncSource
	if o.sync != "" {
		var err error
		if src, err = resolveSync(o); err != nil {
			return err
		}
	}
	chartsDir, registryOn, err := resolveCharts(o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.stateDir, 0o755); err != nil {
		return fmt.Errorf("creating the state directory: %w", err)
	}
	logPath := filepath.Join(o.stateDir, "ferry.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("creating the log file: %w", err)
	}
	defer logFile.Close()
	logger := zap.New(zap.UseDevMode(true), zap.WriteTo(logFile), preciseTimestamps)
	// The UI shows each object's recent lines from the ring.
	logs := logring.New(logring.Options{})
	ctrl.SetLogger(logs.Wrap(logger))
	klog.SetLogger(logger)

	g.printf("► starting the local simulated cluster")
	cluster, err := localcluster.Start(ctx, localcluster.Options{Kubeconfig: o.kubeconfigOut, Progress: g.errOut})
	if err != nil {
		return fmt.Errorf("starting the local cluster: %w", err)
	}
	defer func() {
		g.printf("► stopping the local cluster")
		if err := cluster.Stop(); err != nil {
			g.printf("✗ stopping the local cluster: %v", err)
			return
		}
		g.printf("✔ stopped")
	}()
	g.printf("✔ cluster started, kubeconfig written to %s", o.kubeconfigOut)
	g.printf("✔ CRDs installed")
	c := cluster.Client

	storage := filepath.Join(o.stateDir, "artifacts")
	if err := os.RemoveAll(storage); err != nil {
		return fmt.Errorf("clearing old artifacts: %w", err)
	}
	mgrCtx, stopMgr := context.WithCancel(ctx)
	defer stopMgr()
	mgr, err := controller.NewManager(mgrCtx, cluster.Config, controller.Options{
		StoragePath:  storage,
		StorageAddr:  "127.0.0.1:0",
		MetricsAddr:  "0",
		HealthAddr:   "0",
		ReceiverAddr: o.receiverAddr,
		UIAddr:       o.uiAddr,
		Logs:         logs,
		// The local cluster is the user's own: no sign-in, on loopback.
		UIUnauthenticated: true,
	})
	if err != nil {
		return err
	}
	receiverURL := ""
	if mgr.Receiver != nil && mgr.Receiver.Addr() != "" {
		receiverURL = "http://" + mgr.Receiver.Addr()
	}
	mgrDone := make(chan error, 1)
	go func() { mgrDone <- mgr.Start(mgrCtx) }()
	defer func() {
		stopMgr()
		if err := <-mgrDone; err != nil {
			g.printf("✗ controllers stopped with an error: %v", err)
		}
	}()
	g.printf("✔ controllers running (%s), logs in %s", strings.Join(controller.Names, ", "), logPath)
	if receiverURL != "" {
		g.printf("✔ webhook receiver listening on %s", receiverURL)
	}

	var charts *devCharts
	if registryOn {
		if charts, err = g.startDevCharts(ctx, chartsDir); err != nil {
			return err
		}
		defer charts.reg.Close()
	}
	registryHost := ""
	if charts != nil {
		registryHost = charts.reg.Host()
	}

	exe, _ := os.Executable()
	command := ferryCommand(os.Args[0], exe)
	webhookURL := ""
	if src != nil {
		if src.repo != "" {
			server, err := serveCheckout(src, logFile)
			if err != nil {
				return err
			}
			defer server.Close()
		}
		if err := createSync(ctx, c, defaultNamespace, o, src, registryHost); err != nil {
			return err
		}
		if receiverURL != "" {
			path, err := createDevReceiver(ctx, c, defaultNamespace, src.kind, o.name)
			if err != nil {
				return err
			}
			webhookURL = receiverURL + path
		}
		ref := "branch " + src.branch
		if src.kind == sourcev1.OCIRepositoryKind {
			ref = "tag " + src.tag
			if src.digest != "" {
				ref = "digest " + src.digest
			}
		}
		g.printf("► syncing %s (%s, path %s)", displaySource(src), ref, src.path)
		g.reportFirstSync(ctx, c, src.kind, client.ObjectKey{Namespace: defaultNamespace, Name: o.name}, command)
	}

	g.printf("")
	g.printf("Use the cluster from another terminal:")
	g.printf("  export KUBECONFIG=%s", shellQuote(absOr(o.kubeconfigOut)))
	g.printf("  kubectl get deployments -A")
	g.printf("  %s get kustomizations", command)
	g.printf("  %s get helmreleases -A", command)
	if src != nil {
		g.printf("  %s reconcile kustomization %s --with-source   # after a commit", command, o.name)
	}
	if charts != nil || receiverURL != "" {
		g.printf("")
	}
	if charts != nil {
		g.printf("%s", charts.summary())
	}
	if webhookURL != "" {
		g.printf("webhook: POST %s fetches and applies the repository now, e.g. from its .git/hooks/post-commit:", webhookURL)
		g.printf("  curl -fsS -X POST %s", webhookURL)
	} else if receiverURL != "" {
		g.printf("receivers: %s + the Receiver's path ('%s get receivers')", receiverURL, command)
	}
	g.printf("")
	if mgr.UIURL != "" {
		g.printf("✔ ferry dev is ready (Ctrl-C stops it); the UI is at %s", mgr.UIURL)
	} else {
		g.printf("✔ ferry dev is ready (Ctrl-C stops it)")
	}
	if charts != nil && charts.dir != "" && src != nil && src.repo != "" {
		// Stopped before the registry closes (defers run last first).
		watchCtx, stopWatch := context.WithCancel(ctx)
		defer stopWatch()
		go g.watchHead(watchCtx, charts, src.repo)
	}

	select {
	case <-ctx.Done():
		return nil
	case err := <-mgrDone:
		mgrDone <- err
		if err != nil {
			return fmt.Errorf("the controllers stopped: %w", err)
		}
		return errors.New("the controllers stopped unexpectedly")
	}
}

// resolveSync works out what --sync and --path point at before anything is
// started, so a typo fails in a second rather than after the cluster starts.
func resolveSync(o *devOptions) (*syncSource, error) {
	if strings.HasPrefix(o.sync, sourcev1.OCIRepositoryPrefix) {
		return resolveOCISync(o)
	}
	if isRemoteURL(o.sync) {
		branch := o.branch
		if branch == "" {
			branch = "main"
		}
		return &syncSource{kind: sourcev1.GitRepositoryKind, url: o.sync, path: cleanRepoPath("", o.path), branch: branch}, nil
	}
	dir, err := filepath.Abs(o.sync)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("--sync %s: not a directory", o.sync)
	}
	top, err := gitOutput(dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("--sync %s is not inside a Git repository: run 'git init && git add -A && git commit -m init' there first", o.sync)
	}
	prefix, err := gitOutput(dir, "rev-parse", "--show-prefix")
	if err != nil {
		return nil, err
	}
	branch := o.branch
	if branch == "" {
		if branch, err = gitOutput(dir, "rev-parse", "--abbrev-ref", "HEAD"); err != nil || branch == "HEAD" {
			return nil, fmt.Errorf("--sync %s: the checkout has no current branch (detached HEAD or no commit yet); pass --branch", o.sync)
		}
	}
	src := &syncSource{kind: sourcev1.GitRepositoryKind, repo: top, path: cleanRepoPath(prefix, o.path), branch: branch}
	if rel := strings.TrimPrefix(src.path, "./"); rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("--path %s leaves the repository", o.path)
	}
	if fi, err := os.Stat(filepath.Join(top, filepath.FromSlash(src.path))); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("--path %s: no such directory in %s", o.path, o.sync)
	}
	return src, nil
}

// resolveOCISync resolves --sync oci://<registry>/<repository>[:<tag>]
// (oci.ParseArtifactURL, as push artifact reads it): the artifact of the
// tag (latest when none) or of a digest, plain HTTP when the registry is
// on loopback, as `ferry push artifact` pushes to one.
func resolveOCISync(o *devOptions) (*syncSource, error) {
	if o.branch != "" {
		return nil, errors.New("--branch is for a Git repository: give the tag of an OCI artifact in the URL, oci://<registry>/<repository>:<tag>")
	}
	if strings.HasSuffix(o.sync, ":") {
		return nil, fmt.Errorf("--sync %s: the tag after ':' is empty", o.sync)
	}
	u, err := oci.ParseArtifactURL(o.sync, true)
	if err != nil {
		return nil, fmt.Errorf("--sync: %w", err)
	}
	tag := u.Tag
	if tag == "" && u.Digest == "" {
		tag = "latest"
	}
	host := u.Repository.RegistryStr()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	return &syncSource{
		kind: sourcev1.OCIRepositoryKind, url: oci.Prefix + u.Repository.Name(), tag: tag, digest: u.Digest,
		path: cleanRepoPath("", o.path), insecure: host == "localhost" || (ip != nil && ip.IsLoopback()),
	}, nil
}

// cleanRepoPath joins the checkout's sub-directory prefix and --path into a
// Flux Kustomization path ("./apps/dev").
func cleanRepoPath(prefix, p string) string {
	cleaned := path.Clean(path.Join(filepath.ToSlash(prefix), filepath.ToSlash(p)))
	if cleaned == "." {
		return "./"
	}
	return "./" + cleaned
}

func isRemoteURL(s string) bool {
	for _, scheme := range []string{"http://", "https://", "ssh://"} {
		if strings.HasPrefix(s, scheme) {
			return true
		}
	}
	return false
}

// serveCheckout serves the local checkout over smart HTTP on loopback; only
// that one repository is reachable, through a link in a private directory.
func serveCheckout(src *syncSource, stderr *os.File) (*gitserver.Server, error) {
	root, err := os.MkdirTemp("", "ferry-dev-git-")
	if err != nil {
		return nil, err
	}
	name := filepath.Base(src.repo)
	if err := os.Symlink(src.repo, filepath.Join(root, name)); err != nil {
		return nil, fmt.Errorf("preparing to serve %s: %w", src.repo, err)
	}
	server := gitserver.New(root)
	server.Stderr = stderr
	if _, err := server.Start(); err != nil {
		return nil, fmt.Errorf("serving %s over HTTP: %w", src.repo, err)
	}
	src.url = server.RepoURL(name)
	return server, nil
}

// createSync creates (or updates) the namespace, the source (a
// GitRepository or an OCIRepository) and the Kustomization that sync the
// repository, as `flux bootstrap` would. With
// registryHost, the Kustomization substitutes it for ${FERRY_DEV_REGISTRY}
// and takes more variables from the Secret ferry-dev-vars if it exists.
func createSync(ctx context.Context, c client.Client, namespace string, o *devOptions, src *syncSource, registryHost string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", namespace, err)
	}
	interval := metav1.Duration{Duration: o.interval}
	switch src.kind {
	case sourcev1.OCIRepositoryKind:
		or := &sourcev1.OCIRepository{ObjectMeta: metav1.ObjectMeta{Name: o.name, Namespace: namespace}}
		if _, err := controllerutil.CreateOrUpdate(ctx, c, or, func() error {
			or.Spec.URL = src.url
			or.Spec.Interval = interval
			or.Spec.Reference = &sourcev1.OCIRepositoryRef{Tag: src.tag, Digest: src.digest}
			or.Spec.Insecure = src.insecure
			return nil
		}); err != nil {
			return fmt.Errorf("creating OCIRepository %s: %w", o.name, err)
		}
	default:
		gr := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: o.name, Namespace: namespace}}
		if _, err := controllerutil.CreateOrUpdate(ctx, c, gr, func() error {
			gr.Spec.URL = src.url
			gr.Spec.Interval = interval
			gr.Spec.Reference = &sourcev1.GitRepositoryRef{Branch: src.branch}
			return nil
		}); err != nil {
			return fmt.Errorf("creating GitRepository %s: %w", o.name, err)
		}
	}
	ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Name: o.name, Namespace: namespace}}
	if _, err := controllerutil.CreateOrUpdate(ctx, c, ks, func() error {
		ks.Spec.Interval = interval
		ks.Spec.Path = src.path
		ks.Spec.Prune = true
		ks.Spec.SourceRef = kustomizev1.CrossNamespaceSourceReference{Kind: src.kind, Name: o.name}
		ks.Spec.PostBuild = nil
		if registryHost != "" {
			ks.Spec.PostBuild = &kustomizev1.PostBuild{
				Substitute:     map[string]string{devRegistryVar: registryHost},
				SubstituteFrom: []kustomizev1.SubstituteReference{{Kind: "Secret", Name: devVarsSecret, Optional: true}},
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("creating Kustomization %s: %w", o.name, err)
	}
	return nil
}

// reportFirstSync waits for the first sync of the repository and prints its
// outcome once: the GitRepository's failure to fetch, or the outcome of the
// Kustomization's first attempt at the fetched revision. A failure is
// reported but does not stop ferry dev, so the user can fix the repository
// and reconcile again. command is how to run ferry (see ferryCommand).
func (g *globals) reportFirstSync(ctx context.Context, c client.Client, kind string, key client.ObjectKey, command string) {
	var line string
	_ = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		src, err := source.Get(ctx, c, kind, key)
		ks := &kustomizev1.Kustomization{}
		if err != nil || c.Get(ctx, key, ks) != nil {
			return false, nil
		}
		line = firstSyncLine(kind, src, ks)
		return line != "", nil
	})
	if line == "" {
		line = fmt.Sprintf("◎ Kustomization %s has not finished its first sync yet; see '%s get kustomizations'", key.Name, command)
	}
	g.printf("%s", line)
}

// firstSyncLine returns the line that reports the first sync, or "" while it
// is not over. The sync is over when the GitRepository failed to produce an
// artifact, or when the Kustomization has finished an attempt at the
// artifact's revision. Until then a Kustomization failure is not reported:
// "has no artifact yet" only means the source is still fetching, and a
// watch on the source retries as soon as the artifact is stored.
func firstSyncLine(kind string, src sourcev1.Source, ks *kustomizev1.Kustomization) string {
	// Wait for the source's first artifact, or report why there is none.
	srcReady := currentReady(src.(interface {
		metav1.Object
		meta.ObjectWithConditions
	}))
	art := src.GetArtifact()
	switch {
	case srcReady == nil || srcReady.Status == metav1.ConditionUnknown:
		return ""
	case srcReady.Status == metav1.ConditionFalse:
		return fmt.Sprintf("✗ %s %s: %s", kind, src.GetName(), srcReady.Message)
	case art == nil:
		return ""
	}

	// Wait for the Kustomization's outcome for that revision.
	ready := currentReady(ks)
	if ready == nil || ready.Status == metav1.ConditionUnknown || ks.Status.LastAttemptedRevision != art.Revision {
		return ""
	}
	mark := "✗"
	if ready.Status == metav1.ConditionTrue {
		mark = "✔"
	}
	return fmt.Sprintf("%s %s %s: %s", mark, kustomizev1.KustomizationKind, ks.Name, ready.Message)
}

// currentReady returns obj's Ready condition when it was set for the
// current generation of obj, else nil.
func currentReady(obj interface {
	metav1.Object
	meta.ObjectWithConditions
}) *metav1.Condition {
	ready := apimeta.FindStatusCondition(obj.GetConditions(), meta.ReadyCondition)
	if ready == nil || ready.ObservedGeneration != obj.GetGeneration() {
		return nil
	}
	return ready
}

// ferryCommand returns how to run this ferry again, for the next steps ferry
// dev prints: "go run ./cmd/ferry" when the executable was built by go run,
// the bare name when arg0 (os.Args[0]) names this executable on the PATH,
// else the executable's absolute path. exe is os.Executable().
func ferryCommand(arg0, exe string) string {
	slashed := filepath.ToSlash(exe)
	if strings.Contains(slashed, "/go-build") && (strings.HasSuffix(slashed, "/exe/ferry") || strings.HasSuffix(slashed, "/exe/ferry.exe")) {
		return "go run ./cmd/ferry"
	}
	name := filepath.Base(arg0)
	if found, err := exec.LookPath(name); err == nil && sameFile(found, exe) {
		return name
	}
	invoked := exe
	if arg0 != name || exe == "" {
		invoked = absOr(arg0) // as invoked: a symlink keeps its name
	}
	return shellQuote(invoked)
}

// sameFile reports whether the paths a and b name the same existing file.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain
// path characters.
func shellQuote(s string) string {
	plain := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@=,", r)
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plain(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// displaySource names the synced repository without any credentials a URL
// may carry.
func displaySource(src *syncSource) string {
	if src.repo != "" {
		return src.repo
	}
	return git.RedactURL(src.url)
}

func gitOutput(dir string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func absOr(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
