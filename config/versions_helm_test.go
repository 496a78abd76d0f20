package config

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// helmVersionCase is an object written at an old API version and the spec
// expected when it is read back at the storage version.
type helmVersionCase struct {
	in string
	// wantStored is the spec read at the storage version; empty when it is
	// the spec of in, unchanged.
	wantStored string
}

// TestOlderHelmVersionsReadAsStorage creates HelmRepositories, HelmCharts
// and HelmReleases at v1beta2/v1beta1 and v2beta2/v2beta1 (the seeds' YAML
// and objects setting every field of those versions) and checks that the
// API server, with no conversion webhook, returns them at the storage
// version (source v1, helm v2) with every field, the deprecated ones too,
// that the result decodes strictly into ferry's Go types, and that reading
// them at the version they were written in loses nothing.
func TestOlderHelmVersionsReadAsStorage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	tests := map[string]helmVersionCase{
		// An OCIRepository as Flux's v1beta2 docs write it, every field set.
		"OCIRepository v1beta2 all fields": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: OCIRepository
metadata: {name: podinfo-manifests, namespace: default}
spec:
  interval: 5m0s
  url: oci://ghcr.io/stefanprodan/manifests/podinfo
  ref: {semver: ">=6.0.0", semverFilter: ".*-rc.*", tag: latest, digest: "sha256:2c2c3bd0b4d6d24c2fd36ec4d5e4fe0a8b2a9c1c34d8b0b95d3f2a6d4e0c1f00"}
  layerSelector: {mediaType: application/vnd.cncf.flux.content.v1.tar+gzip, operation: copy}
  provider: generic
  secretRef: {name: regcred}
  verify:
    provider: cosign
    secretRef: {name: cosign-pub}
    matchOIDCIdentity: [{issuer: "^https://token.actions.githubusercontent.com$", subject: "^https://github.com/stefanprodan/podinfo.*$"}]
  serviceAccountName: puller
  certSecretRef: {name: tls}
  proxySecretRef: {name: proxy}
  timeout: 90s
  ignore: "*.md"
  insecure: true
  suspend: true`,
		},
		// A Bucket as Flux's v1beta2 API writes it, every field set but
		// accessFrom, which v1 lacks (Flux never implemented it) and which
		// is dropped when stored, as GitRepository's.
		"Bucket v1beta2 all fields": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: Bucket
metadata: {name: minio-bucket, namespace: default}
spec:
  provider: generic
  bucketName: podinfo
  endpoint: minio.minio.svc.cluster.local:9000
  sts:
    provider: ldap
    endpoint: https://minio.minio.svc.cluster.local:9000
    secretRef: {name: ldap-credentials}
    certSecretRef: {name: ldap-tls}
  insecure: true
  region: us-east-1
  prefix: manifests/
  secretRef: {name: minio-credentials}
  certSecretRef: {name: minio-tls}
  proxySecretRef: {name: proxy}
  interval: 5m0s
  timeout: 90s
  ignore: "*.md"
  suspend: true`,
		},
		// Seed 000's base/wiz-sensor/helmrepository.yaml.
		"seed 000 HelmRepository v1beta2": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata: {name: wiz-acr, namespace: default}
spec:
  interval: 5m0s
  type: oci
  url: oci://azcontainerregistry.azurecr.io/helm`,
			wantStored: `interval: 5m0s
type: oci
url: oci://azcontainerregistry.azurecr.io/helm
provider: generic`,
		},
		// Seed 003's HelmRepository sets url twice (an HTTP and an OCI
		// one), which no YAML parser accepts; this is its OCI variant.
		"seed 003 HelmRepository v1beta2": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata: {name: bitnami, namespace: default}
spec:
  interval: 1h
  type: oci
  url: oci://registry-1.docker.io/bitnamicharts
  secretRef:
    name: registry-credentials`,
			wantStored: `interval: 1h
type: oci
url: oci://registry-1.docker.io/bitnamicharts
secretRef: {name: registry-credentials}
provider: generic`,
		},
		"HelmRepository v1beta2 all fields": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata: {name: all-v1beta2, namespace: default}
spec:
  url: https://stefanprodan.github.io/podinfo
  secretRef: {name: basic-auth}
  certSecretRef: {name: tls}
  passCredentials: true
  interval: 10m
  insecure: true
  timeout: 90s
  suspend: true
  accessFrom:
    namespaceSelectors:
    - matchLabels: {team: dev}
  type: default
  provider: aws`,
		},
		"HelmRepository v1beta1": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta1
kind: HelmRepository
metadata: {name: all-v1beta1, namespace: default}
spec:
  url: https://charts.bitnami.com/bitnami
  secretRef: {name: basic-auth}
  passCredentials: true
  interval: 30m
  suspend: true
  accessFrom:
    namespaceSelectors:
    - matchLabels: {team: dev}`,
			// v1beta1's default timeout is written when the object is
			// created; v1's default provider is filled in when it is read.
			wantStored: `url: https://charts.bitnami.com/bitnami
secretRef: {name: basic-auth}
passCredentials: true
interval: 30m
timeout: 60s
suspend: true
provider: generic
accessFrom:
  namespaceSelectors:
  - matchLabels: {team: dev}`,
		},
		"HelmChart v1beta2 all fields": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmChart
metadata: {name: all-v1beta2, namespace: default}
spec:
  chart: podinfo
  version: "6.5.*"
  sourceRef: {apiVersion: source.toolkit.fluxcd.io/v1beta2, kind: HelmRepository, name: podinfo}
  interval: 5m
  reconcileStrategy: ChartVersion
  valuesFiles: [values.yaml, values-prod.yaml]
  valuesFile: values-base.yaml
  ignoreMissingValuesFiles: true
  suspend: true
  accessFrom:
    namespaceSelectors:
    - matchLabels: {team: dev}
  verify:
    provider: cosign
    secretRef: {name: cosign-pub}
    matchOIDCIdentity:
    - {issuer: "^https://token.actions.githubusercontent.com$", subject: "^https://github.com/stefanprodan/podinfo.*$"}`,
		},
		"HelmChart v1beta1": {
			in: `apiVersion: source.toolkit.fluxcd.io/v1beta1
kind: HelmChart
metadata: {name: all-v1beta1, namespace: default}
spec:
  chart: ./charts/podinfo
  sourceRef: {kind: GitRepository, name: podinfo}
  interval: 1m
  reconcileStrategy: Revision
  valuesFiles: [charts/podinfo/values.yaml, charts/podinfo/values-prod.yaml]
  valuesFile: charts/podinfo/values-base.yaml
  suspend: true
  accessFrom:
    namespaceSelectors:
    - matchLabels: {}`,
			wantStored: `chart: ./charts/podinfo
version: "*"
sourceRef: {kind: GitRepository, name: podinfo}
interval: 1m
reconcileStrategy: Revision
valuesFiles: [charts/podinfo/values.yaml, charts/podinfo/values-prod.yaml]
valuesFile: charts/podinfo/values-base.yaml
suspend: true
accessFrom:
  namespaceSelectors:
  - matchLabels: {}`,
		},
		// Seed 000's base/wiz-sensor/release.yaml.
		"seed 000 HelmRelease v2beta1": {
			in: `apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata: {name: wizsensor, namespace: default}
spec:
  interval: 10m0s
  timeout: 5m0s
  chart:
    spec:
      chart: wizsensor
      version: "1.0.0"
      sourceRef:
        kind: HelmRepository
        name: wiz-acr
        namespace: wiz-system
      interval: 5m0s
  install:
    createNamespace: true
    remediation:
      retries: 3
  upgrade:
    remediation:
      retries: 3
      remediateLastFailure: true
  values:
    image:
      pullPolicy: IfNotPresent
    resources:
      limits: {memory: 512Mi, cpu: 500m}
      requests: {memory: 256Mi, cpu: 250m}
    wiz:
      clientToken: ${WIZ_CLIENT_TOKEN}
    updateStrategy:
      type: RollingUpdate
      rollingUpdate:
        maxUnavailable: 1`,
			wantStored: `interval: 10m0s
timeout: 5m0s
chart:
  spec:
    chart: wizsensor
    version: "1.0.0"
    sourceRef: {kind: HelmRepository, name: wiz-acr, namespace: wiz-system}
    interval: 5m0s
    reconcileStrategy: ChartVersion
install:
  createNamespace: true
  remediation: {retries: 3}
upgrade:
  remediation: {retries: 3, remediateLastFailure: true}
values:
  image: {pullPolicy: IfNotPresent}
  resources:
    limits: {memory: 512Mi, cpu: 500m}
    requests: {memory: 256Mi, cpu: 250m}
  wiz: {clientToken: "${WIZ_CLIENT_TOKEN}"}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1}`,
		},
		// Seed 003's "Basic Helm Release".
		"seed 003 basic HelmRelease v2beta1": {
			in: `apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata: {name: redis, namespace: default}
spec:
  interval: 5m
  chart:
    spec:
      chart: redis
      version: "18.x"
      sourceRef:
        kind: HelmRepository
        name: bitnami
        namespace: flux-system
      interval: 1m
  values:
    architecture: standalone
    auth:
      enabled: true
      existingSecret: redis-password
    master:
      persistence:
        size: 10Gi`,
			wantStored: `interval: 5m
chart:
  spec:
    chart: redis
    version: "18.x"
    sourceRef: {kind: HelmRepository, name: bitnami, namespace: flux-system}
    interval: 1m
    reconcileStrategy: ChartVersion
values:
  architecture: standalone
  auth: {enabled: true, existingSecret: redis-password}
  master: {persistence: {size: 10Gi}}`,
		},
		// Seed 003's "Advanced Helm Configuration": valuesFrom,
		// postRenderers, remediation and tests.
		"seed 003 advanced HelmRelease v2beta1": {
			in: `apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata: {name: my-app, namespace: default}
spec:
  interval: 10m
  chart:
    spec:
      chart: my-app
      sourceRef:
        kind: GitRepository
        name: charts
      reconcileStrategy: Revision
  valuesFrom:
    - kind: ConfigMap
      name: my-app-defaults
      valuesKey: defaults.yaml
    - kind: Secret
      name: my-app-secrets
      valuesKey: secrets.yaml
      optional: true
  postRenderers:
    - kustomize:
        patches:
          - target:
              kind: Deployment
              name: my-app
            patch: |
              - op: add
                path: /spec/template/spec/securityContext
                value:
                  runAsNonRoot: true
  install:
    remediation:
      retries: 3
      remediateLastFailure: true
  upgrade:
    remediation:
      retries: 3
      remediateLastFailure: true
      strategy: rollback
    timeout: 5m
  test:
    enable: true
    ignoreFailures: false`,
			wantStored: `interval: 10m
chart:
  spec:
    chart: my-app
    version: "*"
    sourceRef: {kind: GitRepository, name: charts}
    reconcileStrategy: Revision
valuesFrom:
- {kind: ConfigMap, name: my-app-defaults, valuesKey: defaults.yaml}
- {kind: Secret, name: my-app-secrets, valuesKey: secrets.yaml, optional: true}
postRenderers:
- kustomize:
    patches:
    - target: {kind: Deployment, name: my-app}
      patch: |
        - op: add
          path: /spec/template/spec/securityContext
          value:
            runAsNonRoot: true
install:
  remediation: {retries: 3, remediateLastFailure: true}
upgrade:
  remediation: {retries: 3, remediateLastFailure: true, strategy: rollback}
  timeout: 5m
test: {enable: true, ignoreFailures: false}`,
		},
		"HelmRelease v2beta1 all fields": {in: `apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata: {name: all-v2beta1, namespace: default}
spec:
  chart:
    metadata:
      labels: {team: dev}
      annotations: {owner: dev}
    spec:
      chart: podinfo
      version: "6.5.*"
      sourceRef: {apiVersion: source.toolkit.fluxcd.io/v1beta2, kind: HelmRepository, name: podinfo, namespace: flux-system}
      interval: 5m
      reconcileStrategy: ChartVersion
      valuesFiles: [values.yaml, values-prod.yaml]
      valuesFile: values-base.yaml
      verify: {provider: cosign, secretRef: {name: cosign-pub}}
` + allSharedHelmReleaseFields + `
  test: {enable: true, timeout: 2m, ignoreFailures: true}`},
		"HelmRelease v2beta2 all fields": {in: `apiVersion: helm.toolkit.fluxcd.io/v2beta2
kind: HelmRelease
metadata: {name: all-v2beta2, namespace: default}
spec:
  chart:
    metadata:
      labels: {team: dev}
      annotations: {owner: dev}
    spec:
      chart: podinfo
      version: "6.5.*"
      sourceRef: {apiVersion: source.toolkit.fluxcd.io/v1, kind: HelmRepository, name: podinfo, namespace: flux-system}
      interval: 5m
      reconcileStrategy: ChartVersion
      valuesFiles: [values.yaml, values-prod.yaml]
      valuesFile: values-base.yaml
      ignoreMissingValuesFiles: true
      verify: {provider: notation, secretRef: {name: notation-certs}}
` + allSharedHelmReleaseFields + `
  test:
    enable: true
    timeout: 2m
    ignoreFailures: true
    filters:
    - {name: smoke}
    - {name: load, exclude: true}`},
		"HelmRelease v2beta2 chartRef": {
			in: `apiVersion: helm.toolkit.fluxcd.io/v2beta2
kind: HelmRelease
metadata: {name: chartref-v2beta2, namespace: default}
spec:
  interval: 10m
  chartRef:
    kind: OCIRepository
    name: podinfo
    namespace: flux-system
  values:
    replicaCount: 2`,
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
			want := in.Object["spec"]
			if tt.wantStored != "" {
				want = nil
				if err := yaml.Unmarshal([]byte(tt.wantStored), &want); err != nil {
					t.Fatal(err)
				}
			}

			// Every field arrives at the storage version, and decodes into
			// ferry's storage type with no field left over.
			stored := &unstructured.Unstructured{}
			gvk := in.GroupVersionKind()
			gvk.Version = storageVersion(gvk.Group)
			stored.SetGroupVersionKind(gvk)
			if err := testClient.Get(ctx, client.ObjectKeyFromObject(in), stored); err != nil {
				t.Fatalf("get as %s: %v", gvk.Version, err)
			}
			if !reflect.DeepEqual(normalize(stored.Object["spec"]), normalize(want)) {
				g, _ := yaml.Marshal(stored.Object["spec"])
				w, _ := yaml.Marshal(want)
				t.Errorf("spec read as %s\ngot:\n%s\nwant:\n%s", gvk.Version, g, w)
			}
			if err := decodeStrict(stored, storageType(gvk.Kind)); err != nil {
				t.Errorf("%s %s does not decode into ferry's type: %v", gvk.Kind, gvk.Version, err)
			}

			// Read at the version it was written in, nothing is lost.
			back := &unstructured.Unstructured{}
			back.SetGroupVersionKind(in.GroupVersionKind())
			if err := testClient.Get(ctx, client.ObjectKeyFromObject(in), back); err != nil {
				t.Fatalf("get as %s: %v", in.GetAPIVersion(), err)
			}
			if back.GetAPIVersion() != in.GetAPIVersion() {
				t.Errorf("apiVersion %q, want %q", back.GetAPIVersion(), in.GetAPIVersion())
			}
			if path := missingFrom(normalize(back.Object["spec"]), normalize(in.Object["spec"]), "spec"); path != "" {
				g, _ := yaml.Marshal(back.Object["spec"])
				t.Errorf("read as %s, %s was lost or changed:\n%s", in.GetAPIVersion(), path, g)
			}
		})
	}
}

// allSharedHelmReleaseFields sets every HelmRelease spec field v2beta1 and
// v2beta2 share besides chart and test, the deprecated ones included.
const allSharedHelmReleaseFields = `  interval: 10m
  kubeConfig: {secretRef: {name: remote, key: value.yaml}}
  suspend: true
  releaseName: podinfo
  targetNamespace: apps
  storageNamespace: helm-storage
  dependsOn: [{name: infra, namespace: flux-system}, {name: crds}]
  timeout: 3m
  maxHistory: 10
  serviceAccountName: deployer
  persistentClient: false
  driftDetection:
    mode: warn
    ignore:
    - paths: [/spec/replicas]
      target: {kind: Deployment}
    - paths: [/metadata/annotations]
  install:
    timeout: 4m
    remediation: {retries: 3, ignoreTestFailures: true, remediateLastFailure: true}
    disableWait: true
    disableWaitForJobs: true
    disableHooks: true
    disableOpenAPIValidation: true
    replace: true
    skipCRDs: true
    crds: CreateReplace
    createNamespace: true
  upgrade:
    timeout: 6m
    remediation: {retries: -1, ignoreTestFailures: false, remediateLastFailure: false, strategy: uninstall}
    disableWait: true
    disableWaitForJobs: true
    disableHooks: true
    disableOpenAPIValidation: true
    force: true
    preserveValues: true
    cleanupOnFail: true
    crds: Create
  rollback: {timeout: 2m, disableWait: true, disableWaitForJobs: true, disableHooks: true, recreate: true, force: true, cleanupOnFail: true}
  uninstall: {timeout: 2m, disableHooks: true, keepHistory: true, disableWait: true, deletionPropagation: foreground}
  valuesFrom:
  - {kind: ConfigMap, name: podinfo-values, valuesKey: values.yaml, optional: true}
  - {kind: Secret, name: podinfo-secret, valuesKey: replicas, targetPath: replicaCount}
  values:
    replicaCount: 2
    ingress: {enabled: true, hosts: [{host: podinfo.example.com, paths: [{path: /}]}]}
  postRenderers:
  - kustomize:
      patches:
      - target: {kind: Deployment, name: podinfo}
        patch: |
          - op: add
            path: /metadata/labels/env
            value: prod
      patchesStrategicMerge:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: podinfo}
        spec:
          template:
            spec:
              tolerations: [{key: dedicated, operator: Exists}]
      patchesJson6902:
      - target: {group: apps, version: v1, kind: Deployment, name: podinfo}
        patch:
        - {op: replace, path: /spec/replicas, value: 3}
        - {op: copy, from: /metadata/labels, path: /spec/template/metadata/labels}
        - {op: remove, path: /spec/template/metadata/annotations}
      images:
      - {name: ghcr.io/stefanprodan/podinfo, newName: registry.example.com/podinfo, newTag: 6.5.4}
  - kustomize:
      images:
      - {name: busybox, digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}`

// TestOlderHelmVersionsDeprecatedFields checks that the deprecated fields of
// v2beta1 and v1beta1 objects reach the controllers, which read the storage
// types: valuesFile is merged first, skipCRDs still skips CRDs when crds is
// unset, and the old post-renderer patches are all there.
func TestOlderHelmVersionsDeprecatedFields(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	hr := mustCreate(ctx, t, `apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata: {name: deprecated-v2beta1, namespace: default}
spec:
  interval: 5m
  chart:
    spec:
      chart: ./charts/app
      sourceRef: {kind: GitRepository, name: app}
      valuesFile: charts/app/values-base.yaml
      valuesFiles: [charts/app/values-prod.yaml]
  install:
    skipCRDs: true
  postRenderers:
  - kustomize:
      patchesStrategicMerge:
      - {apiVersion: v1, kind: ConfigMap, metadata: {name: app}, data: {k: v}}
      patchesJson6902:
      - target: {kind: Service, name: app}
        patch: [{op: add, path: /metadata/labels/tier, value: {nested: [1, 2]}}]`)
	var got helmv2.HelmRelease
	if err := decodeStrict(readAs(ctx, t, hr, "v2"), &got); err != nil {
		t.Fatal(err)
	}
	if files := got.Spec.Chart.Spec.GetValuesFiles(); !reflect.DeepEqual(files, []string{"charts/app/values-base.yaml", "charts/app/values-prod.yaml"}) {
		t.Errorf("values files %q, want valuesFile first", files)
	}
	if crds := got.Spec.Install.GetCRDs(); crds != helmv2.Skip {
		t.Errorf("install CRDs policy %q, want Skip from skipCRDs", crds)
	}
	k := got.Spec.PostRenderers[0].Kustomize
	if len(k.PatchesStrategicMerge) != 1 || !strings.Contains(string(k.PatchesStrategicMerge[0].Raw), `"ConfigMap"`) {
		t.Errorf("patchesStrategicMerge %s", k.PatchesStrategicMerge)
	}
	if len(k.PatchesJSON6902) != 1 || k.PatchesJSON6902[0].Target.Kind != "Service" ||
		string(k.PatchesJSON6902[0].Patch[0].Value.Raw) != `{"nested":[1,2]}` {
		t.Errorf("patchesJson6902 %+v", k.PatchesJSON6902)
	}

	hc := mustCreate(ctx, t, `apiVersion: source.toolkit.fluxcd.io/v1beta1
kind: HelmChart
metadata: {name: deprecated-v1beta1, namespace: default}
spec:
  chart: app
  sourceRef: {kind: HelmRepository, name: charts}
  interval: 5m
  valuesFile: values-base.yaml
  valuesFiles: [values-prod.yaml]`)
	var chart sourcev1.HelmChart
	if err := decodeStrict(readAs(ctx, t, hc, "v1"), &chart); err != nil {
		t.Fatal(err)
	}
	if files := chart.GetValuesFiles(); !reflect.DeepEqual(files, []string{"values-base.yaml", "values-prod.yaml"}) {
		t.Errorf("values files %q, want valuesFile first", files)
	}
}

// TestOlderHelmVersionsReadStatus writes the status ferry's controllers
// write (at the storage version) and checks that readers of the old versions
// see the fields their version has, lastAppliedRevision and the history
// included.
func TestOlderHelmVersionsReadStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	hr := mustCreate(ctx, t, `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: status-v2, namespace: default}
spec:
  interval: 5m
  chart:
    spec:
      chart: podinfo
      sourceRef: {kind: HelmRepository, name: podinfo}`)
	var status map[string]any
	if err := yaml.Unmarshal([]byte(`observedGeneration: 1
lastAttemptedGeneration: 1
conditions:
- {type: Ready, status: "True", reason: UpgradeSucceeded, message: "Helm upgrade succeeded for release default/podinfo.v2 with chart podinfo@6.5.4", lastTransitionTime: "2026-01-02T03:04:05Z"}
helmChart: default/default-status-v2
storageNamespace: default
history:
- digest: sha256:1111111111111111111111111111111111111111111111111111111111111111
  name: podinfo
  namespace: default
  version: 2
  status: deployed
  chartName: podinfo
  chartVersion: 6.5.4
  configDigest: sha256:2222222222222222222222222222222222222222222222222222222222222222
  firstDeployed: "2026-01-01T00:00:00Z"
  lastDeployed: "2026-01-02T03:04:05Z"
  testHooks:
    podinfo-smoke: {lastStarted: "2026-01-02T03:04:06Z", lastCompleted: "2026-01-02T03:04:07Z", phase: Succeeded}
lastAttemptedReleaseAction: upgrade
failures: 1
installFailures: 2
upgradeFailures: 3
lastAttemptedRevision: 6.5.4
lastAttemptedValuesChecksum: "3333333333333333333333333333333333333333"
lastReleaseRevision: 2
lastAppliedRevision: 6.5.4
lastAttemptedConfigDigest: sha256:2222222222222222222222222222222222222222222222222222222222222222
lastHandledForceAt: "2026-01-02T03:00:00Z"
lastHandledResetAt: "2026-01-02T03:00:01Z"
lastHandledReconcileAt: "2026-01-02T03:00:02Z"`), &status); err != nil {
		t.Fatal(err)
	}
	v2 := readAs(ctx, t, hr, "v2")
	v2.Object["status"] = status
	if err := testClient.Status().Update(ctx, v2); err != nil {
		t.Fatalf("update status as v2: %v", err)
	}
	for _, version := range []string{"v2beta2", "v2beta1"} {
		got := readAs(ctx, t, hr, version)
		if path := missingFrom(normalize(got.Object["status"]), normalize(status), "status"); path != "" {
			g, _ := yaml.Marshal(got.Object["status"])
			t.Errorf("status read as %s: %s was lost or changed:\n%s", version, path, g)
		}
	}
}

// TestOlderHelmVersionsRefused checks what the old versions refuse, with a
// message naming the field: Flux's own rules, and ferry's checks that keep
// an object readable as the storage version.
func TestOlderHelmVersionsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		yaml string
		want []string
	}{
		"v2beta2 chart and chartRef": {
			yaml: `apiVersion: helm.toolkit.fluxcd.io/v2beta2
kind: HelmRelease
metadata: {name: both-v2beta2, namespace: default}
spec:
  interval: 5m
  chart: {spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}}
  chartRef: {kind: OCIRepository, name: podinfo}`,
			want: []string{"either chart or chartRef must be set"},
		},
		"v2beta1 without chart": {
			yaml: `apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata: {name: nochart-v2beta1, namespace: default}
spec:
  interval: 5m`,
			want: []string{"spec.chart", "Required value"},
		},
		// Seed 003's "OCI-Based Helm Charts" snippet, completed: a chart
		// template cannot name an OCIRepository (v2 has spec.chartRef for
		// that).
		"seed 003 chart from an OCIRepository": {
			yaml: `apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata: {name: oci-chart, namespace: default}
spec:
  interval: 5m
  chart:
    spec:
      chart: oci://ghcr.io/company/charts/my-app
      version: "1.2.3"
      sourceRef:
        kind: OCIRepository
        name: company-charts`,
			want: []string{"spec.chart.spec.sourceRef.kind", `Unsupported value: "OCIRepository"`},
		},
		"v1beta1 HelmRepository interval Go cannot parse": {
			yaml: `apiVersion: source.toolkit.fluxcd.io/v1beta1
kind: HelmRepository
metadata: {name: days-v1beta1, namespace: default}
spec:
  url: https://charts.bitnami.com/bitnami
  interval: 1d`,
			want: []string{"spec.interval", "should match"},
		},
		"v1beta1 HelmRepository OCI url": {
			yaml: `apiVersion: source.toolkit.fluxcd.io/v1beta1
kind: HelmRepository
metadata: {name: oci-v1beta1, namespace: default}
spec:
  url: oci://registry-1.docker.io/bitnamicharts
  interval: 5m`,
			want: []string{"spec.url", "should match"},
		},
		"v1beta1 HelmChart interval Go cannot parse": {
			yaml: `apiVersion: source.toolkit.fluxcd.io/v1beta1
kind: HelmChart
metadata: {name: days-v1beta1, namespace: default}
spec:
  chart: podinfo
  sourceRef: {kind: HelmRepository, name: podinfo}
  interval: 1 minute`,
			want: []string{"spec.interval", "should match"},
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

// storageVersion is the storage version of an API group ferry serves Helm
// kinds in.
func storageVersion(group string) string {
	if group == helmv2.GroupName {
		return "v2"
	}
	return "v1"
}

// storageType returns a new object of ferry's storage type for kind.
func storageType(kind string) any {
	switch kind {
	case "HelmRelease":
		return &helmv2.HelmRelease{}
	case "HelmChart":
		return &sourcev1.HelmChart{}
	case "OCIRepository":
		return &sourcev1.OCIRepository{}
	case "Bucket":
		return &sourcev1.Bucket{}
	}
	return &sourcev1.HelmRepository{}
}

// decodeStrict decodes u into out, failing on a field out has no place for
// or a value of the wrong type.
func decodeStrict(u *unstructured.Unstructured, out any) error {
	data, err := json.Marshal(u.Object)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

// mustCreate creates the object in doc and returns it.
func mustCreate(ctx context.Context, t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
		t.Fatal(err)
	}
	if err := createWhenServed(ctx, obj.DeepCopy()); err != nil {
		t.Fatalf("create as %s: %v", obj.GetAPIVersion(), err)
	}
	return obj
}

// readAs reads obj at version of its group.
func readAs(ctx context.Context, t *testing.T, obj *unstructured.Unstructured, version string) *unstructured.Unstructured {
	t.Helper()
	got := &unstructured.Unstructured{}
	gvk := obj.GroupVersionKind()
	gvk.Version = version
	got.SetGroupVersionKind(gvk)
	if err := testClient.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
		t.Fatalf("get as %s: %v", version, err)
	}
	return got
}

// normalize returns v as encoding/json decodes it (every number a float64),
// so that values read from YAML and from the API server compare equal.
func normalize(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}

// missingFrom returns the path of the first value of want that got lacks or
// holds differently (maps may hold more keys; lists must match item by
// item), or "" when got has everything.
func missingFrom(got, want any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return path + "." + k
			}
			if p := missingFrom(gv, wv, path+"."+k); p != "" {
				return p
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path
		}
		for i := range w {
			if p := missingFrom(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
		return ""
	}
	if !reflect.DeepEqual(got, want) {
		return path
	}
	return ""
}
