package config

import (
	"context"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	imagev1beta1 "github.com/ferrycd/ferry/api/image/v1beta1"
	imagev1beta2 "github.com/ferrycd/ferry/api/image/v1beta2"
)

// imageType returns a new object of ferry's Go type for kind at version.
func imageType(kind, version string) any {
	types := map[string]map[string]any{
		"v1":      {"ImageRepository": &imagev1.ImageRepository{}, "ImagePolicy": &imagev1.ImagePolicy{}, "ImageUpdateAutomation": &imagev1.ImageUpdateAutomation{}},
		"v1beta2": {"ImageRepository": &imagev1beta2.ImageRepository{}, "ImagePolicy": &imagev1beta2.ImagePolicy{}, "ImageUpdateAutomation": &imagev1beta2.ImageUpdateAutomation{}},
		"v1beta1": {"ImageRepository": &imagev1beta1.ImageRepository{}, "ImagePolicy": &imagev1beta1.ImagePolicy{}, "ImageUpdateAutomation": &imagev1beta1.ImageUpdateAutomation{}},
	}
	return types[version][kind]
}

// TestImageVersionsReadAsStorage creates the image kinds at every version
// Flux has served (the seeds' v1beta1 and v1beta2 YAML among them) and
// checks that the API server returns them at v1 with every field, and that
// the results decode strictly into ferry's types of both versions.
func TestImageVersionsReadAsStorage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct{ in, wantStored string }{
		"ImageRepository v1 all fields": {in: `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: web-v1, namespace: default}
spec:
  image: ghcr.io/acme/web
  interval: 5m
  timeout: 1m
  secretRef: {name: regcred}
  serviceAccountName: puller
  certSecretRef: {name: ca}
  proxySecretRef: {name: proxy}
  suspend: true
  accessFrom: {namespaceSelectors: [{matchLabels: {team: web}}]}
  exclusionList: ["^.*\\.sig$", "^dev-"]
  provider: generic
  insecure: true`},
		"ImageRepository v1beta2 seed": {in: `apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: my-app, namespace: default}
spec:
  image: ghcr.io/company/my-app
  interval: 1m
  secretRef: {name: registry-credentials}
  certSecretRef: {name: ca-cert}`,
			wantStored: `image: ghcr.io/company/my-app
interval: 1m
secretRef: {name: registry-credentials}
certSecretRef: {name: ca-cert}
exclusionList: ["^.*\\.sig$"]
provider: generic`},
		"ImageRepository v1beta1": {in: `apiVersion: image.toolkit.fluxcd.io/v1beta1
kind: ImageRepository
metadata: {name: web-v1beta1, namespace: default}
spec: {image: docker.io/library/nginx, interval: 10m, timeout: 30s, exclusionList: []}`},
		"ImagePolicy v1beta2 seed": {in: `apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: my-app, namespace: default}
spec:
  imageRepositoryRef: {name: my-app}
  policy:
    semver: {range: ">=1.0.0 <2.0.0"}
  filterTags:
    pattern: '^v(?P<version>.*)$'
    extract: '$version'`,
			wantStored: `imageRepositoryRef: {name: my-app}
policy:
  semver: {range: ">=1.0.0 <2.0.0"}
filterTags: {pattern: '^v(?P<version>.*)$', extract: '$version'}
digestReflectionPolicy: Never`},
		"ImagePolicy v1 digest reflection": {in: `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: latest-v1, namespace: default}
spec:
  imageRepositoryRef: {name: web, namespace: apps}
  policy:
    alphabetical: {order: desc}
  digestReflectionPolicy: Always
  interval: 10m`},
		"ImagePolicy v1beta1 numerical": {in: `apiVersion: image.toolkit.fluxcd.io/v1beta1
kind: ImagePolicy
metadata: {name: calver-v1beta1, namespace: default}
spec:
  imageRepositoryRef: {name: web}
  policy: {numerical: {order: asc}}
  filterTags: {pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)', extract: '$ts'}`,
			wantStored: `imageRepositoryRef: {name: web}
policy: {numerical: {order: asc}}
filterTags: {pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)', extract: '$ts'}
digestReflectionPolicy: Never`},
		"ImageUpdateAutomation v1beta1 seed": {in: `apiVersion: image.toolkit.fluxcd.io/v1beta1
kind: ImageUpdateAutomation
metadata: {name: flux-system, namespace: default}
spec:
  interval: 1m
  sourceRef: {kind: GitRepository, name: flux-system}
  git:
    checkout:
      ref: {branch: main}
    commit:
      author: {name: Flux Bot, email: flux@company.com}
      messageTemplate: |
        Automated image update

        Images:
        {{ range .Updated.Images -}}
        - {{.}}
        {{ end }}
      signingKey:
        secretRef: {name: flux-gpg-signing-key}
    push: {branch: main}
  update: {strategy: Setters, path: ./clusters/my-cluster}`},
		"ImageUpdateAutomation v1 all fields": {in: `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: apps-v1, namespace: default}
spec:
  interval: 30m
  sourceRef: {apiVersion: source.toolkit.fluxcd.io/v1, kind: GitRepository, name: fleet, namespace: flux-system}
  git:
    checkout: {ref: {branch: main}}
    commit:
      author: {name: ferry, email: ferry@example.com}
      messageTemplate: "{{ .Values.env }}: {{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }} {{ end }}"
      messageTemplateValues: {env: production}
    push:
      branch: image-updates
      refspec: "refs/heads/image-updates:refs/heads/review"
      options: {merge_request.create: ""}
  policySelector: {matchLabels: {env: production}}
  update: {strategy: Setters, path: ./apps/production}
  suspend: true`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			obj := mustCreate(ctx, t, tt.in)
			kind, version := obj.GetKind(), obj.GroupVersionKind().Version
			want := obj.Object["spec"]
			if tt.wantStored != "" {
				if err := yaml.Unmarshal([]byte(tt.wantStored), &want); err != nil {
					t.Fatal(err)
				}
			}
			stored := readAs(ctx, t, obj, "v1")
			if path := missingFrom(normalize(stored.Object["spec"]), normalize(want), "spec"); path != "" {
				got, _ := yaml.Marshal(stored.Object["spec"])
				t.Errorf("read as v1: %s was lost or changed:\n%s", path, got)
			}
			if err := decodeStrict(stored, imageType(kind, "v1")); err != nil {
				t.Errorf("read as v1 does not decode into ferry's type: %v", err)
			}
			again := readAs(ctx, t, obj, version)
			if err := decodeStrict(again, imageType(kind, version)); err != nil {
				t.Errorf("read as %s does not decode into ferry's type: %v", version, err)
			}
		})
	}
}
