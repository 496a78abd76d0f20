package config

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ferrycd/ferry/internal/controlplane"
)

// testClient talks to the control plane started by TestMain, as testConfig.
var (
	testClient client.Client
	testConfig *rest.Config
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cp, err := controlplane.Start(ctx, controlplane.Options{Progress: os.Stderr})
	if err != nil {
		fmt.Fprintf(os.Stderr, "start control plane: %v\n", err)
		return 1
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop control plane: %v\n", err)
		}
	}()
	testConfig = cp.Config
	scheme := runtime.NewScheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		fmt.Fprintf(os.Stderr, "scheme: %v\n", err)
		return 1
	}
	testClient, err = client.New(cp.Config, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		return 1
	}
	return m.Run()
}

func TestInstallCRDs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Installing twice is fine: the second apply changes nothing. The
	// installing client's scheme need not know apiextensions.k8s.io.
	bare, err := client.New(testConfig, client.Options{Scheme: runtime.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := InstallCRDs(ctx, bare); err != nil {
			t.Fatalf("install %d: %v", i+1, err)
		}
	}
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range crds {
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := testClient.Get(ctx, client.ObjectKey{Name: want.Name}, got); err != nil {
			t.Fatalf("CRD %s: %v", want.Name, err)
		}
		established := false
		for _, c := range got.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				established = true
			}
		}
		if !established {
			t.Errorf("CRD %s is not Established after InstallCRDs: %+v", want.Name, got.Status.Conditions)
		}
		managed := false
		for _, f := range got.ManagedFields {
			if f.Manager == FieldManager {
				managed = true
			}
		}
		if !managed {
			t.Errorf("CRD %s has no fields managed by %q", want.Name, FieldManager)
		}
	}
}

// TestFluxObjectsRoundTrip creates Flux v1 objects that set every spec field
// and checks the API server stores them unchanged: nothing is pruned by the
// schema.
func TestFluxObjectsRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/flux-v1-all-fields.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := splitDocuments(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range docs {
		want := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &want.Object); err != nil {
			t.Fatal(err)
		}
		t.Run(want.GetKind(), func(t *testing.T) {
			obj := want.DeepCopy()
			if err := createWhenServed(ctx, obj); err != nil {
				t.Fatalf("create %s: %v", want.GetKind(), err)
			}
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(want.GroupVersionKind())
			if err := testClient.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Object["spec"], want.Object["spec"]) {
				g, _ := yaml.Marshal(got.Object["spec"])
				w, _ := yaml.Marshal(want.Object["spec"])
				t.Errorf("spec changed by the API server\ngot:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

// TestValidation checks Flux's validation rules are in the schema.
func TestValidation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := InstallCRDs(ctx, testClient); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		yaml    string
		invalid string // a substring of the rejection, or "" when valid
	}{
		"git url scheme": {
			yaml: `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: bad-url, namespace: default}
spec: {url: "git@github.com:org/repo", interval: 1m}`,
			invalid: "spec.url",
		},
		"git interval format": {
			yaml: `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: bad-interval, namespace: default}
spec: {url: "https://example.com/repo", interval: 1 minute}`,
			invalid: "spec.interval",
		},
		"git service account without provider": {
			yaml: `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: bad-sa, namespace: default}
spec: {url: "https://example.com/repo", interval: 1m, serviceAccountName: sa}`,
			invalid: "serviceAccountName can only be set",
		},
		"kustomization source kind": {
			yaml: `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: bad-kind, namespace: default}
spec: {interval: 1m, prune: true, sourceRef: {kind: HelmRepository, name: x}}`,
			invalid: "spec.sourceRef.kind",
		},
		"kustomization without prune": {
			yaml: `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: no-prune, namespace: default}
spec: {interval: 1m, sourceRef: {kind: GitRepository, name: x}}`,
			invalid: "spec.prune",
		},
		"minimal kustomization": {
			yaml: `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: minimal, namespace: default}
spec: {interval: 1m, prune: false, sourceRef: {kind: GitRepository, name: x}}`,
		},
		"minimal git repository gets a default timeout": {
			yaml: `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: minimal, namespace: default}
spec: {url: "https://example.com/repo", interval: 1m}`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(tt.yaml), &obj.Object); err != nil {
				t.Fatal(err)
			}
			err := createWhenServed(ctx, obj)
			if tt.invalid == "" {
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				return
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tt.invalid) {
				t.Fatalf("create: got %v, want an Invalid error naming %q", err, tt.invalid)
			}
		})
	}

	got := &unstructured.Unstructured{}
	got.SetAPIVersion("source.toolkit.fluxcd.io/v1")
	got.SetKind("GitRepository")
	if err := testClient.Get(ctx, client.ObjectKey{Namespace: "default", Name: "minimal"}, got); err != nil {
		t.Fatal(err)
	}
	if timeout, _, _ := unstructured.NestedString(got.Object, "spec", "timeout"); timeout != "60s" {
		t.Errorf("spec.timeout defaulted to %q, want 60s", timeout)
	}
}

// createWhenServed creates obj, retrying while the API server does not serve
// its kind yet: discovery may lag the Established condition briefly.
func createWhenServed(ctx context.Context, obj client.Object) error {
	for {
		err := testClient.Create(ctx, obj)
		if err == nil || apierrors.IsAlreadyExists(err) || !isNotServed(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func isNotServed(err error) bool {
	return apierrors.IsNotFound(err) || strings.Contains(err.Error(), "no matches for kind")
}
