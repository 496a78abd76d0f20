package logring

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// The cost of the ring on the logging hot path: the process's zap logger
// (JSON, to io.Discard) alone, then wrapped, for a line of a reconciler's
// logger (kept) and one of another logger (only passed on).
//
//	go test ./internal/logring -run '^$' -bench . -benchmem

func zapLogger() logr.Logger { return zap.New(zap.WriteTo(io.Discard)) }

func BenchmarkZapAlone(b *testing.B) {
	log := reconcilerLogger(zapLogger(), "apps", "web")
	b.ReportAllocs()
	for b.Loop() {
		log.Info("Reconciliation finished in 1.2s, next run in 10m0s", "revision", "main@sha1:0123456789abcdef0123456789abcdef01234567")
	}
}

func BenchmarkWrappedKeptLine(b *testing.B) {
	r := New(Options{})
	log := reconcilerLogger(r.Wrap(zapLogger()), "apps", "web")
	b.ReportAllocs()
	for b.Loop() {
		log.Info("Reconciliation finished in 1.2s, next run in 10m0s", "revision", "main@sha1:0123456789abcdef0123456789abcdef01234567")
	}
}

func BenchmarkWrappedKeptErrorLine(b *testing.B) {
	r := New(Options{})
	log := reconcilerLogger(r.Wrap(zapLogger()), "apps", "web")
	err := errors.New("kustomization path not found: stat /tmp/x/deploy: no such file or directory")
	b.ReportAllocs()
	for b.Loop() {
		log.Error(err, "Reconciler error")
	}
}

func BenchmarkWrappedOtherLine(b *testing.B) {
	r := New(Options{})
	log := r.Wrap(zapLogger()).WithName("ui")
	b.ReportAllocs()
	for b.Loop() {
		log.Info("serving", "path", "/k/Kustomization")
	}
}

// BenchmarkWrappedNewReconcile is a reconcile's logger made, one line
// kept: the WithValues of every reconcile are part of the cost.
func BenchmarkWrappedNewReconcile(b *testing.B) {
	r := New(Options{})
	base := r.Wrap(zapLogger())
	b.ReportAllocs()
	for b.Loop() {
		reconcilerLogger(base, "apps", "web").Info("reconciliation stalled", "reason", "InvalidPath")
	}
}

// BenchmarkAddParallel is the ring's lock under contention: every CPU
// keeping lines of 1000 objects.
func BenchmarkAddParallel(b *testing.B) {
	r := New(Options{})
	keys := make([]Key, 1000)
	for i := range keys {
		keys[i] = Key{Kind: "Kustomization", Namespace: "apps", Name: fmt.Sprintf("app-%d", i)}
	}
	line := Line{Message: "Reconciliation finished", Values: "revision=main@sha1:0123"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r.Add(keys[i%len(keys)], line)
			i++
		}
	})
}
