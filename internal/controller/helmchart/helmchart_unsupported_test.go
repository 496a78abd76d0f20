package helmchart_test

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestUnsupported stalls on what ferry does not do yet, saying so.
func TestUnsupported(t *testing.T) {
	ns := newNamespace(t)
	create(t, newHelmChart(ns, "verify", sourcev1.HelmRepositoryKind, "charts", "app", func(hc *sourcev1.HelmChart) {
		hc.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: "cosign"}
	}))

	hc := waitFor(t, testenv.Key(ns, "verify"), "stalled", failedWith("UnsupportedField", true))
	if msg := cond(hc, meta.ReadyCondition).Message; !strings.Contains(msg, "chart verification (cosign/notation) is not supported yet") {
		t.Errorf("Ready message = %q", msg)
	}
}
