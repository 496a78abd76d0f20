package kustomization

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/log"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/status"
)

// progress shows the phase of one reconciliation in the status
// ("Building manifests", "Detecting drift", "Running health checks").
//
// A routine re-apply of the revision already applied to a Ready object is
// quiet: it skips those patches until the apply finds something to change,
// and writes its status once, at the end, instead of four times. With many
// Kustomizations those writes, not the work, set the pace of a no-change
// pass (each is a write to etcd and a watch event to every client). What is
// checked is unchanged: the build, the dry-run apply of every object and
// the health check all still run.
type progress struct {
	patcher *status.Patcher
	quiet   bool
}

// report patches the current phase into the status unless the
// reconciliation is quiet; a failure to do so is not worth failing the
// reconciliation for.
func (p *progress) report(ctx context.Context, obj *kustomizev1.Kustomization) {
	if p.quiet {
		return
	}
	if err := p.patcher.Patch(ctx, obj); err != nil {
		log.FromContext(ctx).V(1).Info("could not report progress", "error", err.Error())
	}
}
