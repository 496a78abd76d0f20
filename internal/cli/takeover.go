package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/config"
)

// ReplicasBeforeTakeoverAnnotation records, on each of Flux's controller
// Deployments that `ferry install --takeover` scaled to zero, how many
// replicas it had: the way back scales it to that again.
const ReplicasBeforeTakeoverAnnotation = "ferrycd.io/replicas-before-takeover"

// fluxControllers selects Flux's own controller Deployments and pods:
// part-of=flux and not ferry's (an install with --flux-layout carries
// part-of=flux too).
func fluxControllers() client.MatchingLabelsSelector {
	partOf, _ := labels.NewRequirement("app.kubernetes.io/part-of", selection.Equals, []string{"flux"})
	notFerry, _ := labels.NewRequirement(config.NameLabel, selection.NotEquals, []string{"ferry"})
	return client.MatchingLabelsSelector{Selector: labels.NewSelector().Add(*partOf, *notFerry)}
}

// runningFluxControllers lists Flux's controller Deployments, in every
// namespace, that have replicas.
func runningFluxControllers(ctx context.Context, c client.Client) ([]appsv1.Deployment, error) {
	var list appsv1.DeploymentList
	if err := c.List(ctx, &list, fluxControllers()); err != nil {
		return nil, fmt.Errorf("looking for Flux's controllers: %w", err)
	}
	var running []appsv1.Deployment
	for _, d := range list.Items {
		if d.Spec.Replicas == nil || *d.Spec.Replicas > 0 {
			running = append(running, d)
		}
	}
	return running, nil
}

// refuseBesideFlux returns Flux's running controllers, or, unless
// takeover is set, an error when there are any.
func refuseBesideFlux(ctx context.Context, c client.Client, takeover bool) ([]appsv1.Deployment, error) {
	running, err := runningFluxControllers(ctx, c)
	if err != nil || len(running) == 0 || takeover {
		return running, err
	}
	names := make([]string, len(running))
	for i, d := range running {
		names[i] = d.Namespace + "/" + d.Name
	}
	return nil, fmt.Errorf("Flux's controllers run in this cluster (%s): a second reconciler beside them would fight over every object. Pass --takeover to scale them to zero and let ferry reconcile what they managed (docs/cli.md, 'Taking over from Flux'), or uninstall Flux first. Nothing was applied", strings.Join(names, ", "))
}

// takeOver refuses to install beside Flux's running controllers unless
// takeover is set; then it scales them to zero, recording their replicas,
// and waits until their pods are gone, so that two reconcilers never
// apply at once. Flux's objects, inventories and CRDs are left as they
// are: ferry's CRDs, applied next, serve the same storage version and
// more versions besides.
func (g *globals) takeOver(ctx context.Context, c client.Client, takeover bool, timeout time.Duration) error {
	running, err := refuseBesideFlux(ctx, c, takeover)
	if err != nil || len(running) == 0 {
		return err
	}
	for i := range running {
		d := &running[i]
		replicas := int32(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		patch := client.MergeFrom(d.DeepCopy())
		if d.Annotations == nil {
			d.Annotations = map[string]string{}
		}
		d.Annotations[ReplicasBeforeTakeoverAnnotation] = strconv.Itoa(int(replicas))
		zero := int32(0)
		d.Spec.Replicas = &zero
		if err := c.Patch(ctx, d, patch); err != nil {
			return fmt.Errorf("scaling Flux's %s/%s to zero: %w", d.Namespace, d.Name, err)
		}
		g.printf("✔ Flux's Deployment %s/%s scaled from %d to 0 replicas", d.Namespace, d.Name, replicas)
	}
	g.printf("◎ waiting for Flux's controller pods to stop")
	var left int
	err = wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		var pods corev1.PodList
		if err := c.List(ctx, &pods, fluxControllers()); err != nil {
			return false, nil
		}
		left = len(pods.Items)
		return left == 0, nil
	})
	if err != nil {
		return fmt.Errorf("%d pod(s) of Flux's controllers still run after %s: ferry was not installed; check 'kubectl get pods -A -l app.kubernetes.io/part-of=flux' and run install again", left, timeout)
	}
	g.printf("✔ Flux's controllers stopped: ferry takes over their objects")
	return nil
}
