// Package cel compiles and evaluates the CEL expressions of Flux objects,
// in the environment Flux gives them (optional types, the strings, sets and
// encoders extensions): a dependsOn readyExpr (see internal/dependency),
// whose variables are named, and healthCheckExprs, whose variables are the
// top-level fields of the object assessed, so that one expression works for
// any kind.
//
// StatusReaders turns health check expressions into kstatus status readers
// for apply.WaitOptions, computing an object's status as RFC 0009 of Flux
// defines. The package knows no owning kind: a Kustomization and a
// HelmRelease pass their spec fields as HealthCheck values.
package cel
