package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// createKustomizations creates count Kustomizations of the source of kind
// (GitRepository when empty), a few at a time.
func createKustomizations(ctx context.Context, c client.Client, count int, kind string) error {
	if kind == "" {
		kind = sourcev1.GitRepositoryKind
	}
	return parallel(ctx, count, func(i int) error {
		name := appName(i)
		ks := &kustomizev1.Kustomization{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: SourceNamespace},
			Spec: kustomizev1.KustomizationSpec{
				Interval:        metav1.Duration{Duration: time.Hour},
				Path:            "./apps/" + name,
				Prune:           true,
				Wait:            true,
				Timeout:         &metav1.Duration{Duration: 5 * time.Minute},
				TargetNamespace: TargetNamespace,
				SourceRef:       kustomizev1.CrossNamespaceSourceReference{Kind: kind, Name: sourceName},
			},
		}
		if err := c.Create(ctx, ks); err != nil {
			return fmt.Errorf("creating Kustomization %s: %w", name, err)
		}
		return nil
	})
}

// requestReconcile sets reconcile.fluxcd.io/requestedAt on every
// Kustomization, as `flux reconcile kustomization` does.
func requestReconcile(ctx context.Context, c client.Client, count int, token string) error {
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, meta.ReconcileRequestAnnotation, token)
	return parallel(ctx, count, func(i int) error {
		ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Name: appName(i), Namespace: SourceNamespace}}
		if err := c.Patch(ctx, ks, client.RawPatch(types.MergePatchType, patch)); err != nil {
			return fmt.Errorf("requesting a reconciliation of Kustomization %s: %w", ks.Name, err)
		}
		return nil
	})
}

// parallel runs fn for 0..count-1 on a few workers and returns the first
// error.
func parallel(ctx context.Context, count int, fn func(i int) error) error {
	return parallelN(ctx, 8, count, fn)
}

// parallelN runs fn for 0..count-1 on workers goroutines and returns the
// first error.
func parallelN(ctx context.Context, workers, count int, fn func(i int) error) error {
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range count {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err != nil {
		return err
	}
	return <-errs
}

// allReady is the condition that all count Kustomizations are Ready at
// their generation and, when token is set, have handled that reconcile
// request. A stalled Kustomization fails at once.
func allReady(ctx context.Context, r client.Reader, count int, token *string) func() (bool, string, error) {
	return func() (bool, string, error) {
		var list kustomizev1.KustomizationList
		if err := r.List(ctx, &list, client.InNamespace(SourceNamespace)); err != nil {
			return false, "", err
		}
		ready := 0
		var waiting string
		for i := range list.Items {
			k := &list.Items[i]
			if apimeta.IsStatusConditionTrue(k.Status.Conditions, meta.StalledCondition) {
				c := apimeta.FindStatusCondition(k.Status.Conditions, meta.StalledCondition)
				return false, "", fmt.Errorf("Kustomization %s is stalled: %s", k.Name, c.Message)
			}
			c := apimeta.FindStatusCondition(k.Status.Conditions, meta.ReadyCondition)
			ok := c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == k.Generation
			if ok && token != nil {
				ok = k.Status.LastHandledReconcileAt == *token
			}
			if ok {
				ready++
			} else if waiting == "" {
				waiting = k.Name
				if c != nil {
					waiting += " (" + c.Reason + ": " + c.Message + ")"
				}
			}
		}
		return ready == count, fmt.Sprintf("%d of %d done; waiting for %s", ready, count, waiting), nil
	}
}

// resourceVersions returns the resourceVersion of every object the
// Kustomizations applied, by "Kind/name".
func resourceVersions(ctx context.Context, c client.Client) (map[string]string, error) {
	out := map[string]string{}
	opts := []client.ListOption{client.InNamespace(TargetNamespace), client.HasLabels{ownerLabel}}
	lists := []client.ObjectList{&appsv1.DeploymentList{}, &corev1.ServiceList{}, &corev1.ServiceAccountList{}, &corev1.ConfigMapList{}}
	for _, l := range lists {
		if err := c.List(ctx, l, opts...); err != nil {
			return nil, fmt.Errorf("listing the applied objects: %w", err)
		}
		items, err := apimeta.ExtractList(l)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			o := item.(client.Object)
			kind := strings.TrimSuffix(fmt.Sprintf("%T", l), "List")
			kind = kind[strings.LastIndexByte(kind, '.')+1:]
			out[kind+"/"+o.GetName()] = o.GetResourceVersion()
		}
	}
	return out, nil
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
