package ui

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/scheme"
)

func TestHealthIsCapped(t *testing.T) {
	ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "big"}}
	ks.Status.Inventory = &kustomizev1.ResourceInventory{}
	for i := range maxHealth + 20 {
		ks.Status.Inventory.Entries = append(ks.Status.Inventory.Entries, kustomizev1.ResourceRef{ID: fmt.Sprintf("apps_cm-%03d__ConfigMap", i), Version: "v1"})
	}
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(ks).Build()
	s, err := New(Options{Reader: c, Actions: func(*http.Request) (client.Client, string, error) { return c, "alice", nil }, Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, s.Handler(), "/o/Kustomization/apps/big/health")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET health = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "a capped health page", body, fmt.Sprintf("Only the first %d of its %d objects are read", maxHealth, maxHealth+20))
	if n := strings.Count(body, "data-health-id="); n != maxHealth {
		t.Errorf("the health page has %d rows, want %d", n, maxHealth)
	}
	if n := strings.Count(body, `data-health-status="NotFound"`); n != maxHealth {
		t.Errorf("%d of the missing ConfigMaps are NotFound, want %d", n, maxHealth)
	}
}
