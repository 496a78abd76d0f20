// Package testserver holds the servers that tests of more than one package
// run against and that no production code needs: an HTTP forward proxy and
// a fault-injecting reverse proxy (FaultProxy). It imports nothing of ferry,
// so any package's tests can use it.
// (The Git server is internal/gitserver, which `ferry dev` also uses.)
package testserver
