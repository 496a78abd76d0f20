package kustomization

import "context"

// quietProgress records whether a reconciliation should skip its
// intermediate progress patches ("Building manifests", "Detecting drift",
// "Running health checks"). A routine re-apply of the revision already
// applied to a Ready object skips them until the apply finds something to
// change: it then writes its status once, at the end, instead of four times.
// With many Kustomizations those writes, not the work, set the pace of a
// no-change pass (each is a write to etcd and a watch event to every
// client). What is checked is unchanged: the build, the dry-run apply of
// every object and the health check all still run.
type quietProgress struct{ quiet bool }

type quietProgressKey struct{}

// withQuietProgress returns a context carrying q.
func withQuietProgress(ctx context.Context, q *quietProgress) context.Context {
	return context.WithValue(ctx, quietProgressKey{}, q)
}

// progressIsQuiet reports whether ctx's reconciliation skips progress patches.
func progressIsQuiet(ctx context.Context) bool {
	q, ok := ctx.Value(quietProgressKey{}).(*quietProgress)
	return ok && q.quiet
}
