package kustomization

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/build"
	"github.com/ferrycd/ferry/internal/status"
)

// A new revision costs what changed: the last successful build of each
// Kustomization is remembered (in memory, per UID) with everything it
// read: the files of the artifact (build.Reads), its generation (the
// spec), the digest of its substitution variables and of the decryption
// keys it used. A new revision of the source whose artifact answers every
// one of those reads the same way, with the same generation, variables
// and keys, would build exactly the same objects; the Kustomization then
// records the new revision as applied without building or applying again.
// Drift is still corrected in full on spec.interval (a reconciliation of
// the revision already applied always builds and applies), and a
// reconcile request (reconcile.fluxcd.io/requestedAt) always builds.

// inputs is what one successful build read.
type inputs struct {
	generation int64
	reads      *build.Reads
	vars       string // digest of the substitution variables, "" without postBuild
	keys       string // digest of the decryption keys read, "" when none was read
	revision   string // the revision applied from these inputs
}

// varsDigest is a digest of the substitution's variables (values read
// from Secrets included: a digest, never kept in clear).
func varsDigest(sub *build.Substitution) string {
	if sub == nil {
		return ""
	}
	names := make([]string, 0, len(sub.Vars))
	for k := range sub.Vars {
		names = append(names, k)
	}
	slices.Sort(names)
	h := sha256.New()
	h.Write([]byte("vars"))
	for _, k := range names {
		h.Write([]byte(strconv.Itoa(len(k)) + ":" + k + strconv.Itoa(len(sub.Vars[k])) + ":" + sub.Vars[k]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// secretDigest is a digest of a Secret's data.
func secretDigest(s *corev1.Secret) string {
	keys := make([]string, 0, len(s.Data))
	for k := range s.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(strconv.Itoa(len(k)) + ":" + k + strconv.Itoa(len(s.Data[k])) + ":"))
		h.Write(s.Data[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// keysReader reads the decryption Secret for a build and remembers the
// digest of what it read.
type keysReader struct {
	client.Reader
	digest string
}

func (k *keysReader) Get(ctx context.Context, key types.NamespacedName, obj client.Object, opts ...client.GetOption) error {
	err := k.Reader.Get(ctx, key, obj, opts...)
	if s, ok := obj.(*corev1.Secret); ok && err == nil {
		k.digest = secretDigest(s)
	}
	return err
}

// unchangedSince reports whether building obj in dir (the artifact of
// revision) with sub would read exactly what the build recorded in in read.
func (r *Reconciler) unchangedSince(ctx context.Context, in *inputs, obj *kustomizev1.Kustomization, dir string, sub *build.Substitution) bool {
	if in == nil || in.generation != obj.Generation || in.vars != varsDigest(sub) {
		return false
	}
	if in.keys != "" {
		kr := &keysReader{Reader: r.Client}
		if _, err := decryptionKeys(ctx, kr, obj); err != nil || kr.digest != in.keys {
			return false
		}
	}
	digest, err := in.reads.Replay(dir)
	return err == nil && digest != "" && digest == in.reads.Digest()
}

// mayRecordOnly reports whether a reconciliation of obj at revision may
// record the revision without a build when its inputs are unchanged: obj
// is Ready at another revision, applied from the remembered inputs, at
// the generation it observed, with no reconcile request pending.
func mayRecordOnly(obj *kustomizev1.Kustomization, in *inputs, revision string) bool {
	if in == nil || !status.IsReady(obj) || obj.Status.LastAppliedRevision == revision ||
		obj.Status.LastAppliedRevision != in.revision || obj.Status.ObservedGeneration != obj.Generation {
		return false
	}
	if v, ok := meta.ReconcileAnnotationValue(obj.GetAnnotations()); ok && v != obj.Status.LastHandledReconcileAt {
		return false
	}
	return true
}
