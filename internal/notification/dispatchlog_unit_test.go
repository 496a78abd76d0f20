package notification

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/events"
)

func TestDispatchLogRing(t *testing.T) {
	l := NewDispatchLog(3)
	var last *AlertOutcome
	for i := range 5 {
		e := event("Kustomization", "apps", fmt.Sprint("ks-", i), events.SeverityInfo, "m")
		last = l.outcome(l.begin(&e), types.NamespacedName{Namespace: "apps", Name: "a"}, "p", OutcomeMatched, "")
	}
	got := l.Decisions()
	if len(got) != 3 || got[0].Object.Name != "ks-4" || got[1].Object.Name != "ks-3" || got[2].Object.Name != "ks-2" {
		t.Fatalf("decisions = %+v, want ks-4, ks-3, ks-2", got)
	}
	if got[0].Alerts[0].Delivery.Result != DeliveryQueued || got[0].Revision != "main@sha1:abc" {
		t.Errorf("newest = %+v", got[0])
	}
	// An update after the copy changes the log, not the copy.
	l.update(last, func(o *AlertOutcome) { o.Delivery.Result = resultDelivered })
	if got[0].Alerts[0].Delivery.Result != DeliveryQueued || l.Decisions()[0].Alerts[0].Delivery.Result != resultDelivered {
		t.Error("Decisions does not return a copy, or update does not change the log")
	}
	var nilLog *DispatchLog
	if nilLog.outcome(nilLog.begin(&events.Event{}), types.NamespacedName{}, "", OutcomeMatched, "") != nil || nilLog.Decisions() != nil {
		t.Error("a nil log recorded")
	}
}

func TestMismatchNamesTheRule(t *testing.T) {
	info := event("Kustomization", "apps", "web", events.SeverityInfo, "Reconciliation finished")
	labelled := &objectMeta{labels: map[string]string{"team": "a"}}
	for name, tc := range map[string]struct {
		mutate func(a *notificationv1beta3.Alert)
		meta   *objectMeta
		want   string
	}{
		"selected":       {func(*notificationv1beta3.Alert) {}, nil, ""},
		"suspended":      {func(a *notificationv1beta3.Alert) { a.Spec.Suspend = true }, nil, RuleSuspended},
		"severity":       {func(a *notificationv1beta3.Alert) { a.Spec.EventSeverity = events.SeverityError }, nil, RuleSeverity},
		"exclusion list": {func(a *notificationv1beta3.Alert) { a.Spec.ExclusionList = []string{"finished$"} }, nil, RuleExclusionList},
		"inclusion list": {func(a *notificationv1beta3.Alert) { a.Spec.InclusionList = []string{"^failed"} }, nil, RuleInclusionList},
		"labels": {func(a *notificationv1beta3.Alert) {
			a.Spec.EventSources[0].MatchLabels = map[string]string{"team": "b"}
		}, labelled, RuleMatchLabels},
		"other object": {func(a *notificationv1beta3.Alert) { a.Spec.EventSources[0].Name = "api" }, nil, RuleEventSources},
	} {
		t.Run(name, func(t *testing.T) {
			a := alert("apps", "info", src("Kustomization", "*", "", nil))
			tc.mutate(a)
			f, err := compileFilters(a)
			if err != nil {
				t.Fatal(err)
			}
			if got := mismatch(a, f, &info, tc.meta); got != tc.want {
				t.Errorf("mismatch = %q, want %q", got, tc.want)
			}
		})
	}
}
