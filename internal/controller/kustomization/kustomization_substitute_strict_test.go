package kustomization_test

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestSubstituteStrict checks that a variable with neither a value nor a
// default fails the build with a message naming it and its file, applies
// nothing, and that giving it a value lets the Kustomization sync.
func TestSubstituteStrict(t *testing.T) {
	f := newFixture(t, substFiles())
	f.syncSpec("app", `  postBuild:
    substitute:
      CLUSTER: prod`)
	ks := f.WaitFor("failed", testenv.KustomizationFailed("BuildFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	for _, want := range []string{"${NGINX_TAG}", "app/deployment.yaml", "Deployment/" + f.NS + "/web", "spec.postBuild.substitute"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	for _, not := range []string{"REPLICAS", "REGION", "NOT_A_VARIABLE"} {
		if strings.Contains(msg, not) {
			t.Errorf("Ready message %q names %s, which has a default or is escaped", msg, not)
		}
	}
	if f.Get("v1", "ConfigMap", "cluster-prod") != nil {
		t.Error("objects were applied although the build failed")
	}

	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.PostBuild.Substitute["NGINX_TAG"] = "1.27"
	if err := env.Client.Patch(context.Background(), ks, patch); err != nil {
		t.Fatal(err)
	}
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if got := testenv.Nested(f.Get("apps/v1", "Deployment", "web"), "spec", "template", "spec", "containers"); !strings.Contains(got, "image:nginx:1.27") {
		t.Errorf("containers = %s, want image nginx:1.27", got)
	}
}
