package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ferrycd/ferry/api/meta"
)

// Source is what every source kind (GitRepository today; OCIRepository,
// Bucket, HelmChart as they land) is to its consumers: an object whose
// reconciliation stores an artifact they fetch. Kustomizations and
// HelmCharts read every source through it.
// +k8s:deepcopy-gen=false
type Source interface {
	runtime.Object
	metav1.Object
	// GetArtifact returns the latest artifact, or nil before the first.
	GetArtifact() *meta.Artifact
	// GetRequeueAfter returns how often the source is checked: spec.interval.
	GetRequeueAfter() time.Duration
}

var _ Source = &GitRepository{}
var _ Source = &OCIRepository{}
