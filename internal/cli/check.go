package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/version"
)

// minKubernetes is the oldest Kubernetes release ferry supports: the
// oldest one still maintained upstream when ferry's client libraries were
// released, as Flux chooses its own.
const minKubernetes = "1.30.0"

// installRights are what the user running `ferry install` must be allowed
// to do: create the CRDs, the namespace, RBAC (binding cluster-admin, so
// the user needs it or the bind verb) and the workload.
var installRights = []authorizationv1.ResourceAttributes{
	{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions", Verb: "create"},
	{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions", Verb: "patch"},
	{Resource: "namespaces", Verb: "create"},
	{Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Verb: "create"},
	{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings", Verb: "create"},
	{Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Verb: "bind", Name: "cluster-admin"},
	{Resource: "serviceaccounts", Verb: "create"},
	{Resource: "services", Verb: "create"},
	{Group: "apps", Resource: "deployments", Verb: "create"},
}

func newCheckCommand(g *globals) *cobra.Command {
	var pre bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the cluster's prerequisites and ferry's installation",
		Long: `Check talks to the API server of the current kubeconfig context and checks
that its Kubernetes version is supported and that you may install ferry
(--pre stops there); then that every CRD of Flux's API is established and
serves every version ferry serves, and that ferry's controller Deployments
in ferry-system (or the namespace -n names) are available, with the version
they run. It exits 1 when any check fails.`,
		Example: `  # Before installing: can ferry run here, may I install it?
  ferry check --pre

  # After installing: CRDs and controller
  ferry check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			dc, err := g.discovery()
			if err != nil {
				return err
			}
			ck := &checker{g: g}
			ctx := cmd.Context()
			g.printf("► checking prerequisites")
			ck.kubernetesVersion(dc)
			if pre {
				ck.installRights(ctx, c)
			} else {
				g.printf("► checking controllers")
				ck.controllers(ctx, c, g.installNamespace(cmd))
				g.printf("► checking crds")
				ck.crds(ctx, c)
			}
			if ck.failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d check(s) failed", ck.failed)}
			}
			g.printf("✔ all checks passed")
			return nil
		},
	}
	cmd.Flags().BoolVar(&pre, "pre", false, "only check the prerequisites of an install")
	return cmd
}

// checker prints the outcome of each check and counts the failures.
type checker struct {
	g      *globals
	failed int
}

func (ck *checker) pass(format string, args ...any) { ck.g.printf("✔ "+format, args...) }

func (ck *checker) fail(format string, args ...any) {
	ck.failed++
	ck.g.printf("✗ "+format, args...)
}

// kubernetesVersion checks that the API server answers and runs a
// supported release.
func (ck *checker) kubernetesVersion(dc discovery.ServerVersionInterface) {
	info, err := dc.ServerVersion()
	if err != nil {
		ck.fail("the API server does not answer: %v", err)
		return
	}
	v, err := utilversion.ParseGeneric(info.GitVersion)
	if err != nil {
		ck.fail("Kubernetes reports version %q, which does not parse: %v", info.GitVersion, err)
		return
	}
	if !v.AtLeast(utilversion.MustParseGeneric(minKubernetes)) {
		ck.fail("Kubernetes %s: ferry needs >=%s", info.GitVersion, minKubernetes)
		return
	}
	ck.pass("Kubernetes %s >=%s", strings.TrimPrefix(info.GitVersion, "v"), minKubernetes)
}

// installRights checks with SelfSubjectAccessReviews that the user may
// create what `ferry install` applies.
func (ck *checker) installRights(ctx context.Context, c client.Client) {
	var missing []string
	for _, attrs := range installRights {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attrs}}
		if err := c.Create(ctx, review); err != nil {
			ck.fail("asking the API server what you may do: %v", err)
			return
		}
		if !review.Status.Allowed {
			what := attrs.Verb + " " + attrs.Resource
			if attrs.Group != "" {
				what += "." + attrs.Group
			}
			if attrs.Name != "" {
				what += " " + attrs.Name
			}
			missing = append(missing, what)
		}
	}
	if len(missing) > 0 {
		ck.fail("you may not install ferry: not allowed to %s (ask for cluster-admin)", strings.Join(missing, ", "))
		return
	}
	ck.pass("you may install ferry (CRDs, namespace, RBAC binding cluster-admin, Deployment)")
}

// controllers checks ferry's controller Deployments in namespace: each
// one available at its current generation, and which version it runs.
func (ck *checker) controllers(ctx context.Context, c client.Client, namespace string) {
	var list appsv1.DeploymentList
	if err := c.List(ctx, &list, client.InNamespace(namespace), client.MatchingLabels{config.NameLabel: "ferry"}); err != nil {
		ck.fail("listing the Deployments of %s: %v", namespace, err)
		return
	}
	if len(list.Items) == 0 {
		ck.fail("no ferry controller Deployment in namespace %s: run 'ferry install' (or pass -n where ferry runs)", namespace)
		return
	}
	for i := range list.Items {
		d := &list.Items[i]
		image := ""
		for _, ctr := range d.Spec.Template.Spec.Containers {
			if ctr.Name == "manager" {
				image = ctr.Image
			}
		}
		if ok, why := deploymentAvailable(d); !ok {
			ck.fail("%s/%s: %s: see 'kubectl -n %s describe deployment %s'", d.Namespace, d.Name, why, d.Namespace, d.Name)
			continue
		}
		ck.pass("%s/%s: deployment ready, %d/%d replicas available", d.Namespace, d.Name, d.Status.AvailableReplicas, d.Status.Replicas)
		ck.g.printf("► %s", image)
		if tag := config.ImageTag(image); tag != "" && tag != version.Version {
			ck.g.printf("  (this ferry CLI is %s)", version.Version)
		}
	}
}

// deploymentAvailable reports whether the Deployment has rolled out its
// current generation and is Available, and if not, why.
func deploymentAvailable(d *appsv1.Deployment) (bool, string) {
	if d.Status.ObservedGeneration < d.Generation {
		return false, "its latest spec is not rolled out yet"
	}
	for _, cond := range d.Status.Conditions {
		if cond.Type == appsv1.DeploymentAvailable {
			if cond.Status == corev1.ConditionTrue {
				return true, ""
			}
			return false, "not available: " + cond.Message
		}
	}
	return false, "not available: no Available condition yet (is kube-controller-manager running?)"
}

// crds checks that each of ferry's CRDs is installed, established, and
// serves every version ferry serves.
func (ck *checker) crds(ctx context.Context, c client.Client) {
	want, err := config.CRDs()
	if err != nil {
		ck.fail("%v", err)
		return
	}
	for _, w := range want {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
		if err := c.Get(ctx, client.ObjectKey{Name: w.Name}, u); err != nil {
			if apierrors.IsNotFound(err) {
				ck.fail("%s: not installed: run 'ferry install'", w.Name)
			} else {
				ck.fail("%s: %v", w.Name, err)
			}
			continue
		}
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, got); err != nil {
			ck.fail("%s: %v", w.Name, err)
			continue
		}
		if err := crdServes(got, w); err != nil {
			ck.fail("%s: %v", w.Name, err)
			continue
		}
		storage, others := servedVersions(got)
		if len(others) == 0 {
			ck.pass("%s/%s", w.Name, storage)
		} else {
			ck.pass("%s/%s (also serves %s)", w.Name, storage, strings.Join(others, ", "))
		}
	}
}

// crdServes returns why the installed CRD got does not serve what want
// does, nil when it does.
func crdServes(got, want *apiextensionsv1.CustomResourceDefinition) error {
	established := false
	for _, cond := range got.Status.Conditions {
		if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
			established = true
		}
	}
	if !established {
		return errors.New("not established")
	}
	served := map[string]bool{}
	for _, v := range got.Spec.Versions {
		served[v.Name] = v.Served
	}
	var missing []string
	for _, v := range want.Spec.Versions {
		if v.Served && !served[v.Name] {
			missing = append(missing, v.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("does not serve %s: run 'ferry install' to update the CRDs", strings.Join(missing, ", "))
	}
	return nil
}

// servedVersions returns the CRD's storage version and the other versions
// it serves.
func servedVersions(crd *apiextensionsv1.CustomResourceDefinition) (storage string, others []string) {
	for _, v := range crd.Spec.Versions {
		switch {
		case v.Storage:
			storage = v.Name
		case v.Served:
			others = append(others, v.Name)
		}
	}
	return storage, others
}
