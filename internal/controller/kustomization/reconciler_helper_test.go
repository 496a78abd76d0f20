package kustomization_test

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/controller/kustomization"
)

// reconcilerLabel marks a Kustomization reconciled by a test's own
// reconciler (startReconciler, configured with controller flags) instead of
// the suite's; the value names the reconciler.
const reconcilerLabel = "test.ferry.dev/reconciler"

// notOwnReconciler selects the Kustomizations the suite's reconciler owns.
func notOwnReconciler() labels.Selector {
	req, err := labels.NewRequirement(reconcilerLabel, selection.DoesNotExist, nil)
	if err != nil {
		panic(err)
	}
	return labels.NewSelector().Add(*req)
}

// startReconciler runs a Kustomization reconciler of its own, configured by
// configure, for the Kustomizations labelled reconcilerLabel=name (the
// suite's GitRepository controller still serves their sources). At the end
// of the test it deletes those Kustomizations of the fixture's namespace,
// waits until their finalizers ran, and stops.
func startReconciler(f *fixture, name string, configure func(*kustomization.Reconciler)) {
	f.t.Helper()
	startReconcilerLogging(f, name, ctrl.Log, configure)
}

// startReconcilerLogging is startReconciler with the reconciler's logs sent
// to logger.
func startReconcilerLogging(f *fixture, name string, logger logr.Logger, configure func(*kustomization.Reconciler)) {
	f.t.Helper()
	scheme := k8sClient.Scheme()
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Logger:                 logger,
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&kustomizev1.Kustomization{}: {Label: labels.SelectorFromSet(labels.Set{reconcilerLabel: name})},
		}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	r := &kustomization.Reconciler{
		Client:                    mgr.GetClient(),
		EventRecorder:             mgr.GetEventRecorderFor(kustomization.ControllerName),
		Fetcher:                   &artifact.Fetcher{}, // over HTTP from the suite's artifact server
		TempDir:                   f.t.TempDir(),
		DependencyRequeueInterval: time.Second,
	}
	configure(r)
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.SetupWithManager(ctx, mgr, kustomization.Options{MaxConcurrentReconciles: 2}); err != nil {
		cancel()
		f.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	f.t.Cleanup(func() {
		defer func() {
			cancel()
			if err := <-done; err != nil {
				f.t.Errorf("manager of reconciler %s: %v", name, err)
			}
		}()
		bg := context.Background()
		sel := client.MatchingLabels{reconcilerLabel: name}
		if err := k8sClient.DeleteAllOf(bg, &kustomizev1.Kustomization{}, client.InNamespace(f.ns), sel); err != nil {
			f.t.Errorf("deleting the Kustomizations of reconciler %s: %v", name, err)
			return
		}
		f.eventually("Kustomizations of reconciler "+name+" finalized", func() string {
			list := &kustomizev1.KustomizationList{}
			if err := k8sClient.List(bg, list, client.InNamespace(f.ns), sel); err != nil {
				return err.Error()
			}
			if len(list.Items) > 0 {
				return list.Items[0].Name + " still exists"
			}
			return ""
		})
	})
}
