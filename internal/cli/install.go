package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	appsv1 "k8s.io/api/apps/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/config/monitoring"
	"github.com/ferrycd/ferry/internal/version"
)

func newInstallCommand(g *globals) *cobra.Command {
	var export, waitReady bool
	var timeout time.Duration
	inf := &installFlags{}
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install ferry's CRDs and controller in a cluster",
		Long: `Install applies ferry's CRDs (Flux's API groups), the ferry-system namespace
(or the one -n names), RBAC, and the Deployment and Service that run
'ferry controller' in the cluster of the current kubeconfig context. With
--export it prints them instead.`,
		Example: `  # Print the install manifests, e.g. to commit them to Git
  ferry install --export > ferry-system.yaml

  # Install into the current kubeconfig context and wait until ferry runs
  ferry install

  # Deploy a copy of the image from a private registry, pinned by digest
  ferry install --image registry.example.com/ferry@sha256:<digest>`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			objs, err := inf.objects(g, cmd)
			if err != nil {
				return err
			}
			if export {
				manifests, err := config.MarshalManifests(objs)
				if err != nil {
					return err
				}
				_, err = g.out.Write(manifests)
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := g.applyInstall(cmd.Context(), c, objs, inf.takeover, timeout); err != nil {
				return err
			}
			if waitReady {
				if err := g.waitInstall(cmd.Context(), c, objs, timeout); err != nil {
					return err
				}
			}
			g.printf("✔ install finished")
			return nil
		},
	}
	f := cmd.Flags()
	inf.register(f)
	f.BoolVar(&export, "export", false, "print the manifests instead of applying them")
	f.BoolVar(&waitReady, "wait", true, "wait until the ferry Deployment is available")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the Deployment")
	return cmd
}

// applyInstall server-side applies the install objects: the CRDs first,
// until established and served, then the rest in order. Beside Flux's
// running controllers it refuses, or with takeover scales them to zero
// first (takeOver); the checks come before any change.
func (g *globals) applyInstall(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, takeover bool, timeout time.Duration) error {
	if _, err := refuseBesideFlux(ctx, c, takeover); err != nil {
		return err
	}
	// The monitoring objects need the Prometheus Operator's CRDs: check
	// before applying anything, so that nothing is half-installed.
	for _, obj := range objs {
		gvk := obj.GroupVersionKind()
		if gvk.Group != "monitoring.coreos.com" {
			continue
		}
		if _, err := c.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			if apimeta.IsNoMatchError(err) {
				return fmt.Errorf("the cluster has no %s (%s): --monitoring needs the Prometheus Operator's CRDs (e.g. from kube-prometheus-stack); install them first, or leave --monitoring out. Nothing was applied", gvk.Kind, gvk.GroupVersion())
			}
			return fmt.Errorf("looking up %s: %w", gvk.Kind, err)
		}
	}
	if err := g.takeOver(ctx, c, takeover, timeout); err != nil {
		return err
	}
	g.printf("► installing CRDs")
	for _, obj := range objs {
		if obj.GetKind() != "CustomResourceDefinition" {
			continue
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(config.FieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s: %w", objectName(obj), err)
		}
	}
	if err := config.WaitCRDs(ctx, c); err != nil {
		return err
	}
	g.printf("✔ CRDs established")
	for _, obj := range objs {
		if obj.GetKind() == "CustomResourceDefinition" {
			continue
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(config.FieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s: %w", objectName(obj), err)
		}
		g.printf("✔ %s applied", objectName(obj))
	}
	return nil
}

// waitInstall waits until each Deployment of the install objects is
// available.
func (g *globals) waitInstall(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, timeout time.Duration) error {
	for _, obj := range objs {
		if obj.GetKind() != "Deployment" {
			continue
		}
		key := types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
		g.printf("◎ waiting for Deployment %s to become available", key)
		if err := waitDeploymentAvailable(ctx, c, key, timeout); err != nil {
			return err
		}
		g.printf("✔ Deployment %s is available", key)
	}
	return nil
}

// installFlags are the flags that choose what is installed, shared by
// install and bootstrap.
type installFlags struct {
	version    string
	image      string
	shards     []string
	monitoring bool
	fluxLayout bool
	takeover   bool
}

func (inf *installFlags) register(f *pflag.FlagSet) {
	f.StringVar(&inf.version, "version", version.Version, "tag of "+config.Image+" to deploy")
	f.StringVar(&inf.image, "image", "", "whole image reference to deploy instead, repository:tag or repository@sha256:digest (overrides --version)")
	f.BoolVar(&inf.monitoring, "monitoring", false, "also install the Grafana dashboard (a ConfigMap for Grafana's sidecar), the PrometheusRule of alerts and the PodMonitor (the Prometheus Operator's CRDs must exist; docs/monitoring.md)")
	f.BoolVar(&inf.fluxLayout, "flux-layout", false, "install where and as tools written for Flux look for it: namespace flux-system (unless -n), every object and CRD labelled app.kubernetes.io/part-of=flux (docs/cli.md, the flux CLI)")
	f.BoolVar(&inf.takeover, "takeover", false, "where Flux's controllers run, scale them to zero first and let ferry reconcile what they managed, as it is (docs/cli.md, 'Taking over from Flux')")
	f.StringSliceVar(&inf.shards, "shards", nil, "names of shards to run beside the main controller, each reconciling the objects labelled sharding.fluxcd.io/key=<name> (docs/scaling.md)")
}

// options returns the install options the flags select. The namespace is
// the one -n names, else ferry-system (flux-system with --flux-layout).
func (inf *installFlags) options(g *globals, cmd *cobra.Command) config.InstallOptions {
	opts := config.InstallOptions{Version: inf.version, Image: inf.image, Shards: inf.shards, FluxLayout: inf.fluxLayout}
	if f := cmd.Flags().Lookup("namespace"); f != nil && f.Changed {
		opts.Namespace = g.namespace
	}
	return opts
}

// objects returns the install objects the flags select: ferry's, and with
// --monitoring the monitoring objects after them.
func (inf *installFlags) objects(g *globals, cmd *cobra.Command) ([]*unstructured.Unstructured, error) {
	opts := inf.options(g, cmd)
	objs, err := config.InstallObjects(opts)
	if err != nil || !inf.monitoring {
		return objs, err
	}
	mon, err := monitoring.ManifestsIn(installedIn(objs))
	if err != nil {
		return nil, err
	}
	return append(objs, mon...), nil
}

// installedIn is the namespace of the install objects' Namespace.
func installedIn(objs []*unstructured.Unstructured) string {
	for _, obj := range objs {
		if obj.GetKind() == "Namespace" {
			return obj.GetName()
		}
	}
	return config.Namespace
}

// installNamespace is the namespace ferry is installed in: the one -n
// names, or ferry-system. (Without -n the CLI's namespace is flux-system,
// where Flux keeps its objects.)
func (g *globals) installNamespace(cmd *cobra.Command) string {
	if f := cmd.Flags().Lookup("namespace"); f != nil && f.Changed {
		return g.namespace
	}
	return config.Namespace
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
	why := "not found"
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		var d appsv1.Deployment
		if err := c.Get(ctx, key, &d); err != nil {
			why = err.Error()
			return false, nil
		}
		ok, reason := deploymentAvailable(&d)
		why = reason
		return ok, nil
	})
	if err != nil {
		return fmt.Errorf("Deployment %s did not become available within %s (%s): check 'kubectl -n %s describe deployment %s'", key, timeout, why, key.Namespace, key.Name)
	}
	return nil
}
