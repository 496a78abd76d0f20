package helmrelease

import (
	"context"
	"fmt"
	"time"

	"github.com/fluxcd/cli-utils/pkg/object"

	releasecommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/cel"
	"github.com/ferrycd/ferry/internal/helm/release"
)

// customHealth waits, after Helm's own wait, for the release's objects of
// the kinds spec.healthCheckExprs names, judged by those CEL expressions
// (Helm's kstatus wait cannot judge custom resources). A failure marks the
// release failed in Helm's storage, as a failed Helm wait does, so that it
// is remediated or upgraded again rather than taken as in sync.
func (s *step) customHealth(ctx context.Context, rel *releasev1.Release, disableWait bool, timeout time.Duration) error {
	hr := s.hr
	if len(hr.Spec.HealthCheckExprs) == 0 || disableWait || rel == nil {
		return nil
	}
	mapper := s.cluster.Mapper()
	readers, err := cel.StatusReaders(ctx, mapper, cel.HealthChecks(hr.Spec.HealthCheckExprs))
	if err != nil {
		return fmt.Errorf("spec.%w", err)
	}
	kinds := map[string]bool{}
	for _, c := range hr.Spec.HealthCheckExprs {
		kinds[c.APIVersion+"/"+c.Kind] = true
	}
	var set object.ObjMetadataSet
	for _, obj := range release.ManifestObjects(rel.Manifest) {
		if !kinds[obj.GetAPIVersion()+"/"+obj.GetKind()] {
			continue
		}
		release.InNamespace(mapper, obj, rel.Namespace)
		set = append(set, object.UnstructuredToObjMetadata(obj))
	}
	if len(set) == 0 {
		return nil
	}
	waitCtx := ctx
	if s.runner.WaitContext != nil {
		waitCtx = s.runner.WaitContext
	}
	m := apply.NewManager(s.kube, driftOwner(hr))
	if err := m.Wait(waitCtx, set, apply.WaitOptions{Timeout: timeout, Interval: 2 * time.Second, StatusReaders: readers}); err != nil {
		rel.Info.Status = releasecommon.StatusFailed
		rel.Info.Description = "Health check of spec.healthCheckExprs failed: " + err.Error()
		if uerr := s.runner.Config.Releases.Update(rel); uerr != nil {
			return fmt.Errorf("health check failed: %v; marking the release failed: %w", err, uerr)
		}
		return fmt.Errorf("health check failed: %w", err)
	}
	return nil
}
