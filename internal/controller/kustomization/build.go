package kustomization

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/build"
)

// memory is what a Reconciler remembers between reconciliations of its
// Kustomizations, per UID, until they are deleted. The zero value is ready.
type memory struct {
	// sensitive holds the substitution of the last build when it read
	// values from Secrets, so that failure messages can mask them.
	sensitive sync.Map
	// warned holds the build warnings last reported as events, so that a
	// routine re-apply does not repeat them.
	warned sync.Map
	// inputs holds what the last successful build read (*inputs), so that
	// a new revision that changes none of it is recorded without a build.
	inputs sync.Map
	// waits holds the health check going on off the workers (*pendingWait).
	waits sync.Map
}

// redact returns err with the Secret values of obj's last substitution
// masked in its message; errors.Is and errors.As still see err.
func (r *Reconciler) redact(obj *kustomizev1.Kustomization, err error) error {
	v, ok := r.memory.sensitive.Load(obj.UID)
	if !ok || err == nil {
		return err
	}
	msg := v.(*build.Substitution).Mask(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// secretValues returns, for masking, the values of the Secrets among objs:
// each value of data decoded and as written (base64), each value of
// stringData as written and base64-encoded. An API server or an admission
// webhook refusing a Secret may quote its values, and the Secret may have
// been decrypted by ferry (spec.decryption): no message may repeat them.
func secretValues(objs []*unstructured.Unstructured) *build.Substitution {
	var values []string
	for _, o := range objs {
		if o.GetKind() != "Secret" || o.GroupVersionKind().Group != "" {
			continue
		}
		data, _, _ := unstructured.NestedMap(o.Object, "data")
		for _, v := range data {
			if s, ok := v.(string); ok {
				values = append(values, s)
				if plain, err := base64.StdEncoding.DecodeString(s); err == nil {
					values = append(values, string(plain))
				}
			}
		}
		stringData, _, _ := unstructured.NestedMap(o.Object, "stringData")
		for _, v := range stringData {
			if s, ok := v.(string); ok {
				values = append(values, s, base64.StdEncoding.EncodeToString([]byte(s)))
			}
		}
	}
	if len(values) == 0 {
		return nil
	}
	return &build.Substitution{Sensitive: values}
}

// maskSecrets returns err with the values of secrets (secretValues)
// masked in its message; errors.Is and errors.As still see err.
func maskSecrets(secrets *build.Substitution, err error) error {
	if secrets == nil || err == nil {
		return err
	}
	msg := secrets.Mask(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// redactedError is an error whose message has secret values masked.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// forget drops what the reconciler remembers about a deleted Kustomization.
func (r *Reconciler) forget(obj *kustomizev1.Kustomization) {
	r.memory.sensitive.Delete(obj.UID)
	r.memory.warned.Delete(obj.UID)
	r.memory.inputs.Delete(obj.UID)
	r.cancelWait(obj)
}

// substitution reads the postBuild variables from obj's ConfigMaps and
// Secrets (uncached: no informer over every Secret), and remembers the
// values read from Secrets so that messages can mask them.
func (r *Reconciler) substitution(ctx context.Context, obj *kustomizev1.Kustomization) (*build.Substitution, error) {
	var reader client.Reader = r.Client
	if r.APIReader != nil {
		reader = r.APIReader
	}
	sub, err := build.LoadSubstitution(ctx, reader, obj)
	if err != nil {
		return nil, err
	}
	if sub != nil && len(sub.Sensitive) > 0 {
		r.memory.sensitive.Store(obj.UID, sub)
	} else {
		r.memory.sensitive.Delete(obj.UID)
	}
	return sub, nil
}

// build builds the Kustomization's path in dir with the spec fields and
// the postBuild variables sub, and returns with the objects what the build
// read (see inputs). Warnings (deprecated kustomize fields, variables left
// unsubstituted) become Warning events, once per revision, generation and
// content. SOPS-encrypted Secrets are decrypted in memory
// (spec.decryption). No error or event shows a value read from a Secret.
func (r *Reconciler) build(ctx context.Context, obj *kustomizev1.Kustomization, dir, revision string, sub *build.Substitution) ([]*unstructured.Unstructured, *inputs, error) {
	var warnings []build.Warning
	in := &inputs{generation: obj.Generation, reads: &build.Reads{}, vars: varsDigest(sub), revision: revision}
	keys := &keysReader{Reader: r.Client}
	opts := buildOptions(ctx, obj, dir, sub, keys, func(w build.Warning) { warnings = append(warnings, w) })
	opts.Reads = in.reads
	objects, err := build.Build(ctx, opts)
	in.keys = keys.digest

	var key strings.Builder
	key.WriteString(revision + "\x00" + strconv.FormatInt(obj.Generation, 10))
	for _, w := range warnings {
		key.WriteString("\x00" + w.Reason + "\x00" + w.Message)
	}
	if len(warnings) == 0 {
		r.memory.warned.Delete(obj.UID)
	} else if last, ok := r.memory.warned.Load(obj.UID); !ok || last != key.String() {
		r.memory.warned.Store(obj.UID, key.String())
		for _, w := range warnings {
			log.FromContext(ctx).Info("build warning", "reason", w.Reason, "message", w.Message)
			r.warning(obj, revision, w.Reason, w.Message)
		}
	}
	return objects, in, err
}

// Build builds obj's spec.path in dir as a reconciliation does: with the
// spec's fields and sub, its postBuild variables (build.LoadSubstitution;
// nil for none), SOPS-encrypted Secrets decrypted in memory with the keys
// of spec.decryption.secretRef, read through keys when the first one is
// built. warn, when set, receives the build's warnings. It is the one
// build of a Kustomization's artifact: the reconciler's, and the web UI's
// diff of what the next reconciliation would change.
func Build(ctx context.Context, obj *kustomizev1.Kustomization, dir string, sub *build.Substitution, keys client.Reader, warn func(build.Warning)) ([]*unstructured.Unstructured, error) {
	return build.Build(ctx, buildOptions(ctx, obj, dir, sub, keys, warn))
}

// buildOptions are the options of Build.
func buildOptions(ctx context.Context, obj *kustomizev1.Kustomization, dir string, sub *build.Substitution, keys client.Reader, warn func(build.Warning)) build.Options {
	opts := build.FromSpec(dir, &obj.Spec)
	opts.Substitution = sub
	opts.Warn = warn
	opts.Decrypt = decryptor(ctx, keys, obj) // SOPS-encrypted Secrets, in memory
	return opts
}
