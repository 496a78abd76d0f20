// Package events is the one event recorder every ferry controller writes
// through.
//
// An event is recorded twice over: as a Kubernetes Event (what `kubectl
// describe` and `flux events` show), annotated with Flux's metadata under
// the object's API group (`kustomize.toolkit.fluxcd.io/revision`, ...), and
// as an Event in the shape of Flux's eventv1.Event on an in-process Bus,
// which notifications and the UI's live stream subscribe to. Severity
// follows Flux: info (a Normal Kubernetes event), error (Warning) and trace,
// which only subscribers see.
package events
