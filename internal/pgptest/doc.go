// Package pgptest makes PGP keys and signed Git commits and tags for tests:
// keys are generated in the test (nothing is read from the machine), and
// commits are written with go-git into a working checkout, such as one
// created by internal/gitserver, so they can be served and cloned.
package pgptest
