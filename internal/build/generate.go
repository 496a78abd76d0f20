package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/konfig"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// kustomizationHeader starts every generated kustomization.
const kustomizationHeader = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"

// findKustomization returns the path of the kustomization file in dir, or ""
// when the directory has none.
func findKustomization(c *confinedFS, dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		if c.Exists(p) && !c.IsDir(p) {
			return p
		}
	}
	return ""
}

// generateKustomization returns a kustomization listing the Kubernetes
// manifests found below dir, as kustomize-controller generates one for a
// directory without a kustomization file: YAML files (.yaml, .yml) holding at
// least one document with apiVersion and kind are listed; other YAML files
// are skipped; a sub-directory with its own kustomization file is listed as a
// resource and not descended into.
func generateKustomization(c *confinedFS, dir string) ([]byte, error) {
	var resources []string
	err := c.Walk(dir, func(p string, info fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if info.IsDir() {
			if findKustomization(c, p) != "" {
				resources = append(resources, rel)
				return filepath.SkipDir
			}
			return nil
		}
		if ext := strings.ToLower(filepath.Ext(p)); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := c.ReadFile(p)
		if err != nil {
			return err
		}
		ok, err := isKubernetesYAML(data)
		if err != nil {
			return fmt.Errorf("%s: invalid YAML: %w", c.rel(p), err)
		}
		if ok {
			resources = append(resources, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(kustomizationHeader)
	b.WriteString("resources:")
	if len(resources) == 0 {
		b.WriteString(" []\n")
	} else {
		b.WriteString("\n")
		for _, r := range resources {
			fmt.Fprintf(&b, "- %s\n", kyamlQuote(r))
		}
	}
	return []byte(b.String()), nil
}

// kyamlQuote renders s as a YAML scalar, quoted when needed.
func kyamlQuote(s string) string {
	n := kyaml.NewStringRNode(s)
	out, err := n.String()
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(out, "\n")
}

// isKubernetesYAML reports whether data holds at least one YAML document with
// an apiVersion and a kind. It fails when the YAML does not parse.
func isKubernetesYAML(data []byte) (bool, error) {
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	found := false
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return found, nil
		}
		if err != nil {
			return false, err
		}
		apiVersion, _ := doc["apiVersion"].(string)
		kind, _ := doc["kind"].(string)
		if apiVersion != "" && kind != "" {
			found = true
		}
	}
}

// originAnnotations is the buildMetadata option that makes kustomize record
// in each object the file it came from.
const originAnnotations = "originAnnotations"

// applySpec sets the fields of the Flux Kustomization spec on the content of
// the kustomization file at path, as kustomize-controller does before it
// builds: targetNamespace becomes namespace, patches and components are
// appended, images replace entries of the same name or are appended,
// namePrefix and nameSuffix are set. It also turns origin annotations on, and
// reports whether the kustomization had them on already.
func applySpec(c *confinedFS, path string, data []byte, opts Options) (out []byte, hadOrigin bool, err error) {
	name := c.rel(path)
	node, err := kyaml.Parse(string(data))
	if errors.Is(err, io.EOF) || err == nil && node.IsNilOrEmpty() {
		node, err = kyaml.Parse(kustomizationHeader)
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: invalid YAML: %w", name, err)
	}
	if node.YNode().Kind != kyaml.MappingNode {
		return nil, false, fmt.Errorf("%s: invalid kustomization: not a YAML mapping", name)
	}
	setString := func(field, value, what string) error {
		if value == "" {
			return nil
		}
		if err := node.PipeE(kyaml.SetField(field, kyaml.NewStringRNode(value))); err != nil {
			return fmt.Errorf("%s: setting %s: %w", name, what, err)
		}
		return nil
	}
	if err := setString("namespace", opts.TargetNamespace, "targetNamespace"); err != nil {
		return nil, false, err
	}
	if err := setString("namePrefix", opts.NamePrefix, "namePrefix"); err != nil {
		return nil, false, err
	}
	if err := setString("nameSuffix", opts.NameSuffix, "nameSuffix"); err != nil {
		return nil, false, err
	}

	var patches []any
	for _, p := range opts.Patches {
		patches = append(patches, patchEntry(p))
	}
	if err := appendToList(node, "patches", patches); err != nil {
		return nil, false, fmt.Errorf("%s: adding spec.patches: %w", name, err)
	}

	var components []any
	for _, comp := range opts.Components {
		if opts.IgnoreMissingComponents && !isRemote(comp) && !c.Exists(filepath.Join(filepath.Dir(path), comp)) {
			continue
		}
		components = append(components, comp)
	}
	if err := appendToList(node, "components", components); err != nil {
		return nil, false, fmt.Errorf("%s: adding spec.components: %w", name, err)
	}

	if err := setImages(node, opts.Images); err != nil {
		return nil, false, fmt.Errorf("%s: setting spec.images: %w", name, err)
	}

	// Record origins, for messages naming the file of an object.
	bm, err := node.Pipe(kyaml.Lookup("buildMetadata"))
	if err != nil {
		return nil, false, fmt.Errorf("%s: buildMetadata: %w", name, err)
	}
	if bm != nil {
		hadOrigin = slices.ContainsFunc(bm.YNode().Content, func(n *kyaml.Node) bool { return n.Value == originAnnotations })
	}
	if !hadOrigin {
		if err := appendToList(node, "buildMetadata", []any{originAnnotations}); err != nil {
			return nil, false, fmt.Errorf("%s: buildMetadata: %w", name, err)
		}
	}

	s, err := node.String()
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", name, err)
	}
	return []byte(s), hadOrigin, nil
}

// patchEntry is a spec.patches entry as a kustomization patches entry.
func patchEntry(p kustomizev1.Patch) map[string]any {
	entry := map[string]any{"patch": p.Patch}
	if t := p.Target; t != nil {
		target := map[string]any{}
		for k, v := range map[string]string{
			"group": t.Group, "version": t.Version, "kind": t.Kind, "name": t.Name, "namespace": t.Namespace,
			"labelSelector": t.LabelSelector, "annotationSelector": t.AnnotationSelector,
		} {
			if v != "" {
				target[k] = v
			}
		}
		entry["target"] = target
	}
	return entry
}

// appendToList appends items to the sequence field of node, creating it
// when absent.
func appendToList(node *kyaml.RNode, field string, items []any) error {
	if len(items) == 0 {
		return nil
	}
	list, err := node.Pipe(kyaml.LookupCreate(kyaml.SequenceNode, field))
	if err != nil {
		return err
	}
	if list.YNode().Kind != kyaml.SequenceNode {
		return fmt.Errorf("%s is not a list", field)
	}
	for _, item := range items {
		n, err := toRNode(item)
		if err != nil {
			return err
		}
		list.YNode().Content = append(list.YNode().Content, n.YNode())
	}
	return nil
}

// setImages replaces the images entries of the same name, or appends.
func setImages(node *kyaml.RNode, images []kustomizev1.Image) error {
	if len(images) == 0 {
		return nil
	}
	list, err := node.Pipe(kyaml.LookupCreate(kyaml.SequenceNode, "images"))
	if err != nil {
		return err
	}
	if list.YNode().Kind != kyaml.SequenceNode {
		return errors.New("images is not a list")
	}
	for _, img := range images {
		entry := map[string]any{"name": img.Name}
		for k, v := range map[string]string{"newName": img.NewName, "newTag": img.NewTag, "digest": img.Digest} {
			if v != "" {
				entry[k] = v
			}
		}
		n, err := toRNode(entry)
		if err != nil {
			return err
		}
		replaced := false
		for i, existing := range list.YNode().Content {
			if v, err := kyaml.NewRNode(existing).GetString("name"); err == nil && v == img.Name {
				list.YNode().Content[i] = n.YNode()
				replaced = true
				break
			}
		}
		if !replaced {
			list.YNode().Content = append(list.YNode().Content, n.YNode())
		}
	}
	return nil
}

// toRNode converts a value made of maps, lists and strings to a YAML node.
func toRNode(v any) (*kyaml.RNode, error) {
	data, err := sigsyaml.Marshal(v)
	if err != nil {
		return nil, err
	}
	return kyaml.Parse(string(data))
}
