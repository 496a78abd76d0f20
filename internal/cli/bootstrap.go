package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/version"
)

// bootstrapName names the GitRepository, Kustomization and Secret that
// sync the cluster from its path, as Flux's bootstrap names them.
const bootstrapName = "flux-system"

// The files bootstrap writes under <path>/ferry-system.
const (
	bootstrapDir            = "ferry-system"
	bootstrapComponentsFile = "ferry-components.yaml"
	bootstrapSyncFile       = "ferry-sync.yaml"
	bootstrapKustomizeFile  = "kustomization.yaml"
)

// bootstrapFlags are the flags of `bootstrap git`.
type bootstrapFlags struct {
	secretGitFlags
	install                               installFlags
	branch, path, authorName, authorEmail string
	interval, syncInterval, timeout       time.Duration
	export, waitReady                     bool
}

func newBootstrapCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "Install ferry into a cluster and make it manage itself from a Git repository",
	}
	cmd.AddCommand(newBootstrapGitCommand(g))
	return cmd
}

func newBootstrapGitCommand(g *globals) *cobra.Command {
	bf := &bootstrapFlags{}
	cmd := &cobra.Command{
		Use:   "git",
		Short: "Commit ferry's manifests and a sync of --path to a Git repository, apply them, and wait until ferry reconciles itself from Git",
		Long: `Bootstrap writes, under <path>/ferry-system in the repository, ferry's install
manifests (ferry-components.yaml), a GitRepository and a Kustomization named
flux-system that sync <path> (ferry-sync.yaml) and their kustomization.yaml;
commits and pushes them when they changed; applies them to the cluster of
the current kubeconfig context, with a Secret flux-system holding the
credentials given; and waits until the Kustomization has applied the pushed
commit: from then on ferry reconciles itself, and everything else under
<path>, from Git.

Running it again changes nothing when nothing changed; with a newer ferry (or
other --version, --image or --shards) it commits the new manifests and the
cluster upgrades through Git. Each cluster gets its own --path in the same
repository, e.g. clusters/staging and clusters/production.

The sync objects live in flux-system and ferry's controller in ferry-system;
with -n both live in that namespace.`,
		Example: `  # A cluster synced from clusters/staging, over HTTPS with a token
  ferry bootstrap git --url=https://github.com/acme/fleet --branch=main \
    --path=clusters/staging --username=git --password="$GITHUB_TOKEN"

  # The next cluster, same repository, over SSH
  ssh-keyscan github.com > known_hosts
  ferry bootstrap git --url=ssh://git@github.com/acme/fleet --branch=main \
    --path=clusters/production --private-key-file=./id_ed25519 --known-hosts-file=./known_hosts

  # Print the files bootstrap would commit
  ferry bootstrap git --url=https://github.com/acme/fleet --path=clusters/staging --export`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.runBootstrap(cmd, bf)
		},
	}
	f := cmd.Flags()
	bf.secretGitFlags.register(f, "Git repository URL, http(s):// or ssh://")
	f.StringVar(&bf.branch, "branch", "main", "branch to commit to and sync from")
	f.StringVar(&bf.path, "path", "", "directory of this cluster in the repository, e.g. clusters/staging")
	f.StringVar(&bf.authorName, "author-name", "ferry", "author of the bootstrap commit")
	f.StringVar(&bf.authorEmail, "author-email", "ferry@users.noreply.github.com", "e-mail of the author of the bootstrap commit")
	f.DurationVar(&bf.interval, "interval", time.Minute, "how often the GitRepository fetches the branch")
	f.DurationVar(&bf.syncInterval, "sync-interval", 10*time.Minute, "how often the Kustomization re-applies the path")
	f.DurationVar(&bf.timeout, "timeout", 5*time.Minute, "how long to wait for the Kustomization to apply the commit")
	f.BoolVar(&bf.export, "export", false, "print the files bootstrap would commit instead of doing anything")
	f.BoolVar(&bf.waitReady, "wait", true, "wait until the Kustomization has applied the pushed commit")
	bf.install.register(f)
	return cmd
}

// hasCredentials reports whether any credential flag was given.
func (bf *bootstrapFlags) hasCredentials() bool {
	return bf.username != "" || bf.password != "" || bf.bearerToken != "" || bf.privateKeyFile != "" || bf.knownHostsFile != "" || bf.caFile != ""
}

// bootstrapPath validates a directory in the repository: relative, inside
// it, not its root.
func bootstrapPath(p string) (string, error) {
	if p == "" {
		return "", errors.New("--path is required: the directory of this cluster in the repository, e.g. clusters/staging")
	}
	clean := path.Clean(strings.TrimPrefix(filepath.ToSlash(p), "./"))
	if path.IsAbs(clean) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") || strings.ContainsAny(clean, "\\\x00") {
		return "", fmt.Errorf("--path %q must be a directory inside the repository, e.g. clusters/staging", p)
	}
	return clean, nil
}

func (g *globals) runBootstrap(cmd *cobra.Command, bf *bootstrapFlags) error {
	start := time.Now()
	ctx := cmd.Context()
	if bf.url == "" {
		return errors.New("--url is required")
	}
	if err := git.ValidateURL(bf.url); err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	repoPath, err := bootstrapPath(bf.path)
	if err != nil {
		return err
	}
	syncNS := g.namespace
	objs, err := bf.install.objects(g, cmd)
	if err != nil {
		return err
	}
	var secret *corev1.Secret
	if bf.hasCredentials() {
		if secret, err = bf.secret(bootstrapName, syncNS); err != nil {
			return err
		}
	}
	files, sync, err := bootstrapFiles(objs, syncNS, repoPath, bf, secret != nil)
	if err != nil {
		return err
	}
	if bf.export {
		for _, name := range slices.Sorted(maps.Keys(files)) {
			fmt.Fprintf(g.out, "# %s\n%s", name, files[name])
		}
		return nil
	}

	// Refuse beside Flux before anything is pushed.
	c, err := g.client()
	if err != nil {
		return err
	}
	if _, err := refuseBesideFlux(ctx, c, bf.install.takeover); err != nil {
		return err
	}

	// Commit and push the files.
	var auth *git.Auth
	if secret != nil {
		data := map[string][]byte{}
		for k, v := range secret.StringData {
			data[k] = []byte(v)
		}
		if auth, err = git.AuthFromSecret(&corev1.Secret{Data: data}); err != nil {
			return err
		}
	}
	g.printf("► cloning branch %q from %s", bf.branch, git.RedactURL(bf.url))
	head, err := g.commitBootstrap(ctx, git.CloneOptions{URL: bf.url, Branch: bf.branch, Auth: auth}, bf, repoPath, files)
	if err != nil {
		return err
	}
	revision := git.Revision(bf.branch, head)

	// Apply ferry, the credentials and the sync.
	if err := g.applyInstall(ctx, c, objs, bf.install.takeover, bf.timeout); err != nil {
		return err
	}
	if secret != nil {
		secret.Labels = map[string]string{"app.kubernetes.io/part-of": "ferry"}
		if err := applyObject(ctx, c, secret); err != nil {
			return err
		}
		g.printf("✔ Secret %s/%s applied (the Git credentials; not committed)", syncNS, bootstrapName)
	}
	for _, obj := range sync {
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(config.FieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s: %w", objectName(obj), err)
		}
		g.printf("✔ %s applied", objectName(obj))
	}
	if !bf.waitReady {
		g.printf("✔ bootstrap finished in %s (not waiting for the sync: --wait=false)", time.Since(start).Round(100*time.Millisecond))
		return nil
	}
	if err := g.waitInstall(ctx, c, objs, bf.timeout); err != nil {
		return err
	}
	if err := g.waitBootstrapSync(ctx, c, syncNS, revision, bf.timeout); err != nil {
		return err
	}
	g.printf("✔ bootstrap finished in %s: ferry reconciles %s from %s", time.Since(start).Round(100*time.Millisecond), repoPath, revision)
	return nil
}

// bootstrapFiles renders the files of <path>/ferry-system and returns the
// sync objects among them, to apply.
func bootstrapFiles(objs []*unstructured.Unstructured, syncNS, repoPath string, bf *bootstrapFlags, withSecret bool) (map[string][]byte, []*unstructured.Unstructured, error) {
	components, err := config.MarshalManifests(objs)
	if err != nil {
		return nil, nil, err
	}
	header := fmt.Sprintf("# Written by ferry bootstrap %s; change it with 'ferry bootstrap git', not by hand.\n", version.Version)
	repo := &sourcev1.GitRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.GitRepositoryKind},
		ObjectMeta: metav1.ObjectMeta{Name: bootstrapName, Namespace: syncNS},
		Spec: sourcev1.GitRepositorySpec{
			URL: bf.url, Interval: metav1.Duration{Duration: bf.interval},
			Reference: &sourcev1.GitRepositoryRef{Branch: bf.branch},
		},
	}
	if withSecret {
		repo.Spec.SecretRef = &meta.LocalObjectReference{Name: bootstrapName}
	}
	ks := &kustomizev1.Kustomization{
		TypeMeta:   metav1.TypeMeta{APIVersion: kustomizev1.GroupVersion.String(), Kind: kustomizev1.KustomizationKind},
		ObjectMeta: metav1.ObjectMeta{Name: bootstrapName, Namespace: syncNS},
		Spec: kustomizev1.KustomizationSpec{
			Interval: metav1.Duration{Duration: bf.syncInterval}, Path: "./" + repoPath, Prune: true,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: bootstrapName},
		},
	}
	var sync []*unstructured.Unstructured
	if syncNS != installedIn(objs) {
		ns := &unstructured.Unstructured{}
		ns.SetAPIVersion("v1")
		ns.SetKind("Namespace")
		ns.SetName(syncNS)
		sync = append(sync, ns)
	}
	for _, obj := range []runtime.Object{repo, ks} {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, nil, err
		}
		u := &unstructured.Unstructured{Object: m}
		unstructured.RemoveNestedField(u.Object, "status")
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		sync = append(sync, u)
	}
	syncYAML, err := config.MarshalManifests(sync)
	if err != nil {
		return nil, nil, err
	}
	dir := repoPath + "/" + bootstrapDir + "/"
	files := map[string][]byte{
		dir + bootstrapComponentsFile: append([]byte(header), components...),
		dir + bootstrapSyncFile:       append([]byte(header), syncYAML...),
		dir + bootstrapKustomizeFile: []byte(header + "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" +
			"  - " + bootstrapComponentsFile + "\n  - " + bootstrapSyncFile + "\n"),
	}
	return files, sync, nil
}

// commitBootstrap checks the branch out, writes the files, and commits
// and pushes them when they changed; it returns the branch's head. A
// branch that moved in between is checked out again, once.
func (g *globals) commitBootstrap(ctx context.Context, opts git.CloneOptions, bf *bootstrapFlags, repoPath string, files map[string][]byte) (string, error) {
	for attempt := 0; ; attempt++ {
		dir, err := os.MkdirTemp("", "ferry-bootstrap-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(dir)
		ws, head, err := git.CheckoutForUpdate(ctx, filepath.Join(dir, "repo"), opts, bf.branch)
		if err != nil {
			return "", fmt.Errorf("checking out branch %q: %w (the branch must exist: push a first commit to an empty repository)", bf.branch, err)
		}
		names := slices.Sorted(maps.Keys(files))
		for _, name := range names {
			p := filepath.Join(ws.Dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return "", err
			}
			if err := os.WriteFile(p, files[name], 0o644); err != nil {
				return "", err
			}
		}
		hash, err := ws.Commit(git.CommitRequest{
			Files:   names,
			Author:  git.Signature{Name: bf.authorName, Email: bf.authorEmail, When: time.Now()},
			Message: fmt.Sprintf("Add ferry %s manifests for %s", version.Version, repoPath),
		})
		if errors.Is(err, git.ErrNothingToCommit) {
			g.printf("✔ the manifests in %s are up to date", git.RedactURL(opts.URL))
			return head.Hash, nil
		}
		if err != nil {
			return "", err
		}
		err = ws.Push(ctx, "", nil)
		if errors.Is(err, git.ErrRemoteMoved) && attempt == 0 {
			g.printf("◎ branch %q moved while committing: checking it out again", bf.branch)
			continue
		}
		if err != nil {
			return "", fmt.Errorf("pushing to branch %q: %w", bf.branch, err)
		}
		g.printf("✔ committed and pushed the manifests: %s", git.Revision(bf.branch, hash))
		return hash, nil
	}
}

// waitBootstrapSync asks the GitRepository to fetch now and waits until
// the Kustomization has applied revision.
func (g *globals) waitBootstrapSync(ctx context.Context, c client.Client, ns, revision string, timeout time.Duration) error {
	key := client.ObjectKey{Namespace: ns, Name: bootstrapName}
	repo := &sourcev1.GitRepository{}
	if err := c.Get(ctx, key, repo); err != nil {
		return fmt.Errorf("reading GitRepository %s: %w", key, err)
	}
	patch := client.MergeFrom(repo.DeepCopy())
	if repo.Annotations == nil {
		repo.Annotations = map[string]string{}
	}
	repo.Annotations[meta.ReconcileRequestAnnotation] = time.Now().Format(time.RFC3339Nano)
	if err := c.Patch(ctx, repo, patch); err != nil {
		return fmt.Errorf("requesting a reconcile of GitRepository %s: %w", key, err)
	}
	g.printf("◎ waiting for Kustomization %s to apply %s", key, revision)
	last := "not reconciled yet"
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		ks := &kustomizev1.Kustomization{}
		if err := c.Get(ctx, key, ks); err != nil {
			last = err.Error()
			return false, nil
		}
		ready := apimeta.FindStatusCondition(ks.Status.Conditions, meta.ReadyCondition)
		if ready != nil {
			last = ready.Message
		}
		return ks.Status.LastAppliedRevision == revision && ready != nil && ready.Status == metav1.ConditionTrue, nil
	})
	if err != nil {
		return fmt.Errorf("Kustomization %s did not apply %s within %s: %s (is ferry's controller running? 'ferry check', 'ferry logs --kind Kustomization')", key, revision, timeout, last)
	}
	g.printf("✔ Kustomization %s applied %s", key, revision)
	return nil
}

// applyObject server-side applies a typed object.
func applyObject(ctx context.Context, c client.Client, obj client.Object) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(config.FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s: %w", objectName(u), err)
	}
	return nil
}
