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
// decides. Every action needs the page's CSRF token. Secret data is never
// read, so it never reaches the browser.
//
// Routes:
//
//	GET  /                               overview: failing objects first (Ready reason, message, since when),
//	                                     counts per kind and state, each source's last revision
//	GET  /search?q=                      objects whose name, namespace, kind, revision or Ready message
//	                                     holds q (without case), at most 200
//	GET  /k/<kind>?ns=&status=&sort=&page= one kind's list with `ferry get`'s columns, filtered by namespace
//	                                     and state, sorted (name, status, since, revision), 100 a page
//	GET  /o/<kind>/<namespace>/<name>     one object: conditions, status fields, release history, source
//	                                     and consumers, inventory by kind (folded above 50 entries),
//	                                     deliveries, Kubernetes Events, the spec as YAML (URL passwords
//	                                     masked), and the action forms
//	GET  /live                           server-sent events: "changed" with the kinds that changed, at
//	                                     most once a second per client, a heartbeat comment every 15 s;
//	                                     at most 100 clients
//	POST /o/<kind>/<namespace>/<name>/<action>  reconcile (withSource, and force and reset for a
//	                                     HelmRelease), suspend (reason) or resume; 303 back to the object
//	GET  /static/...                     the embedded stylesheet and live.js
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
