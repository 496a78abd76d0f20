// Package acl is --no-cross-namespace-refs: with it, an object may only
// reference objects of its own namespace (its source, its dependencies), as
// Flux's controllers enforce it. A refused object is Ready=False and
// Stalled with AccessDeniedReason and Flux's message, whatever its kind: the
// owning kind lists its references and Check names the first one that
// leaves the namespace.
package acl
