package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fluxcd/cli-utils/pkg/object"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/trace"
)

func newTraceCommand(g *globals) *cobra.Command {
	var apiVersion, kindFlag string
	cmd := &cobra.Command{
		Use:   "trace KIND/NAME",
		Short: "Show which Kustomization or HelmRelease manages an object, from which source and revision, and whether it is in sync",
		Long: `Trace reads the object and follows the labels Flux and Helm write on what they
apply (kustomize.toolkit.fluxcd.io/name, helm.toolkit.fluxcd.io/name, Helm's
meta.helm.sh/release-name) to the Kustomization or HelmRelease that manages
it, that one's sources, and on up to what manages the manager. It says
whether the object is in the manager's inventory and whether the manager
applied its source's latest revision. It exits 1 when no manager is found.`,
		Example: `  # Where does this Deployment come from?
  ferry trace deployment/podinfo -n apps

  # The same, as flux trace spells it
  ferry trace podinfo --kind Deployment --api-version apps/v1 -n apps

  # What manages a Kustomization
  ferry trace kustomization/apps -n flux-system`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name := kindFlag, args[0]
			switch {
			case len(args) == 2:
				kind, name = args[0], args[1]
			case strings.Contains(name, "/"):
				kind, name, _ = strings.Cut(name, "/")
			}
			if kind == "" || name == "" {
				return fmt.Errorf("trace %s: give the object as KIND/NAME, e.g. deployment/podinfo, or NAME with --kind", strings.Join(args, " "))
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			dc, err := g.discovery()
			if err != nil {
				return err
			}
			// Short names ("cm", "deploy") as kubectl takes them.
			mapper := restmapper.NewShortcutExpander(c.RESTMapper(), memory.NewMemCacheClient(dc), func(string) {})
			return g.runTrace(cmd.Context(), c, mapper, apiVersion, kind, name)
		},
	}
	cmd.Flags().StringVar(&apiVersion, "api-version", "", "API version or group of the object's kind, e.g. apps/v1 (default: the kind's preferred version)")
	cmd.Flags().StringVar(&kindFlag, "kind", "", "the object's kind, when the argument is only its name")
	return cmd
}

// runTrace prints the object, then each manager up the chain with its
// sources, in blocks separated by "---".
func (g *globals) runTrace(ctx context.Context, c client.Client, mapper apimeta.RESTMapper, apiVersion, kind, name string) error {
	mapping, err := trace.ResolveKind(mapper, apiVersion, kind)
	if err != nil {
		if apimeta.IsNoMatchError(err) {
			return fmt.Errorf("the cluster has no kind %s in %s: check the kind and --api-version", kind, trace.GroupName(apiVersion))
		}
		return fmt.Errorf("finding kind %s: %w", kind, err)
	}
	gvk := mapping.GroupVersionKind
	ns := g.namespace
	if mapping.Scope.Name() == apimeta.RESTScopeNameRoot {
		ns = ""
	}
	// Only the metadata of a Secret is read: its data is never needed.
	obj := &metav1.PartialObjectMetadata{}
	obj.SetGroupVersionKind(gvk)
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("%s %s not found%s", gvk.Kind, name, inNamespace(ns))
		}
		return fmt.Errorf("reading %s %s%s: %w", gvk.Kind, name, inNamespace(ns), err)
	}

	tw := tabwriter.NewWriter(g.out, 0, 0, 1, ' ', 0)
	defer tw.Flush()
	line(tw, "Object", gvk.Kind+"/"+name)
	if ns != "" {
		line(tw, "Namespace", ns)
	}
	id := object.ObjMetadata{Namespace: ns, Name: name, GroupKind: gvk.GroupKind()}
	labels, annotations := obj.GetLabels(), obj.GetAnnotations()
	all := func(string, string) bool { return true }
	seen := map[trace.Ref]bool{{Kind: gvk.Kind, Namespace: ns, Name: name}: true}
	for depth := 0; depth < trace.MaxDepth; depth++ {
		m, via, ok, err := trace.ManagerOf(ctx, c, all, labels, annotations)
		if err != nil {
			return err
		}
		if !ok {
			if depth == 0 {
				line(tw, "Status", "Not managed by Flux or ferry: no "+kustomizev1.NameLabel+" or "+trace.HelmNameLabel+" labels, no Helm release annotations")
				tw.Flush()
				return &exitError{code: 1, err: fmt.Errorf("%s/%s is not managed by a Kustomization or HelmRelease", gvk.Kind, name)}
			}
			return nil
		}
		if seen[m] {
			fmt.Fprintf(tw, "---\n")
			line(tw, m.Kind, m.Name+" (manages itself, as a bootstrap Kustomization does)")
			return nil
		}
		seen[m] = true
		k := kindNamed(m.Kind)
		mgr := k.newObject()
		if err := c.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Name}, mgr); err != nil {
			if !apierrors.IsNotFound(err) {
				return fmt.Errorf("reading %s %s/%s: %w", m.Kind, m.Namespace, m.Name, err)
			}
			line(tw, "Status", fmt.Sprintf("Labelled by %s %s/%s (%s), which does not exist: nothing manages it now", m.Kind, m.Namespace, m.Name, via))
			return &exitError{code: 1, err: fmt.Errorf("the %s that %s/%s names does not exist", m.Kind, gvk.Kind, name)}
		}
		sources, missing, err := g.sourceChain(ctx, c, k, mgr)
		if err != nil {
			return err
		}
		if depth == 0 {
			line(tw, "Status", "Managed by "+m.Kind+" "+m.Namespace+"/"+m.Name)
			line(tw, "Sync", syncState(k, mgr, id, sources))
		}
		fmt.Fprintf(tw, "---\n")
		printTraceBlock(tw, k, mgr)
		for _, src := range sources {
			fmt.Fprintf(tw, "---\n")
			printTraceBlock(tw, src.kind, src.object)
		}
		if missing != "" {
			fmt.Fprintf(tw, "---\n")
			line(tw, "Source", missing)
			line(tw, "Status", "Not found: the source does not exist")
		}
		id = object.ObjMetadata{Namespace: m.Namespace, Name: m.Name, GroupKind: k.gvk.GroupKind()}
		labels, annotations = mgr.GetLabels(), mgr.GetAnnotations()
	}
	return nil
}

// sourceChain reads obj's source, that one's source, and so on (a
// HelmRelease's HelmChart, then its HelmRepository). When one does not
// exist, missing names it and the chain ends there.
func (g *globals) sourceChain(ctx context.Context, c client.Client, k *kind, obj fluxObject) (chain []listedObject, missing string, err error) {
	for k.sourceRef != nil && len(chain) < trace.MaxDepth {
		srcKind, key := k.sourceRef(obj)
		if key.Namespace == "" {
			key.Namespace = obj.GetNamespace()
		}
		sk := kindNamed(srcKind)
		if sk == nil {
			return chain, "", nil
		}
		src := sk.newObject()
		if err := c.Get(ctx, key, src); err != nil {
			if apierrors.IsNotFound(err) {
				return chain, srcKind + " " + key.String(), nil
			}
			return nil, "", fmt.Errorf("reading %s %s: %w", srcKind, key, err)
		}
		chain = append(chain, listedObject{sk, src})
		k, obj = sk, src
	}
	return chain, "", nil
}

// syncState says whether the object is in the manager's inventory and
// whether the manager applied its source's latest revision.
func syncState(k *kind, mgr fluxObject, id object.ObjMetadata, sources []listedObject) string {
	var inv *kustomizev1.ResourceInventory
	switch o := mgr.(type) {
	case *kustomizev1.Kustomization:
		inv = o.Status.Inventory
	case *helmv2.HelmRelease:
		inv = o.Status.Inventory
	}
	if inv != nil && !inInventory(inv, id) {
		return "Not in the inventory of " + k.gvk.Kind + " " + mgr.GetName() + ": it carries the labels but is not applied by it (a copy, or left over), and will not be pruned"
	}
	applied := k.revisionOf(mgr)
	ready := apimeta.FindStatusCondition(mgr.GetConditions(), meta.ReadyCondition)
	latest := ""
	if len(sources) > 0 {
		latest = sources[0].kind.revisionOf(sources[0].object)
	}
	switch {
	case mgr.IsSuspended():
		return "Suspended: changes in Git are not applied until 'ferry resume " + k.noun() + " " + mgr.GetName() + "'"
	case ready == nil:
		return "Unknown: " + k.gvk.Kind + " " + mgr.GetName() + " has not been reconciled yet"
	case ready.Status != metav1.ConditionTrue:
		return "Out of sync: " + k.gvk.Kind + " " + mgr.GetName() + " is not Ready: " + oneLine(ready.Message)
	case latest != "" && applied != "" && !sameRevision(applied, latest):
		return "Out of sync: applied " + applied + ", the source is at " + latest
	case applied != "":
		return "In sync: revision " + applied + " applied"
	}
	return "In sync"
}

// sameRevision compares an applied revision with a source's: a
// HelmRelease applies chart version "6.5.4" of a HelmChart at "6.5.4" or
// "6.5.4@sha256:...".
func sameRevision(applied, latest string) bool {
	return applied == latest || strings.HasPrefix(latest, applied+"@")
}

// inInventory reports whether the inventory lists the object.
func inInventory(inv *kustomizev1.ResourceInventory, id object.ObjMetadata) bool {
	want := id.String()
	for _, e := range inv.Entries {
		if e.ID == want {
			return true
		}
	}
	return false
}

// printTraceBlock writes one Flux object's block: its kind and name, what
// it reads or applies, its revision and its Ready condition.
func printTraceBlock(w io.Writer, k *kind, obj fluxObject) {
	line(w, k.gvk.Kind, obj.GetName())
	line(w, "Namespace", obj.GetNamespace())
	spec := map[string]any{}
	if u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj); err == nil {
		spec, _, _ = unstructured.NestedMap(u, "spec")
	}
	str := func(key string) string { v, _ := spec[key].(string); return v }
	switch o := obj.(type) {
	case *kustomizev1.Kustomization:
		if o.Spec.TargetNamespace != "" {
			line(w, "Target", o.Spec.TargetNamespace)
		}
		line(w, "Path", orDot(o.Spec.Path))
	case *helmv2.HelmRelease:
		line(w, "Release", o.GetReleaseNamespace()+"/"+o.GetReleaseName())
		if c := o.Spec.Chart; c != nil {
			line(w, "Chart", strings.TrimSpace(c.Spec.Chart+" "+c.Spec.Version))
		}
	}
	if u := str("url"); u != "" {
		line(w, "URL", git.RedactURL(u))
	}
	if ref, ok := spec["ref"].(map[string]any); ok {
		var keys []string
		for key := range ref {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			if v, ok := ref[key].(string); ok && v != "" {
				line(w, strings.ToUpper(key[:1])+key[1:], v)
			}
		}
	}
	if chart := str("chart"); chart != "" {
		line(w, "Chart", strings.TrimSpace(chart+" "+str("version")))
	}
	if rev := k.revisionOf(obj); rev != "" {
		line(w, "Revision", rev)
	}
	if obj.IsSuspended() {
		line(w, "Suspended", "True")
	}
	ready := apimeta.FindStatusCondition(obj.GetConditions(), meta.ReadyCondition)
	if ready == nil {
		line(w, "Status", "Unknown: waiting to be reconciled")
		return
	}
	status := "Ready"
	if ready.Status != metav1.ConditionTrue {
		status = "Not ready (" + ready.Reason + ")"
	}
	if !ready.LastTransitionTime.IsZero() {
		status += ", since " + ready.LastTransitionTime.UTC().Format(time.RFC3339)
	}
	line(w, "Status", status)
	line(w, "Message", oneLine(ready.Message))
}

// line writes "key:\tvalue".
func line(w io.Writer, key, value string) { fmt.Fprintf(w, "%s:\t%s\n", key, value) }

// orDot is a Kustomization's path as Flux defaults it.
func orDot(path string) string {
	if path == "" {
		return "./"
	}
	return path
}

// inNamespace is " in namespace NS", or "" for a cluster-scoped object.
func inNamespace(ns string) string {
	if ns == "" {
		return ""
	}
	return " in namespace " + ns
}
