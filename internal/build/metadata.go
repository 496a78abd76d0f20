package build

import (
	"cmp"
	"maps"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// originAnnotation is where kustomize records the file an object came from.
const originAnnotation = "config.kubernetes.io/origin"

// takeOrigin removes the origin annotation from obj, unless keep, and
// returns the file it names, relative to the root.
func takeOrigin(obj *unstructured.Unstructured, dir string, keep bool) string {
	a := obj.GetAnnotations()
	raw, ok := a[originAnnotation]
	if !ok {
		return ""
	}
	if !keep {
		delete(a, originAnnotation)
		if len(a) == 0 {
			a = nil
		}
		obj.SetAnnotations(a)
	}
	var o struct {
		Path         string `json:"path"`
		ConfiguredIn string `json:"configuredIn"`
		Repo         string `json:"repo"`
	}
	if err := sigsyaml.Unmarshal([]byte(raw), &o); err != nil || o.Repo != "" {
		return ""
	}
	p := cmp.Or(o.Path, o.ConfiguredIn)
	if p == "" {
		return ""
	}
	return filepath.ToSlash(filepath.Clean(filepath.Join(dir, filepath.FromSlash(p))))
}

// setMetadata sets the common labels and annotations on obj.
func setMetadata(obj *unstructured.Unstructured, cm *kustomizev1.CommonMetadata) {
	if len(cm.Labels) > 0 {
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, cm.Labels)
		obj.SetLabels(labels)
	}
	if len(cm.Annotations) > 0 {
		annotations := obj.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		maps.Copy(annotations, cm.Annotations)
		obj.SetAnnotations(annotations)
	}
}
