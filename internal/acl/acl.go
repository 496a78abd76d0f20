package acl

import (
	"context"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AccessDeniedReason is the Ready and Stalled reason of an object refused
// by --no-cross-namespace-refs (Flux's).
const AccessDeniedReason = "AccessDenied"

// Reference is a reference of an object to another one, such as
// spec.sourceRef or an entry of spec.dependsOn. An empty Namespace means the
// referrer's own.
type Reference struct {
	Kind, Namespace, Name string
}

// Check returns an error with Flux's message for the first of refs that
// names another namespace than namespace (the referrer's), or nil when none
// does. It is called only when cross-namespace references are blocked.
func Check(namespace string, refs ...Reference) error {
	for _, ref := range refs {
		if ref.Namespace != "" && ref.Namespace != namespace {
			return fmt.Errorf("can't access '%s/%s/%s', cross-namespace references have been blocked", ref.Kind, ref.Namespace, ref.Name)
		}
	}
	return nil
}

// AccessFrom is an object's spec.accessFrom: the namespaces, by labels,
// whose objects may refer to it. Any selector matching allows; an empty
// selector matches every namespace.
type AccessFrom interface {
	// Selectors returns the matchLabels of each namespace selector.
	Selectors() []map[string]string
}

// Allowed reports whether an object in namespace may refer to target (in
// targetNamespace) under target's accessFrom: always within one namespace,
// otherwise only when a selector of accessFrom matches the labels of
// namespace. It returns Flux's message when denied.
func Allowed(ctx context.Context, c client.Reader, namespace, targetKind, targetNamespace, targetName string, from AccessFrom) error {
	if namespace == targetNamespace {
		return nil
	}
	denied := fmt.Errorf("'%s/%s/%s' can't be accessed from namespace '%s': its spec.accessFrom does not select that namespace", targetKind, targetNamespace, targetName, namespace)
	if from == nil || reflect.ValueOf(from).IsNil() {
		return denied
	}
	ns := &corev1.Namespace{}
	if err := c.Get(ctx, types.NamespacedName{Name: namespace}, ns); err != nil {
		return fmt.Errorf("reading namespace '%s' for the access check of '%s/%s/%s': %w", namespace, targetKind, targetNamespace, targetName, err)
	}
	for _, sel := range from.Selectors() {
		if labels.SelectorFromSet(sel).Matches(labels.Set(ns.Labels)) {
			return nil
		}
	}
	return denied
}
