package notification

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	delivered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ferry_notification_deliveries_total",
		Help: "Notifications sent to Providers, by Provider type and result (Delivered, Failed).",
	}, []string{"type", "result"})
	deliveryDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ferry_notification_delivery_duration_seconds",
		Help:    "The duration of one attempt to post a notification, by Provider type.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
	}, []string{"type"})
	suppressed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ferry_notification_events_suppressed_total",
		Help: "Events not notified because an identical one was within the rate limit interval.",
	})
	dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ferry_notification_dropped_total",
		Help: "Notifications dropped because their Provider's queue was full.",
	})
	queued = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ferry_notification_queued",
		Help: "Notifications waiting for delivery.",
	})
)

func init() {
	crmetrics.Registry.MustRegister(delivered, deliveryDuration, suppressed, dropped, queued)
}
