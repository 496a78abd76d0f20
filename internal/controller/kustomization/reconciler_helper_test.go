package kustomization_test

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/controller"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
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

// startReconciler runs a Kustomization controller of its own, in a manager
// built by controller.NewManager with the suite's settings changed by
// configure, for the Kustomizations labelled reconcilerLabel=name (the
// suite's GitRepository controller still serves their sources, whose
// artifacts it fetches over HTTP). At the end of the test it deletes those
// Kustomizations of the fixture's namespace, waits until their finalizers
// ran, and stops.
func startReconciler(f *fixture, name string, configure func(*controller.Options)) {
	f.T.Helper()
	startReconcilerLogging(f, name, logr.Logger{}, configure)
}

// startReconcilerLogging is startReconciler with the controller's logs sent
// to logger (the zero Logger: the suite's).
func startReconcilerLogging(f *fixture, name string, logger logr.Logger, configure func(*controller.Options)) {
	f.T.Helper()
	opts := controller.Options{
		Controllers:        []string{"kustomization"},
		Concurrent:         2,
		DependencyRequeue:  time.Second,
		WatchLabelSelector: labels.SelectorFromSet(labels.Set{reconcilerLabel: name}),
		Logger:             logger,
	}
	configure(&opts)
	env.StartManager(f.T, opts)
	f.T.Cleanup(func() {
		bg := context.Background()
		sel := client.MatchingLabels{reconcilerLabel: name}
		if err := env.Client.DeleteAllOf(bg, &kustomizev1.Kustomization{}, client.InNamespace(f.NS), sel); err != nil {
			f.T.Errorf("deleting the Kustomizations of reconciler %s: %v", name, err)
			return
		}
		f.Eventually("Kustomizations of reconciler "+name+" finalized", func() string {
			list := &kustomizev1.KustomizationList{}
			if err := env.Client.List(bg, list, client.InNamespace(f.NS), sel); err != nil {
				return err.Error()
			}
			if len(list.Items) > 0 {
				return list.Items[0].Name + " still exists"
			}
			return ""
		})
	})
}
