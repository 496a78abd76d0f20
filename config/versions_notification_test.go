package config

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta1 "github.com/ferrycd/ferry/api/notification/v1beta1"
	notificationv1beta2 "github.com/ferrycd/ferry/api/notification/v1beta2"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
)

// notificationStorage is the storage version of each notification kind.
var notificationStorage = map[string]string{"Provider": "v1beta3", "Alert": "v1beta3", "Receiver": "v1"}

// notificationType returns a new object of ferry's Go type for kind at
// version.
func notificationType(kind, version string) any {
	types := map[string]map[string]any{
		"v1":      {"Receiver": &notificationv1.Receiver{}},
		"v1beta3": {"Provider": &notificationv1beta3.Provider{}, "Alert": &notificationv1beta3.Alert{}},
		"v1beta2": {"Provider": &notificationv1beta2.Provider{}, "Alert": &notificationv1beta2.Alert{}, "Receiver": &notificationv1beta2.Receiver{}},
		"v1beta1": {"Provider": &notificationv1beta1.Provider{}, "Alert": &notificationv1beta1.Alert{}, "Receiver": &notificationv1beta1.Receiver{}},
	}
	return types[version][kind]
}

// TestOlderNotificationVersionsReadAsStorage creates Providers, Alerts and
// Receivers with every field of v1beta1 and v1beta2 (and Flux's v1beta3 and
// v1 YAML, which has no status) and checks that the API server, with no
// conversion webhook, returns them at the storage version with every field,
// the deprecated ones too, and that the results decode strictly into
// ferry's Go types of both versions.
func TestOlderNotificationVersionsReadAsStorage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		in string
		// wantStored is the spec read at the storage version; empty when it
		// is the spec of in, unchanged.
		wantStored string
	}{
		"Provider v1beta3": {in: `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: github-v1beta3, namespace: default}
spec:
  type: github
  address: https://github.com/stefanprodan/podinfo
  secretRef: {name: github-token}
  certSecretRef: {name: github-ca}
  proxySecretRef: {name: proxy}
  timeout: 30s
  commitStatusExpr: "event.involvedObject.name"`},
		"Provider v1beta2 all fields": {in: `apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Provider
metadata: {name: slack-v1beta2, namespace: default}
spec:
  type: slack
  interval: 10m
  channel: general
  username: flux
  address: https://hooks.slack.com/services/T0/B0/X
  timeout: 20s
  proxy: http://proxy.example.com:3128
  secretRef: {name: slack-url}
  certSecretRef: {name: slack-ca}
  suspend: true`},
		"Provider v1beta1 all fields": {in: `apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Provider
metadata: {name: generic-v1beta1, namespace: default}
spec:
  type: generic-hmac
  channel: ops
  username: bot
  address: https://hooks.example.com/flux
  timeout: 5s
  proxy: https://proxy.example.com
  secretRef: {name: hmac}
  certSecretRef: {name: ca}
  suspend: true`},
		"Alert v1beta3": {in: `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: on-call-v1beta3, namespace: default}
spec:
  providerRef: {name: slack}
  eventSeverity: error
  eventSources:
  - {kind: GitRepository, name: "*", matchLabels: {team: web}}
  - {kind: Kustomization, name: apps, namespace: flux-system}
  - {kind: ExternalArtifact, name: "*", namespace: "*"}
  inclusionList: [".*succeeded.*"]
  exclusionList: ["^Dependencies.*"]
  eventMetadata: {cluster: prod, region: eu-west-1}`},
		"Alert v1beta2 all fields": {in: `apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Alert
metadata: {name: on-call-v1beta2, namespace: default}
spec:
  providerRef: {name: slack}
  eventSeverity: info
  eventSources:
  - {apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, name: podinfo, namespace: apps}
  inclusionList: [".*"]
  eventMetadata: {env: staging}
  exclusionList: ["no changes"]
  summary: staging cluster
  suspend: true`},
		"Alert v1beta1 all fields": {in: `apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Alert
metadata: {name: on-call-v1beta1, namespace: default}
spec:
  providerRef: {name: slack}
  eventSources:
  - {kind: Bucket, name: "*", matchLabels: {app: web}}
  - {kind: OCIRepository, name: manifests}
  exclusionList: ["waiting.*"]
  summary: dev cluster
  suspend: true`,
			wantStored: `providerRef: {name: slack}
eventSeverity: info
eventSources:
- {kind: Bucket, name: "*", matchLabels: {app: web}}
- {kind: OCIRepository, name: manifests}
exclusionList: ["waiting.*"]
summary: dev cluster
suspend: true`},
		"Receiver v1": {in: `apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {name: github-v1, namespace: default}
spec:
  type: github
  events: [ping, push]
  secretRef: {name: webhook-token}
  resources:
  - {apiVersion: source.toolkit.fluxcd.io/v1, kind: GitRepository, name: podinfo}
  resourceFilter: "has(resource.metadata.annotations)"`,
			wantStored: `type: github
interval: 10m
events: [ping, push]
secretRef: {name: webhook-token}
resources:
- {apiVersion: source.toolkit.fluxcd.io/v1, kind: GitRepository, name: podinfo}
resourceFilter: "has(resource.metadata.annotations)"`},
		"Receiver v1beta2 all fields": {in: `apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Receiver
metadata: {name: harbor-v1beta2, namespace: default}
spec:
  type: harbor
  interval: 1h
  events: [PUSH_ARTIFACT]
  resources:
  - {kind: ImageRepository, name: "*", namespace: apps, matchLabels: {registry: harbor}}
  secretRef: {name: harbor-token}
  suspend: true`},
		"Receiver v1beta1 all fields": {in: `apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Receiver
metadata: {name: gitlab-v1beta1, namespace: default}
spec:
  type: gitlab
  events: ["Push Hook", "Tag Push Hook"]
  resources:
  - {kind: GitRepository, name: podinfo, namespace: flux-system}
  secretRef: {name: gitlab-token}
  suspend: true`,
			wantStored: `type: gitlab
interval: 10m
events: ["Push Hook", "Tag Push Hook"]
resources:
- {kind: GitRepository, name: podinfo, namespace: flux-system}
secretRef: {name: gitlab-token}
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
			stored := readAs(ctx, t, obj, notificationStorage[kind])
			if path := missingFrom(normalize(stored.Object["spec"]), normalize(want), "spec"); path != "" {
				got, _ := yaml.Marshal(stored.Object["spec"])
				t.Errorf("read as %s: %s was lost or changed:\n%s", notificationStorage[kind], path, got)
			}
			if err := decodeStrict(stored, notificationType(kind, notificationStorage[kind])); err != nil {
				t.Errorf("read as %s does not decode into ferry's type: %v", notificationStorage[kind], err)
			}
			if got, _, _ := unstructured.NestedInt64(stored.Object, "status", "observedGeneration"); got != -1 {
				t.Errorf("status.observedGeneration = %d, want the default -1", got)
			}
			again := readAs(ctx, t, obj, version)
			if err := decodeStrict(again, notificationType(kind, version)); err != nil {
				t.Errorf("read as %s does not decode into ferry's type: %v", version, err)
			}
		})
	}
}

// TestOlderNotificationVersionsWriteStatus writes the status of each old
// version through its status subresource and checks that the storage
// version keeps all of it: the v1beta1 and v1beta2 Receiver's url in
// particular, which v1 replaced by webhookPath.
func TestOlderNotificationVersionsWriteStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	const ready = `conditions:
- {type: Ready, status: "True", reason: Initialized, message: "Initialized", lastTransitionTime: "2026-01-02T03:04:05Z"}
observedGeneration: 1
`
	tests := map[string]struct{ in, status string }{
		"Provider v1beta2": {
			in: `apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Provider
metadata: {name: status-provider-v1beta2, namespace: default}
spec: {type: generic, address: "https://example.com/hook"}`,
			status: ready + `lastHandledReconcileAt: "2026-01-02T03:00:00Z"`,
		},
		"Alert v1beta1": {
			in: `apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Alert
metadata: {name: status-alert-v1beta1, namespace: default}
spec:
  providerRef: {name: generic}
  eventSources: [{kind: Kustomization, name: "*"}]`,
			status: ready,
		},
		"Receiver v1beta2": {
			in: `apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Receiver
metadata: {name: status-receiver-v1beta2, namespace: default}
spec:
  type: generic
  resources: [{kind: GitRepository, name: podinfo}]
  secretRef: {name: token}`,
			status: ready + `url: /hook/0123456789abcdef
webhookPath: /hook/0123456789abcdef
lastHandledReconcileAt: "2026-01-02T03:00:00Z"`,
		},
		"Receiver v1beta1": {
			in: `apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Receiver
metadata: {name: status-receiver-v1beta1, namespace: default}
spec:
  type: generic
  resources: [{kind: GitRepository, name: podinfo}]
  secretRef: {name: token}`,
			status: ready + `url: /hook/fedcba9876543210`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			obj := mustCreate(ctx, t, tt.in)
			var status map[string]any
			if err := yaml.Unmarshal([]byte(tt.status), &status); err != nil {
				t.Fatal(err)
			}
			old := readAs(ctx, t, obj, obj.GroupVersionKind().Version)
			old.Object["status"] = status
			if err := testClient.Status().Update(ctx, old); err != nil {
				t.Fatalf("update status as %s: %v", obj.GroupVersionKind().Version, err)
			}
			storage := notificationStorage[obj.GetKind()]
			stored := readAs(ctx, t, obj, storage)
			if path := missingFrom(normalize(stored.Object["status"]), normalize(status), "status"); path != "" {
				got, _ := yaml.Marshal(stored.Object["status"])
				t.Errorf("status read as %s: %s was lost or changed:\n%s", storage, path, got)
			}
			if err := decodeStrict(stored, notificationType(obj.GetKind(), storage)); err != nil {
				t.Errorf("read as %s does not decode into ferry's type: %v", storage, err)
			}
		})
	}
}
