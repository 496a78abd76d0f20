package source

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// Kind is one source kind consumers can reference.
type Kind struct {
	// Name is the kind, as a sourceRef.kind names it.
	Name string
	// IndexKey is the field index of a consumer by the sources of this kind
	// it references ("<namespace>/<name>"), Flux's key.
	IndexKey string
	// New returns an empty object of the kind.
	New func() sourcev1.Source
}

// Kinds lists the source kinds that ferry serves artifacts for.
var Kinds = []Kind{
	{
		Name:     sourcev1.GitRepositoryKind,
		IndexKey: ".metadata.gitRepository",
		New:      func() sourcev1.Source { return &sourcev1.GitRepository{} },
	},
	{
		Name:     sourcev1.OCIRepositoryKind,
		IndexKey: ".metadata.ociRepository",
		New:      func() sourcev1.Source { return &sourcev1.OCIRepository{} },
	},
	{
		Name:     sourcev1.BucketKind,
		IndexKey: ".metadata.bucket",
		New:      func() sourcev1.Source { return &sourcev1.Bucket{} },
	},
}

// Lookup returns the source kind named name.
func Lookup(name string) (Kind, bool) {
	i := slices.IndexFunc(Kinds, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return Kinds[i], true
}

// UnsupportedKindError is a sourceRef naming a kind ferry does not serve.
type UnsupportedKindError struct{ Kind string }

func (e *UnsupportedKindError) Error() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = k.Name
	}
	return fmt.Sprintf("source kind %s is not supported yet; use %s", e.Kind, strings.Join(names, " or "))
}

// Get reads the source of kind at key. An unknown kind is an
// *UnsupportedKindError; a missing object the client's NotFound.
func Get(ctx context.Context, c client.Reader, kind string, key types.NamespacedName) (sourcev1.Source, error) {
	k, ok := Lookup(kind)
	if !ok {
		return nil, &UnsupportedKindError{Kind: kind}
	}
	src := k.New()
	if err := c.Get(ctx, key, src.(client.Object)); err != nil {
		return nil, err
	}
	return src, nil
}
