package status

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/controlplane"
)

// testClient talks to the control plane started by TestMain.
var testClient client.Client

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cp, err := controlplane.Start(ctx, controlplane.Options{Progress: os.Stderr})
	if err != nil {
		fmt.Fprintf(os.Stderr, "start control plane: %v\n", err)
		return 1
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop control plane: %v\n", err)
		}
	}()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, sourcev1.AddToScheme} {
		if err := add(scheme); err != nil {
			fmt.Fprintf(os.Stderr, "scheme: %v\n", err)
			return 1
		}
	}
	if testClient, err = client.New(cp.Config, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		return 1
	}
	if err := config.InstallCRDs(ctx, testClient); err != nil {
		fmt.Fprintf(os.Stderr, "install CRDs: %v\n", err)
		return 1
	}
	return m.Run()
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
		err := testClient.Create(ctx, gr)
		if err == nil {
			break
		}
		// Discovery can lag the CRD being Established.
		if ctx.Err() != nil {
			t.Fatalf("create: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	p := NewPatcher(gr, testClient)
	MarkReconciling(gr, meta.ProgressingReason, "cloning")
	MarkReady(gr, meta.SucceededReason, "stored artifact for revision '%s'", "main@sha1:abc")
	gr.Status.ObservedGeneration = gr.Generation
	gr.Status.LastHandledReconcileAt = "now"
	gr.Status.Artifact = &meta.Artifact{Path: "gitrepository/default/patcher/abc.tar.gz", URL: "http://x/abc.tar.gz", Revision: "main@sha1:abc", LastUpdateTime: metav1.Now()}
	if err := p.Patch(ctx, gr); err != nil {
		t.Fatal(err)
	}

	got := &sourcev1.GitRepository{}
	if err := testClient.Get(ctx, client.ObjectKeyFromObject(gr), got); err != nil {
		t.Fatal(err)
	}
	if !IsReady(got) || IsReconciling(got) {
		t.Errorf("stored conditions %+v: want only Ready=True", got.Status.Conditions)
	}
	if c := Get(got, meta.ReadyCondition); c == nil || c.ObservedGeneration != got.Generation {
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
	if err := testClient.Get(ctx, client.ObjectKeyFromObject(gr), got); err != nil {
		t.Fatal(err)
	}
	if got.ResourceVersion != rv {
		t.Errorf("resourceVersion moved from %s to %s without a change", rv, got.ResourceVersion)
	}

	// A later change is patched against the new snapshot; conditions removed
	// locally are removed on the server.
	MarkStalled(gr, meta.InvalidPathReason, "path not found")
	MarkFalse(gr, meta.ReadyCondition, meta.InvalidPathReason, "path not found")
	if err := p.Patch(ctx, gr); err != nil {
		t.Fatal(err)
	}
	if err := testClient.Get(ctx, client.ObjectKeyFromObject(gr), got); err != nil {
		t.Fatal(err)
	}
	if IsReady(got) || !IsStalled(got) {
		t.Errorf("stored conditions %+v: want Stalled=True, Ready=False", got.Status.Conditions)
	}

	// Errors name the object.
	gone := gr.DeepCopy()
	gone.Name = "does-not-exist"
	p = NewPatcher(gone, testClient)
	MarkReady(gone, meta.SucceededReason, "ok")
	err := p.Patch(ctx, gone)
	if err == nil || !strings.Contains(err.Error(), "GitRepository/default/does-not-exist status patch failed") {
		t.Errorf("patch of a missing object: got %v, want an error naming GitRepository/default/does-not-exist", err)
	}
}
