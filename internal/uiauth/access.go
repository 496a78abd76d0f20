package uiauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// maxParallelReviews bounds the SubjectAccessReviews one Access call has
// in flight, so that a user of a cluster with many namespaces does not
// send them all to the API server at once.
const maxParallelReviews = 8

// Access is what one user may see: for each kind (the UI's name,
// "Kustomization"), whether they may list it in every namespace, or in
// which of the namespaces reviewed.
type Access struct {
	everywhere map[string]bool
	namespaces map[string]map[string]bool
}

// Allows reports whether the user may list kind in namespace. A namespace
// that was not reviewed (it held no object of the kind when Access was
// called) is not allowed.
func (a *Access) Allows(kind, namespace string) bool {
	return a.everywhere[kind] || a.namespaces[kind][namespace]
}

// Everywhere reports whether the user may list every kind reviewed in
// every namespace, so that nothing needs hiding.
func (a *Access) Everywhere() bool {
	for _, ok := range a.everywhere {
		if !ok {
			return false
		}
	}
	return true
}

// userAccess is one user's decisions, reviewed again after reviewTTL.
type userAccess struct {
	mu         sync.Mutex
	expires    time.Time
	everywhere map[string]bool
	namespaces map[string]map[string]bool
}

// Access reviews what u may see of ferry's cache: kinds are the kinds the
// UI shows with the resource RBAC names them by, present the namespaces
// that hold objects of each kind (the namespaces the UI would show).
//
// For each kind it asks once whether u may list it in every namespace;
// if not, once for each namespace of present, with at most
// maxParallelReviews reviews in flight. The decisions are kept for a
// minute, like the token's review, and a namespace that appears
// meanwhile costs one review more; so a user costs at most kinds ×
// (namespaces + 1) SubjectAccessReviews a minute, and one who may read
// everything one review per kind. Each kind has its own review, not one
// per API group with resource "*": RBAC allows a request for "*" only by
// a rule that names "*". That would be sound as a first guess (allowed
// for "*" is allowed for each), and ferry-view, which the view
// ClusterRole aggregates, names "*"; but a Role naming kustomizations
// would be refused it and cost the per-kind reviews too, and a user who
// may read Kustomizations but not HelmReleases must see the one and not
// the other. The exact review per kind is the simpler of the two, and at
// most twice the cost.
func (a *Authenticator) Access(ctx context.Context, u User, kinds map[string]schema.GroupResource, present map[string][]string) (*Access, error) {
	if u.token == "" {
		return nil, errors.New("not signed in")
	}
	key := sha256.Sum256([]byte(u.token))
	a.mu.Lock()
	ua := a.access[key]
	if ua == nil {
		if len(a.access) > maxCached {
			a.access = map[[sha256.Size]byte]*userAccess{}
		}
		ua = &userAccess{}
		a.access[key] = ua
	}
	a.mu.Unlock()

	// One user's concurrent requests (a page and its live stream) wait
	// for one set of reviews rather than each sending its own.
	ua.mu.Lock()
	defer ua.mu.Unlock()
	if a.now().After(ua.expires) {
		ua.expires = a.now().Add(reviewTTL)
		ua.everywhere = map[string]bool{}
		ua.namespaces = map[string]map[string]bool{}
	}

	// Ask first whether each kind may be listed everywhere, then, for the
	// kinds that may not, about each namespace not yet decided.
	var ask []review
	for kind, gr := range kinds {
		if _, ok := ua.everywhere[kind]; !ok {
			ask = append(ask, review{kind: kind, gr: gr})
		}
	}
	if err := a.reviewAll(ctx, u, ask, func(r review, ok bool) { ua.everywhere[r.kind] = ok }); err != nil {
		return nil, err
	}
	ask = nil
	for kind, gr := range kinds {
		if ua.everywhere[kind] {
			continue
		}
		if ua.namespaces[kind] == nil {
			ua.namespaces[kind] = map[string]bool{}
		}
		for _, ns := range present[kind] {
			if _, ok := ua.namespaces[kind][ns]; !ok && ns != "" {
				ask = append(ask, review{kind: kind, gr: gr, namespace: ns})
			}
		}
	}
	if err := a.reviewAll(ctx, u, ask, func(r review, ok bool) { ua.namespaces[r.kind][r.namespace] = ok }); err != nil {
		return nil, err
	}

	out := &Access{everywhere: maps.Clone(ua.everywhere), namespaces: map[string]map[string]bool{}}
	for kind, m := range ua.namespaces {
		out.namespaces[kind] = maps.Clone(m)
	}
	return out, nil
}

// review is one question: may the user list gr in namespace ("" for
// every namespace)?
type review struct {
	kind      string
	gr        schema.GroupResource
	namespace string
}

// reviewAll asks every question of rs, at most maxParallelReviews at a
// time, and hands each answer to decided (serially, in the caller's
// goroutine). The first error is returned; the answers before it are
// kept.
func (a *Authenticator) reviewAll(ctx context.Context, u User, rs []review, decided func(review, bool)) error {
	if len(rs) == 0 {
		return nil
	}
	// Review in a stable order, so that the API server's audit log reads
	// the same for the same page.
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].kind != rs[j].kind {
			return rs[i].kind < rs[j].kind
		}
		return rs[i].namespace < rs[j].namespace
	})
	type answer struct {
		r   review
		ok  bool
		err error
	}
	answers := make(chan answer, len(rs))
	slots := make(chan struct{}, maxParallelReviews)
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			ok, err := a.mayList(ctx, u, r)
			answers <- answer{r: r, ok: ok, err: err}
		}()
	}
	wg.Wait()
	close(answers)
	var first error
	for ans := range answers {
		if ans.err != nil {
			if first == nil {
				first = ans.err
			}
			continue
		}
		decided(ans.r, ans.ok)
	}
	return first
}

// mayList asks the API server whether u may list r's resource in its
// namespace.
func (a *Authenticator) mayList(ctx context.Context, u User, r review) (bool, error) {
	extra := map[string]authorizationv1.ExtraValue{}
	for k, v := range u.info.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	sar, err := a.reviews.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User: u.info.Username, Groups: u.info.Groups, UID: u.info.UID, Extra: extra,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "list", Group: r.gr.Group, Resource: r.gr.Resource, Namespace: r.namespace,
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("reviewing whether %s may list %s: %w", u.Name, r.gr.String(), err)
	}
	return sar.Status.Allowed, nil
}

// Visible returns the hook of ui.Options.Visible: whether the signed-in
// user of a request may see objects of a kind in a namespace, from Access
// with kinds (the UI's kinds and their resources) and the namespaces that
// namespaces returns (those holding objects of each kind). It returns a
// nil func, which shows everything, for a user who may list every kind
// in every namespace.
func (a *Authenticator) Visible(kinds map[string]schema.GroupResource, namespaces func(context.Context) (map[string][]string, error)) func(*http.Request) (func(kind, namespace string) bool, error) {
	return func(r *http.Request) (func(kind, namespace string) bool, error) {
		u, ok := FromContext(r.Context())
		if !ok {
			return nil, errors.New("not signed in")
		}
		present, err := namespaces(r.Context())
		if err != nil {
			return nil, err
		}
		access, err := a.Access(r.Context(), u, kinds, present)
		if err != nil {
			return nil, err
		}
		if access.Everywhere() {
			return nil, nil
		}
		return access.Allows, nil
	}
}
