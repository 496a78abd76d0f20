package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ferrycd/ferry/api/meta"
)

// createFlags are the flags of every `create` command.
type createFlags struct {
	export  bool
	timeout time.Duration
}

func newCreateCommand(g *globals) *cobra.Command {
	cf := &createFlags{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create or update sources, secrets, Kustomizations, HelmReleases, Alerts, Providers, Receivers and image automation",
	}
	cmd.PersistentFlags().BoolVar(&cf.export, "export", false, "print the object as YAML on stdout instead of applying it")
	cmd.PersistentFlags().DurationVar(&cf.timeout, "timeout", 5*time.Minute, "how long to wait for the reconciliation")
	source := &cobra.Command{
		Use:   "source",
		Short: "Create or update sources",
	}
	source.AddCommand(newCreateSourceGitCommand(g, cf), newCreateSourceHelmCommand(g, cf), newCreateSourceOCICommand(g, cf), newCreateSourceBucketCommand(g, cf))
	secret := &cobra.Command{
		Use:   "secret",
		Short: "Create or update Secrets used by sources",
	}
	secret.AddCommand(newCreateSecretGitCommand(g, cf))
	cmd.AddCommand(source, secret, newCreateKustomizationCommand(g, cf), newCreateHelmReleaseCommand(g, cf),
		newCreateAlertProviderCommand(g, cf), newCreateAlertCommand(g, cf), newCreateReceiverCommand(g, cf),
		newCreateImageCommand(g, cf))
	return cmd
}

// printYAML writes obj as one YAML document preceded by "---", without the
// empty status and the null creationTimestamp, as Flux's CLI exports.
func printYAML(g *globals, obj any) error {
	data, err := yaml.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encoding YAML: %w", err)
	}
	var clean map[string]any
	if err := yaml.Unmarshal(data, &clean); err != nil {
		return fmt.Errorf("encoding YAML: %w", err)
	}
	if s, ok := clean["status"].(map[string]any); ok && len(s) == 0 {
		delete(clean, "status")
	}
	if m, ok := clean["metadata"].(map[string]any); ok {
		delete(m, "creationTimestamp")
	}
	data, err = yaml.Marshal(clean)
	if err != nil {
		return fmt.Errorf("encoding YAML: %w", err)
	}
	fmt.Fprintf(g.out, "---\n%s", data)
	return nil
}

// upsert creates obj, or replaces the spec (via mutate on the live object)
// when it exists, and stamps reconcile.fluxcd.io/requestedAt so the caller
// can wait for this very request. It returns the token and whether the
// object was created.
func upsert(ctx context.Context, c client.Client, obj client.Object, live client.Object, mutate func()) (token string, created bool, err error) {
	token = time.Now().Format(time.RFC3339Nano)
	setAnnotation(obj, meta.ReconcileRequestAnnotation, token)
	err = c.Get(ctx, client.ObjectKeyFromObject(obj), live)
	switch {
	case apierrors.IsNotFound(err):
		if err := c.Create(ctx, obj); err != nil {
			return "", false, err
		}
		return token, true, nil
	case err != nil:
		return "", false, err
	}
	mutate()
	setAnnotation(live, meta.ReconcileRequestAnnotation, token)
	if err := c.Update(ctx, live); err != nil {
		return "", false, err
	}
	return token, false, nil
}

// applyAndWait creates obj, an object of kind k, or replaces the spec and
// labels of the live one (mutate copies them from obj), requests a
// reconciliation and waits for it, printing what every create command
// prints. It returns the target, whose object holds the status read last.
func (g *globals) applyAndWait(ctx context.Context, c client.Client, k *kind, obj fluxObject, mutate func(live fluxObject), timeout time.Duration) (reconcileTarget, error) {
	key := types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
	g.printf("► applying %s %s in %s namespace", k.gvk.Kind, key.Name, key.Namespace)
	live := k.newObject()
	token, created, err := upsert(ctx, c, obj, live, func() { mutate(live) })
	if err != nil {
		return reconcileTarget{}, fmt.Errorf("applying %s '%s': %w", k.gvk.Kind, key, err)
	}
	if created {
		g.printf("✔ %s created", k.gvk.Kind)
	} else {
		g.printf("✔ %s updated", k.gvk.Kind)
	}
	t := k.target(key)
	return t, g.waitReconciled(ctx, c, t, token, timeout)
}
