package helmchart

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmrepo "helm.sh/helm/v4/pkg/repo/v1"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/chart"
	"github.com/ferrycd/ferry/internal/helm/repository"
)

// dependencyRepositories fetches the remote dependencies of a chart built
// from a source, as Flux does: through the HelmRepository of the
// HelmChart's namespace with the dependency's URL (its credentials, its
// stored index) or the one "@name"/"alias:name" names, else anonymously.
type dependencyRepositories struct {
	r         *Reconciler
	namespace string
}

var _ chart.Repositories = (*dependencyRepositories)(nil)

// FetchChart returns the chart name at the newest version matching
// versionRange from ref.
func (d *dependencyRepositories) FetchChart(ctx context.Context, ref, name, versionRange string) ([]byte, error) {
	repo, err := d.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	opts := repository.Options{URL: ref}
	if repo != nil {
		if opts, err = repository.OptionsFor(ctx, d.r.Client, repo); err != nil {
			return nil, fmt.Errorf("HelmRepository '%s': %w", repo.Name, err)
		}
	} else if err := repository.ValidateURL(ref); err != nil {
		return nil, err
	}

	if strings.HasPrefix(opts.URL, "oci://") {
		version, err := repository.ResolveOCI(ctx, opts, name, versionRange)
		if err != nil {
			return nil, err
		}
		data, _, err := repository.PullOCI(ctx, opts, name, version)
		return data, err
	}

	// The stored index of the HelmRepository, or the remote one, parsed
	// once per revision.
	var index *helmrepo.IndexFile
	if repo != nil && repo.Status.Artifact != nil {
		a := repo.Status.Artifact
		index, err = d.r.Indexes.Get(a.Digest, func() (io.ReadCloser, error) { return d.r.Fetcher.Open(ctx, a) })
	} else {
		var data []byte
		var revision string
		if data, revision, err = repository.FetchIndex(ctx, opts); err == nil {
			index, err = d.r.Indexes.Get(revision, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		}
	}
	if err != nil {
		return nil, err
	}
	cv, err := repository.Resolve(index, name, versionRange)
	if err != nil {
		return nil, err
	}
	return repository.DownloadChart(ctx, opts, cv)
}

// lookup returns the HelmRepository ref names ("@name", "alias:name") or,
// for a URL, the first by name in the namespace with that URL; nil when
// none has it.
func (d *dependencyRepositories) lookup(ctx context.Context, ref string) (*sourcev1.HelmRepository, error) {
	if name, ok := repositoryName(ref); ok {
		repo := &sourcev1.HelmRepository{}
		err := d.r.Get(ctx, types.NamespacedName{Namespace: d.namespace, Name: name}, repo)
		if apierrors.IsNotFound(err) || err == nil && !repo.DeletionTimestamp.IsZero() {
			return nil, fmt.Errorf("repository '%s' names no HelmRepository in namespace '%s'", ref, d.namespace)
		}
		return repo, err
	}
	var list sourcev1.HelmRepositoryList
	if err := d.r.List(ctx, &list, client.InNamespace(d.namespace)); err != nil {
		return nil, fmt.Errorf("listing the HelmRepositories of namespace '%s': %w", d.namespace, err)
	}
	slices.SortFunc(list.Items, func(a, b sourcev1.HelmRepository) int { return strings.Compare(a.Name, b.Name) })
	for i := range list.Items {
		if list.Items[i].DeletionTimestamp.IsZero() && normalizeURL(list.Items[i].Spec.URL) == normalizeURL(ref) {
			return &list.Items[i], nil
		}
	}
	return nil, nil
}

// repositoryName returns the HelmRepository name of a "@name" or
// "alias:name" repository reference.
func repositoryName(ref string) (string, bool) {
	switch {
	case strings.HasPrefix(ref, "@"):
		return strings.TrimPrefix(ref, "@"), true
	case strings.HasPrefix(ref, "alias:"):
		return strings.TrimPrefix(ref, "alias:"), true
	}
	return "", false
}

// normalizeURL makes repository URLs that differ only by a trailing slash
// compare equal.
func normalizeURL(u string) string { return strings.TrimRight(strings.TrimSpace(u), "/") }
