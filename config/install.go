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

	"github.com/ferrycd/ferry/api/meta"
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
	// FluxLayout installs the way tools written for Flux look for it: in
	// flux-system unless Namespace says otherwise, every object (the CRDs
	// too) labelled app.kubernetes.io/part-of: flux instead of ferry, and
	// app.kubernetes.io/version.
	FluxLayout bool
	// Shards are the names of the shards to run beside the main
	// controller, each a Deployment (and Service) ferry-shard-<name> that
	// reconciles the objects labelled sharding.fluxcd.io/key=<name>; the
	// main controller then leaves those alone.
	Shards []string
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

// FluxNamespace is where Flux runs, and ferry with FluxLayout.
const FluxNamespace = "flux-system"

// NameLabel marks every object of ferry's installation (with value
// "ferry"), whatever its part-of label says: check, logs and uninstall
// find them by it.
const NameLabel = "app.kubernetes.io/name"

// namespace returns the namespace the options install into, validated.
func (o InstallOptions) namespace() (string, error) {
	if o.Namespace == "" {
		if o.FluxLayout {
			return FluxNamespace, nil
		}
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
	objs, err = addShards(objs, opts.Shards)
	if err != nil {
		return nil, err
	}
	for _, u := range objs {
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		if u.GetKind() != "CustomResourceDefinition" {
			labels[NameLabel] = "ferry"
		}
		if opts.FluxLayout {
			labels["app.kubernetes.io/part-of"] = "flux"
			labels["app.kubernetes.io/version"] = imageVersion(image)
		}
		if len(labels) > 0 {
			u.SetLabels(labels)
		}
		if opts.FluxLayout && u.GetKind() == "Deployment" {
			podLabels, _, _ := unstructured.NestedStringMap(u.Object, "spec", "template", "metadata", "labels")
			podLabels["app.kubernetes.io/part-of"] = "flux"
			if err := unstructured.SetNestedStringMap(u.Object, podLabels, "spec", "template", "metadata", "labels"); err != nil {
				return nil, err
			}
		}
	}
	return objs, nil
}

// ImageTag returns the tag of an image reference, "" without one.
func ImageTag(image string) string {
	ref, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}
	return ""
}

// imageVersion is the tag of an image reference, or its digest's first
// twelve hex digits: a label value.
func imageVersion(image string) string {
	if tag := ImageTag(image); tag != "" {
		return tag
	}
	if _, hex, ok := strings.Cut(image, "@sha256:"); ok && len(hex) >= 12 {
		return hex[:12]
	}
	return "unknown"
}

// shardComponent is the app.kubernetes.io/component of a shard's
// Deployment, Service and pods; the main controller's selector
// (component: controller) does not pick them.
const shardComponent = "controller-shard"

// addShards adds a Deployment and a Service per shard, copies of the main
// controller's, and narrows the main controller to the objects no shard
// takes.
func addShards(objs []*unstructured.Unstructured, shards []string) ([]*unstructured.Unstructured, error) {
	if len(shards) == 0 {
		return objs, nil
	}
	seen := map[string]bool{}
	for _, shard := range shards {
		if errs := validation.IsDNS1123Label(shard); len(errs) > 0 || len(shard) > 50 {
			return nil, fmt.Errorf("install manifests: invalid shard name %q: want a DNS label of at most 50 characters (%s)", shard, strings.Join(errs, "; "))
		}
		if seen[shard] {
			return nil, fmt.Errorf("install manifests: shard %q named twice", shard)
		}
		seen[shard] = true
	}
	var out []*unstructured.Unstructured
	for _, u := range objs {
		out = append(out, u)
		switch {
		case u.GetKind() == "Service" && u.GetName() == "ferry":
			for _, shard := range shards {
				svc, err := shardService(u, shard)
				if err != nil {
					return nil, err
				}
				out = append(out, svc)
			}
		case u.GetKind() == "Deployment" && u.GetName() == "ferry":
			main := u.DeepCopy()
			for _, shard := range shards {
				d, err := shardDeployment(main, shard)
				if err != nil {
					return nil, err
				}
				out = append(out, d)
			}
			if err := editArgs(u, func(args []string) []string {
				return append(args, "--watch-label-selector=!"+meta.ShardingKeyLabel)
			}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// shardName is the name of a shard's Deployment and Service.
func shardName(shard string) string { return "ferry-shard-" + shard }

// shardLabels are the labels that tell a shard's pods from the others'.
func shardLabels(shard string) map[string]any {
	return map[string]any{"app.kubernetes.io/name": "ferry", "app.kubernetes.io/component": shardComponent, "app.kubernetes.io/instance": shardName(shard)}
}

// setShardLabels labels obj as the shard's.
func setShardLabels(obj *unstructured.Unstructured, shard string) {
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	for k, v := range shardLabels(shard) {
		labels[k] = v.(string)
	}
	obj.SetLabels(labels)
}

// shardService is the main Service copied for the shard: its artifacts
// and, on port 9292, its Receivers' webhooks.
func shardService(main *unstructured.Unstructured, shard string) (*unstructured.Unstructured, error) {
	svc := main.DeepCopy()
	svc.SetName(shardName(shard))
	setShardLabels(svc, shard)
	if err := unstructured.SetNestedMap(svc.Object, shardLabels(shard), "spec", "selector"); err != nil {
		return nil, err
	}
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	ports = append(ports, map[string]any{"name": "http-webhook", "port": int64(9292), "protocol": "TCP", "targetPort": "http-webhook"})
	return svc, unstructured.SetNestedSlice(svc.Object, ports, "spec", "ports")
}

// shardDeployment is the main Deployment copied for the shard: its own
// pods, lease, artifact address and label selector.
func shardDeployment(main *unstructured.Unstructured, shard string) (*unstructured.Unstructured, error) {
	d := main.DeepCopy()
	name := shardName(shard)
	d.SetName(name)
	setShardLabels(d, shard)
	if err := unstructured.SetNestedMap(d.Object, shardLabels(shard), "spec", "selector", "matchLabels"); err != nil {
		return nil, err
	}
	podLabels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
	for k, v := range shardLabels(shard) {
		podLabels[k] = v.(string)
	}
	if err := unstructured.SetNestedStringMap(d.Object, podLabels, "spec", "template", "metadata", "labels"); err != nil {
		return nil, err
	}
	err := editArgs(d, func(args []string) []string {
		for i, a := range args {
			if strings.HasPrefix(a, "--storage-adv-addr=") {
				args[i] = "--storage-adv-addr=" + name + ".$(RUNTIME_NAMESPACE).svc.cluster.local."
			}
		}
		return append(args, "--watch-label-selector="+meta.ShardingKeyLabel+"="+shard, "--leader-election-id="+name+"-leader-election")
	})
	return d, err
}

// editArgs changes the arguments of the Deployment's manager container.
func editArgs(d *unstructured.Unstructured, edit func([]string) []string) error {
	containers, _, err := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return fmt.Errorf("install manifests: Deployment %s: %w", d.GetName(), err)
	}
	for _, c := range containers {
		m, ok := c.(map[string]any)
		if !ok || m["name"] != "manager" {
			continue
		}
		var args []string
		raw, _ := m["args"].([]any)
		for _, a := range raw {
			args = append(args, fmt.Sprint(a))
		}
		var out []any
		for _, a := range edit(args) {
			out = append(out, a)
		}
		m["args"] = out
	}
	return unstructured.SetNestedSlice(d.Object, containers, "spec", "template", "spec", "containers")
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
