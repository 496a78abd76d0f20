package cel

import (
	"context"
	"testing"
	"time"
)

// FuzzExpression compiles arbitrary healthCheckExprs and evaluates them on
// an object: compiling and evaluating never panic, and an evaluation
// stops soon after its context is done, however costly the expression
// (comprehensions are interrupted every 100 iterations).
func FuzzExpression(f *testing.F) {
	for _, s := range []string{
		"status.phase == 'Ready'",
		"status.?phase.orValue('') == 'Failed'",
		"status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True')",
		"metadata.name.startsWith('a') && spec.replicas > 1",
		"[1,2,3].map(x, [1,2,3].map(y, x * y)).size() > 0",
		"size(base64.encode(b'abc')) == 4",
		"'a,b'.split(',').exists(s, s == 'b')",
		"sets.contains([1, 2], [2])",
		"status.x / 0 == 1",
		"(",
		"status.phase == 'Ready' ? true : false",
		"spec.list.map(a, spec.list.map(b, spec.list.map(c, a + b + c))).size() >= 0",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	list := make([]any, 200)
	for i := range list {
		list[i] = int64(i)
	}
	data := map[string]any{
		"apiVersion": "v1",
		"kind":       "Thing",
		"metadata":   map[string]any{"name": "a", "generation": int64(2)},
		"spec":       map[string]any{"replicas": int64(3), "list": list},
		"status": map[string]any{"phase": "Ready", "observedGeneration": int64(2),
			"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}},
	}
	f.Fuzz(func(t *testing.T, src string, asBool bool) {
		var e *Expression
		var err error
		if asBool {
			e, err = NewBoolExpression(src, "self")
		} else {
			e, err = NewExpression(src)
		}
		if err != nil {
			return
		}
		in := data
		if asBool {
			in = map[string]any{"self": data}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _ = e.Bool(ctx, in)
		_, _ = e.Text(ctx, in)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("evaluating %q took %s, past its 100ms deadline", src, d)
		}
	})
}
