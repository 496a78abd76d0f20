package config

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// installOrder lists the install manifests in the order they are applied;
// the CRDs go right after the namespace.
var installOrder = []string{"namespace.yaml", "rbac.yaml", "service.yaml", "deployment.yaml"}

// versionPattern is the grammar of an OCI image tag.
var versionPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// InstallOptions selects what InstallObjects renders.
type InstallOptions struct {
	// Version is the tag of Image deployed when Image is empty.
	Version string
	// Image is the whole image reference to deploy, repository[:tag] or
	// repository@sha256:digest, e.g. a copy in a private registry. It
	// overrides Version.
	Image string
	// Namespace is where ferry runs; empty means Namespace (ferry-system).
	Namespace string
}

// image returns the image reference the options deploy, validated.
func (o InstallOptions) image() (string, error) {
	if o.Image == "" {
		if !versionPattern.MatchString(o.Version) {
			return "", fmt.Errorf("install manifests: invalid version %q: must be an image tag ([A-Za-z0-9_][A-Za-z0-9._-]*, at most 128 characters)", o.Version)
		}
		return Image + ":" + o.Version, nil
	}
	if strings.ContainsAny(o.Image, " \t\r\n") {
		return "", fmt.Errorf("install manifests: invalid image %q: a reference has no white space", o.Image)
	}
	if _, err := name.ParseReference(o.Image, name.StrictValidation); err != nil {
		return "", fmt.Errorf("install manifests: invalid image %q: %v (want registry/repository:tag or registry/repository@sha256:digest)", o.Image, err)
	}
	return o.Image, nil
}

// namespace returns the namespace the options install into, validated.
func (o InstallOptions) namespace() (string, error) {
	if o.Namespace == "" {
		return Namespace, nil
	}
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return "", fmt.Errorf("install manifests: invalid namespace %q: %s", o.Namespace, strings.Join(errs, "; "))
	}
	return o.Namespace, nil
}

// InstallObjects returns the objects that install ferry, in the order they
// are applied: the Namespace, the CRDs, RBAC, the artifact and webhook
// Services and the controller Deployment.
func InstallObjects(opts InstallOptions) ([]*unstructured.Unstructured, error) {
	image, err := opts.image()
	if err != nil {
		return nil, err
	}
	ns, err := opts.namespace()
	if err != nil {
		return nil, err
	}
	crdNames, err := crdFileNames()
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	add := func(fsys embed.FS, file string) error {
		data, err := fsys.ReadFile(file)
		if err != nil {
			return fmt.Errorf("install manifests: read %s: %w", file, err)
		}
		docs, err := splitDocuments(data)
		if err != nil {
			return fmt.Errorf("install manifests: split %s: %w", file, err)
		}
		for i, doc := range docs {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(doc, &u.Object); err != nil {
				return fmt.Errorf("install manifests: decode %s document %d: %w", file, i+1, err)
			}
			objs = append(objs, u)
		}
		return nil
	}
	for _, file := range installOrder {
		if err := add(installFiles, path.Join("install", file)); err != nil {
			return nil, err
		}
		if file == "namespace.yaml" {
			for _, crd := range crdNames {
				if err := add(CRDFiles, crd); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, u := range objs {
		if err := relocate(u, ns); err != nil {
			return nil, err
		}
		if u.GetKind() == "Deployment" {
			if err := setImage(u, image); err != nil {
				return nil, err
			}
		}
	}
	return objs, nil
}

// relocate moves an install object from ferry-system into ns: its own
// namespace, a Namespace's name, and the namespace of a binding's
// ServiceAccount subjects.
func relocate(u *unstructured.Unstructured, ns string) error {
	if ns == Namespace {
		return nil
	}
	switch {
	case u.GetKind() == "Namespace":
		u.SetName(ns)
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels["app.kubernetes.io/instance"] = ns
		u.SetLabels(labels)
	case u.GetNamespace() != "":
		u.SetNamespace(ns)
	}
	subjects, found, err := unstructured.NestedSlice(u.Object, "subjects")
	if err != nil || !found {
		return err
	}
	for _, s := range subjects {
		if m, ok := s.(map[string]any); ok && m["kind"] == "ServiceAccount" && m["namespace"] == Namespace {
			m["namespace"] = ns
		}
	}
	return unstructured.SetNestedSlice(u.Object, subjects, "subjects")
}

// setImage sets the image of the Deployment's containers that run the
// placeholder image.
func setImage(u *unstructured.Unstructured, image string) error {
	containers, _, err := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return fmt.Errorf("install manifests: Deployment %s: %w", u.GetName(), err)
	}
	for _, c := range containers {
		if m, ok := c.(map[string]any); ok && m["image"] == imagePlaceholder {
			m["image"] = image
		}
	}
	return unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers")
}

// InstallManifests renders InstallObjects as one multi-document YAML
// stream, each document preceded by "---".
func InstallManifests(opts InstallOptions) ([]byte, error) {
	objs, err := InstallObjects(opts)
	if err != nil {
		return nil, err
	}
	return MarshalManifests(objs)
}

// MarshalManifests renders objects as one multi-document YAML stream.
func MarshalManifests(objs []*unstructured.Unstructured) ([]byte, error) {
	var out bytes.Buffer
	for _, u := range objs {
		doc, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, fmt.Errorf("install manifests: encode %s %s: %w", u.GetKind(), u.GetName(), err)
		}
		out.WriteString("---\n")
		out.Write(doc)
	}
	return out.Bytes(), nil
}
