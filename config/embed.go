package config

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// CRDFiles holds the generated CustomResourceDefinitions, one per file under
// crd/bases.
//
//go:embed crd/bases/*.yaml
var CRDFiles embed.FS

// installFiles holds the manifests of the ferry installation other than the
// CRDs.
//
//go:embed install/*.yaml
var installFiles embed.FS

const (
	// FieldManager is the server-side apply field manager ferry uses for its
	// own installation objects.
	FieldManager = "ferry"

	// Namespace is the namespace ferry is installed into.
	Namespace = "ferry-system"

	// Image is the container image repository of ferry.
	Image = "ghcr.io/ferrycd/ferry"

	// imagePlaceholder is the image reference written in install/*.yaml and
	// replaced by InstallObjects.
	imagePlaceholder = Image + ":dev"

	// defaultEstablishTimeout bounds the wait for CRDs to be Established
	// when the context has no deadline.
	defaultEstablishTimeout = time.Minute
)

// CRDs returns the embedded CustomResourceDefinitions, sorted by name.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	files, err := crdFileNames()
	if err != nil {
		return nil, err
	}
	crds := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(files))
	for _, name := range files {
		data, err := CRDFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read embedded CRD %s: %w", name, err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			return nil, fmt.Errorf("decode embedded CRD %s: %w", name, err)
		}
		if crd.Name == "" {
			return nil, fmt.Errorf("decode embedded CRD %s: no metadata.name", name)
		}
		crds = append(crds, crd)
	}
	sort.Slice(crds, func(i, j int) bool { return crds[i].Name < crds[j].Name })
	return crds, nil
}

// crdFileNames returns the paths of the embedded CRD files, sorted.
func crdFileNames() ([]string, error) {
	names, err := fs.Glob(CRDFiles, "crd/bases/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list embedded CRDs: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("list embedded CRDs: none embedded")
	}
	sort.Strings(names)
	return names, nil
}

// InstallCRDs server-side applies the embedded CRDs with field manager
// FieldManager, then waits until each one is Established (WaitCRDs).
func InstallCRDs(ctx context.Context, c client.Client) error {
	crds, err := CRDs()
	if err != nil {
		return err
	}
	for _, crd := range crds {
		if err := applyCRD(ctx, c, crd); err != nil {
			return err
		}
	}
	return WaitCRDs(ctx, c)
}

// WaitCRDs waits until each embedded CRD is Established and discovery
// serves every version of it. Without a deadline on ctx the wait is
// bounded by one minute.
func WaitCRDs(ctx context.Context, c client.Client) error {
	crds, err := CRDs()
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultEstablishTimeout)
		defer cancel()
	}
	for _, crd := range crds {
		if err := waitEstablished(ctx, c, crd.Name); err != nil {
			return err
		}
	}
	// Established comes before the API server's discovery lists the new
	// kinds; a manager started in between fails to watch them ("no
	// matches for kind"). Wait until discovery serves every version.
	for _, crd := range crds {
		if err := waitDiscovered(ctx, c, crd); err != nil {
			return err
		}
	}
	return nil
}

// waitDiscovered polls the client's RESTMapper until it maps every served
// version of the CRD's kind.
func waitDiscovered(ctx context.Context, c client.Client, crd *apiextensionsv1.CustomResourceDefinition) error {
	gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
	var last error
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(context.Context) (bool, error) {
		for _, v := range crd.Spec.Versions {
			if !v.Served {
				continue
			}
			if _, last = c.RESTMapper().RESTMapping(gk, v.Name); last != nil {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("CRD %s: not served by discovery: %v", crd.Name, last)
	}
	return nil
}

// applyCRD server-side applies one CRD.
func applyCRD(ctx context.Context, c client.Client, crd *apiextensionsv1.CustomResourceDefinition) error {
	crd = crd.DeepCopy()
	crd.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crd)
	if err != nil {
		return fmt.Errorf("CRD %s: convert for apply: %w", crd.Name, err)
	}
	u := &unstructured.Unstructured{Object: content}
	// A creationTimestamp of null and an empty status are artefacts of the
	// typed conversion; they are not ours to apply.
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("CRD %s: apply failed: %w", crd.Name, err)
	}
	return nil
}

// waitEstablished polls the CRD until its Established condition is True.
// It reads the CRD as unstructured, so the client's scheme need not know
// apiextensions.k8s.io.
func waitEstablished(ctx context.Context, c client.Client, name string) error {
	var last string
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
		if err := c.Get(ctx, types.NamespacedName{Name: name}, u); err != nil {
			if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
				return false, err
			}
			last = err.Error()
			return false, nil
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, crd); err != nil {
			return false, fmt.Errorf("decode: %w", err)
		}
		for _, cond := range crd.Status.Conditions {
			switch cond.Type {
			case apiextensionsv1.Established:
				if cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
				last = "not established: " + cond.Message
			case apiextensionsv1.NamesAccepted:
				if cond.Status == apiextensionsv1.ConditionFalse {
					last = "names not accepted: " + cond.Message
				}
			}
		}
		return false, nil
	})
	if err != nil {
		if last == "" {
			last = "no Established condition yet"
		}
		return fmt.Errorf("CRD %s: wait for Established: %s: %w", name, last, err)
	}
	return nil
}

// splitDocuments splits a YAML stream into its non-empty documents, each
// without separator and surrounding blank lines.
func splitDocuments(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		doc = bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(doc), []byte("---")))
		if len(doc) == 0 {
			continue
		}
		docs = append(docs, doc)
	}
}
