package notification

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/events"
)

// summaryKey is the metadata key an Alert's spec.summary is sent under.
const summaryKey = "summary"

// excludedMetadata are metadata keys the controllers set that
// notifications leave out: the digest and checksum, as Flux's do, and the
// markers that only route an event (the rate limit token, commit_status).
var excludedMetadata = map[string]bool{
	events.MetaDigest: true, "checksum": true, events.MetaToken: true, events.MetaCommitStatus: true,
}

// objectMeta is what matching needs of the involved object beyond the
// event: its labels, for matchLabels.
type objectMeta struct {
	labels map[string]string
}

// needsObject reports whether an Alert could match the event once the
// object's labels are known: everything but matchLabels is checked here.
// It lets the dispatcher read the object only when some Alert may want it.
func needsObject(alert *notificationv1beta3.Alert, e *events.Event) bool {
	for _, src := range alert.Spec.EventSources {
		if sourceNamesEvent(alert, src.Kind, src.Namespace, src.Name, e) {
			return true
		}
	}
	return false
}

func sourceNamesEvent(alert *notificationv1beta3.Alert, kind, namespace, name string, e *events.Event) bool {
	if namespace == "" {
		namespace = alert.Namespace
	}
	if namespace != "*" && namespace != e.InvolvedObject.Namespace {
		return false
	}
	if !strings.EqualFold(kind, e.InvolvedObject.Kind) {
		return false
	}
	return name == "*" || name == e.InvolvedObject.Name
}

// matches reports whether alert selects the event about an object with
// meta (nil when it could not be read: then no matchLabels source matches).
// filters are the Alert's compiled inclusion and exclusion lists.
func matches(alert *notificationv1beta3.Alert, f *filters, e *events.Event, meta *objectMeta) bool {
	return mismatch(alert, f, e, meta) == ""
}

// mismatch returns the rule (Rule*) that keeps alert from selecting the
// event, for the dispatch log, or "" when alert selects it. An Alert none
// of whose eventSources names the object is not asked: it is not
// concerned at all.
func mismatch(alert *notificationv1beta3.Alert, f *filters, e *events.Event, meta *objectMeta) string {
	if alert.Spec.Suspend {
		return RuleSuspended
	}
	if e.Severity == events.SeverityTrace {
		return RuleSeverity
	}
	if alert.Spec.EventSeverity == events.SeverityError && e.Severity != events.SeverityError {
		return RuleSeverity
	}
	selected, named := false, false
	for _, src := range alert.Spec.EventSources {
		if !sourceNamesEvent(alert, src.Kind, src.Namespace, src.Name, e) {
			continue
		}
		named = true
		if src.Name == "*" && len(src.MatchLabels) > 0 {
			if meta == nil || !labels.SelectorFromSet(src.MatchLabels).Matches(labels.Set(meta.labels)) {
				continue
			}
		}
		selected = true
		break
	}
	switch {
	case selected:
		return f.rule(e.Message)
	case named:
		return RuleMatchLabels
	}
	return RuleEventSources
}

// filters are an Alert's inclusionList and exclusionList, compiled.
type filters struct {
	include, exclude []*regexp.Regexp
}

// compileFilters compiles the Alert's lists; an expression that does not
// compile is an error that names it, for the Alert's Ready condition.
func compileFilters(alert *notificationv1beta3.Alert) (*filters, error) {
	f := &filters{}
	for _, list := range []struct {
		field string
		exprs []string
		into  *[]*regexp.Regexp
	}{
		{"inclusionList", alert.Spec.InclusionList, &f.include},
		{"exclusionList", alert.Spec.ExclusionList, &f.exclude},
	} {
		for i, expr := range list.exprs {
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("spec.%s[%d] %q is not a valid regular expression: %w", list.field, i, expr, err)
			}
			*list.into = append(*list.into, re)
		}
	}
	return f, nil
}

// rule returns the list that keeps message out (RuleInclusionList,
// RuleExclusionList), or "" when the lists let it through.
func (f *filters) rule(message string) string {
	if len(f.include) > 0 {
		included := false
		for _, re := range f.include {
			if re.MatchString(message) {
				included = true
				break
			}
		}
		if !included {
			return RuleInclusionList
		}
	}
	for _, re := range f.exclude {
		if re.MatchString(message) {
			return RuleExclusionList
		}
	}
	return ""
}

// enrich returns the event an Alert sends: e with its metadata merged with
// the Alert's eventMetadata and summary. The event's own metadata (what
// the controller set, and the object's event.toolkit.fluxcd.io/
// annotations the recorder added) wins, as in Flux.
func enrich(alert *notificationv1beta3.Alert, e events.Event) events.Event {
	md := map[string]string{}
	if alert.Spec.Summary != "" {
		md[summaryKey] = alert.Spec.Summary
	}
	for k, v := range alert.Spec.EventMetadata {
		md[k] = v
	}
	for k, v := range e.Metadata {
		if !excludedMetadata[k] {
			md[k] = v
		}
	}
	e.Metadata = md
	if len(md) == 0 {
		e.Metadata = nil
	}
	return e
}

// ValidateAlert reports what in an Alert the dispatcher cannot use: an
// inclusion or exclusion expression that does not compile, or matchLabels
// on a source that does not name `*`.
func ValidateAlert(alert *notificationv1beta3.Alert) error {
	for i, src := range alert.Spec.EventSources {
		if len(src.MatchLabels) > 0 && src.Name != "*" {
			return fmt.Errorf("spec.eventSources[%d]: matchLabels needs name '*', not %q", i, src.Name)
		}
	}
	_, err := compileFilters(alert)
	return err
}
