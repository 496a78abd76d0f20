package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// fluxObject is an object of a Flux kind as the kind verbs read it: every
// Flux kind has conditions and spec.suspend.
type fluxObject interface {
	client.Object
	meta.ObjectWithConditions
	IsSuspended() bool
}

// kind describes one Flux kind to the verbs that act on any kind.
type kind struct {
	// gvk is the kind's API version and Kind.
	gvk schema.GroupVersionKind
	// plural names its objects in errors: "listing GitRepositories: ...".
	plural string
	// group is the command the kind's subcommands sit under, nil for a
	// kind directly under each verb.
	group *group
	// command is the kind's subcommand of each verb ("git",
	// "kustomization"), aliases its other names ("ks"). `get` lists a kind
	// outside a group under command+"s" ("get kustomizations"), command
	// then being the first alias, as Flux does.
	command string
	aliases []string
	// newObject and newList return an empty object and list of the kind.
	newObject func() fluxObject
	newList   func() client.ObjectList
	// setSuspend sets the object's spec.suspend.
	setSuspend func(obj fluxObject, suspend bool)
	// lastHandled is the reconcile request the controller last handled,
	// status.lastHandledReconcileAt.
	lastHandled func(obj fluxObject) string
	// revision is the REVISION column of `get`, and what a successful
	// reconciliation reports after done ("fetched revision main@sha1:...").
	// A kind without revisions (a Provider) has neither: its reconciliation
	// reports no outcome beyond Ready.
	revision func(obj fluxObject) string
	done     string
	// columns are the columns of `get` after NAME, of colRevision,
	// colSuspended, colReady and colMessage, as `flux get` shows the kind;
	// nil means all four.
	columns []string
	// sourceRef, when set, returns the Kind and key of the object's source
	// (an empty namespace is the object's own): `reconcile` then takes
	// --with-source, which reconciles that source first.
	sourceRef func(obj fluxObject) (kind string, key types.NamespacedName)
	// help is the Short and Example of the kind's subcommand of each verb.
	help kindHelp
}

// group is a command that groups kinds under each verb: "source" in `ferry
// export source git`, plural in `ferry get sources git` and in the help.
type group struct {
	name, plural string
}

// help is a command's Short and Example.
type help struct {
	short, example string
}

// kindHelp is the help of a kind's subcommand of each verb.
type kindHelp struct {
	get, export, suspend, resume, reconcile help
}

// noun is how messages name the kind: its command path under a verb
// ("source git", "kustomization").
func (k *kind) noun() string {
	if k.group == nil {
		return k.command
	}
	return k.group.name + " " + k.command
}

// list returns the kind's objects that opts select.
func (k *kind) list(ctx context.Context, c client.Client, opts ...client.ListOption) ([]fluxObject, error) {
	list := k.newList()
	if err := c.List(ctx, list, opts...); err != nil {
		return nil, fmt.Errorf("listing %s: %w", k.plural, err)
	}
	items, err := apimeta.ExtractList(list)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", k.plural, err)
	}
	objs := make([]fluxObject, len(items))
	for i, item := range items {
		objs[i] = item.(fluxObject)
	}
	return objs, nil
}

// names returns the names of the kind's objects in namespace.
func (k *kind) names(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	objs, err := k.list(ctx, c, client.InNamespace(namespace))
	if err != nil {
		return nil, err
	}
	names := make([]string, len(objs))
	for i, obj := range objs {
		names[i] = obj.GetName()
	}
	return names, nil
}

// target describes the kind's object at key for requestAndWait and
// waitReconciled.
func (k *kind) target(key types.NamespacedName) reconcileTarget {
	return reconcileTarget{kind: k, key: key, object: k.newObject()}
}

// revisionOf is obj's revision, "" for a kind without revisions.
func (k *kind) revisionOf(obj fluxObject) string {
	if k.revision == nil {
		return ""
	}
	return k.revision(obj)
}

// outcome says what a successful reconciliation of obj produced, e.g.
// "applied revision main@sha1:...". A done with a %s puts the revision
// there instead ("chose %s").
func (k *kind) outcome(obj fluxObject) string {
	rev := k.revisionOf(obj)
	switch {
	case strings.Contains(k.done, "%s"):
		return fmt.Sprintf(k.done, rev)
	case rev != "":
		return k.done + " revision " + rev
	}
	return k.done
}

// kindNamed returns the kind whose Kind is name, or nil.
func kindNamed(name string) *kind {
	for _, k := range kinds {
		if k.gvk.Kind == name {
			return k
		}
	}
	return nil
}

// artifactRevision is a source's revision: its artifact's.
func artifactRevision(obj fluxObject) string {
	if a := obj.(sourcev1.Source).GetArtifact(); a != nil {
		return a.Revision
	}
	return ""
}

// kindVerb is a verb with a subcommand per kind: `ferry <verb> [<group>]
// <kind> <args>`.
type kindVerb struct {
	// groupShort starts the Short of a group's command, which ends with the
	// group's plural: "Export" for "Export sources".
	groupShort string
	// plural names a group, and a kind outside one, by the plural, as `get`
	// does: "get sources git", "get kustomizations".
	plural bool
	// args is the usage of the arguments and nargs checks them; without
	// them a subcommand takes an optional "[NAME]".
	args  string
	nargs cobra.PositionalArgs
	// only, when set, limits the verb to the kinds it accepts.
	only func(k *kind) bool
	// help picks the kind's help for the verb.
	help func(kindHelp) help
	// flags, when set, adds the verb's own flags of kind k to its
	// subcommand.
	flags func(k *kind, sub *cobra.Command)
	// run runs the verb on kind k.
	run func(cmd *cobra.Command, k *kind, args []string) error
}

// addKindCommands adds v's subcommand of every kind to verb; a kind of a
// group goes under the group's command.
func addKindCommands(verb *cobra.Command, v kindVerb) {
	groups := map[*group]*cobra.Command{}
	for _, k := range kinds {
		if v.only != nil && !v.only(k) {
			continue
		}
		parent := verb
		if gr := k.group; gr != nil {
			if groups[gr] == nil {
				name := gr.name
				if v.plural {
					name = gr.plural
				}
				groups[gr] = &cobra.Command{Use: name, Short: v.groupShort + " " + gr.plural}
				verb.AddCommand(groups[gr])
			}
			parent = groups[gr]
		}
		name, aliases := k.command, k.aliases
		if v.plural && k.group == nil {
			name, aliases = k.command+"s", append([]string{k.command}, k.aliases...)
		}
		args, nargs := v.args, v.nargs
		if args == "" {
			args, nargs = "[NAME]", cobra.MaximumNArgs(1)
		}
		h := v.help(k.help)
		sub := &cobra.Command{
			Use:     name + " " + args,
			Aliases: aliases,
			Short:   h.short,
			Example: h.example,
			Args:    nargs,
			RunE: func(cmd *cobra.Command, args []string) error {
				return v.run(cmd, k, args)
			},
		}
		if v.flags != nil {
			v.flags(k, sub)
		}
		parent.AddCommand(sub)
	}
}
