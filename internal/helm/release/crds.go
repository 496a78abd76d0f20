package release

import (
	"context"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
)

// ApplyCRDs applies the CustomResourceDefinitions of ch's crds/ directories
// (subcharts included) per policy, since Helm installs them only once and
// never upgrades them: Skip does nothing, Create creates those that do not
// exist, CreateReplace also updates existing ones (server-side apply,
// forced, as helm-controller). It waits until they are established and
// resets the cluster's discovery, so the chart's custom resources map. It
// returns how many it created or updated.
func ApplyCRDs(ctx context.Context, c client.Client, cluster *Cluster, ch *chartv2.Chart, policy helmv2.CRDsPolicy) (int, error) {
	if policy == helmv2.Skip {
		return 0, nil
	}
	var changed []*unstructured.Unstructured
	for _, crd := range ch.CRDObjects() {
		if crd.File == nil {
			continue
		}
		for _, obj := range ManifestObjects(string(crd.File.Data)) {
			if obj.GetKind() != "CustomResourceDefinition" {
				return 0, fmt.Errorf("%s: %s %s is not a CustomResourceDefinition", crd.Filename, obj.GetKind(), obj.GetName())
			}
			done, err := applyCRD(ctx, c, obj, policy)
			if err != nil {
				return 0, fmt.Errorf("%s: CustomResourceDefinition %s: %w", crd.Filename, obj.GetName(), err)
			}
			if done {
				changed = append(changed, obj)
			}
		}
	}
	if len(changed) == 0 {
		return 0, nil
	}
	for _, obj := range changed {
		if err := waitEstablished(ctx, c, obj.GetName()); err != nil {
			return 0, err
		}
	}
	if cluster != nil {
		cluster.Invalidate()
	}
	return len(changed), nil
}

func applyCRD(ctx context.Context, c client.Client, obj *unstructured.Unstructured, policy helmv2.CRDsPolicy) (bool, error) {
	if policy == helmv2.Create {
		err := c.Create(ctx, obj, client.FieldOwner(FieldManager))
		if apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return err == nil, err
	}
	obj.SetManagedFields(nil)
	obj.SetResourceVersion("")
	return true, c.Patch(ctx, obj, client.Apply, client.FieldOwner(FieldManager), client.ForceOwnership)
}

func waitEstablished(ctx context.Context, c client.Client, name string) error {
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &crd); err != nil {
			return false, nil
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("CustomResourceDefinition %s is not established: %w", name, err)
	}
	return nil
}
