// Package notification delivers ferry's events to the Providers their
// Alerts name, in process: every controller publishes on the manager's
// events.Bus, and the Dispatcher subscribed to it matches each event
// against the Alerts, enriches it, suppresses repeats and hands it to one
// delivery queue per Provider. Publishing never waits for a delivery, so a
// slow or dead endpoint never delays a reconcile.
//
// The rules follow Flux's notification-controller:
//   - an Alert matches an event when it is not suspended, one of its
//     eventSources names the event's kind, namespace (the Alert's when
//     unset) and name (or `*`, which matchLabels may narrow), its
//     eventSeverity is info or the event's, the message matches one of the
//     inclusionList expressions (when set) and none of the exclusionList
//     ones;
//   - the event's metadata (what the controller set and, from the
//     recorder, the involved object's annotations
//     `event.toolkit.fluxcd.io/<key>`) gains the Alert's eventMetadata and
//     its summary without being overridden; the digest and the routing
//     markers (token, commit_status) are left out;
//   - an event identical to one seen within the rate limit interval
//     (involved object, severity, reason, message, revision and token; 5
//     minutes by default) is dropped, so a reconcile that fails the same
//     way on every retry notifies once. ferry records a success event
//     only for a new revision or a recovery (a routine re-apply records
//     none), so a requested reconcile that changes nothing notifies nobody;
//     Flux's carries the reconcile's duration in its message, which no
//     rate limit catches;
//   - a commit-status Provider (github, gitlab, gitea, bitbucket) takes
//     failures and the event marked commit_status: update ("Reconciliation
//     finished"), not every info event about a commit.
//
// A delivery is retried with exponential backoff on a network error, a
// timeout, 429 or 5xx, up to a bounded number of attempts; then it is
// given up with a Warning event on the Alert. The last deliveries of each
// Provider are kept in its status for `ferry events`, and, when the
// Dispatcher has a DispatchLog, its last decisions in memory for the web
// UI: per event an Alert names, each Alert's outcome (matched, excluded
// by which rule, suppressed, dropped) and its delivery (HTTP status,
// attempts, the redacted error, the result).
package notification
