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
//	GET  /                               overview: counts per kind and state, failing objects first
//	GET  /search?q=                      objects by name, namespace, kind, revision or message
//	GET  /k/<kind>?ns=&status=&sort=&page= one kind's list, filtered and paginated on the server
//	GET  /o/<kind>/<namespace>/<name>     one object: conditions, spec, events, inventory
//	GET  /live                           server-sent events: "changed" when objects change (throttled)
//	POST /o/<kind>/<namespace>/<name>/<action>  reconcile, suspend or resume
//	GET  /static/...                     the embedded stylesheet and script
package ui
