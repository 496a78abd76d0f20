package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/konfig"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
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

// applySpec sets the fields of the Flux Kustomization spec on a kustomization
// file's content, as kustomize-controller does before it builds:
// targetNamespace becomes the kustomization's namespace.
func applySpec(name string, data []byte, opts Options) ([]byte, error) {
	if opts.TargetNamespace == "" {
		return data, nil
	}
	node, err := kyaml.Parse(string(data))
	if errors.Is(err, io.EOF) || err == nil && node.IsNilOrEmpty() {
		node, err = kyaml.Parse(kustomizationHeader)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: invalid YAML: %w", name, err)
	}
	if opts.TargetNamespace != "" {
		if err := node.PipeE(kyaml.SetField("namespace", kyaml.NewStringRNode(opts.TargetNamespace))); err != nil {
			return nil, fmt.Errorf("%s: setting targetNamespace: %w", name, err)
		}
	}
	out, err := node.String()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return []byte(out), nil
}
