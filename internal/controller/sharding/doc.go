// Package sharding holds the end-to-end test of ferry's sharding: a main
// controller and two shards, started as `ferry install --shards` starts
// them (the sharding.fluxcd.io/key selectors and a lease each), against
// one API server, each object reconciled by exactly one of them.
package sharding
