package reconcile

import (
	"time"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	ctrlreconcile "sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// The per-object backoff after an error returned to controller-runtime (a
// status patch refused, the API server away): BackoffBase doubled with each
// consecutive failure, at most BackoffMax. controller-runtime's default
// stops at 1000 s, which after an API server outage of a minute leaves
// objects waiting for minutes once it is back; BackoffMax keeps a retry
// within half a minute. Failures ferry reports in a condition are not
// errors returned: they come back after the object's retryInterval.
const (
	BackoffBase = 5 * time.Millisecond
	BackoffMax  = 30 * time.Second
)

// ControllerOptions are the options of every ferry controller: at most
// maxConcurrent reconciles at once, and the backoff above.
func ControllerOptions(maxConcurrent int) controller.Options {
	return controller.Options{
		MaxConcurrentReconciles: maxConcurrent,
		RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[ctrlreconcile.Request](BackoffBase, BackoffMax),
	}
}
