// Package cli implements ferry's command line. The verbs follow Flux's CLI
// (get, reconcile, install, ...); each verb-noun pair lives in its own file.
package cli
