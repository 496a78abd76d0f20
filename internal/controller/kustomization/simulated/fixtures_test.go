package simulated_test

import (
	"fmt"

	apimeta "k8s.io/apimachinery/pkg/api/meta"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// deployment returns a Deployment manifest; extraPodSpec lines (indented by
// six spaces) are added to the pod spec and extraSpec lines (indented by two)
// to the Deployment spec.
func deployment(name, extraSpec, extraPodSpec string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels:
      app: %[1]s
%[2]s  template:
    metadata:
      labels:
        app: %[1]s
    spec:
%[3]s      containers:
        - name: main
          image: registry.k8s.io/pause:3.10
`, name, extraSpec, extraPodSpec)
}

// unschedulable is a pod spec fragment no Node matches.
const unschedulable = "      nodeSelector:\n        ferry.test/none: \"true\"\n"

// kustomizationYAML lists resources in a kustomization.yaml.
func kustomizationYAML(resources ...string) string {
	s := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
	for _, r := range resources {
		s += "  - " + r + "\n"
	}
	return s
}

// kustomizev1Kustomization shortens the type in condition funcs.
type kustomizev1Kustomization = kustomizev1.Kustomization

// conditionReason returns the reason of condition type t, or "".
func conditionReason(ks *kustomizev1.Kustomization, t string) string {
	if c := apimeta.FindStatusCondition(ks.Status.Conditions, t); c != nil {
		return c.Reason
	}
	return ""
}
