package ui

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// funcs are the templates' functions.
var funcs = template.FuncMap{
	"ago":      ago,
	"absTime":  absTime,
	"lower":    strings.ToLower,
	"oneLine":  func(s string) string { return strings.Join(strings.Fields(s), " ") },
	"objPath":  objectPath,
	"kindPath": func(k string) string { return "/k/" + url.PathEscape(k) },
	"listURL":  listURL,
	"kind":     kindNamed,
}

// ago says how long before now t was, shortly ("3m ago"); "" for a zero
// time. It takes a time.Time or a metav1.Time.
func ago(v any) string {
	t := timeOf(v)
	if t.IsZero() {
		return ""
	}
	d := time.Since(t)
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm ago", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

// absTime is t in UTC, RFC 3339, for the title of a relative time.
func absTime(v any) string {
	t := timeOf(v)
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func timeOf(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case metav1.Time:
		return t.Time
	case *metav1.Time:
		if t != nil {
			return t.Time
		}
	}
	return time.Time{}
}

// listURL is the list of kind with the query of pairs (key, value, ...),
// leaving out empty values.
func listURL(kind string, pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	u := "/k/" + url.PathEscape(kind)
	if len(v) == 0 {
		return u
	}
	return u + "?" + v.Encode()
}
