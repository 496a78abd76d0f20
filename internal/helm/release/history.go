package release

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"helm.sh/helm/v4/pkg/action"
	releasecommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
)

// History returns the versions of hr's release in Helm's storage (the
// Secrets of its storage namespace), newest first, read with c: whoever c
// acts as must be allowed to list Secrets there. It reads as Runner.History
// does, through Helm's own Secret driver.
func History(ctx context.Context, c client.Reader, hr *helmv2.HelmRelease) ([]*releasev1.Release, error) {
	d := driver.NewSecrets(&secretLister{ctx: ctx, c: c, namespace: hr.GetStorageNamespace()})
	d.SetLogger(logHandler(ctx))
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(logHandler(ctx)))
	cfg.Releases = storage.Init(d)
	rels, err := (&Runner{Config: cfg, Release: hr}).History()
	if err != nil {
		return nil, fmt.Errorf("reading release %s/%s from Helm's storage: %w", hr.GetStorageNamespace(), hr.GetReleaseName(), err)
	}
	return rels, nil
}

// Current returns, of the versions of a release (newest first), the one an
// upgrade replaces: the deployed one, else a failed or superseded newest
// one, as Helm's upgrade; and whether the next action is an upgrade (the
// newest release exists and is not uninstalled).
func Current(rels []*releasev1.Release) (*releasev1.Release, bool) {
	if len(rels) == 0 {
		return nil, false
	}
	newest := rels[0]
	upgrade := newest.Info == nil || (newest.Info.Status != releasecommon.StatusUninstalled && newest.Info.Status != releasecommon.StatusUninstalling)
	for _, rel := range rels {
		if rel.Info != nil && rel.Info.Status == releasecommon.StatusDeployed {
			return rel, upgrade
		}
	}
	if newest.Info != nil && (newest.Info.Status == releasecommon.StatusFailed || newest.Info.Status == releasecommon.StatusSuperseded) {
		return newest, upgrade
	}
	return nil, upgrade
}

// secretLister is the read side of a SecretInterface over a
// controller-runtime client, for Helm's Secret driver: Get and List. The
// driver's writes are never called by a read; they would panic.
type secretLister struct {
	corev1client.SecretInterface
	ctx       context.Context
	c         client.Reader
	namespace string
}

func (s *secretLister) Get(_ context.Context, name string, _ metav1.GetOptions) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, secret); err != nil {
		return nil, err
	}
	return secret, nil
}

func (s *secretLister) List(_ context.Context, opts metav1.ListOptions) (*corev1.SecretList, error) {
	selector, err := labels.Parse(opts.LabelSelector)
	if err != nil {
		return nil, err
	}
	list := &corev1.SecretList{}
	if err := s.c.List(s.ctx, list, client.InNamespace(s.namespace), client.MatchingLabelsSelector{Selector: selector}); err != nil {
		return nil, err
	}
	return list, nil
}
