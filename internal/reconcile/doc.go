// Package reconcile is the skeleton every ferry controller runs on, so that
// each kind treats deletion, suspension, the status and its failures the
// same way.
//
// A kind supplies a Kind: how to make an empty object, the phases of one
// reconciliation and what to clean up on deletion. Skeleton does the rest,
// in Flux's order: get the object (a gone object forgets its metrics), run
// the finalizer on deletion, add the finalizer, defer the status finish and
// patch and the metrics, honour spec.suspend, run the phases, and map their
// outcome to one controller-runtime result:
//
//   - nil: success; come back after spec.interval, spread by a jitter;
//   - Stalled: misconfigured; no retry until the object changes;
//   - Waiting: waiting for something else (a source's artifact, a
//     dependency); come back after the given duration, without an error;
//   - any other error: transient; an object with spec.retryInterval
//     (Kustomization) comes back after it, any other is returned to
//     controller-runtime for its exponential backoff.
//
// Every run is remembered in memory, per object (Runs, at most MaxRuns):
// when it started, how long it took, its outcome and when the next one is
// due, for the web UI's engine panel.
//
// Finish settles the conditions at the end of every reconciliation as
// kstatus expects. The predicates here are the ones every kind filters its
// watches with.
package reconcile
