package config

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// TestOlderVersionsReadAsV1 creates GitRepositories and Kustomizations as
// v1beta2 and v1beta1 (the shapes found in the seeds and in Flux's docs for
// those versions) and checks that the API server, with no conversion
// webhook, returns them as v1 with every field that v1 shares intact and
// the deprecated fields v1 lacks dropped.
func TestOlderVersionsReadAsV1(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		in     string
		wantV1 string // the spec read back as v1
	}{
		"seed GitRepository v1beta2": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: GitRepository
metadata: {name: podinfo-v1beta2-seed, namespace: default}
spec:
  interval: 5m
  url: https://github.com/stefanprodan/podinfo
  ref:
    branch: master`,
			wantV1: `interval: 5m
url: https://github.com/stefanprodan/podinfo
ref: {branch: master}
timeout: 60s`,
		},
		"GitRepository v1beta2 all fields": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: GitRepository
metadata: {name: podinfo-v1beta2-all, namespace: default}
spec:
  url: ssh://git@github.com/stefanprodan/podinfo
  secretRef: {name: ssh-credentials}
  interval: 1m0s
  timeout: 90s
  ref: {branch: main, tag: v1.0.0, semver: ">=1.0.0", name: refs/heads/main, commit: 5a3e6f1e8a6b5c1f0e5c1d3b8f1b2a6c7d8e9f00}
  verify: {mode: head, secretRef: {name: pgp-public-keys}}
  ignore: |
    /*
    !/deploy
  suspend: true
  gitImplementation: libgit2
  recurseSubmodules: true
  include:
  - repository: {name: config}
    fromPath: deploy
    toPath: config
  accessFrom:
    namespaceSelectors:
    - matchLabels: {team: dev}`,
			wantV1: `url: ssh://git@github.com/stefanprodan/podinfo
secretRef: {name: ssh-credentials}
interval: 1m0s
timeout: 90s
ref: {branch: main, tag: v1.0.0, semver: ">=1.0.0", name: refs/heads/main, commit: 5a3e6f1e8a6b5c1f0e5c1d3b8f1b2a6c7d8e9f00}
verify: {mode: head, secretRef: {name: pgp-public-keys}}
ignore: |
  /*
  !/deploy
suspend: true
recurseSubmodules: true
include:
- repository: {name: config}
  fromPath: deploy
  toPath: config`,
		},
		"GitRepository v1beta1": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta1
kind: GitRepository
metadata: {name: podinfo-v1beta1, namespace: default}
spec:
  url: https://github.com/stefanprodan/podinfo
  interval: 1m
  ref: {tag: 6.5.0}
  verify: {mode: head, secretRef: {name: pgp-public-keys}}
  ignore: "*.md"
  gitImplementation: go-git
  include:
  - repository: {name: config}`,
			wantV1: `url: https://github.com/stefanprodan/podinfo
interval: 1m
timeout: 20s
ref: {tag: 6.5.0}
verify: {mode: head, secretRef: {name: pgp-public-keys}}
ignore: "*.md"
include:
- repository: {name: config}`,
		},
		"seed Kustomization v1beta2": {
			in: `apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
kind: Kustomization
metadata: {name: apps-v1beta2-seed, namespace: default}
spec:
  interval: 10m0s
  path: ./apps
  prune: true
  wait: true
  timeout: 5m
  sourceRef:
    kind: GitRepository
    name: flux-system
  healthChecks:
    - apiVersion: apps/v1
      kind: Deployment
      name: frontend
      namespace: default
  patches:
    - patch: |
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: frontend
        spec:
          replicas: 2
      target:
        kind: Deployment
        name: frontend`,
			wantV1: `interval: 10m0s
path: ./apps
prune: true
wait: true
timeout: 5m
force: false
sourceRef: {kind: GitRepository, name: flux-system}
healthChecks:
- {apiVersion: apps/v1, kind: Deployment, name: frontend, namespace: default}
patches:
- patch: |
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: frontend
    spec:
      replicas: 2
  target: {kind: Deployment, name: frontend}`,
		},
		"Kustomization v1beta2 all shared fields": {
			in: `apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
kind: Kustomization
metadata: {name: all-v1beta2, namespace: default}
spec:
  commonMetadata: {labels: {team: dev}, annotations: {owner: dev}}
  dependsOn: [{name: infra, namespace: flux-system}]
  decryption: {provider: sops, secretRef: {name: sops-gpg}}
  interval: 5m
  retryInterval: 1m
  kubeConfig: {secretRef: {name: remote, key: value.yaml}}
  path: ./deploy
  postBuild:
    substitute: {cluster: prod}
    substituteFrom: [{kind: ConfigMap, name: vars, optional: true}]
  prune: false
  images: [{name: podinfo, newName: ghcr.io/stefanprodan/podinfo, newTag: 6.5.0}]
  serviceAccountName: deployer
  sourceRef: {apiVersion: source.toolkit.fluxcd.io/v1beta2, kind: GitRepository, name: podinfo, namespace: flux-system}
  suspend: true
  targetNamespace: apps
  force: true
  validation: client
  components: [../components/ha]`,
			wantV1: `commonMetadata: {labels: {team: dev}, annotations: {owner: dev}}
dependsOn: [{name: infra, namespace: flux-system}]
decryption: {provider: sops, secretRef: {name: sops-gpg}}
interval: 5m
retryInterval: 1m
kubeConfig: {secretRef: {name: remote, key: value.yaml}}
path: ./deploy
postBuild:
  substitute: {cluster: prod}
  substituteFrom: [{kind: ConfigMap, name: vars, optional: true}]
prune: false
images: [{name: podinfo, newName: ghcr.io/stefanprodan/podinfo, newTag: 6.5.0}]
serviceAccountName: deployer
sourceRef: {apiVersion: source.toolkit.fluxcd.io/v1beta2, kind: GitRepository, name: podinfo, namespace: flux-system}
suspend: true
targetNamespace: apps
force: true
components: [../components/ha]`,
		},
		"Kustomization v1beta1": {
			in: `apiVersion: kustomize.toolkit.fluxcd.io/v1beta1
kind: Kustomization
metadata: {name: webapp-v1beta1, namespace: default}
spec:
  interval: 5m
  path: "./deploy/webapp/"
  prune: true
  validation: server
  sourceRef: {kind: GitRepository, name: webapp}
  healthChecks:
  - {kind: Deployment, name: backend, namespace: webapp}
  kubeConfig: {secretRef: {name: remote}}
  postBuild:
    substituteFrom: [{kind: Secret, name: vars}]
  timeout: 2m`,
			wantV1: `interval: 5m
path: "./deploy/webapp/"
prune: true
force: false
sourceRef: {kind: GitRepository, name: webapp}
healthChecks:
- {kind: Deployment, name: backend, namespace: webapp}
kubeConfig: {secretRef: {name: remote}}
postBuild:
  # v1's default, applied when the stored object is read as v1.
  substituteFrom: [{kind: Secret, name: vars, optional: false}]
timeout: 2m`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			in := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(tt.in), &in.Object); err != nil {
				t.Fatal(err)
			}
			if err := createWhenServed(ctx, in.DeepCopy()); err != nil {
				t.Fatalf("create as %s: %v", in.GetAPIVersion(), err)
			}
			var want map[string]any
			if err := yaml.Unmarshal([]byte(tt.wantV1), &want); err != nil {
				t.Fatal(err)
			}
			got := &unstructured.Unstructured{}
			gv := in.GroupVersionKind()
			gv.Version = "v1"
			got.SetGroupVersionKind(gv)
			if err := testClient.Get(ctx, client.ObjectKeyFromObject(in), got); err != nil {
				t.Fatalf("get as v1: %v", err)
			}
			if !reflect.DeepEqual(got.Object["spec"], want) {
				g, _ := yaml.Marshal(got.Object["spec"])
				w, _ := yaml.Marshal(want)
				t.Errorf("spec read as v1\ngot:\n%s\nwant:\n%s", g, w)
			}
			// The object is also still served in the version it was written in.
			back := &unstructured.Unstructured{}
			back.SetGroupVersionKind(in.GroupVersionKind())
			if err := testClient.Get(ctx, client.ObjectKeyFromObject(in), back); err != nil {
				t.Fatalf("get as %s: %v", in.GetAPIVersion(), err)
			}
			if back.GetAPIVersion() != in.GetAPIVersion() {
				t.Errorf("apiVersion %q, want %q", back.GetAPIVersion(), in.GetAPIVersion())
			}
		})
	}
}

// TestOlderVersionsRefuseRemovedPatches checks that the v1beta2 and v1beta1
// patch fields v1 removed are refused with a message saying what to do,
// rather than silently dropped (which would apply the objects unpatched),
// and that the older versions keep Flux's required fields.
func TestOlderVersionsRefuseRemovedPatches(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		yaml string
		want []string
	}{
		// Seed 002's "secrets" Kustomization has no interval: Flux's CRD
		// refuses it too.
		"v1beta2 seed without interval": {
			yaml: `apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
kind: Kustomization
metadata: {name: secrets, namespace: default}
spec:
  decryption:
    provider: sops
    secretRef:
      name: sops-gpg
  path: ./secrets
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system`,
			want: []string{"spec.interval", "Required value"},
		},
		"v1beta2 patchesStrategicMerge": {
			yaml: `apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
kind: Kustomization
metadata: {name: psm-v1beta2, namespace: default}
spec:
  interval: 5m
  prune: true
  sourceRef: {kind: GitRepository, name: x}
  patchesStrategicMerge:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec: {replicas: 2}`,
			want: []string{"spec.patchesStrategicMerge was removed", "spec.patches"},
		},
		"v1beta1 patchesJson6902": {
			yaml: `apiVersion: kustomize.toolkit.fluxcd.io/v1beta1
kind: Kustomization
metadata: {name: pj-v1beta1, namespace: default}
spec:
  interval: 5m
  prune: true
  sourceRef: {kind: GitRepository, name: x}
  patchesJson6902:
  - target: {kind: Deployment, name: web}
    patch:
    - {op: replace, path: /spec/replicas, value: 2}`,
			want: []string{"spec.patchesJson6902 was removed", "spec.patches"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(tt.yaml), &obj.Object); err != nil {
				t.Fatal(err)
			}
			err := createWhenServed(ctx, obj)
			if !apierrors.IsInvalid(err) {
				t.Fatalf("create: got %v, want an Invalid error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("create: error %q does not contain %q", err, w)
				}
			}
		})
	}
}
