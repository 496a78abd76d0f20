package dependency_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/dependency"
	"github.com/ferrycd/ferry/internal/scheme"
)

type ks = kustomizev1.Kustomization

// kustomization returns a Kustomization of namespace "apps" depending on
// deps ("name" or "namespace/name", "name=readyExpr" for a readyExpr,
// "HelmRelease:name" for another kind).
func kustomization(name string, deps ...string) *ks {
	k := &ks{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: name, Generation: 1}}
	for _, d := range deps {
		ref := kustomizev1.DependencyReference{}
		d, ref.ReadyExpr, _ = strings.Cut(d, "=")
		if kind, rest, ok := strings.Cut(d, ":"); ok {
			ref.Kind, d = kind, rest
		}
		if ns, n, ok := strings.Cut(d, "/"); ok {
			ref.Namespace, ref.Name = ns, n
		} else {
			ref.Name = d
		}
		k.Spec.DependsOn = append(k.Spec.DependsOn, ref)
	}
	return k
}

// ready marks k Ready=True at generation gen, observed at observed, having
// applied revision.
func ready(k *ks, gen, observed int64, revision string) *ks {
	k.Generation = gen
	k.Status.ObservedGeneration = observed
	k.Status.LastAppliedRevision = revision
	k.Status.Conditions = []metav1.Condition{{Type: meta.ReadyCondition, Status: metav1.ConditionTrue,
		Reason: meta.ReconciliationSucceededReason, ObservedGeneration: observed}}
	return k
}

// helmRelease returns a HelmRelease of namespace "apps", Ready=True at
// generation gen when ready, observed at observed.
func helmRelease(name string, ready bool, gen, observed int64) *helmv2.HelmRelease {
	hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: name, Generation: gen}}
	hr.Status.ObservedGeneration = observed
	if ready {
		hr.Status.Conditions = []metav1.Condition{{Type: meta.ReadyCondition, Status: metav1.ConditionTrue,
			Reason: "InstallSucceeded", ObservedGeneration: observed}}
	}
	return hr
}

// tracker is the Kustomization's tracker, over a fake client holding objs.
func tracker(objs ...client.Object) *dependency.Tracker[*ks] {
	t := &dependency.Tracker[*ks]{
		Kind:    kustomizev1.KustomizationKind,
		NewList: func() client.ObjectList { return &kustomizev1.KustomizationList{} },
		DependsOn: func(k *ks) []dependency.Reference {
			var refs []dependency.Reference
			for _, d := range k.Spec.DependsOn {
				refs = append(refs, dependency.Reference{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name, ReadyExpr: d.ReadyExpr})
			}
			return refs
		},
	}
	t.Client = fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(objs...).
		WithIndex(&ks{}, dependency.IndexKey, t.Index).Build()
	return t
}

func kind(t *testing.T, name string) dependency.Kind {
	t.Helper()
	k, ok := dependency.Lookup(name)
	if !ok {
		t.Fatalf("no dependency kind %s", name)
	}
	return k
}

func TestIndex(t *testing.T) {
	tests := map[string]struct {
		obj  client.Object
		want []string
	}{
		"none":             {kustomization("app"), nil},
		"same namespace":   {kustomization("app", "infra"), []string{"Kustomization/apps/infra"}},
		"other namespace":  {kustomization("app", "flux-system/infra", "db"), []string{"Kustomization/flux-system/infra", "Kustomization/apps/db"}},
		"not a dependent":  {&metav1.PartialObjectMetadata{}, nil},
		"readyExpr entry":  {kustomization("app", "infra=dep.status.ready"), []string{"Kustomization/apps/infra"}},
		"namespace is own": {kustomization("app", "apps/infra"), []string{"Kustomization/apps/infra"}},
		"other kind":       {kustomization("app", "HelmRelease:redis", "HelmRelease:db/pg"), []string{"HelmRelease/apps/redis", "HelmRelease/db/pg"}},
		"own kind named":   {kustomization("app", "Kustomization:infra"), []string{"Kustomization/apps/infra"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := tracker().Index(tc.obj)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("Index = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	upToDate := func(rev string) func(dependency.Object) (bool, string) {
		return func(dep dependency.Object) (bool, string) {
			if k, ok := dep.(*ks); ok && k.Status.LastAppliedRevision != rev {
				return false, "revision is not up to date"
			}
			return true, ""
		}
	}
	tests := map[string]struct {
		obj      *ks
		deps     []client.Object
		upToDate func(dependency.Object) (bool, string)
		want     string // empty: ready
	}{
		"ready":     {obj: kustomization("app", "infra"), deps: []client.Object{ready(kustomization("infra"), 1, 1, "r1")}},
		"itself":    {obj: kustomization("app", "app"), want: "dependency 'apps/app' is the Kustomization itself"},
		"not found": {obj: kustomization("app", "infra"), want: "dependency 'apps/infra' not found"},
		"other namespace not found": {obj: kustomization("app", "flux-system/infra"),
			want: "dependency 'flux-system/infra' not found"},
		"not ready": {obj: kustomization("app", "infra"), deps: []client.Object{kustomization("infra")},
			want: "dependency 'apps/infra' is not ready"},
		"ready at an old generation": {obj: kustomization("app", "infra"), deps: []client.Object{ready(kustomization("infra"), 2, 1, "r1")},
			want: "dependency 'apps/infra' is not ready"},
		"first not ready of two": {obj: kustomization("app", "infra", "db"),
			deps: []client.Object{ready(kustomization("infra"), 1, 1, "r1"), kustomization("db")},
			want: "dependency 'apps/db' is not ready"},
		"up to date": {obj: kustomization("app", "infra"), deps: []client.Object{ready(kustomization("infra"), 1, 1, "r2")},
			upToDate: upToDate("r2")},
		"not up to date": {obj: kustomization("app", "infra"), deps: []client.Object{ready(kustomization("infra"), 1, 1, "r1")},
			upToDate: upToDate("r2"), want: "dependency 'apps/infra' revision is not up to date"},
		"readyExpr true, not Ready": {obj: kustomization("app", "infra=dep.metadata.name == 'infra' && self.metadata.name == 'app'"),
			deps: []client.Object{kustomization("infra")}, upToDate: upToDate("r2")},
		"readyExpr sees the kind": {obj: kustomization("app", "infra=dep.kind == 'Kustomization' && dep.apiVersion == 'kustomize.toolkit.fluxcd.io/v1'"),
			deps: []client.Object{kustomization("infra")}},
		"readyExpr false": {obj: kustomization("app", "infra=dep.metadata.name == 'other'"),
			deps: []client.Object{ready(kustomization("infra"), 1, 1, "r1")},
			want: "dependency 'apps/infra' is not ready according to its readyExpr"},
		"readyExpr invalid": {obj: kustomization("app", "infra=dep.status +"), deps: []client.Object{kustomization("infra")},
			want: "dependency 'apps/infra': readyExpr: invalid CEL expression"},
		"own kind named": {obj: kustomization("app", "Kustomization:infra"), deps: []client.Object{kustomization("infra")},
			want: "dependency 'apps/infra' is not ready"},
		"HelmRelease ready": {obj: kustomization("app", "HelmRelease:redis"), deps: []client.Object{helmRelease("redis", true, 2, 2)},
			upToDate: upToDate("r2")},
		"HelmRelease of the same name": {obj: kustomization("app", "HelmRelease:app"), deps: []client.Object{helmRelease("app", true, 1, 1)}},
		"HelmRelease not found": {obj: kustomization("app", "HelmRelease:redis"),
			want: "dependency 'HelmRelease/apps/redis' not found"},
		"HelmRelease not ready": {obj: kustomization("app", "HelmRelease:redis"), deps: []client.Object{helmRelease("redis", false, 1, 1)},
			want: "dependency 'HelmRelease/apps/redis' is not ready"},
		"HelmRelease ready at an old generation": {obj: kustomization("app", "HelmRelease:redis"),
			deps: []client.Object{helmRelease("redis", true, 2, 1)}, want: "dependency 'HelmRelease/apps/redis' is not ready"},
		"HelmRelease beside a Kustomization not ready": {obj: kustomization("app", "HelmRelease:redis", "infra"),
			deps: []client.Object{helmRelease("redis", true, 1, 1), kustomization("infra")}, want: "dependency 'apps/infra' is not ready"},
		"HelmRelease readyExpr sees its kind": {obj: kustomization("app", "HelmRelease:redis=dep.kind == 'HelmRelease' && dep.apiVersion == 'helm.toolkit.fluxcd.io/v2' && self.kind == 'Kustomization'"),
			deps: []client.Object{helmRelease("redis", false, 1, 0)}},
		"HelmRelease readyExpr false": {obj: kustomization("app", "HelmRelease:redis=dep.metadata.name == 'other'"),
			deps: []client.Object{helmRelease("redis", true, 1, 1)},
			want: "dependency 'HelmRelease/apps/redis' is not ready according to its readyExpr"},
		"unknown kind": {obj: kustomization("app", "GitRepository:app"),
			want: "dependency 'GitRepository/apps/app': a Kustomization cannot depend on a GitRepository"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tracker(tc.deps...).Check(context.Background(), tc.obj, tc.upToDate)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("not ready: %v", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRequestsForDependents(t *testing.T) {
	infra := ready(kustomization("infra"), 1, 1, "r1")
	tr := tracker(infra,
		kustomization("waiting", "infra"),
		ready(kustomization("done", "infra"), 1, 1, "r1"),
		kustomization("other", "db"),
		kustomization("elsewhere", "flux-system/infra"),
	)
	got := tr.RequestsForDependents(kustomizev1.KustomizationKind)(context.Background(), infra)
	want := []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: "apps", Name: "waiting"}}}
	if len(got) != len(want) || got[0] != want[0] {
		t.Fatalf("requests = %v, want %v", got, want)
	}
}

func TestRequestsForDependentsOfAHelmRelease(t *testing.T) {
	redis := helmRelease("infra", true, 1, 1)
	tr := tracker(redis,
		kustomization("waiting", "HelmRelease:infra"),
		kustomization("on-the-kustomization", "infra"),
		ready(kustomization("done", "HelmRelease:infra"), 1, 1, "r1"),
	)
	got := tr.RequestsForDependents(helmv2.HelmReleaseKind)(context.Background(), redis)
	want := []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: "apps", Name: "waiting"}}}
	if len(got) != len(want) || got[0] != want[0] {
		t.Fatalf("requests = %v, want %v", got, want)
	}
}

func TestReadyPredicate(t *testing.T) {
	p := kind(t, kustomizev1.KustomizationKind).ReadyPredicate()
	tests := map[string]struct {
		old, new *ks
		want     bool
	}{
		"became ready":               {kustomization("infra"), ready(kustomization("infra"), 1, 1, "r1"), true},
		"stays ready":                {ready(kustomization("infra"), 1, 1, "r1"), ready(kustomization("infra"), 1, 1, "r1"), false},
		"applied a new revision":     {ready(kustomization("infra"), 1, 1, "r1"), ready(kustomization("infra"), 1, 1, "r2"), true},
		"not ready yet":              {kustomization("infra"), kustomization("infra"), false},
		"ready at an old generation": {kustomization("infra"), ready(kustomization("infra"), 2, 1, "r1"), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := p.Update(event.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.new}); got != tc.want {
				t.Errorf("Update = %v, want %v", got, tc.want)
			}
		})
	}
	infra := ready(kustomization("infra"), 1, 1, "r1")
	if p.Create(event.CreateEvent{Object: infra}) || p.Delete(event.DeleteEvent{Object: infra}) || p.Generic(event.GenericEvent{Object: infra}) {
		t.Error("a create, delete or generic event passed")
	}
}

func TestReadyPredicateOfAHelmRelease(t *testing.T) {
	p := kind(t, helmv2.HelmReleaseKind).ReadyPredicate()
	tests := map[string]struct {
		old, new *helmv2.HelmRelease
		want     bool
	}{
		"became ready":               {helmRelease("redis", false, 1, 1), helmRelease("redis", true, 1, 1), true},
		"stays ready":                {helmRelease("redis", true, 1, 1), helmRelease("redis", true, 1, 1), false},
		"ready at a new generation":  {helmRelease("redis", true, 1, 1), helmRelease("redis", true, 2, 2), false},
		"upgraded, ready again":      {helmRelease("redis", true, 2, 1), helmRelease("redis", true, 2, 2), true},
		"ready at an old generation": {helmRelease("redis", false, 2, 1), helmRelease("redis", true, 2, 1), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := p.Update(event.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.new}); got != tc.want {
				t.Errorf("Update = %v, want %v", got, tc.want)
			}
		})
	}
}
