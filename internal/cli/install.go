package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/version"
)

func newInstallCommand(g *globals) *cobra.Command {
	var export, waitReady bool
	var tag string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install ferry's CRDs and controller in a cluster",
		Long: `Install applies ferry's CRDs (Flux's API groups), the ferry-system namespace,
RBAC, and the Deployment and Service that run 'ferry controller' in the cluster
of the current kubeconfig context. With --export it prints them instead.`,
		Example: `  # Print the install manifests, e.g. to commit them to Git
  ferry install --export > ferry-system.yaml

  # Install into the current kubeconfig context and wait until ferry runs
  ferry install`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			manifests, err := config.InstallManifests(tag)
			if err != nil {
				return fmt.Errorf("rendering the install manifests: %w", err)
			}
			if export {
				_, err := g.out.Write(manifests)
				return err
			}
			objs, err := decodeManifests(manifests)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			g.printf("► installing CRDs")
			if err := config.InstallCRDs(ctx, c); err != nil {
				return err
			}
			g.printf("✔ CRDs established")
			var deployments []types.NamespacedName
			for _, obj := range objs {
				if obj.GetKind() == "CustomResourceDefinition" {
					continue
				}
				if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("ferry"), client.ForceOwnership); err != nil {
					return fmt.Errorf("applying %s: %w", objectName(obj), err)
				}
				g.printf("✔ %s applied", objectName(obj))
				if obj.GetKind() == "Deployment" {
					deployments = append(deployments, types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()})
				}
			}
			if !waitReady {
				return nil
			}
			for _, key := range deployments {
				g.printf("◎ waiting for Deployment %s to become available", key)
				if err := waitDeploymentAvailable(ctx, c, key, timeout); err != nil {
					return err
				}
				g.printf("✔ Deployment %s is available", key)
			}
			g.printf("✔ install finished")
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&export, "export", false, "print the manifests instead of applying them")
	f.StringVar(&tag, "version", version.Version, "ferry image tag to deploy")
	f.BoolVar(&waitReady, "wait", true, "wait until the ferry Deployment is available")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the Deployment")
	return cmd
}

// decodeManifests splits a multi-document YAML stream into objects.
func decodeManifests(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("decoding the install manifests: %w", err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		objs = append(objs, obj)
	}
}

// objectName renders Kind/namespace/name, or Kind/name for cluster objects.
func objectName(obj client.Object) string {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if obj.GetNamespace() == "" {
		return kind + "/" + obj.GetName()
	}
	return kind + "/" + obj.GetNamespace() + "/" + obj.GetName()
}

// waitDeploymentAvailable polls until the Deployment reports Available=True
// for its current generation.
func waitDeploymentAvailable(ctx context.Context, c client.Client, key types.NamespacedName, timeout time.Duration) error {
	var d appsv1.Deployment
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, key, &d); err != nil {
			return false, nil
		}
		if d.Status.ObservedGeneration < d.Generation {
			return false, nil
		}
		for _, cond := range d.Status.Conditions {
			if cond.Type == appsv1.DeploymentAvailable && cond.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("Deployment %s did not become available within %s: check 'kubectl -n %s describe deployment %s'", key, timeout, key.Namespace, key.Name)
	}
	return nil
}
