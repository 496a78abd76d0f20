package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/build"
	"github.com/ferrycd/ferry/internal/controller/kustomization"
	"github.com/ferrycd/ferry/internal/diff"
)

// localBuildFlags are the flags `build` and `diff` share.
type localBuildFlags struct {
	path              string
	kustomizationFile string
	dryRun            bool
	recursive         bool
	localSources      []string
	ignorePaths       []string

	// filtered maps a build root to its copy without what --ignore-paths
	// excludes; cleanup removes the copies.
	filtered map[string]string
	cleanup  []func()
}

func (f *localBuildFlags) register(cmd *cobra.Command, dryRun bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.path, "path", "", "local directory to build, the counterpart of the Kustomization's spec.path (required)")
	fl.StringVar(&f.kustomizationFile, "kustomization-file", "", "read the Flux Kustomization from this YAML file instead of the cluster")
	fl.BoolVarP(&f.recursive, "recursive", "r", false, "also build the Kustomizations found in the build, from --local-sources or, when they use the same source, the same checkout")
	fl.StringSliceVar(&f.localSources, "local-sources", nil, "local directories of sources for --recursive, '<kind>/<namespace>/<name>=<dir>'; comma separated or repeated")
	fl.StringSliceVar(&f.ignorePaths, "ignore-paths", nil, "paths to leave out of the build, in .gitignore format relative to the checkout, as a GitRepository's spec.ignore; comma separated or repeated")
	if dryRun {
		fl.BoolVar(&f.dryRun, "dry-run", false, "do not contact the cluster: needs --kustomization-file; spec.postBuild.substituteFrom is skipped")
	}
}

// secretMask replaces the values of Secrets in build and diff output.
const secretMask = diff.Mask

func newBuildCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build Kustomizations and render HelmReleases locally, as the controllers would",
	}
	cmd.AddCommand(newBuildKustomizationCommand(g), newBuildHelmReleaseCommand(g))
	return cmd
}

func newBuildKustomizationCommand(g *globals) *cobra.Command {
	f := &localBuildFlags{}
	cmd := &cobra.Command{
		Use:     "kustomization NAME",
		Aliases: []string{"ks"},
		Short:   "Build a local directory with a Kustomization's spec and print the objects as YAML",
		Long: `Build a local directory with the spec of the Kustomization NAME (from the
cluster, or from --kustomization-file): targetNamespace, namePrefix/nameSuffix,
patches, images, components, commonMetadata and postBuild substitution with
the values of its ConfigMaps and Secrets. The objects carry the owner labels
the controller sets. The values of Secrets, and values read from Secrets
wherever they were substituted, are printed as *** (base64-encoded in a
Secret's data, and without SOPS metadata, so the output stays valid for
kubectl apply --dry-run=server).`,
		Example: `  # Preview what the Kustomization apps would apply from a checkout
  ferry build kustomization apps --path ./apps/staging

  # Without a cluster, from a Kustomization written in YAML
  ferry build ks apps --path ./apps/staging --kustomization-file ./clusters/staging/apps.yaml --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer f.done()
			builds, err := g.localBuilds(cmd.Context(), args[0], f)
			if err != nil {
				return err
			}
			for _, lb := range builds {
				for _, obj := range lb.objects {
					data, err := yaml.Marshal(lb.masked(obj).Object)
					if err != nil {
						return fmt.Errorf("encoding %s: %w", objectRef(obj), err)
					}
					fmt.Fprintf(g.out, "---\n%s", data)
				}
			}
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

// localBuildResult is a local build of a Kustomization.
type localBuildResult struct {
	ks      *kustomizev1.Kustomization
	objects []*unstructured.Unstructured
	sub     *build.Substitution
	// root is the directory the build was confined to.
	root string
}

// localBuild builds f.path with the spec of the Kustomization name, as the
// controller would build spec.path of its artifact, and sets the owner
// labels on the objects.
func (g *globals) localBuild(ctx context.Context, name string, f *localBuildFlags) (*localBuildResult, error) {
	if f.path == "" {
		return nil, errors.New("--path is required")
	}
	if f.dryRun && f.kustomizationFile == "" {
		return nil, errors.New("--dry-run needs --kustomization-file: without the cluster the Kustomization must come from a file")
	}
	info, err := os.Stat(f.path)
	if err != nil {
		return nil, fmt.Errorf("--path: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("--path %q is not a directory", f.path)
	}
	var ks *kustomizev1.Kustomization
	if f.kustomizationFile != "" {
		if ks, err = readFluxObjectFile(f.kustomizationFile, name, "--kustomization-file", kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind), func() *kustomizev1.Kustomization { return &kustomizev1.Kustomization{} }); err != nil {
			return nil, err
		}
		if ks.Namespace == "" {
			ks.Namespace = g.namespace
		}
	}
	if ks == nil {
		c, err := g.client()
		if err != nil {
			return nil, err
		}
		key := types.NamespacedName{Namespace: g.namespace, Name: name}
		ks = &kustomizev1.Kustomization{}
		if err := c.Get(ctx, key, ks); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("Kustomization '%s' not found", key)
			}
			return nil, fmt.Errorf("getting Kustomization '%s': %w", key, err)
		}
	}
	sub, err := g.loadSubstitution(ctx, ks, f.dryRun)
	if err != nil {
		return nil, err
	}
	root, rel, err := buildRoot(f.path)
	if err != nil {
		return nil, err
	}
	if root, err = f.filteredRoot(ctx, root); err != nil {
		return nil, err
	}
	return g.buildAt(ctx, ks, sub, root, rel, f.path)
}

// filteredRoot returns root itself without --ignore-paths; with it, a copy
// of root without what the patterns (and .sourceignore files) exclude, made
// as a GitRepository's artifact with spec.ignore would be, so the build
// sees what the controller's would.
func (f *localBuildFlags) filteredRoot(ctx context.Context, root string) (string, error) {
	if len(f.ignorePaths) == 0 {
		return root, nil
	}
	if dir, ok := f.filtered[root]; ok {
		return dir, nil
	}
	tmp, err := os.MkdirTemp("", "ferry-build-")
	if err != nil {
		return "", err
	}
	f.cleanup = append(f.cleanup, func() { _ = os.RemoveAll(tmp) })
	spec := strings.Join(f.ignorePaths, "\n")
	filter, err := artifact.IgnoreFilter(root, &spec)
	if err != nil {
		return "", fmt.Errorf("--ignore-paths: %w", err)
	}
	storage, err := artifact.NewStorage(filepath.Join(tmp, "storage"), "localhost")
	if err != nil {
		return "", err
	}
	a, err := storage.Archive("build", "local", "checkout", "local", root, artifact.WithFilter(filter))
	if err != nil {
		return "", fmt.Errorf("--ignore-paths: %w", err)
	}
	dir := filepath.Join(tmp, "checkout")
	if err := (&artifact.Fetcher{Storage: storage}).Fetch(ctx, a, dir); err != nil {
		return "", fmt.Errorf("--ignore-paths: %w", err)
	}
	if f.filtered == nil {
		f.filtered = map[string]string{}
	}
	f.filtered[root] = dir
	return dir, nil
}

// done removes what the builds left behind.
func (f *localBuildFlags) done() {
	for _, c := range f.cleanup {
		c()
	}
}

// loadSubstitution returns the postBuild variables of ks: from the cluster
// (substituteFrom), or only spec.postBuild.substitute with --dry-run.
func (g *globals) loadSubstitution(ctx context.Context, ks *kustomizev1.Kustomization, dryRun bool) (*build.Substitution, error) {
	if dryRun {
		if ks.Spec.PostBuild != nil && len(ks.Spec.PostBuild.SubstituteFrom) > 0 {
			g.printf("⚠ --dry-run: spec.postBuild.substituteFrom of Kustomization '%s/%s' is not read", ks.Namespace, ks.Name)
		}
		if ks.Spec.PostBuild != nil && len(ks.Spec.PostBuild.Substitute) > 0 {
			return &build.Substitution{Vars: ks.Spec.PostBuild.Substitute}, nil
		}
		return nil, nil
	}
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	sub, err := build.LoadSubstitution(ctx, c, ks)
	if err != nil {
		return nil, fmt.Errorf("Kustomization '%s/%s': %w", ks.Namespace, ks.Name, err)
	}
	return sub, nil
}

// buildAt builds rel inside root with the spec of ks and sets the owner
// labels; shown names the directory in messages.
func (g *globals) buildAt(ctx context.Context, ks *kustomizev1.Kustomization, sub *build.Substitution, root, rel, shown string) (*localBuildResult, error) {
	opts := build.FromSpec(root, &ks.Spec)
	opts.Path = rel
	opts.Substitution = sub
	opts.Warn = func(w build.Warning) { g.printf("⚠ %s", sub.Mask(w.Message)) }
	objs, err := build.Build(ctx, opts)
	if err != nil {
		msg := sub.Mask(err.Error())
		if errors.Is(err, build.ErrPathOutsideRoot) || errors.Is(err, build.ErrReadOutsideRoot) {
			msg += " (the build is confined to the Git checkout --path is in, " + root + ", as the controller's is to the artifact; outside a checkout, to --path itself)"
		}
		return nil, fmt.Errorf("building %s: %s", shown, msg)
	}
	kustomization.Owner(ks).SetLabels(objs)
	return &localBuildResult{ks: ks, objects: objs, sub: sub, root: root}, nil
}

// localBuilds is localBuild, followed with --recursive by the builds of the
// Kustomizations found in the objects built, in the order found: each from
// its local source (--local-sources), or, when it uses the same source as
// the Kustomization that applies it, from the same checkout.
func (g *globals) localBuilds(ctx context.Context, name string, f *localBuildFlags) ([]*localBuildResult, error) {
	sources := map[string]string{}
	for _, ls := range f.localSources {
		ref, dir, ok := strings.Cut(ls, "=")
		parts := strings.Split(ref, "/")
		if !ok || dir == "" || len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return nil, fmt.Errorf("--local-sources %q must be '<kind>/<namespace>/<name>=<dir>'", ls)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("--local-sources %q: %w", ls, err)
		}
		sources[strings.ToLower(ref)] = abs
	}
	if len(sources) > 0 && !f.recursive {
		return nil, errors.New("--local-sources needs --recursive")
	}
	first, err := g.localBuild(ctx, name, f)
	if err != nil {
		return nil, err
	}
	results := []*localBuildResult{first}
	if !f.recursive {
		return results, nil
	}
	seen := map[string]bool{first.ks.Namespace + "/" + first.ks.Name: true}
	for i := 0; i < len(results); i++ {
		parent := results[i]
		for _, obj := range parent.objects {
			if obj.GetKind() != kustomizev1.KustomizationKind || obj.GroupVersionKind().Group != kustomizev1.GroupVersion.Group {
				continue
			}
			child := &kustomizev1.Kustomization{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, child); err != nil {
				return nil, fmt.Errorf("reading %s: %w", objectRef(obj), err)
			}
			if child.Namespace == "" {
				child.Namespace = parent.ks.Namespace
			}
			key := child.Namespace + "/" + child.Name
			if seen[key] {
				continue
			}
			seen[key] = true
			srcNS := child.Spec.SourceRef.Namespace
			if srcNS == "" {
				srcNS = child.Namespace
			}
			parentNS := parent.ks.Spec.SourceRef.Namespace
			if parentNS == "" {
				parentNS = parent.ks.Namespace
			}
			ref := child.Spec.SourceRef.Kind + "/" + srcNS + "/" + child.Spec.SourceRef.Name
			root, ok := sources[strings.ToLower(ref)]
			if !ok && child.Spec.SourceRef.Kind == parent.ks.Spec.SourceRef.Kind &&
				child.Spec.SourceRef.Name == parent.ks.Spec.SourceRef.Name && srcNS == parentNS {
				root, ok = parent.root, true
			}
			if !ok {
				g.printf("⚠ skipping Kustomization '%s': its source %s is not local (give it with --local-sources %s=DIR)", key, ref, ref)
				continue
			}
			sub, err := g.loadSubstitution(ctx, child, f.dryRun)
			if err != nil {
				return nil, err
			}
			if root, err = f.filteredRoot(ctx, root); err != nil {
				return nil, err
			}
			res, err := g.buildAt(ctx, child, sub, root, child.Spec.Path, "Kustomization '"+key+"' ("+child.Spec.Path+")")
			if err != nil {
				return nil, err
			}
			results = append(results, res)
		}
	}
	return results, nil
}

// buildRoot returns the directory the build is confined to and dir
// relative to it: the top of the Git checkout dir is in, so that bases and
// components elsewhere in the repository resolve as in the artifact, or dir
// itself outside a checkout.
func buildRoot(dir string) (root, rel string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", fmt.Errorf("--path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			rel, err := filepath.Rel(d, abs)
			if err != nil {
				return "", "", fmt.Errorf("--path: %w", err)
			}
			return d, filepath.ToSlash(rel), nil
		}
		if filepath.Dir(d) == d {
			return abs, ".", nil
		}
	}
}

// masked returns a copy of obj safe to print: the values of a Secret's data
// and stringData are replaced by ***, and values read from Secrets during
// substitution are masked wherever they appear.
func (lb *localBuildResult) masked(obj *unstructured.Unstructured) *unstructured.Unstructured {
	out := obj.DeepCopy()
	maskSecretData(out)
	if lb.sub != nil && len(lb.sub.Sensitive) > 0 {
		out.Object = diff.MaskStrings(out.Object, lb.sub).(map[string]any)
	}
	return out
}

// maskSecretData replaces the values of a Secret's data (with the base64 of
// the mask, so that the output stays a valid Secret) and stringData, and
// drops the SOPS metadata of an encrypted one (recipients, encrypted data
// keys; no Kubernetes field), as flux build does: the output can be piped
// into kubectl apply --dry-run=server.
func maskSecretData(obj *unstructured.Unstructured) {
	if obj == nil || obj.GetKind() != "Secret" || obj.GroupVersionKind().Group != "" {
		return
	}
	masks := map[string]string{"data": base64.StdEncoding.EncodeToString([]byte(secretMask)), "stringData": secretMask}
	for field, mask := range masks {
		m, ok := obj.Object[field].(map[string]any)
		if !ok {
			continue
		}
		for k := range m {
			m[k] = mask
		}
	}
	delete(obj.Object, "sops")
}

// objectRef formats an object as Flux's CLI does: Kind/namespace/name, or
// Kind/name when it is cluster-scoped.
func objectRef(obj *unstructured.Unstructured) string { return diff.Ref(obj) }
