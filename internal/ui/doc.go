// Package ui is ferry's web UI: server-rendered pages (html/template, so
// every string from the cluster is escaped) with a small embedded script
// for live updates, served from the ferry binary with nothing to build or
// install.
//
// The pages read the objects from a cache (the manager's informers in
// `ferry controller --ui-address` and `ferry dev`, or `ferry ui`'s own
// against the current kubeconfig), so loading a page costs the API server
// nothing. Actions (reconcile, suspend, resume) are performed with the
// identity of the person using the UI: in `ferry ui` the kubeconfig's
// user, elsewhere the bearer token the request carries, so Kubernetes RBAC
// decides. Every action needs the page's CSRF token. Secret data never
// reaches the browser: the pages read no Secret, but for the diff, which
// reads those its build or render reads (substituteFrom, decryption keys,
// valuesFrom, Helm's release storage) as the user, and masks their
// values.
//
// Routes:
//
//	GET  /                               overview: failing objects first (Ready reason, message, since when),
//	                                     counts per kind and state, each source's last revision
//	GET  /search?q=                      objects whose name, namespace, kind, revision or Ready message
//	                                     holds q (without case), at most 200
//	GET  /graph?ns=&focus=Kind/ns/name   sources, then Kustomizations and HelmReleases by dependsOn depth,
//	                                     each applier's summary (counts by kind) and its children, as
//	                                     inline SVG laid out in Go (graph.go): edges source → reader,
//	                                     dependency → dependent (dashed), applier → child (dotted); each
//	                                     node linked and in its state's class; dependsOn cycles marked;
//	                                     filtered by namespace and by one object's component; above 300
//	                                     nodes it asks for a filter. No API request
//	GET  /trace?apiVersion=|group=&kind=&namespace=&name=  `flux trace` as a page: the object read live
//	                                     as the user (Options.Actions and its RESTMapper; a Secret as
//	                                     metadata only; Forbidden 403, NotFound 404), then its manager
//	                                     named by the kustomize/helm.toolkit.fluxcd.io name and namespace
//	                                     labels (or a Helm release's annotations) from the cache, with its
//	                                     state, revision, path or chart and source, and that one's
//	                                     manager, until none (a cycle stops it)
//	GET  /k/<kind>?ns=&status=&sort=&page= one kind's list with `ferry get`'s columns, filtered by namespace
//	                                     and state, sorted (name, status, since, revision), 100 a page
//	GET  /o/<kind>/<namespace>/<name>     one object: conditions, status fields, release history, source
//	                                     and consumers, inventory as a tree by kind (child Kustomizations
//	                                     and HelmReleases expanded from the cache to 4 inventories deep,
//	                                     a cycle shown once; each level folded above 50 entries; other
//	                                     kinds linked to /trace), dependsOn both ways (Depends on, Needed
//	                                     by), deliveries, Kubernetes Events, the spec as YAML (URL
//	                                     passwords masked), and the action forms
//	GET  /o/<kind>/<namespace>/<name>/health  a Kustomization's or HelmRelease's inventory tree with each
//	                                     object's kstatus, read live as the user (Options.Actions, so RBAC
//	                                     decides; a Secret as metadata only), at most 500 objects, 8 reads
//	                                     at a time, 10 s in all; live.js fills the object page's badges
//	                                     from it after the first paint
//	GET  /o/<kind>/<namespace>/<name>/log?level=  the reconciler's own log lines of the object, kept in
//	                                     memory (Options.Logs, internal/logring): at most 200, newest
//	                                     last, level error or info for those and above; the object page's
//	                                     Log section shows the newest 20. No API request
//	GET  /engine?page=                   the engine panel: each kind ferry serves with its versions (the
//	                                     CRDs built into the binary), each controller's queue depth,
//	                                     workers busy / max and reconciles by result (controller-runtime's
//	                                     metrics registry), and each object's last run, its result and
//	                                     when the next is due (internal/reconcile), by the next run, 100 a
//	                                     page. No API request
//	GET  /notifications?ns=&provider=&outcome=&page=  the dispatch log (Options.Dispatches, no API
//	                                     request): what the dispatcher did with each of its last 1000
//	                                     events an Alert names, newest first, one row per Alert: matched
//	                                     and delivered or failed (HTTP status, attempts, redacted error),
//	                                     excluded by which rule, suppressed as a repeat, dropped; filtered
//	                                     by the Alert's namespace, Provider and outcome, 100 a page
//	GET  /o/Kustomization/<namespace>/<name>/diff  what the next reconciliation would change, made on
//	                                     request: the source's artifact (Options.Artifacts) built as the
//	                                     controller builds it (kustomization.Build: substituteFrom,
//	                                     decryption) and dry-run (internal/diff), all read as the user
//	                                     (Options.Actions; a Forbidden is a 403); created, drifted with a
//	                                     unified diff, deleted by the prune; Secret values as ***; 30 s
//	GET  /o/HelmRelease/<namespace>/<name>/diff  the same for a HelmRelease, as `ferry diff helmrelease`:
//	                                     its HelmChart's artifact rendered as the controller renders it
//	                                     (release.RenderNext: valuesFrom and values, post-renderers, an
//	                                     install or, from Helm's storage, an upgrade; Options.Capabilities)
//	                                     and dry-run as Helm applies it (diff.HelmRelease); created,
//	                                     drifted, deleted by the upgrade; values from Secrets as ***
//	GET  /o/<kind>/<namespace>/<name>/files/<path>  a GitRepository's or HelmChart's artifact, read from
//	                                     its tar.gz as it streams: a directory's names and sizes, a file
//	                                     (text escaped, at most 1 MiB; binary only named), a symbolic link's
//	                                     target (never followed); "..", absolute paths and NUL refused
//	                                     (400); the user must be able to get the source (one read as them)
//	GET  /live                           server-sent events: "changed" with the kinds that changed (only
//	                                     kinds of which an object the user may see changed), at most once
//	                                     a second per client, a heartbeat comment every 15 s; at most 100
//	                                     clients
//	POST /o/<kind>/<namespace>/<name>/<action>  reconcile (withSource, and force and reset for a
//	                                     HelmRelease), suspend (reason) or resume; 303 back to the object
//	GET  /static/...                     the embedded stylesheet and live.js
//
// With Options.Visible (ferry controller, where the cache holds every
// namespace) each page shows only the kinds and namespaces the user may
// list, and an object they may not see answers 404 like a missing one;
// see visible.go. A page reads objects through s.rows or s.getObject,
// which apply it, or asks s.visible(r).
//
// Any GET with the header X-Ferry-Fragment answers with the page's main
// region only: live.js fetches the page it shows so on a "changed" event
// of a kind it shows and swaps the region in.
//
// Every answer carries a Content-Security-Policy that allows no inline
// script or style, X-Content-Type-Options nosniff and Referrer-Policy
// same-origin (no-referrer would make browsers send Origin: null with
// the forms, which the CSRF check refuses). A POST needs the form's CSRF token, the HMAC (under a key
// made per process) of the browser's random ferry-csrf cookie (HttpOnly,
// SameSite=Strict), and, when the browser sends them, an Origin of the
// same host and Sec-Fetch-Site same-origin. An action is performed with
// the client Options.Actions returns for the request, by merge patches
// (reconcile.fluxcd.io/requestedAt, spec.suspend) that need no read
// right; Kubernetes' Forbidden answer is shown with a 403. Each action is
// recorded as a Normal Event on the object (ReconcileRequested,
// Suspended, Resumed; reporting controller ferry-ui) naming the user,
// created with the same client.
package ui
