package ui_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/notification"
	"github.com/ferrycd/ferry/internal/ui"
)

// onlyIn is a Visible hook that shows the kinds named in namespace ns.
func onlyIn(ns string, kinds ...string) func(*http.Request) (func(string, string) bool, error) {
	return func(*http.Request) (func(string, string) bool, error) {
		return func(kind, namespace string) bool {
			for _, k := range kinds {
				if k == kind && namespace == ns {
					return true
				}
			}
			return false
		}, nil
	}
}

// TestVisibleFiltersEveryPage: with a Visible hook that shows
// GitRepositories and Kustomizations of one namespace, the other
// namespace's objects are in no list, count, namespace choice, search or
// "used by", its object answers 404 like a missing one, and a source
// there is neither linked nor said to be missing.
func TestVisibleFiltersEveryPage(t *testing.T) {
	shown := env.NewNamespace(t, "visible")
	hidden := env.NewNamespace(t, "hidden")
	gitRepository(t, shown, "repo", metav1.ConditionTrue, "stored artifact", "main@sha1:1111111111111111111111111111111111111111")
	gitRepository(t, hidden, "repo", metav1.ConditionTrue, "stored artifact", "main@sha1:2222222222222222222222222222222222222222")
	kustomization(t, shown, "shown-app", failing("shown failure"))
	kustomization(t, hidden, "hidden-app", failing("hidden failure"))
	// A Kustomization of the shown namespace that reads the hidden one's
	// repository, and one of the hidden namespace that reads the shown
	// one's.
	cross := kustomization(t, shown, "cross-app", nil)
	cross.Spec.SourceRef.Namespace = hidden
	if err := env.Client.Update(t.Context(), cross); err != nil {
		t.Fatal(err)
	}
	reader := kustomization(t, hidden, "hidden-reader", nil)
	reader.Spec.SourceRef.Namespace = shown
	if err := env.Client.Update(t.Context(), reader); err != nil {
		t.Fatal(err)
	}
	srv := newUIWith(t, ui.Options{Visible: onlyIn(shown, "GitRepository", kustomizev1.KustomizationKind)})

	_, body := get(t, srv, "/k/Kustomization")
	mustContain(t, "the list", body, "shown-app", `<option value="`+shown+`"`)
	mustNotContain(t, "the list", body, "hidden-app", "hidden-reader", `<option value="`+hidden+`"`)
	_, body = get(t, srv, "/")
	mustContain(t, "the overview", body, "shown failure")
	mustNotContain(t, "the overview", body, "hidden failure", hidden)
	_, body = get(t, srv, "/search?q=app")
	mustContain(t, "the search", body, "shown-app")
	mustNotContain(t, "the search", body, "hidden-app")
	_, body = get(t, srv, "/k/HelmRelease")
	mustContain(t, "a kind the user may see nowhere", body, "You see no HelmReleases")

	resp, hiddenPage := get(t, srv, "/o/Kustomization/"+hidden+"/hidden-app")
	missing, missingPage := get(t, srv, "/o/Kustomization/"+hidden+"/gone-app")
	if resp.StatusCode != http.StatusNotFound || missing.StatusCode != http.StatusNotFound ||
		strings.ReplaceAll(hiddenPage, "hidden-app", "X") != strings.ReplaceAll(missingPage, "gone-app", "X") {
		t.Errorf("a hidden object: %d, a missing one: %d, or their pages differ:\n%s", resp.StatusCode, missing.StatusCode, hiddenPage)
	}

	// The source's consumers are those the user may see.
	_, body = get(t, srv, "/o/GitRepository/"+shown+"/repo")
	mustContain(t, "the shown repository", body, "shown-app")
	mustNotContain(t, "the shown repository", body, "hidden-reader")
	// The hidden source is named (the spec names it) but neither linked
	// nor checked.
	_, body = get(t, srv, "/o/Kustomization/"+shown+"/cross-app")
	mustContain(t, "the cross-namespace Kustomization", body, hidden+"/repo", "(not visible to you)")
	mustNotContain(t, "the cross-namespace Kustomization", body, "/o/GitRepository/"+hidden, "not found")

	// A user who may see nothing gets the empty state with the RBAC to
	// ask for; a failed check refuses the page.
	nothing := newUIWith(t, ui.Options{Visible: onlyIn("no-such-namespace")})
	_, body = get(t, nothing, "/")
	mustContain(t, "the empty overview", body, "You see no Flux objects", "--clusterrole=view")
	failed := newUIWith(t, ui.Options{Visible: func(*http.Request) (func(string, string) bool, error) {
		return nil, errors.New("the API server is away")
	}})
	if resp, body := get(t, failed, "/k/Kustomization"); resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "the API server is away") || strings.Contains(body, "shown-app") {
		t.Errorf("a failed check: %d\n%s", resp.StatusCode, body)
	}
}

// TestNotificationsPage renders the dispatch log: each outcome with its
// links, status, attempts and message escaped, the filters, the pages,
// and nothing of an Alert the user may not see.
func TestNotificationsPage(t *testing.T) {
	now := time.Now()
	decision := func(ns, name, reason string, outcomes ...notification.AlertOutcome) notification.Decision {
		return notification.Decision{
			Time:   now.Add(-time.Minute),
			Object: notification.ObjectRef{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: kustomizev1.KustomizationKind, Namespace: ns, Name: name},
			Reason: reason, Severity: "error", Revision: "main@sha1:abc",
			Alerts: outcomes,
		}
	}
	delivered := func(ns, alert string) notification.AlertOutcome {
		return notification.AlertOutcome{Alert: types.NamespacedName{Namespace: ns, Name: alert}, Provider: "slack", Outcome: notification.OutcomeMatched,
			Delivery: notification.Delivery{Result: "Delivered", StatusCode: 200, Attempts: 1}}
	}
	failed := notification.AlertOutcome{Alert: types.NamespacedName{Namespace: "apps", Name: "pager"}, Provider: "pagerduty", Outcome: notification.OutcomeMatched,
		Delivery: notification.Delivery{Result: "Failed", StatusCode: 500, Attempts: 3, Error: "the service answered 500 Internal Server Error: <script>alert(1)</script>"}}
	excluded := notification.AlertOutcome{Alert: types.NamespacedName{Namespace: "apps", Name: "quiet"}, Provider: "slack", Outcome: notification.OutcomeExcluded, Rule: notification.RuleExclusionList}
	decisions := []notification.Decision{
		decision("apps", "<b>web</b>", "Health<script>", failed, excluded, delivered("apps", "chat")),
		decision("secret-team", "vault", "Hidden", delivered("secret-team", "theirs")),
	}
	for i := range ui.PageSize + 10 {
		decisions = append(decisions, decision("apps", fmt.Sprintf("app-%03d", i), "ReconciliationSucceeded", delivered("apps", "bulk")))
	}
	srv := newUIWith(t, ui.Options{
		Visible:    onlyIn("apps", "Alert", "Provider", kustomizev1.KustomizationKind),
		Dispatches: func() []notification.Decision { return decisions },
	})

	resp, body := get(t, srv, "/notifications")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /notifications = %d\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the dispatch log", body, `href="/notifications"`, "1–100 of 113", "page 1 of 2",
		"/o/Alert/apps/pager", "/o/Provider/apps/pagerduty", "/o/Kustomization/apps/%3Cb%3Eweb%3C%2Fb%3E",
		"&lt;b&gt;web&lt;/b&gt;", "Health&lt;script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;",
		">Failed<", ">500<", ">3<", ">Excluded<", "exclusionList", ">Delivered<", ">200<")
	mustNotContain(t, "the dispatch log", body, "<script>alert", "<b>web", "secret-team", "vault", "theirs")

	_, body = get(t, srv, "/notifications?outcome=failed")
	mustContain(t, "the failed outcomes", body, "1–1 of 1 (of 113)", "/o/Alert/apps/pager")
	mustNotContain(t, "the failed outcomes", body, "/o/Alert/apps/chat", "app-000")
	_, body = get(t, srv, "/notifications?provider=apps/pagerduty&outcome=excluded")
	mustContain(t, "no match", body, "Nothing matches these filters")
	_, body = get(t, srv, "/notifications?page=2")
	mustContain(t, "page 2", body, "101–113 of 113", "app-109")

	none := newUIWith(t, ui.Options{})
	_, body = get(t, none, "/notifications")
	mustContain(t, "a UI without a dispatcher", body, "No dispatcher runs in this process")
}

// mustNotContain fails if s holds one of subs.
func mustNotContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			t.Errorf("%s contains %q", what, sub)
		}
	}
}
