package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
)

// The actions of the object page, and the reasons of the Events that
// record them.
const (
	actionReconcile = "reconcile"
	actionSuspend   = "suspend"
	actionResume    = "resume"

	reasonReconcile = "ReconcileRequested"
	reasonSuspend   = "Suspended"
	reasonResume    = "Resumed"

	// reportingController is the Events' reporting controller.
	reportingController = "ferry-ui"
	// maxReason bounds the reason a user gives for a suspension.
	maxReason = 500
)

// action performs reconcile, suspend or resume with the user's client and
// records it as an Event on the object, then sends the browser back to
// the object's page.
func (s *Server) action(w http.ResponseWriter, r *http.Request) {
	verb := r.PathValue("action")
	if verb != actionReconcile && verb != actionSuspend && verb != actionResume {
		s.fail(w, r, http.StatusNotFound, "Unknown action", "The UI has no action "+verb+"; it offers reconcile, suspend and resume.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := s.csrf.check(r); err != nil {
		s.fail(w, r, http.StatusForbidden, "Refused", err.Error())
		return
	}
	if s.opts.Actions == nil {
		s.fail(w, r, http.StatusForbidden, "Refused", "This UI is read-only: it performs no actions.")
		return
	}
	c, user, err := s.opts.Actions(r)
	if err != nil {
		s.fail(w, r, http.StatusForbidden, "Refused", "you may not "+verb+": "+err.Error())
		return
	}
	k, obj, ok := s.getObject(w, r)
	if !ok {
		return
	}
	what := fmt.Sprintf("%s %s/%s", k.name, obj.GetNamespace(), obj.GetName())
	if verb == actionReconcile && obj.IsSuspended() {
		s.fail(w, r, http.StatusConflict, "Suspended", what+" is suspended: resume it first.")
		return
	}

	// Patch the object, and for a reconcile with source its sources first.
	ctx := r.Context()
	token := time.Now().Format(time.RFC3339Nano)
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	var patch map[string]any
	var eventReason, message string
	switch verb {
	case actionReconcile:
		annotations := map[string]any{meta.ReconcileRequestAnnotation: token}
		var extra []string
		if k.sourceRefs != nil && r.PostFormValue("withSource") != "" {
			for _, src := range k.sourceRefs(obj) {
				if err := s.requestSource(ctx, c, src, token); err != nil {
					s.actionFailed(w, r, verb, fmt.Sprintf("%s %s/%s", src.Kind, src.Namespace, src.Name), err)
					return
				}
			}
			extra = append(extra, "with its source")
		}
		if k == kindNamed("HelmRelease") {
			if r.PostFormValue("force") != "" {
				annotations[meta.ForceRequestAnnotation] = token
				extra = append(extra, "forced")
			}
			if r.PostFormValue("reset") != "" {
				annotations[meta.ResetRequestAnnotation] = token
				extra = append(extra, "with its failure counters reset")
			}
		}
		patch = map[string]any{"metadata": map[string]any{"annotations": annotations}}
		eventReason = reasonReconcile
		message = "reconcile requested by " + user
		if len(extra) > 0 {
			message += " (" + strings.Join(extra, ", ") + ")"
		}
	case actionSuspend:
		patch = map[string]any{"spec": map[string]any{"suspend": true}}
		eventReason = reasonSuspend
		message = "suspended by " + user
		if reason != "" {
			message += ": " + reason
		}
	case actionResume:
		patch = map[string]any{
			"spec":     map[string]any{"suspend": false},
			"metadata": map[string]any{"annotations": map[string]any{meta.ReconcileRequestAnnotation: token}},
		}
		eventReason = reasonResume
		message = "resumed by " + user
	}
	if err := mergePatch(ctx, c, k, obj.GetNamespace(), obj.GetName(), patch); err != nil {
		s.actionFailed(w, r, verb, what, err)
		return
	}
	if err := recordEvent(ctx, c, k, obj, eventReason, message); err != nil {
		// The action is done; only its record failed.
		s.opts.Log.Error(err, "recording an action", "object", what, "action", verb, "user", user)
	}
	s.opts.Log.Info("action", "object", what, "action", verb, "user", user)
	http.Redirect(w, r, objectPath(k.name, obj.GetNamespace(), obj.GetName())+"?done="+verb, http.StatusSeeOther)
}

// requestSource asks the source src to reconcile.
func (s *Server) requestSource(ctx context.Context, c client.Client, src ref, token string) error {
	k := kindNamed(src.Kind)
	if k == nil {
		return fmt.Errorf("the UI cannot reconcile source kind %s; reconcile it separately", src.Kind)
	}
	return mergePatch(ctx, c, k, src.Namespace, src.Name, map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{meta.ReconcileRequestAnnotation: token}},
	})
}

// actionFailed answers a failed patch: 403 for a Forbidden error.
func (s *Server) actionFailed(w http.ResponseWriter, r *http.Request, verb, what string, err error) {
	msg := fmt.Sprintf("you may not %s %s: %s", verb, what, apiMessage(err))
	switch {
	case apierrors.IsForbidden(err):
		s.fail(w, r, http.StatusForbidden, "Forbidden", msg)
	case apierrors.IsNotFound(err):
		s.fail(w, r, http.StatusNotFound, "Not found", fmt.Sprintf("%s does not exist: %s", what, apiMessage(err)))
	default:
		s.opts.Log.Error(err, "performing an action", "object", what, "action", verb)
		s.fail(w, r, http.StatusInternalServerError, "Failed", fmt.Sprintf("%s of %s failed: %s", verb, what, apiMessage(err)))
	}
}

// apiMessage is the message of an API error.
func apiMessage(err error) string {
	if st, ok := err.(apierrors.APIStatus); ok && st.Status().Message != "" {
		return st.Status().Message
	}
	return err.Error()
}

// mergePatch merge-patches the object of kind k at ns/name, without
// reading it first: the user's client needs only the patch right.
func mergePatch(ctx context.Context, c client.Client, k *kind, ns, name string, patch map[string]any) error {
	data, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	obj := k.newObject()
	obj.SetNamespace(ns)
	obj.SetName(name)
	return c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, data))
}

// recordEvent creates a Normal Event on obj with the user's client.
func recordEvent(ctx context.Context, c client.Client, k *kind, obj client.Object, reason, message string) error {
	now := metav1.Now()
	host, _ := os.Hostname()
	e := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: obj.GetNamespace(), GenerateName: obj.GetName() + "."},
		InvolvedObject: corev1.ObjectReference{
			APIVersion:      k.gvk.GroupVersion().String(),
			Kind:            k.name,
			Namespace:       obj.GetNamespace(),
			Name:            obj.GetName(),
			UID:             obj.GetUID(),
			ResourceVersion: obj.GetResourceVersion(),
		},
		Reason:              reason,
		Message:             message,
		Type:                corev1.EventTypeNormal,
		Source:              corev1.EventSource{Component: reportingController, Host: host},
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
		ReportingController: reportingController,
		ReportingInstance:   orDefault(host, reportingController),
		Action:              reason,
	}
	return c.Create(ctx, e)
}
