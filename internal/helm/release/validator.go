package release

import (
	"sync"

	"k8s.io/kubectl/pkg/validation"

	"helm.sh/helm/v4/pkg/kube"
)

// validatingFactory is Helm's kubectl factory with the manifest validator
// of its Cluster: kubectl builds a new validator, with a fresh OpenAPI
// cache, on every call, which made every install fetch and parse the
// cluster's OpenAPI documents again (about 18 MB allocated per install,
// a third of the CPU of a fleet's first apply).
type validatingFactory struct {
	kube.Factory
	cluster *Cluster
}

func (f *validatingFactory) Validator(directive string) (validation.Schema, error) {
	return f.cluster.validator(directive, f.Factory)
}

// validators are a Cluster's manifest validators, one per field validation
// directive, built on first use and dropped by Invalidate (new CRDs).
type validators struct {
	mu sync.Mutex
	m  map[string]validation.Schema
}

func (c *Cluster) validator(directive string, f kube.Factory) (validation.Schema, error) {
	c.validators.mu.Lock()
	defer c.validators.mu.Unlock()
	if s, ok := c.validators.m[directive]; ok {
		return s, nil
	}
	s, err := f.Validator(directive)
	if err != nil {
		return nil, err
	}
	if c.validators.m == nil {
		c.validators.m = map[string]validation.Schema{}
	}
	ls := &lockedSchema{s: s}
	c.validators.m[directive] = ls
	return ls, nil
}

func (c *Cluster) dropValidators() {
	c.validators.mu.Lock()
	c.validators.m = nil
	c.validators.mu.Unlock()
}

// lockedSchema serialises validations: kubectl's schema caches are not
// documented as safe for concurrent use, and a validation with parsed
// schemas is quick.
type lockedSchema struct {
	mu sync.Mutex
	s  validation.Schema
}

func (l *lockedSchema) ValidateBytes(data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.ValidateBytes(data)
}
