package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/config"
)

// ferrySelectors select the objects of ferry's installation: by the name
// label every one carries (whatever part-of says, flux with
// --flux-layout), and by part-of for an install from before the name
// label. Flux's own objects match neither.
var ferrySelectors = []client.MatchingLabels{{config.NameLabel: "ferry"}, {"app.kubernetes.io/part-of": "ferry"}}

func newUninstallCommand(g *globals) *cobra.Command {
	var keepNamespace, dryRun, silent bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove ferry's controller, CRDs and finalizers, leaving what it applied in place",
		Long: `Uninstall removes ferry from the cluster in the order that keeps every
workload it applied: first the controller Deployments (and waits until
their pods are gone, so that nothing prunes), then the finalizers of every
object of Flux's API, then the CRDs (which deletes those objects), RBAC,
Services, and the namespace (ferry-system, or the one -n names).
Deployments, Services and everything else Kustomizations and HelmReleases
applied stay as they are, unmanaged. With --dry-run the API server checks
each deletion without making it.`,
		Example: `  # See what would be removed
  ferry uninstall --dry-run

  # Remove ferry without asking, keep its namespace
  ferry uninstall --silent --keep-namespace`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ns := g.installNamespace(cmd)
			if !silent && !dryRun {
				ok, err := confirm(cmd.InOrStdin(), g.errOut, fmt.Sprintf("Remove ferry from namespace %s and the CRDs of Flux's API (every Kustomization, HelmRelease and source with them)? Workloads stay. [y/N] ", ns))
				if err != nil {
					return err
				}
				if !ok {
					return &exitError{code: 1, err: errors.New("uninstall cancelled")}
				}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			u := &uninstaller{g: g, c: c, ns: ns, dryRun: dryRun, keepNamespace: keepNamespace, timeout: timeout}
			if err := u.run(cmd.Context()); err != nil {
				return err
			}
			if dryRun {
				g.printf("✔ dry run finished: nothing was removed")
			} else {
				g.printf("✔ uninstall finished")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&keepNamespace, "keep-namespace", false, "leave the namespace ferry ran in")
	f.BoolVar(&dryRun, "dry-run", false, "let the API server check each deletion without making it")
	f.BoolVarP(&silent, "silent", "s", false, "do not ask for confirmation")
	f.DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for the controller's pods to stop")
	return cmd
}

// confirm asks question on w and reads the answer from r: "y" or "yes".
func confirm(r io.Reader, w io.Writer, question string) (bool, error) {
	fmt.Fprint(w, question)
	answer, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// uninstaller removes one installation of ferry.
type uninstaller struct {
	g                     *globals
	c                     client.Client
	ns                    string
	dryRun, keepNamespace bool
	timeout               time.Duration
}

func (u *uninstaller) run(ctx context.Context) error {
	// 1. Stop the controllers, so that no finalizer runs (it would prune).
	deployments, err := u.list(ctx, "Deployment", &appsv1.DeploymentList{}, true)
	if err != nil {
		return err
	}
	for _, d := range deployments {
		if err := u.delete(ctx, d, "Deployment"); err != nil {
			return err
		}
	}
	if !u.dryRun && len(deployments) > 0 {
		u.g.printf("◎ waiting for the controller's pods to stop")
		if err := u.waitPodsGone(ctx); err != nil {
			return err
		}
		u.g.printf("✔ the controller's pods are gone")
	}

	// 2. Remove the finalizers of Flux's objects, then 3. the CRDs.
	removed := 0
	for _, k := range kinds {
		objs, err := k.list(ctx, u.c)
		if err != nil {
			if isNoKind(err) {
				continue
			}
			return err
		}
		for _, obj := range objs {
			if len(obj.GetFinalizers()) == 0 {
				continue
			}
			patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
			obj.SetFinalizers(nil)
			if err := u.c.Patch(ctx, obj, patch, u.opts()...); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("removing the finalizers of %s %s/%s: %w", k.gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
			}
			removed++
		}
	}
	u.g.printf("✔ finalizers removed from %d object(s)", removed)
	crds, err := config.CRDs()
	if err != nil {
		return err
	}
	for _, crd := range crds {
		obj := &unstructured.Unstructured{}
		obj.SetAPIVersion("apiextensions.k8s.io/v1")
		obj.SetKind("CustomResourceDefinition")
		obj.SetName(crd.Name)
		if err := u.delete(ctx, obj, "CustomResourceDefinition"); err != nil {
			return err
		}
	}

	// 4. The rest of the installation.
	for _, list := range []struct {
		kind       string
		list       client.ObjectList
		namespaced bool
	}{
		{"Service", &corev1.ServiceList{}, true},
		{"ServiceAccount", &corev1.ServiceAccountList{}, true},
		{"ClusterRoleBinding", &rbacv1.ClusterRoleBindingList{}, false},
		{"ClusterRole", &rbacv1.ClusterRoleList{}, false},
	} {
		items, err := u.list(ctx, list.kind, list.list, list.namespaced)
		if err != nil {
			return err
		}
		for _, obj := range items {
			if err := u.delete(ctx, obj, list.kind); err != nil {
				return err
			}
		}
	}
	if !u.keepNamespace {
		ns := &corev1.Namespace{}
		ns.Name = u.ns
		if err := u.delete(ctx, ns, "Namespace"); err != nil {
			return err
		}
	}
	return nil
}

// list lists the objects of ferry's installation of one kind (in its
// namespace when namespaced), each once.
func (u *uninstaller) list(ctx context.Context, kind string, list client.ObjectList, namespaced bool) ([]client.Object, error) {
	var objs []client.Object
	seen := map[string]bool{}
	for _, sel := range ferrySelectors {
		opts := []client.ListOption{sel}
		if namespaced {
			opts = append(opts, client.InNamespace(u.ns))
		}
		// A list of its own each time: the items of the last stay valid.
		l := list.DeepCopyObject().(client.ObjectList)
		if err := u.c.List(ctx, l, opts...); err != nil {
			return nil, fmt.Errorf("listing ferry's %ss: %w", kind, err)
		}
		items, err := listItems(l)
		if err != nil {
			return nil, err
		}
		for _, obj := range items {
			if key := obj.GetNamespace() + "/" + obj.GetName(); !seen[key] {
				seen[key] = true
				objs = append(objs, obj)
			}
		}
	}
	return objs, nil
}

// opts are the options of each change: server-side dry run with
// --dry-run.
func (u *uninstaller) opts() []client.PatchOption {
	if u.dryRun {
		return []client.PatchOption{client.DryRunAll}
	}
	return nil
}

// delete deletes obj (in the background: the API server collects what it
// owns), printing what it removed; one already gone is not an error.
func (u *uninstaller) delete(ctx context.Context, obj client.Object, kind string) error {
	opts := []client.DeleteOption{client.PropagationPolicy("Background")}
	if u.dryRun {
		opts = append(opts, client.DryRunAll)
	}
	name := kind + "/" + obj.GetName()
	if obj.GetNamespace() != "" {
		name = kind + "/" + obj.GetNamespace() + "/" + obj.GetName()
	}
	if err := u.c.Delete(ctx, obj, opts...); err != nil {
		if apierrors.IsNotFound(err) || isNoKind(err) {
			return nil
		}
		return fmt.Errorf("deleting %s: %w", name, err)
	}
	if u.dryRun {
		u.g.printf("► %s would be deleted", name)
	} else {
		u.g.printf("✔ %s deleted", name)
	}
	return nil
}

// waitPodsGone waits until no pod of ferry's controller runs in the
// namespace.
func (u *uninstaller) waitPodsGone(ctx context.Context) error {
	var left int
	err := wait.PollUntilContextTimeout(ctx, time.Second, u.timeout, true, func(ctx context.Context) (bool, error) {
		var pods corev1.PodList
		if err := u.c.List(ctx, &pods, client.InNamespace(u.ns), client.MatchingLabels{"app.kubernetes.io/name": "ferry"}); err != nil {
			return false, nil
		}
		left = len(pods.Items)
		return left == 0, nil
	})
	if err != nil {
		return fmt.Errorf("%d pod(s) of ferry's controller still run in %s after %s: nothing else was removed; delete them ('kubectl -n %s delete pod -l app.kubernetes.io/name=ferry') and run uninstall again", left, u.ns, u.timeout, u.ns)
	}
	return nil
}

// listItems returns the items of a typed list as objects.
func listItems(list client.ObjectList) ([]client.Object, error) {
	items, err := apimeta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	objs := make([]client.Object, 0, len(items))
	for _, it := range items {
		if obj, ok := it.(client.Object); ok {
			objs = append(objs, obj)
		}
	}
	return objs, nil
}

// isNoKind reports an error of a kind the API server does not serve: its
// CRD is gone (a list of it is then Not Found).
func isNoKind(err error) bool {
	return apimeta.IsNoMatchError(err) || apierrors.IsNotFound(err)
}
