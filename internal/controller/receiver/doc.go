// Package receiver serves Flux Receivers (notification.toolkit.fluxcd.io/v1):
// the webhooks through which GitHub, GitLab, a container registry or any
// caller asks for Flux objects to be reconciled now rather than at their
// next interval.
//
// The Reconciler reads the token of each Receiver's Secret (spec.secretRef,
// key "token") and publishes the webhook path in status.webhookPath:
// "/hook/" + hex(sha256(token + name + namespace)), as Flux, with Ready=True
// "Receiver initialized for path: <path>". A missing Secret or key is
// Ready=False TokenNotFound (the message names the Secret and the key,
// never a value), retried with backoff and at once when the Secret changes
// (Receivers are indexed by the Secret they name). An unknown type
// (UnsupportedType), a spec.resourceFilter that does not compile
// (InvalidCELExpression), a wildcard without matchLabels (InvalidConfig)
// and, with NoCrossNamespaceRefs, another namespace (AccessDenied) stall
// the Receiver. Receivers are reconciled again every spec.interval.
//
// The Server answers POST <path> (Setup's Options.Address, Flux's is
// DefaultAddress) on every replica. The Receiver is found by its path in
// the cache; then, in order:
//
//   - 404 for a path no Receiver serves; 405 for another method than POST;
//   - 503 for a suspended Receiver (it keeps its path) or one not Ready;
//   - 413 for a body over MaxBodySize;
//   - 401 for a missing or wrong signature or token, 400 for a payload that
//     is not the service's or an event not in spec.events;
//   - 200 without reconciling for a ping (GitHub's ping, Bitbucket Server's
//     diagnostics:ping, ACR's ping) and for a delivery id the Receiver has
//     handled within ReplayWindow (GitHub X-GitHub-Delivery, GitLab
//     X-Gitlab-Event-UUID, Bitbucket X-Request-UUID, Pub/Sub messageId,
//     CloudEvents Ce-Id);
//   - 429 once a Receiver's token bucket (DefaultBurst calls, then
//     DefaultRate per second) is spent: only authenticated calls take
//     tokens, so a caller without the secret cannot starve a Receiver;
//   - 200 once every listed object the filter accepts carries a new
//     reconcile.fluxcd.io/requestedAt (a merge patch; the time in RFC 3339
//     with nanoseconds), 500 if some could not be annotated.
//
// Each type authenticates as its service signs, comparing in constant time:
// generic (the path is the secret), generic-hmac (X-Signature:
// sha1|sha256|sha512=<hex HMAC of the body>), github (X-Hub-Signature-256,
// else X-Hub-Signature; X-GitHub-Event filtered by spec.events), gitlab
// (X-Gitlab-Token; X-Gitlab-Event), bitbucket (Bitbucket Server's
// X-Hub-Signature; X-Event-Key), harbor (Authorization), nexus
// (X-Nexus-Webhook-Signature, hex HMAC-SHA1), dockerhub, quay and acr (the
// path is the secret; the body must be the service's push payload), gcr (a
// Google ID token in Authorization: Bearer, verified with Google's keys
// for the Secret's "audience", issued by accounts.google.com for its
// verified "email"; the Pub/Sub message is unwrapped for the filter) and
// cdevents (a CDEvent body; Ce-Type filtered by spec.events).
//
// spec.resources entries default to the Receiver's namespace; name "*"
// selects the objects of the kind with matchLabels. A kind without
// apiVersion takes the version ferry's scheme serves; kinds ferry does not
// serve (Bucket, OCIRepository, the image kinds, ...) take Flux's default
// version, and are skipped with a log line when the cluster does not serve
// them either. spec.resourceFilter is a CEL expression over res (the
// object's apiVersion, kind and metadata) and req (the JSON body, {} when
// the call is not JSON) that must return true for the object to be
// annotated.
//
// Logs name the Receiver, its type, the outcome and the objects annotated;
// they never carry a header value, the token or the body.
//
// Deviations from Flux: calls other than POST are refused (405); a body
// over the limit is 413 rather than 400, a wrong signature or token 401
// rather than 400, and the answer says why in a sentence; a ping is
// acknowledged whatever spec.events says and reconciles nothing; a replayed
// delivery id is acknowledged without reconciling; calls are rate limited
// per Receiver; a Kustomization or HelmRelease needs no apiVersion; a kind
// the cluster does not serve is skipped rather than failing the call; a
// wildcard without matchLabels, namespace "*" or an unknown type stall the
// Receiver at reconcile time rather than failing each call; a gcr Receiver
// requires "email" and "audience" in its Secret (Flux plans to from 2.9)
// and is Ready=False ValidationFailed without them; dockerhub, quay and acr
// bodies must carry the fields that identify their push (Flux accepts any
// JSON); cdevents bodies are checked for a CDEvent's context and subject
// rather than against the CDEvents SDK's schemas.
package receiver
