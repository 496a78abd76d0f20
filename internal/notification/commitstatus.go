package notification

import (
	"context"
	"encoding/json"
	"fmt"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/cel"
	"github.com/ferrycd/ferry/internal/events"
)

// commitStatus evaluates the Provider's spec.commitStatusExpr with Flux's
// variables: event, provider and alert, each as its JSON.
func commitStatus(ctx context.Context, p *notificationv1beta3.Provider, a *notificationv1beta3.Alert, e events.Event) (string, error) {
	expr, err := cel.NewExpression(p.Spec.CommitStatusExpr, "event", "provider", "alert")
	if err != nil {
		return "", fmt.Errorf("spec.commitStatusExpr: %w", err)
	}
	data := map[string]any{}
	for name, v := range map[string]any{"event": e, "provider": p, "alert": a} {
		m, err := asMap(v)
		if err != nil {
			return "", err
		}
		data[name] = m
	}
	s, err := expr.Text(ctx, data)
	if err != nil {
		return "", fmt.Errorf("spec.commitStatusExpr: %w", err)
	}
	return s, nil
}

func asMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(b, &m)
}
