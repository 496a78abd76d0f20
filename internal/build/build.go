package build

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// ErrPathNotFound is wrapped by the error Build returns when Options.Path
// does not exist in the root.
var ErrPathNotFound = errors.New("kustomization path not found")

// ErrPathOutsideRoot is wrapped by the error Build returns when Options.Path
// leads outside the root.
var ErrPathOutsideRoot = errors.New("kustomization path is outside the source root")

// ErrReadOutsideRoot is wrapped by the error Build returns when the build
// of the path tried to read a base, a component or a file outside the
// source root (through ../ or a symlink), which the build refuses.
var ErrReadOutsideRoot = errors.New("the build reads outside the source root")

// outsideRootError is a kustomize error caused by a read outside the root.
type outsideRootError struct{ err error }

func (e *outsideRootError) Error() string   { return e.err.Error() }
func (e *outsideRootError) Unwrap() []error { return []error{e.err, ErrReadOutsideRoot} }

// Options says what to build. Its fields mirror the Flux Kustomization spec.
type Options struct {
	// Root is the directory the source artifact was extracted into. Nothing
	// outside it is ever read.
	Root string

	// Path is the directory to build, relative to Root (spec.path); "" or "."
	// is the root itself. A leading "/" or "./" is allowed.
	Path string

	// TargetNamespace, when set, puts every namespaced object in this
	// namespace (spec.targetNamespace), overriding any namespace set by the
	// kustomization itself.
	TargetNamespace string

	// Patches are added to the patches of the kustomization (spec.patches):
	// strategic merge or JSON 6902 patches with an optional target selector.
	Patches []kustomizev1.Patch

	// Images replace the kustomization's entries of the same name, or are
	// added to them (spec.images).
	Images []kustomizev1.Image

	// NamePrefix and NameSuffix, when set, become the kustomization's
	// namePrefix and nameSuffix (spec.namePrefix, spec.nameSuffix).
	NamePrefix, NameSuffix string

	// Components are added to the components of the kustomization
	// (spec.components), relative to Path. With IgnoreMissingComponents,
	// those that do not exist are dropped instead of failing the build.
	Components              []string
	IgnoreMissingComponents bool

	// CommonMetadata labels and annotations are set on every object built
	// (spec.commonMetadata), overriding existing keys; selectors and
	// templates are left alone.
	CommonMetadata *kustomizev1.CommonMetadata

	// Substitution, when not nil, turns postBuild variable substitution on
	// (spec.postBuild). When nil, the build warns about ${VAR} references
	// left in the output.
	Substitution *Substitution

	// Decrypt, when set, is called on every object built, before
	// substitution (as kustomize-controller decrypts before substituting);
	// it decrypts SOPS-encrypted Secrets in place. Its error fails the build
	// and is reported with the object and the file it came from.
	Decrypt func(*unstructured.Unstructured) error

	// Warn, when set, receives the warnings of the build: deprecated
	// kustomize fields, variables left unsubstituted. A warning never fails
	// the build.
	Warn func(Warning)

	// Reads, when set, records what the build reads from Root (see Reads),
	// so that another revision can be checked for a change to any of it.
	Reads *Reads
}

// Warning is a problem found by a build that does not stop it.
type Warning struct {
	// Reason is a short CamelCase reason, for an event.
	Reason string
	// Message says what was found, where, and what to do instead.
	Message string
}

// Reasons of warnings.
const (
	// DeprecatedFieldReason: a kustomization uses a deprecated kustomize field.
	DeprecatedFieldReason = "DeprecatedField"
	// UnsubstitutedVariableReason: the output holds ${VAR} references and
	// the Kustomization has no spec.postBuild.
	UnsubstitutedVariableReason = "UnsubstitutedVariable"
)

// FromSpec returns the options that build a Flux Kustomization's spec in root,
// without substitution (see LoadSubstitution) or a warning handler.
func FromSpec(root string, spec *kustomizev1.KustomizationSpec) Options {
	return Options{
		Root:                    root,
		Path:                    spec.Path,
		TargetNamespace:         spec.TargetNamespace,
		Patches:                 spec.Patches,
		Images:                  spec.Images,
		NamePrefix:              spec.NamePrefix,
		NameSuffix:              spec.NameSuffix,
		Components:              spec.Components,
		IgnoreMissingComponents: spec.IgnoreMissingComponents,
		CommonMetadata:          spec.CommonMetadata,
	}
}

func (o *Options) warn(reason, format string, args ...any) {
	if o.Warn != nil {
		o.Warn(Warning{Reason: reason, Message: fmt.Sprintf(format, args...)})
	}
}

// kustomizeMu serialises krusty runs: kustomize has known data races between
// concurrent builds (kubernetes-sigs/kustomize#3659).
var kustomizeMu sync.Mutex

// Build runs kustomize over opts.Path inside opts.Root and returns the
// resulting objects in kustomize's output order. When the directory has no
// kustomization file one is generated in memory, listing the Kubernetes
// manifests below it. Files on disk are never modified.
func Build(ctx context.Context, opts Options) ([]*unstructured.Unstructured, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := newConfinedFS(opts.Root)
	if err != nil {
		return nil, err
	}
	c.reads = opts.Reads
	dir, err := buildDir(c, opts.Path)
	if err != nil {
		return nil, err
	}

	// Generate the kustomization, or rewrite the existing one with the spec fields.
	file := findKustomization(c, dir)
	var data []byte
	if file == "" {
		file = filepath.Join(dir, konfig.DefaultKustomizationFileName())
		data, err = generateKustomization(c, dir)
		if err != nil {
			return nil, c.clean(err)
		}
		c.setOverlay(file, data)
	}
	if data == nil {
		if data, err = c.ReadFile(file); err != nil {
			return nil, c.clean(err)
		}
	}
	// Origin annotations let messages name the file an object came from;
	// they are removed again unless the kustomization asked for them.
	data, keepOrigin, err := applySpec(c, file, data, opts)
	if err != nil {
		return nil, c.clean(err)
	}
	c.setOverlay(file, data)

	// Refuse remote references and explain Flux fields before kustomize sees them.
	if err := checkKustomizations(c, dir, map[string]bool{}, &opts); err != nil {
		return nil, c.clean(err)
	}

	objs, err := run(c, dir)
	if err != nil && c.yamlErr != nil {
		return nil, c.clean(c.yamlErr)
	}
	if err != nil && c.escaped {
		err = &outsideRootError{err: err}
	}
	if err != nil && c.sopsWhole != "" {
		// The cause is likely a Secret encrypted without --encrypted-regex; say so, without the ciphertext.
		return nil, fmt.Errorf("%s is SOPS-encrypted including its apiVersion, kind and metadata, which kustomize cannot read: "+
			"encrypt it with sops --encrypt --encrypted-regex '^(data|stringData)$' so that only the Secret's data is encrypted", c.sopsWhole)
	}
	if err != nil {
		return nil, c.clean(err)
	}
	if objs, err = postBuild(objs, c.rel(dir), keepOrigin, &opts); err != nil {
		return nil, c.clean(err)
	}
	return objs, nil
}

// buildDir resolves the directory to build and checks it exists.
func buildDir(c *confinedFS, path string) (string, error) {
	p := filepath.Clean(filepath.FromSlash(strings.TrimLeft(path, "/")))
	if p != "." && !filepath.IsLocal(p) {
		return "", fmt.Errorf("%w: %q leads outside the repository; set a path relative to the repository root, such as ./clusters/production",
			ErrPathOutsideRoot, path)
	}
	dir, err := c.resolve(filepath.Join(c.root, p))
	if err != nil {
		return "", fmt.Errorf("%w: %s", ErrPathOutsideRoot, c.clean(err))
	}
	if !c.Exists(dir) {
		return "", fmt.Errorf("%w: %s", ErrPathNotFound, path)
	}
	if !c.IsDir(dir) {
		return "", fmt.Errorf("kustomization path %s is not a directory", path)
	}
	return dir, nil
}

// run builds dir with krusty: builtin plugins only, files loadable from
// anywhere inside the root (the file system enforces the root).
func run(c *confinedFS, dir string) (objs []*unstructured.Unstructured, err error) {
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	// Kustomize panics on some malformed input; report it as a build error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize build panicked: %v", r)
		}
	}()

	k := krusty.MakeKustomizer(&krusty.Options{
		Reorder:          krusty.ReorderOptionNone,
		LoadRestrictions: kustypes.LoadRestrictionsNone,
		PluginConfig:     kustypes.DisabledPluginConfig(),
	})
	resMap, err := k.Run(c, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize: %w", err)
	}
	for _, r := range resMap.Resources() {
		// Decode through JSON so values have the types unstructured expects (int64, not int).
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("kustomize build: %s: %w", r.CurId(), err)
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("kustomize build: %s: %w", r.CurId(), err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// pathError carries an error whose message has the root's absolute path
// replaced by paths relative to the root.
type pathError struct {
	msg string
	err error
}

func (e *pathError) Error() string { return e.msg }
func (e *pathError) Unwrap() error { return e.err }

// clean rewrites absolute paths inside the root to relative ones in err's
// message, keeping err in the chain.
func (c *confinedFS) clean(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	cleaned := strings.ReplaceAll(msg, c.root+string(filepath.Separator), "")
	cleaned = strings.ReplaceAll(cleaned, c.root, ".")
	if cleaned == msg {
		return err
	}
	return &pathError{msg: cleaned, err: err}
}
