package reconcile

import (
	"context"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/event"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/status"
)

func TestJitter(t *testing.T) {
	for _, tc := range []struct {
		d       time.Duration
		percent int
		f       float64
		want    time.Duration
	}{
		{10 * time.Minute, 5, 0.5, 10 * time.Minute},
		{10 * time.Minute, 5, 0, 9*time.Minute + 30*time.Second},
		{10 * time.Minute, 5, 1, 10*time.Minute + 30*time.Second},
		{10 * time.Minute, 10, 0.75, 10*time.Minute + 30*time.Second},
		{10 * time.Minute, 0, 0, 10 * time.Minute},
		{10 * time.Minute, -1, 0, 10 * time.Minute},
		{10 * time.Minute, 100, 0, 10 * time.Minute},
		{0, 5, 0, 0},
	} {
		if got := Jitter(tc.d, tc.percent, tc.f); got != tc.want {
			t.Errorf("Jitter(%s, %d%%, %v) = %s, want %s", tc.d, tc.percent, tc.f, got, tc.want)
		}
	}
}

// TestResult checks the one rule that maps an outcome to what
// controller-runtime does next, for a kind with spec.retryInterval
// (Kustomization) and one without (GitRepository).
func TestResult(t *testing.T) {
	hour := metav1.Duration{Duration: time.Hour}
	repo := &sourcev1.GitRepository{Spec: sourcev1.GitRepositorySpec{Interval: hour}}
	ks := &kustomizev1.Kustomization{Spec: kustomizev1.KustomizationSpec{Interval: hour, RetryInterval: &metav1.Duration{Duration: 2 * time.Minute}}}
	git := &Skeleton[*sourcev1.GitRepository]{Kind: sourcev1.GitRepositoryKind}
	kus := &Skeleton[*kustomizev1.Kustomization]{Kind: kustomizev1.KustomizationKind}
	ctx := context.Background()
	boom := errors.New("connection refused")

	// Success: the interval, within the default ±5%, for every kind.
	for range 100 {
		res, err := git.result(ctx, repo, nil)
		if err != nil || res.RequeueAfter < 57*time.Minute || res.RequeueAfter > 63*time.Minute {
			t.Fatalf("success = %+v, %v; want 1h ± 5%%", res, err)
		}
		if res, _ := kus.result(ctx, ks, nil); res.RequeueAfter < 57*time.Minute || res.RequeueAfter > 63*time.Minute {
			t.Fatalf("Kustomization success = %+v; want 1h ± 5%%", res)
		}
	}
	noJitter := &Skeleton[*sourcev1.GitRepository]{Kind: sourcev1.GitRepositoryKind, JitterPercentage: -1}
	if res, _ := noJitter.result(ctx, repo, nil); res.RequeueAfter != time.Hour {
		t.Errorf("success without jitter = %s, want 1h", res.RequeueAfter)
	}

	tests := map[string]struct {
		got     func() (ctrl.Result, error)
		want    ctrl.Result
		wantErr bool
	}{
		"stalled: no retry": {
			got:  func() (ctrl.Result, error) { return git.result(ctx, repo, Stalled(meta.URLInvalidReason, boom)) },
			want: ctrl.Result{},
		},
		"stalled Kustomization: no retry either": {
			got:  func() (ctrl.Result, error) { return kus.result(ctx, ks, Stalled(meta.InvalidPathReason, boom)) },
			want: ctrl.Result{},
		},
		"waiting: after its duration, no error": {
			got: func() (ctrl.Result, error) {
				return kus.result(ctx, ks, Waiting(meta.DependencyNotReadyReason, 30*time.Second, boom))
			},
			want: ctrl.Result{RequeueAfter: 30 * time.Second},
		},
		"transient with spec.retryInterval": {
			got:  func() (ctrl.Result, error) { return kus.result(ctx, ks, boom) },
			want: ctrl.Result{RequeueAfter: 2 * time.Minute},
		},
		"transient without: backoff": {
			got:     func() (ctrl.Result, error) { return git.result(ctx, repo, boom) },
			want:    ctrl.Result{},
			wantErr: true,
		},
		"wrapped outcome": {
			got: func() (ctrl.Result, error) {
				return git.result(ctx, repo, errors.Join(Waiting("IncludeUnavailable", time.Second, boom)))
			},
			want: ctrl.Result{RequeueAfter: time.Second},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := tt.got()
			if res != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("result = %+v, %v; want %+v, error %v", res, err, tt.want, tt.wantErr)
			}
		})
	}
	if !IsStalled(Stalled("x", boom)) || IsStalled(boom) {
		t.Error("IsStalled")
	}
}

func TestFinish(t *testing.T) {
	tests := map[string]struct {
		setup           func(*kustomizev1.Kustomization)
		wantReconciling string // reason, "" for absent
		wantObserved    int64
	}{
		"ready": {
			setup: func(k *kustomizev1.Kustomization) {
				status.MarkReconciling(k, meta.ProgressingReason, "building")
				status.MarkReady(k, meta.ReconciliationSucceededReason, "Applied revision: x")
			},
			wantObserved: 3,
		},
		"failed": {
			setup: func(k *kustomizev1.Kustomization) {
				status.MarkReconciling(k, meta.ProgressingReason, "building")
				status.MarkFalse(k, meta.ReadyCondition, meta.BuildFailedReason, "bad")
			},
			wantReconciling: meta.ProgressingWithRetryReason,
		},
		"stalled": {
			setup: func(k *kustomizev1.Kustomization) {
				status.MarkFalse(k, meta.ReadyCondition, meta.InvalidPathReason, "bad path")
				status.MarkStalled(k, meta.InvalidPathReason, "bad path")
			},
			wantObserved: 3,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			k := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Generation: 3,
				Annotations: map[string]string{meta.ReconcileRequestAnnotation: "now"}}}
			tt.setup(k)
			Finish(k)
			var reason string
			if c := status.Get(k, meta.ReconcilingCondition); c != nil {
				reason = c.Reason
			}
			if reason != tt.wantReconciling {
				t.Errorf("Reconciling reason = %q, want %q", reason, tt.wantReconciling)
			}
			if k.Status.ObservedGeneration != tt.wantObserved {
				t.Errorf("observedGeneration = %d, want %d", k.Status.ObservedGeneration, tt.wantObserved)
			}
			if k.Status.LastHandledReconcileAt != "now" {
				t.Errorf("lastHandledReconcileAt = %q, want now", k.Status.LastHandledReconcileAt)
			}
		})
	}
	// A GitRepository acknowledges requests the same way.
	g := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{meta.ReconcileRequestAnnotation: "t1"}}}
	Finish(g)
	if g.Status.LastHandledReconcileAt != "t1" {
		t.Errorf("GitRepository lastHandledReconcileAt = %q", g.Status.LastHandledReconcileAt)
	}
}

func TestReconcileRequested(t *testing.T) {
	withAnnotation := func(v string) *kustomizev1.Kustomization {
		k := &kustomizev1.Kustomization{}
		if v != "" {
			k.Annotations = map[string]string{meta.ReconcileRequestAnnotation: v}
		}
		return k
	}
	tests := map[string]struct {
		old, new string
		want     bool
	}{
		"first request":   {"", "t1", true},
		"new request":     {"t1", "t2", true},
		"same request":    {"t1", "t1", false},
		"removed":         {"t1", "", false},
		"never requested": {"", "", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := ReconcileRequested{}.Update(event.UpdateEvent{ObjectOld: withAnnotation(tt.old), ObjectNew: withAnnotation(tt.new)})
			if got != tt.want {
				t.Errorf("Update = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeleting(t *testing.T) {
	live := &sourcev1.GitRepository{}
	deleted := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &metav1.Time{Time: time.Now()}}}
	if !(Deleting{}).Update(event.UpdateEvent{ObjectOld: live, ObjectNew: deleted}) {
		t.Error("the start of a deletion did not pass")
	}
	if (Deleting{}).Update(event.UpdateEvent{ObjectOld: deleted, ObjectNew: deleted}) {
		t.Error("an update during a deletion passed")
	}
}

func TestArtifactChanged(t *testing.T) {
	repo := func(rev, digest string) *sourcev1.GitRepository {
		g := &sourcev1.GitRepository{}
		if rev != "" {
			g.Status.Artifact = &meta.Artifact{Revision: rev, Digest: digest}
		}
		return g
	}
	tests := map[string]struct {
		old, new *sourcev1.GitRepository
		want     bool
	}{
		"first artifact":    {repo("", ""), repo("main@sha1:a", "sha256:1"), true},
		"new revision":      {repo("main@sha1:a", "sha256:1"), repo("main@sha1:b", "sha256:2"), true},
		"new content":       {repo("main@sha1:a", "sha256:1"), repo("main@sha1:a", "sha256:2"), true},
		"same artifact":     {repo("main@sha1:a", "sha256:1"), repo("main@sha1:a", "sha256:1"), false},
		"artifact removed":  {repo("main@sha1:a", "sha256:1"), repo("", ""), false},
		"still no artifact": {repo("", ""), repo("", ""), false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := (ArtifactChanged{}).Update(event.UpdateEvent{ObjectOld: tt.old, ObjectNew: tt.new}); got != tt.want {
				t.Errorf("Update = %v, want %v", got, tt.want)
			}
		})
	}
	a := repo("main@sha1:a", "sha256:1")
	if (ArtifactChanged{}).Create(event.CreateEvent{Object: a}) || (ArtifactChanged{}).Delete(event.DeleteEvent{Object: a}) {
		t.Error("creation or deletion passed without Lifecycle")
	}
	if !(ArtifactChanged{Lifecycle: true}).Create(event.CreateEvent{Object: a}) || !(ArtifactChanged{Lifecycle: true}).Delete(event.DeleteEvent{Object: a}) {
		t.Error("creation or deletion did not pass with Lifecycle")
	}
}
