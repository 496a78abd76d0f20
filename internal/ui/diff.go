package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/build"
	"github.com/ferrycd/ferry/internal/controller/kustomization"
	"github.com/ferrycd/ferry/internal/diff"
	"github.com/ferrycd/ferry/internal/source"
)

// diffPage is the data of a Kustomization's or HelmRelease's diff page:
// what its next reconciliation would change.
type diffPage struct {
	row
	// Source is the source built (a Kustomization's) or the chart rendered
	// (a HelmRelease's HelmChart), SourcePath its page.
	Source     ref
	SourcePath string
	// Artifact is the source's artifact the build read; nil before it
	// was read.
	Artifact *meta.Artifact
	// User is whose rights the dry run had; ServiceAccount is whom the
	// controller applies as (spec.serviceAccountName), empty for its own
	// rights.
	User, ServiceAccount string
	// Helm is, for a HelmRelease, the Helm action the render is that of;
	// nil for a Kustomization, or before Helm's storage was read.
	Helm *helmAction
	// Changes are what the apply would change, in its order.
	Changes                   []diffChange
	Created, Drifted, Deleted int
	// DeletedBy names what deletes the Deleted objects: the prune of a
	// Kustomization, the upgrade of a HelmRelease.
	DeletedBy string
	// Warnings are the build's (deprecated fields, variables left
	// unsubstituted) or the render's.
	Warnings []string
	// Error says why the next reconciliation would fail, or why the diff
	// could not be made; Changes may then hold those found before.
	Error string
}

// helmAction is the next Helm action of a HelmRelease.
type helmAction struct {
	// Upgrade is true for an upgrade, false for an install.
	Upgrade bool
	// Release is the release's storage namespace and name, Version the
	// version an upgrade replaces (0 for none).
	Release string
	Version int
}

// diffChange is one changed object, its diff in lines.
type diffChange struct {
	diff.Change
	Lines []diffLine
}

// diffLine is one line of a unified diff; Class marks it for the
// stylesheet: add, del, hunk, file or "" for context.
type diffLine struct{ Class, Text string }

// Diffable says whether the UI diffs objects of the kind with the cluster.
func (k *kind) Diffable() bool {
	return k.name == kustomizev1.KustomizationKind || k.name == helmv2.HelmReleaseKind
}

// diff serves GET /o/Kustomization/<namespace>/<name>/diff and
// /o/HelmRelease/<namespace>/<name>/diff: what the next reconciliation
// would apply (a Kustomization's source artifact built, a HelmRelease's
// chart rendered, as the controller does), each object dry-run with the
// user's client, so that RBAC decides what may be read and dry-run. It is
// computed on request only, within artifactTimeout.
func (s *Server) diff(w http.ResponseWriter, r *http.Request) {
	k, obj, ok := s.getObject(w, r)
	if !ok {
		return
	}
	if !k.Diffable() {
		s.fail(w, r, http.StatusNotFound, "No diff", "The UI diffs Kustomizations and HelmReleases with the cluster.")
		return
	}
	if s.opts.Artifacts == nil {
		s.fail(w, r, http.StatusNotImplemented, "The diff needs the controller's UI", needsController)
		return
	}
	if s.opts.Actions == nil {
		s.fail(w, r, http.StatusForbidden, "Refused", "This UI is read-only: it has no identity of yours to dry-run with.")
		return
	}
	c, user, err := s.opts.Actions(r)
	if err != nil {
		s.fail(w, r, http.StatusForbidden, "Refused", err.Error())
		return
	}
	p := diffPage{row: rowOf(k, obj), User: user}
	ctx, cancel := context.WithTimeout(r.Context(), artifactTimeout)
	defer cancel()
	var what, cli string
	switch o := obj.(type) {
	case *kustomizev1.Kustomization:
		p.ServiceAccount, p.Source, p.DeletedBy = o.Spec.ServiceAccountName, kustomizationSources(o)[0], "the prune"
		what, cli = "Building and dry-running", fmt.Sprintf("`ferry diff kustomization %s -n %s` from a checkout", o.Name, o.Namespace)
		err = s.diffKustomization(ctx, c, o, &p)
	case *helmv2.HelmRelease:
		p.ServiceAccount, p.DeletedBy = o.Spec.ServiceAccountName, "the upgrade"
		if sources := helmReleaseSources(o); len(sources) > 0 {
			p.Source = sources[0]
		}
		what, cli = "Rendering and dry-running", fmt.Sprintf("`ferry diff helmrelease %s -n %s`", o.Name, o.Namespace)
		err = s.diffHelmRelease(ctx, c, o, &p)
	}
	if sk := kindNamed(p.Source.Kind); sk != nil {
		p.SourcePath = objectPath(sk.name, p.Source.Namespace, p.Source.Name)
	}
	switch {
	case err == nil:
	case apierrors.IsForbidden(err):
		s.fail(w, r, http.StatusForbidden, "Forbidden", err.Error())
		return
	case errors.Is(err, context.DeadlineExceeded):
		s.fail(w, r, http.StatusGatewayTimeout, "The diff took too long",
			fmt.Sprintf("%s %s %s/%s took longer than %s: try %s.", what, k.name, p.Namespace, p.Name, artifactTimeout, cli))
		return
	default:
		p.Error = err.Error()
	}
	s.render(w, r, http.StatusOK, "diff", page{Title: "Diff of " + k.name + " " + p.Namespace + "/" + p.Name, Nav: k.name, LiveKinds: noLiveUpdates, Data: p})
}

// addChanges adds changes to p, counted by action.
func (p *diffPage) addChanges(changes []diff.Change) {
	for _, ch := range changes {
		p.Changes = append(p.Changes, diffChange{Change: ch, Lines: diffLines(ch.Diff)})
		switch ch.Action {
		case diff.Created:
			p.Created++
		case diff.Drifted:
			p.Drifted++
		case diff.Deleted:
			p.Deleted++
		}
	}
}

// diffKustomization fills p with what the next reconciliation of ks would
// change: it reads the source and its artifact, builds it as the
// controller does (internal/controller/kustomization.Build: spec.path,
// postBuild substitution with substituteFrom, SOPS decryption) and
// dry-runs the objects (internal/diff). Everything is read with c. Its
// error is shown, so no value read from a Secret is in it.
func (s *Server) diffKustomization(ctx context.Context, c client.Client, ks *kustomizev1.Kustomization, p *diffPage) error {
	if ks.Spec.KubeConfig != nil {
		return fmt.Errorf("it applies to a remote cluster (spec.kubeConfig), and the UI dry-runs against this cluster only: "+
			"run `ferry diff kustomization %s -n %s` with --kubeconfig for the remote cluster and --kustomization-file", ks.Name, ks.Namespace)
	}

	// Get the source's artifact.
	src, err := source.Get(ctx, c, p.Source.Kind, types.NamespacedName{Namespace: p.Source.Namespace, Name: p.Source.Name})
	var unsupported *source.UnsupportedKindError
	switch {
	case errors.As(err, &unsupported):
		return err
	case apierrors.IsNotFound(err):
		return fmt.Errorf("source %s %s/%s not found", p.Source.Kind, p.Source.Namespace, p.Source.Name)
	case err != nil:
		return fmt.Errorf("reading source %s %s/%s: %w", p.Source.Kind, p.Source.Namespace, p.Source.Name, err)
	}
	p.Artifact = src.GetArtifact()
	if p.Artifact == nil {
		return fmt.Errorf("source %s %s/%s has no artifact yet: there is nothing to build", p.Source.Kind, p.Source.Namespace, p.Source.Name)
	}
	revision := p.Artifact.Revision
	dir, release, err := s.opts.Artifacts.Acquire(ctx, p.Artifact)
	if err != nil {
		return fmt.Errorf("revision %s: %w", revision, err)
	}
	defer release()

	// Build it as the reconciliation would.
	sub, err := build.LoadSubstitution(ctx, c, ks)
	if err != nil {
		return err
	}
	objs, err := kustomization.Build(ctx, ks, dir, sub, c, func(w build.Warning) {
		p.Warnings = append(p.Warnings, sub.Mask(w.Message))
	})
	switch {
	case errors.Is(err, build.ErrPathOutsideRoot):
		return diff.MaskErr(fmt.Errorf("spec.path: %w", err), sub)
	case errors.Is(err, build.ErrPathNotFound):
		return diff.MaskErr(fmt.Errorf("%w in revision %s", err, revision), sub)
	case err != nil:
		return diff.MaskErr(fmt.Errorf("build of revision %s failed: %w", revision, err), sub)
	}
	if inv := ks.Status.Inventory; len(objs) == 0 && inv != nil && len(inv.Entries) > 0 && ks.GetAnnotations()[kustomization.AllowEmptyAnnotation] != "true" {
		return fmt.Errorf("the next reconciliation would refuse revision %s: spec.path produced no objects while the inventory holds %d, so nothing would be applied or pruned; "+
			"if the path is meant to be empty, annotate the Kustomization with %s: \"true\"", revision, len(inv.Entries), kustomization.AllowEmptyAnnotation)
	}

	// Dry-run every object with the user's rights.
	changes, err := diff.Kustomization(ctx, c, ks, objs, sub)
	p.addChanges(changes)
	return err
}

// diffLines splits a unified diff into lines marked for the stylesheet.
func diffLines(text string) []diffLine {
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	out := make([]diffLine, len(lines))
	for i, l := range lines {
		class := ""
		switch {
		case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "--- "):
			class = "file"
		case strings.HasPrefix(l, "@@"):
			class = "hunk"
		case strings.HasPrefix(l, "+"):
			class = "add"
		case strings.HasPrefix(l, "-"):
			class = "del"
		}
		out[i] = diffLine{Class: class, Text: l}
	}
	return out
}
