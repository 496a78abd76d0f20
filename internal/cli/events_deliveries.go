package cli

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
)

// deliveries are the notifications the Providers sent, from their
// status.deliveries (a ferry addition to Flux's Provider): `ferry events`
// prints each as a row of its Provider.
type deliveries struct {
	// resourceVersions are those of the Provider list of each namespace,
	// where a watch starts.
	resourceVersions map[string]string
	// seen holds the keys of the deliveries printed or passed over, so a
	// watch prints each new one once.
	seen map[string]bool
}

// listDeliveries lists the Providers of namespaces ("" for all) and returns
// their deliveries as events, and what a watch needs to print the next
// ones. A cluster without the Provider kind, or a user who may not list
// Providers, has no deliveries: nil, and no error.
func listDeliveries(ctx context.Context, c client.Client, namespaces []string) ([]corev1.Event, *deliveries, error) {
	d := &deliveries{resourceVersions: map[string]string{}, seen: map[string]bool{}}
	var events []corev1.Event
	for _, ns := range namespaces {
		var list notificationv1beta3.ProviderList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			if apimeta.IsNoMatchError(err) || apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
				return nil, nil, nil
			}
			return nil, nil, fmt.Errorf("listing Providers: %w", err)
		}
		d.resourceVersions[ns] = list.ResourceVersion
		for i := range list.Items {
			events = append(events, d.unseen(&list.Items[i])...)
		}
	}
	return events, d, nil
}

// unseen returns the deliveries of p not seen before as events, oldest
// first, and marks them seen.
func (d *deliveries) unseen(p *notificationv1beta3.Provider) []corev1.Event {
	var events []corev1.Event
	// status.deliveries is newest first.
	for i := len(p.Status.Deliveries) - 1; i >= 0; i-- {
		del := p.Status.Deliveries[i]
		key := deliveryKey(p, del)
		if d.seen[key] {
			continue
		}
		d.seen[key] = true
		events = append(events, deliveryEvent(p, del))
	}
	return events
}

// deliveryKey tells one delivery of p from the others.
func deliveryKey(p *notificationv1beta3.Provider, d notificationv1beta3.Delivery) string {
	return strings.Join([]string{p.Namespace, p.Name, d.Time.UTC().String(), d.Alert, d.InvolvedObject, d.Reason,
		d.Revision, d.Result, fmt.Sprint(d.Attempts), d.Message}, "\x00")
}

// deliveryEvent is the events row of one delivery of Provider p: of the
// Provider, Normal when delivered and Warning otherwise, with the reason
// Notification<Result> (NotificationDelivered, NotificationFailed,
// NotificationDropped).
func deliveryEvent(p *notificationv1beta3.Provider, d notificationv1beta3.Delivery) corev1.Event {
	typ := corev1.EventTypeWarning
	if d.Result == notificationv1beta3.DeliveryDelivered {
		typ = corev1.EventTypeNormal
	}
	return corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name + ".delivery"},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: notificationv1beta3.GroupVersion.String(), Kind: notificationv1beta3.ProviderKind,
			Namespace: p.Namespace, Name: p.Name,
		},
		Type:          typ,
		Reason:        "Notification" + d.Result,
		Message:       deliveryMessage(d),
		LastTimestamp: d.Time,
	}
}

// deliveryMessage says what a delivery sent and how it went, e.g. "Alert
// on-call, Kustomization/apps/web ReconciliationFailed (revision
// main@sha1:...): failed after 3 attempts: ...".
func deliveryMessage(d notificationv1beta3.Delivery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Alert %s, %s %s", d.Alert, d.InvolvedObject, d.Reason)
	if d.Revision != "" {
		fmt.Fprintf(&b, " (revision %s)", d.Revision)
	}
	fmt.Fprintf(&b, ": %s", strings.ToLower(d.Result))
	switch {
	case d.Attempts == 1:
		b.WriteString(" after 1 attempt")
	case d.Attempts > 1:
		fmt.Fprintf(&b, " after %d attempts", d.Attempts)
	}
	if d.Message != "" {
		fmt.Fprintf(&b, ": %s", d.Message)
	}
	return b.String()
}

// watch sends, until ctx ends, the deliveries of the Providers of
// namespaces that appear after the list, and that filter selects, to out;
// a closed watch is reported on errs.
func (d *deliveries) watch(ctx context.Context, c client.WithWatch, namespaces []string, filter *eventFilter, out chan<- corev1.Event, errs chan<- error) ([]watch.Interface, error) {
	var watches []watch.Interface
	// One goroutine reads every watch, so seen needs no lock.
	merged := make(chan *notificationv1beta3.Provider)
	for _, ns := range namespaces {
		wi, err := c.Watch(ctx, &notificationv1beta3.ProviderList{}, client.InNamespace(ns),
			&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: d.resourceVersions[ns]}})
		if err != nil {
			for _, w := range watches {
				w.Stop()
			}
			return nil, fmt.Errorf("watching Providers: %w", err)
		}
		watches = append(watches, wi)
		go func() {
			for ev := range wi.ResultChan() {
				if p, ok := ev.Object.(*notificationv1beta3.Provider); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) {
					select {
					case merged <- p:
					case <-ctx.Done():
						return
					}
				}
			}
			select {
			case errs <- fmt.Errorf("the Provider watch was closed by the API server"):
			case <-ctx.Done():
			}
		}()
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case p := <-merged:
				for _, e := range d.unseen(p) {
					if !filter.matches(&e) {
						continue
					}
					select {
					case out <- e:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return watches, nil
}
