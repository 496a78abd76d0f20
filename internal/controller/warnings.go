package controller

import (
	"context"
	"strings"

	"k8s.io/client-go/rest"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// quietFinalizerWarning passes every API server warning to the standard
// logger except the one about Flux's finalizer name "finalizers.fluxcd.io"
// (the same for every kind):
// the name is Flux's and must stay for compatibility, so the warning, sent on
// every write of every object, says nothing a person can act on.
type quietFinalizerWarning struct {
	next rest.WarningHandlerWithContext
}

// HandleWarningHeaderWithContext drops the finalizer-name warning.
func (h quietFinalizerWarning) HandleWarningHeaderWithContext(ctx context.Context, code int, agent, text string) {
	if strings.Contains(text, `"`+kustomizev1.KustomizationFinalizer+`"`) && strings.Contains(text, "finalizer name") {
		return
	}
	h.next.HandleWarningHeaderWithContext(ctx, code, agent, text)
}
