package status_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/status"
	"github.com/ferrycd/ferry/internal/testenv"
)

// env is the API-only control plane the patch test runs against.
var env *testenv.Env

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{})
	os.Exit(env.Run(m))
}

func TestPatcher(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	gr := &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Name: "patcher", Namespace: "default"},
		Spec: sourcev1.GitRepositorySpec{
			URL:      "https://example.com/repo.git",
			Interval: metav1.Duration{Duration: time.Minute},
		},
	}
	for {
		err := env.Client.Create(ctx, gr)
		if err == nil {
			break
		}
		// Discovery can lag the CRD being Established.
		if ctx.Err() != nil {
			t.Fatalf("create: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	p := status.NewPatcher(gr, env.Client)
	status.MarkReconciling(gr, meta.ProgressingReason, "cloning")
	status.MarkReady(gr, meta.SucceededReason, "stored artifact for revision '%s'", "main@sha1:abc")
	gr.Status.ObservedGeneration = gr.Generation
	gr.Status.LastHandledReconcileAt = "now"
	gr.Status.Artifact = &meta.Artifact{Path: "gitrepository/default/patcher/abc.tar.gz", URL: "http://x/abc.tar.gz", Revision: "main@sha1:abc", LastUpdateTime: metav1.Now()}
	if err := p.Patch(ctx, gr); err != nil {
		t.Fatal(err)
	}

	got := &sourcev1.GitRepository{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(gr), got); err != nil {
		t.Fatal(err)
	}
	if !status.IsReady(got) || status.IsReconciling(got) {
		t.Errorf("stored conditions %+v: want only Ready=True", got.Status.Conditions)
	}
	if c := status.Get(got, meta.ReadyCondition); c == nil || c.ObservedGeneration != got.Generation {
		t.Errorf("Ready %+v: want observedGeneration %d", c, got.Generation)
	}
	if got.Status.ObservedGeneration != got.Generation || got.Status.LastHandledReconcileAt != "now" || !got.Status.Artifact.HasRevision("main@sha1:abc") {
		t.Errorf("stored status %+v", got.Status)
	}

	// Nothing changed since the last patch: no request, no new resourceVersion.
	rv := got.ResourceVersion
	if err := p.Patch(ctx, gr); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(gr), got); err != nil {
		t.Fatal(err)
	}
	if got.ResourceVersion != rv {
		t.Errorf("resourceVersion moved from %s to %s without a change", rv, got.ResourceVersion)
	}

	// A later change is patched against the new snapshot; conditions removed
	// locally are removed on the server.
	status.MarkStalled(gr, meta.InvalidPathReason, "path not found")
	status.MarkFalse(gr, meta.ReadyCondition, meta.InvalidPathReason, "path not found")
	if err := p.Patch(ctx, gr); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(gr), got); err != nil {
		t.Fatal(err)
	}
	if status.IsReady(got) || !status.IsStalled(got) {
		t.Errorf("stored conditions %+v: want Stalled=True, Ready=False", got.Status.Conditions)
	}

	// Errors name the object.
	gone := gr.DeepCopy()
	gone.Name = "does-not-exist"
	p = status.NewPatcher(gone, env.Client)
	status.MarkReady(gone, meta.SucceededReason, "ok")
	err := p.Patch(ctx, gone)
	if err == nil || !strings.Contains(err.Error(), "GitRepository/default/does-not-exist status patch failed") {
		t.Errorf("patch of a missing object: got %v, want an error naming GitRepository/default/does-not-exist", err)
	}
}
