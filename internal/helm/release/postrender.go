package release

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/postrenderer"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/build"
)

// Origin labels ferry (like Flux's helm-controller) sets on every object
// of a release.
const (
	NameLabel      = helmv2.GroupName + "/name"
	NamespaceLabel = helmv2.GroupName + "/namespace"
)

// PostRenderer returns the post-renderer of hr: its kustomize
// postRenderers (patches, images, and the patchesStrategicMerge and
// patchesJson6902 of v2beta1/v2beta2, converted) in order, then its
// commonMetadata and the origin labels on every object.
func PostRenderer(hr *helmv2.HelmRelease, tempDir string) postrenderer.PostRenderer {
	return &postRender{hr: hr, tempDir: tempDir}
}

// PostRenderStrategy maps spec.postRenderStrategy to Helm's; combined (Helm
// 4's default) when unset.
func PostRenderStrategy(hr *helmv2.HelmRelease) action.PostRenderStrategy {
	switch hr.Spec.PostRenderStrategy {
	case "nohooks":
		return action.PostRenderStrategyNoHooks
	case "separate":
		return action.PostRenderStrategySeparate
	}
	return action.PostRenderStrategyCombined
}

// PostRenderersDigest is the digest of what the post-renderer does besides
// the origin labels, recorded as status.observedPostRenderersDigest: a
// change of it upgrades the release.
func PostRenderersDigest(hr *helmv2.HelmRelease) string {
	if len(hr.Spec.PostRenderers) == 0 {
		return ""
	}
	return Digest(hr.Spec.PostRenderers)
}

// CommonMetadataDigest is the digest of spec.commonMetadata.
func CommonMetadataDigest(hr *helmv2.HelmRelease) string {
	if hr.Spec.CommonMetadata == nil {
		return ""
	}
	return Digest(hr.Spec.CommonMetadata)
}

type postRender struct {
	hr      *helmv2.HelmRelease
	tempDir string
}

func (p *postRender) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	out := in
	for i, r := range p.hr.Spec.PostRenderers {
		if r.Kustomize == nil {
			continue
		}
		var err error
		if out, err = p.kustomize(out, r.Kustomize); err != nil {
			return nil, fmt.Errorf("post-renderer %d: %w", i, err)
		}
	}
	return p.metadata(out)
}

// kustomize runs one kustomize post-renderer over the manifests with
// ferry's build package, confined to a temporary directory.
func (p *postRender) kustomize(in *bytes.Buffer, k *helmv2.Kustomize) (*bytes.Buffer, error) {
	patches, err := Patches(k)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(p.tempDir, "postrender-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "manifests.yaml"), in.Bytes(), 0o600); err != nil {
		return nil, err
	}
	objs, err := build.Build(context.Background(), build.Options{Root: dir, Patches: patches, Images: k.Images})
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for _, o := range objs {
		b, err := sigsyaml.Marshal(o.Object)
		if err != nil {
			return nil, err
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	return &out, nil
}

// Patches returns k's patches with the deprecated patchesStrategicMerge
// and patchesJson6902 of v2beta1/v2beta2 converted into patches (after the
// patches, in their order).
func Patches(k *helmv2.Kustomize) ([]kustomizev1.Patch, error) {
	patches := append([]kustomizev1.Patch(nil), k.Patches...)
	for _, sm := range k.PatchesStrategicMerge {
		y, err := sigsyaml.JSONToYAML(sm.Raw)
		if err != nil {
			return nil, fmt.Errorf("patchesStrategicMerge: %w", err)
		}
		patches = append(patches, kustomizev1.Patch{Patch: string(y)})
	}
	for _, jp := range k.PatchesJSON6902 {
		b, err := sigsyaml.Marshal(jp.Patch)
		if err != nil {
			return nil, fmt.Errorf("patchesJson6902: %w", err)
		}
		target := jp.Target
		patches = append(patches, kustomizev1.Patch{Patch: string(b), Target: &target})
	}
	return patches, nil
}

// metadata sets the commonMetadata and the origin labels on every object.
func (p *postRender) metadata(in *bytes.Buffer) (*bytes.Buffer, error) {
	nodes, err := (&kio.ByteReader{Reader: in, OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, fmt.Errorf("reading the rendered manifests: %w", err)
	}
	labels := map[string]string{}
	annotations := map[string]string{}
	if cm := p.hr.Spec.CommonMetadata; cm != nil {
		for k, v := range cm.Labels {
			labels[k] = v
		}
		for k, v := range cm.Annotations {
			annotations[k] = v
		}
	}
	labels[NameLabel] = p.hr.Name
	labels[NamespaceLabel] = p.hr.Namespace
	for _, n := range nodes {
		if err := setMetadata(n, labels, annotations); err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	if err := (&kio.ByteWriter{Writer: &out}).Write(nodes); err != nil {
		return nil, err
	}
	return &out, nil
}

func setMetadata(n *yaml.RNode, labels, annotations map[string]string) error {
	l := n.GetLabels()
	for k, v := range labels {
		l[k] = v
	}
	if err := n.SetLabels(l); err != nil {
		return err
	}
	if len(annotations) == 0 {
		return nil
	}
	a := n.GetAnnotations()
	for k, v := range annotations {
		a[k] = v
	}
	return n.SetAnnotations(a)
}
