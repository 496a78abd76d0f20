package ui

import (
	"context"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// TestLiveNamesOnlyVisibleChanges: a live client is told of a kind only
// when an object of it changed in a namespace the user may see; a change
// in no namespace known counts only for a kind visible everywhere.
func TestLiveNamesOnlyVisibleChanges(t *testing.T) {
	onlyA := Filter(func(kind, ns string) bool { return kind == "Kustomization" && ns == "a" })
	h := newHub(1)
	c := h.join()
	h.changedIn("Kustomization", "b")
	h.changedIn("GitRepository", "a")
	if got := c.takeVisible(onlyA); len(got) != 0 {
		t.Errorf("changes the user may not see were named: %v", got)
	}
	h.changedIn("Kustomization", "b")
	h.changedIn("Kustomization", namespaceOf(toolscache.DeletedFinalStateUnknown{Obj: &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "a"}}}))
	if got := strings.Join(c.takeVisible(onlyA), " "); got != "Kustomization" {
		t.Errorf("takeVisible = %q, want the Kustomization deleted in a", got)
	}
	h.changed("Kustomization")
	if got := c.takeVisible(onlyA); len(got) != 0 {
		t.Errorf("a change in no namespace known was named to a namespace reader: %v", got)
	}
	h.changed("Kustomization")
	if got := c.takeVisible(nil); len(got) != 1 {
		t.Errorf("a nil Filter hid a change: %v", got)
	}
}

// TestVisibleFailsClosed: with a Visible hook, a read outside a request
// Handler served is refused rather than shown unfiltered.
func TestVisibleFailsClosed(t *testing.T) {
	s := &Server{opts: Options{Visible: func(*http.Request) (func(string, string) bool, error) { return nil, nil }}}
	if _, err := s.visibleIn(context.Background()); err == nil {
		t.Error("visibleIn without a request's visibility did not fail")
	}
	if f, err := (&Server{}).visibleIn(context.Background()); err != nil || f.Restricted() {
		t.Errorf("without a hook: %v, restricted %v", err, f.Restricted())
	}
}
