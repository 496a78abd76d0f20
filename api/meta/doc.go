// Package meta holds the types, condition vocabulary and annotations shared by
// every ferry API group. It mirrors github.com/fluxcd/pkg/apis/meta so that
// objects written for Flux read the same under ferry.
// +kubebuilder:object:generate=true
package meta
