package acl

import "fmt"

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
