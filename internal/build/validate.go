package build

import (
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// fluxOnlyFields are fields of the Flux Kustomization spec that kustomize's
// kustomization.yaml does not have, with the hint shown when one is found
// there. Fields both share (patches, images, namePrefix, ...) are absent.
var fluxOnlyFields = map[string]string{
	"commonMetadata":     "; in kustomization.yaml use labels or commonAnnotations",
	"decryption":         "",
	"deletionPolicy":     "",
	"dependsOn":          "",
	"force":              "",
	"healthCheckExprs":   "",
	"healthChecks":       "",
	"interval":           "",
	"kubeConfig":         "",
	"path":               "",
	"postBuild":          "",
	"prune":              "",
	"retryInterval":      "",
	"serviceAccountName": "",
	"sourceRef":          "",
	"suspend":            "",
	"targetNamespace":    "; in kustomization.yaml use namespace",
	"timeout":            "",
	"wait":               "",
}

// deprecatedFields are kustomization fields kustomize deprecated, which still
// work, with what replaces them.
var deprecatedFields = map[string]string{
	"bases":                 "resources",
	"commonLabels":          "labels (with includeSelectors: true to keep adding them to selectors)",
	"imageTags":             "images",
	"patchesJson6902":       "patches (with a target)",
	"patchesStrategicMerge": "patches",
	"vars":                  "replacements",
}

// scpLike matches scp-style git addresses such as git@github.com:org/repo.
var scpLike = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@[^/:]+:`)

// isRemote reports whether a kustomization reference names something kustomize
// would fetch over the network (an http(s) file or a git repository) rather
// than read from the root.
func isRemote(ref string) bool {
	lower := strings.ToLower(ref)
	return strings.Contains(lower, "://") ||
		strings.HasPrefix(lower, "git::") ||
		strings.HasPrefix(lower, "github.com/") ||
		strings.HasPrefix(lower, "github.com:") ||
		scpLike.MatchString(ref)
}

// redact strips any user information from a reference before it is shown.
func redact(ref string) string {
	if u, err := url.Parse(ref); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	if scpLike.MatchString(ref) {
		return ref[strings.Index(ref, "@")+1:]
	}
	return ref
}

// checkKustomizations checks the kustomization in dir and, recursively, those
// of the local directories it references, before kustomize runs: it refuses
// remote references (which kustomize would fetch before any file system check)
// and explains Flux Kustomization fields written into a kustomization.yaml.
// It refuses kustomizations that reference each other in a cycle, naming the
// cycle, and reports deprecated fields to opts.Warn. visited holds false for
// the directories being checked (the current chain) and true for those done.
func checkKustomizations(c *confinedFS, dir string, visited map[string]bool, opts *Options, chain ...string) error {
	if _, seen := visited[dir]; seen {
		return nil
	}
	visited[dir] = false
	defer func() { visited[dir] = true }()
	chain = append(chain, c.rel(dir))
	file := findKustomization(c, dir)
	if file == "" {
		return nil
	}
	name := c.rel(file)
	data, err := c.ReadFile(file)
	if err != nil {
		return err
	}
	var k map[string]any
	if err := yaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("%s: invalid YAML: %w", name, err)
	}
	if apiVersion, _ := k["apiVersion"].(string); strings.HasPrefix(apiVersion, "kustomize.toolkit.fluxcd.io/") {
		return fmt.Errorf("%s is a Flux Kustomization (%s), but kustomize reads a file named %s as its own configuration; "+
			"rename it (e.g. to sync.yaml) and list it under resources of a kustomize kustomization.yaml, or let the directory have no kustomization file",
			name, apiVersion, filepath.Base(file))
	}
	if err := checkFluxFields(name, k); err != nil {
		return err
	}
	if err := new(kustypes.Kustomization).Unmarshal(data); err != nil {
		return fmt.Errorf("%s: %w%s", name, err, fieldHint(err))
	}
	if _, ok := k["helmCharts"]; ok {
		return fmt.Errorf("%s: helmCharts needs Helm inside kustomize, which is not enabled; deploy the chart with a HelmRelease instead", name)
	}
	for _, f := range slices.Sorted(maps.Keys(k)) {
		if replacement, ok := deprecatedFields[f]; ok {
			opts.warn(DeprecatedFieldReason, "%s: %s is deprecated in kustomize (it still works): use %s instead; `kustomize edit fix` rewrites it", name, f, replacement)
		}
	}

	// Refuse remote references, and collect the local directories to descend into.
	var dirs []string
	for _, field := range []string{"resources", "bases", "components", "generators", "transformers", "validators"} {
		for _, ref := range stringList(k[field]) {
			if isRemote(ref) {
				return remoteError(name, field, ref)
			}
			if p := filepath.Join(filepath.Dir(file), ref); !strings.Contains(ref, "\n") && c.IsDir(p) {
				dirs = append(dirs, p)
			}
		}
	}
	for _, field := range []string{"crds", "configurations", "patchesStrategicMerge"} {
		for _, ref := range stringList(k[field]) {
			if !strings.Contains(ref, "\n") && isRemote(ref) {
				return remoteError(name, field, ref)
			}
		}
	}
	for _, field := range []string{"patches", "patchesJson6902", "replacements"} {
		for _, item := range list(k[field]) {
			if m, ok := item.(map[string]any); ok {
				if p, ok := m["path"].(string); ok && isRemote(p) {
					return remoteError(name, field, p)
				}
			}
		}
	}
	if m, ok := k["openapi"].(map[string]any); ok {
		if p, ok := m["path"].(string); ok && isRemote(p) {
			return remoteError(name, "openapi", p)
		}
	}
	for _, field := range []string{"configMapGenerator", "secretGenerator"} {
		for _, item := range list(k[field]) {
			m, _ := item.(map[string]any)
			refs := append(stringList(m["files"]), stringList(m["envs"])...)
			if env, ok := m["env"].(string); ok {
				refs = append(refs, env)
			}
			for _, ref := range refs {
				if _, p, found := strings.Cut(ref, "="); found {
					ref = p
				}
				if isRemote(ref) {
					return remoteError(name, field, ref)
				}
			}
		}
	}
	for _, d := range dirs {
		real, err := c.resolve(d)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if done, seen := visited[real]; seen && !done {
			return fmt.Errorf("%s: the kustomizations form a cycle: %s; a kustomization must not include itself, directly or through others",
				name, strings.Join(append(chain, c.rel(real)), " -> "))
		}
		if err := checkKustomizations(c, real, visited, opts, chain...); err != nil {
			return err
		}
	}
	return nil
}

// checkFluxFields refuses Flux Kustomization spec fields in a kustomization file.
func checkFluxFields(name string, k map[string]any) error {
	var found []string
	for f := range k {
		if _, ok := fluxOnlyFields[f]; ok {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return nil
	}
	slices.Sort(found)
	if len(found) == 1 {
		f := found[0]
		return fmt.Errorf("%s: %s is a field of the Flux Kustomization (kustomize.toolkit.fluxcd.io), not of kustomization.yaml; "+
			"move it to spec.%s of the Flux Kustomization that builds this path%s", name, f, f, fluxOnlyFields[f])
	}
	return fmt.Errorf("%s: %s are fields of the Flux Kustomization (kustomize.toolkit.fluxcd.io), not of kustomization.yaml; "+
		"move them to the spec of the Flux Kustomization that builds this path", name, strings.Join(found, ", "))
}

func remoteError(name, field, ref string) error {
	return fmt.Errorf("%s: %s entry %q is remote, and remote bases are disabled: the build reads only the source artifact; "+
		"copy it into the repository or sync it from its own source", name, field, redact(ref))
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func stringList(v any) []string {
	var out []string
	for _, item := range list(v) {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// unknownField extracts the field name from a strict JSON decoding error.
var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

// fieldHint suggests the kustomization field an unknown one was probably
// meant to be ("resource" -> "resources").
func fieldHint(err error) string {
	m := unknownField.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	typ := reflect.TypeFor[kustypes.Kustomization]()
	for i := range typ.NumField() {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if tag != "" && tag != m[1] && (strings.EqualFold(tag, m[1]) || strings.EqualFold(tag, m[1]+"s") || strings.EqualFold(tag+"s", m[1])) {
			return fmt.Sprintf("; did you mean %q?", tag)
		}
	}
	return ""
}
