package cel

import (
	"context"
	"fmt"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/engine"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/statusreaders"
	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	celgo "github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// Expression is a CEL expression compiled once and evaluated many times.
type Expression struct {
	src  string
	prog celgo.Program
	ast  *celgo.Ast
}

// newEnv returns the CEL environment of Flux's expressions: optional types
// (a.?b.orValue(c)) and the strings, sets and encoders extensions, with the
// given variables declared.
func newEnv(vars ...string) (*celgo.Env, error) {
	opts := []celgo.EnvOption{
		celgo.HomogeneousAggregateLiterals(),
		celgo.EagerlyValidateDeclarations(true),
		celgo.DefaultUTCTimeZone(true),
		celgo.CrossTypeNumericComparisons(true),
		celgo.OptionalTypes(),
		ext.Strings(),
		ext.Sets(),
		ext.Encoders(),
	}
	for _, v := range vars {
		opts = append(opts, celgo.Variable(v, celgo.DynType))
	}
	return celgo.NewEnv(opts...)
}

// NewExpression parses a CEL expression whose variables are the given names.
// With no names, the top-level fields of the data it is evaluated with
// (apiVersion, kind, metadata, spec, status, ...) are its variables, as in
// Flux's healthCheckExprs, so that it works for any kind of object.
func NewExpression(src string, vars ...string) (*Expression, error) {
	env, err := newEnv(vars...)
	if err != nil {
		return nil, fmt.Errorf("creating the CEL environment: %w", err)
	}
	var ast *celgo.Ast
	var iss *celgo.Issues
	if len(vars) > 0 {
		ast, iss = env.Compile(src)
	} else {
		ast, iss = env.Parse(src)
	}
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("invalid CEL expression %q: %w", src, iss.Err())
	}
	prog, err := env.Program(ast, celgo.EvalOptions(celgo.OptOptimize), celgo.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("invalid CEL expression %q: %w", src, err)
	}
	return &Expression{src: src, prog: prog, ast: ast}, nil
}

// NewBoolExpression is NewExpression for an expression that must give a
// bool: one whose type is known not to be bool (a string, a number) is
// refused when it is compiled, not when it is first evaluated.
func NewBoolExpression(src string, vars ...string) (*Expression, error) {
	e, err := NewExpression(src, vars...)
	if err != nil {
		return nil, err
	}
	if t := e.ast.OutputType(); len(vars) > 0 && t != celgo.BoolType && t != celgo.DynType {
		return nil, fmt.Errorf("invalid CEL expression %q: it gives a %s, not a bool", src, t)
	}
	return e, nil
}

// String returns the expression's source.
func (e *Expression) String() string { return e.src }

// Bool evaluates the expression with data and returns its boolean result.
func (e *Expression) Bool(ctx context.Context, data map[string]any) (bool, error) {
	v, _, err := e.prog.ContextEval(ctx, data)
	if err != nil {
		return false, fmt.Errorf("evaluating CEL expression %q: %w", e.src, err)
	}
	b, ok := v.(types.Bool)
	if !ok {
		return false, fmt.Errorf("CEL expression %q returned %s, not a bool", e.src, v.Type().TypeName())
	}
	return bool(b), nil
}

// Text evaluates the expression with data and returns its string result.
func (e *Expression) Text(ctx context.Context, data map[string]any) (string, error) {
	v, _, err := e.prog.ContextEval(ctx, data)
	if err != nil {
		return "", fmt.Errorf("evaluating CEL expression %q: %w", e.src, err)
	}
	s, ok := v.(types.String)
	if !ok {
		return "", fmt.Errorf("CEL expression %q returned %s, not a string", e.src, v.Type().TypeName())
	}
	return string(s), nil
}

// celStatus computes the kstatus status of objects of one kind from
// healthCheckExprs, as RFC 0009 of Flux defines: an object whose
// status.observedGeneration differs from metadata.generation is InProgress;
// otherwise the first of inProgress, failed and current that is true gives
// the status; none true is InProgress.
type celStatus struct {
	current, failed, inProgress *Expression
}

func (s *celStatus) compute(ctx context.Context, u *unstructured.Unstructured) (*status.Result, error) {
	obj := u.UnstructuredContent()
	if observed, ok, err := unstructured.NestedInt64(obj, "status", "observedGeneration"); err == nil && ok {
		if gen, ok, err := unstructured.NestedInt64(obj, "metadata", "generation"); err == nil && ok && gen != observed {
			return &status.Result{Status: status.InProgressStatus, Message: "status.observedGeneration is behind metadata.generation"}, nil
		}
	}
	for _, c := range []struct {
		expr   *Expression
		status status.Status
	}{{s.inProgress, status.InProgressStatus}, {s.failed, status.FailedStatus}, {s.current, status.CurrentStatus}} {
		if c.expr == nil {
			continue
		}
		ok, err := c.expr.Bool(ctx, obj)
		if err != nil {
			return nil, err
		}
		if ok {
			return &status.Result{Status: c.status, Message: fmt.Sprintf("%s is true", c.expr)}, nil
		}
	}
	return &status.Result{Status: status.InProgressStatus, Message: "no health check expression is true"}, nil
}

// celReader is a kstatus status reader for one kind, using celStatus.
type celReader struct {
	engine.StatusReader
	gk schema.GroupKind
}

// Supports reports whether the reader computes the status of kind gk.
func (r *celReader) Supports(gk schema.GroupKind) bool { return gk == r.gk }

// HealthCheck is one entry of spec.healthCheckExprs: the kind of object it
// assesses and its expressions; Current is required.
type HealthCheck struct {
	APIVersion, Kind            string
	Current, Failed, InProgress string
}

// HealthChecks turns spec.healthCheckExprs (of a Kustomization or a
// HelmRelease) into what StatusReaders takes.
func HealthChecks(checks []kustomizev1.CustomHealthCheck) []HealthCheck {
	out := make([]HealthCheck, 0, len(checks))
	for _, c := range checks {
		out = append(out, HealthCheck{APIVersion: c.APIVersion, Kind: c.Kind,
			Current: c.Current, Failed: c.Failed, InProgress: c.InProgress})
	}
	return out
}

// StatusReaders compiles spec.healthCheckExprs into kstatus status readers,
// one per kind, for apply.WaitOptions.StatusReaders. The error names the
// entry and expression that does not compile.
func StatusReaders(ctx context.Context, mapper apimeta.RESTMapper, checks []HealthCheck) ([]engine.StatusReader, error) {
	var readers []engine.StatusReader
	for i, c := range checks {
		if c.Current == "" {
			return nil, fmt.Errorf("healthCheckExprs[%d] (%s %s): current is required", i, c.APIVersion, c.Kind)
		}
		s := &celStatus{}
		for _, e := range []struct {
			src string
			dst **Expression
		}{{c.Current, &s.current}, {c.Failed, &s.failed}, {c.InProgress, &s.inProgress}} {
			if e.src == "" {
				continue
			}
			expr, err := NewExpression(e.src)
			if err != nil {
				return nil, fmt.Errorf("healthCheckExprs[%d] (%s %s): %w", i, c.APIVersion, c.Kind, err)
			}
			*e.dst = expr
		}
		gk := schema.FromAPIVersionAndKind(c.APIVersion, c.Kind).GroupKind()
		fn := func(u *unstructured.Unstructured) (*status.Result, error) { return s.compute(ctx, u) }
		readers = append(readers, &celReader{StatusReader: statusreaders.NewGenericStatusReader(mapper, fn), gk: gk})
	}
	return readers, nil
}
