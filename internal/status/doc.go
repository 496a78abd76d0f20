// Package status sets kstatus-compatible conditions on ferry objects and
// patches their status subresource.
//
// Ready is always present. Reconciling and Stalled are "abnormal-true": they
// are only present while True, and at most one of them is present at a time.
// Every condition set here carries the generation of the object as its
// observedGeneration.
package status
