// Package cli implements ferry's command line. The verbs follow Flux's CLI
// (get, reconcile, install, ...). The verbs that act on any Flux kind (get,
// export, suspend, resume, reconcile) are written once and build a
// subcommand per entry of kinds (kinds.go); every other verb-noun pair lives
// in its own file.
package cli
