package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// devWebhookSecret holds the token of ferry dev's Receiver.
const devWebhookSecret = "ferry-dev-webhook"

// createDevReceiver makes the generic Receiver name in namespace that
// reconciles ferry dev's source (of kind) of the same name, and returns its
// webhook path. The token is kept in a Secret from one run to the next, so
// a hook installed once keeps working.
func createDevReceiver(ctx context.Context, c client.Client, namespace, kind, name string) (string, error) {
	secret := &corev1.Secret{}
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: devWebhookSecret}, secret)
	switch {
	case apierrors.IsNotFound(err):
		b := make([]byte, 20)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		secret = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: devWebhookSecret},
			Data:       map[string][]byte{"token": []byte(hex.EncodeToString(b))},
		}
		if err := c.Create(ctx, secret); err != nil {
			return "", fmt.Errorf("creating Secret %s: %w", devWebhookSecret, err)
		}
	case err != nil:
		return "", fmt.Errorf("reading Secret %s: %w", devWebhookSecret, err)
	}
	rcv := &notificationv1.Receiver{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if _, err := controllerutil.CreateOrUpdate(ctx, c, rcv, func() error {
		rcv.Spec.Type = notificationv1.GenericReceiver
		rcv.Spec.SecretRef = meta.LocalObjectReference{Name: devWebhookSecret}
		rcv.Spec.Resources = []notificationv1.CrossNamespaceObjectReference{{
			APIVersion: sourcev1.GroupVersion.String(), Kind: kind, Name: name,
		}}
		return nil
	}); err != nil {
		return "", fmt.Errorf("creating Receiver %s: %w", name, err)
	}
	return rcv.WebhookPath(string(secret.Data["token"])), nil
}
