package notification

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/events"
)

// Results of a delivery, in Provider status.deliveries and metrics.
const (
	resultDelivered = notificationv1beta3.DeliveryDelivered
	resultFailed    = notificationv1beta3.DeliveryFailed
	resultDropped   = notificationv1beta3.DeliveryDropped
)

// Keep is how many deliveries each Provider's status lists.
const Keep = 10

// flushInterval is how often the delivery log is written to the Providers'
// statuses: at most one status patch per Provider per interval, however
// many events it sends.
const flushInterval = 2 * time.Second

// deliveryLog keeps the last deliveries of each Provider until they are
// written to its status.
type deliveryLog struct {
	mu    sync.Mutex
	last  map[types.NamespacedName][]notificationv1beta3.Delivery
	dirty map[types.NamespacedName]bool
}

func newDeliveryLog() *deliveryLog {
	return &deliveryLog{last: map[types.NamespacedName][]notificationv1beta3.Delivery{}, dirty: map[types.NamespacedName]bool{}}
}

func (l *deliveryLog) record(provider types.NamespacedName, j job, result string, attempts int, msg string) {
	d := notificationv1beta3.Delivery{
		Time:           metav1.Now(),
		Alert:          j.alert.Name,
		InvolvedObject: objectRef(&j.event),
		Reason:         j.event.Reason,
		Severity:       j.event.Severity,
		Revision:       j.event.Metadata[events.MetaRevision],
		Result:         result,
		Attempts:       int32(attempts),
		Message:        msg,
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	list := append([]notificationv1beta3.Delivery{d}, l.last[provider]...)
	if len(list) > Keep {
		list = list[:Keep]
	}
	l.last[provider] = list
	l.dirty[provider] = true
}

// flushLoop writes the changed delivery lists every flushInterval, and
// once more when ctx ends.
func (l *deliveryLog) flushLoop(ctx context.Context, c client.Client, log logr.Logger) {
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			l.flush(flushCtx, c, log)
			cancel()
			return
		case <-t.C:
			l.flush(ctx, c, log)
		}
	}
}

func (l *deliveryLog) flush(ctx context.Context, c client.Client, log logr.Logger) {
	l.mu.Lock()
	pending := map[types.NamespacedName][]notificationv1beta3.Delivery{}
	for key := range l.dirty {
		pending[key] = l.last[key]
	}
	l.dirty = map[types.NamespacedName]bool{}
	l.mu.Unlock()
	for key, list := range pending {
		patch, _ := json.Marshal(map[string]any{"status": map[string]any{"deliveries": list}})
		p := &notificationv1beta3.Provider{}
		p.Namespace, p.Name = key.Namespace, key.Name
		if err := c.Status().Patch(ctx, p, client.RawPatch(types.MergePatchType, patch)); err != nil {
			if client.IgnoreNotFound(err) == nil {
				l.mu.Lock()
				delete(l.last, key)
				l.mu.Unlock()
				continue
			}
			log.Error(err, "recording deliveries in the Provider's status", "provider", key.String())
		}
	}
}
