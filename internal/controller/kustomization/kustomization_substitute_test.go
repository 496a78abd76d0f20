package kustomization_test

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/testenv"
)

// substFiles is a repository whose manifests use postBuild variables.
func substFiles() map[string]string {
	return map[string]string{
		"app/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - configmap.yaml
  - deployment.yaml
`,
		"app/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-${CLUSTER}
data:
  cluster: ${CLUSTER}
  region: ${REGION:=eu-west-1}
  literal: $${NOT_A_VARIABLE}
`,
		"app/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${REPLICAS:=1}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:${NGINX_TAG}
`,
	}
}

// TestSubstitute checks postBuild.substitute: values, bash-style defaults,
// the $${VAR} escape, typed values, and a change of value re-applied.
func TestSubstitute(t *testing.T) {
	f := newFixture(t, substFiles())
	f.syncSpec("app", `  postBuild:
    substitute:
      CLUSTER: prod
      REPLICAS: "3"
      NGINX_TAG: "1.27"`)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	cm := f.Get("v1", "ConfigMap", "cluster-prod")
	for k, want := range map[string]string{"cluster": "prod", "region": "eu-west-1", "literal": "${NOT_A_VARIABLE}"} {
		if got := testenv.Nested(cm, "data", k); got != want {
			t.Errorf("data.%s = %s, want %s", k, got, want)
		}
	}
	d := f.Get("apps/v1", "Deployment", "web")
	if got := testenv.Nested(d, "spec", "replicas"); got != "3" {
		t.Errorf("replicas = %s, want 3", got)
	}

	// Changing a value re-applies with it.
	ks := f.kustomization()
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.PostBuild.Substitute["REPLICAS"] = "5"
	ks.Spec.PostBuild.Substitute["REGION"] = "us-east-1"
	if err := env.Client.Patch(context.Background(), ks, patch); err != nil {
		t.Fatal(err)
	}
	f.Eventually("the new values applied", func() string {
		if got := testenv.Nested(f.Get("apps/v1", "Deployment", "web"), "spec", "replicas"); got != "5" {
			return "replicas = " + got
		}
		if got := testenv.Nested(f.Get("v1", "ConfigMap", "cluster-prod"), "data", "region"); got != "us-east-1" {
			return "region = " + got
		}
		return ""
	})
}
