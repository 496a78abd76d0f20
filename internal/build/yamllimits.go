package build

import (
	"bytes"
	"errors"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// Limits on the YAML a build hands to kustomize, which holds every file it
// reads as a node tree with its aliases expanded (copied) and costs about
// 5 KiB of memory per node: a 300-byte "billion laughs" file of five levels
// of ten aliases expands to 111,111 nodes and half a GiB, six levels to ten
// times that. Kustomize also looks up mapping keys one by one, so one
// mapping of 100,000 keys (1.3 MB) takes it a minute, during which no other
// Kustomization builds. The limits refuse such input with a message naming
// the file, before kustomize sees it; input within them costs kustomize
// time and memory in proportion to its size.
const (
	// MaxAliasNodes is how many nodes YAML aliases may add to the files of
	// one build beyond the nodes written in the files that use aliases:
	// aliases can at most double what is written, plus this many nodes.
	MaxAliasNodes = 10_000
	// MaxMappingKeys bounds the keys of one YAML mapping. A Kubernetes
	// object is at most about 1.5 MiB (etcd's limit), and one with 10,000
	// keys in one mapping is rare.
	MaxMappingKeys = 10_000
)

// ErrYAMLLimit is wrapped by the error Build returns when a file the build
// reads is past a YAML limit (MaxAliasNodes, MaxMappingKeys).
var ErrYAMLLimit = errors.New("YAML past the build's limits")

// yamlBudget is what the YAML limits left to one build: the alias
// expansion so far, and the files already counted.
type yamlBudget struct {
	written, added int64
	counted        map[string]bool
}

// check refuses data, the content of the file real (shown as name),
// when it is past the YAML limits. Content that is not YAML is left to
// kustomize, which reads it with the same parser and reports it.
func (b *yamlBudget) check(real, name string, data []byte) error {
	if b.counted[real] {
		return nil
	}
	if b.counted == nil {
		b.counted = map[string]bool{}
	}
	b.counted[real] = true
	aliases := bytes.IndexByte(data, '*') >= 0 && bytes.IndexByte(data, '&') >= 0
	// A mapping past MaxMappingKeys needs more than two bytes a key.
	if !aliases && len(data) < 2*MaxMappingKeys {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var written, expanded int64
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			break // the end, or what is not YAML, which kustomize reports
		}
		c := &nodeCounter{sizes: map[*yaml.Node]int64{}, open: map[*yaml.Node]bool{}}
		n, err := c.written(&doc)
		if err != nil {
			return fmt.Errorf("%s: %w: %w", name, ErrYAMLLimit, err)
		}
		written += n
		if aliases {
			expanded += c.expanded(&doc)
		}
	}
	if !aliases || expanded <= written {
		return nil
	}
	b.written += written
	b.added += expanded - written
	if b.added > b.written+MaxAliasNodes {
		return fmt.Errorf("%s: %w: its YAML aliases expand %d written nodes to %d (an alias bomb?); "+
			"the aliases of a build may add at most %d nodes beyond those written in its files: write the repeated values out, "+
			"or share them with a kustomize component or patch", name, ErrYAMLLimit, written, expanded, MaxAliasNodes)
	}
	return nil
}

// nodeCounter counts the nodes of a YAML document, as written and with
// its aliases expanded.
type nodeCounter struct {
	sizes map[*yaml.Node]int64 // expanded size of each node, once known
	open  map[*yaml.Node]bool  // nodes being counted: an alias to one is a cycle
}

// saturated bounds the counts, so that an alias bomb's count cannot
// overflow.
const saturated = 1 << 40

// written counts the nodes of n as written (an alias is one node) and
// refuses a mapping with more than MaxMappingKeys keys.
func (c *nodeCounter) written(n *yaml.Node) (int64, error) {
	if n.Kind == yaml.MappingNode && len(n.Content)/2 > MaxMappingKeys {
		return 0, fmt.Errorf("the mapping at line %d has %d keys, more than the limit of %d: split the object, or move the data into a file of a configMapGenerator",
			n.Line, len(n.Content)/2, MaxMappingKeys)
	}
	total := int64(1)
	for _, child := range n.Content {
		k, err := c.written(child)
		if err != nil {
			return 0, err
		}
		total += k
	}
	return total, nil
}

// expanded counts the nodes of n with every alias replaced by what it
// names, as kustomize expands them, in time linear in the document.
func (c *nodeCounter) expanded(n *yaml.Node) int64 {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || c.open[n.Alias] {
			return saturated // an alias of itself never ends
		}
		return c.expanded(n.Alias)
	}
	if size, ok := c.sizes[n]; ok {
		return size
	}
	c.open[n] = true
	total := int64(1)
	for _, child := range n.Content {
		total = min(total+c.expanded(child), saturated)
	}
	delete(c.open, n)
	c.sizes[n] = total
	return total
}
