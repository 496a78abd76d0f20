package gitrepository

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/status"
)

// Reasons of the SourceVerified condition, as Flux's source-controller.
const (
	// InvalidCommitSignatureReason: HEAD is unsigned or not signed by a
	// trusted key.
	InvalidCommitSignatureReason = "InvalidCommitSignature"
	// InvalidTagSignatureReason: the tag is not signed by a trusted key.
	InvalidTagSignatureReason = "InvalidTagSignature"
	// InvalidGitObjectReason: the tag carries no signature.
	InvalidGitObjectReason = "InvalidGitObject"
	// InvalidVerificationModeReason: a tag signature is asked for but the
	// checkout does not come from an annotated tag.
	InvalidVerificationModeReason = "InvalidVerificationMode"
)

// pgpKeySuffix marks the armored PGP public keys in spec.verify.secretRef.
const pgpKeySuffix = ".asc"

// verifySource checks the PGP signatures spec.verify asks for on the clone
// in dir, before anything is archived. It sets SourceVerified and
// status.sourceVerificationMode; without spec.verify it clears both. A
// failure carries no condition type of its own: SourceVerified=False is set
// here.
func (r *Reconciler) verifySource(ctx context.Context, obj *sourcev1.GitRepository, dir string, commit *git.Commit) *failure {
	v := obj.Spec.Verification
	if v == nil {
		obj.Status.SourceVerificationMode = nil
		status.Delete(obj, meta.SourceVerifiedCondition)
		return nil
	}
	fail := func(reason string, stalled bool, err error) *failure {
		status.MarkFalse(obj, meta.SourceVerifiedCondition, reason, "%s", err.Error())
		return &failure{Reason: reason, Err: err, Stalled: stalled}
	}

	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: obj.Namespace, Name: v.SecretRef.Name}
	if err := r.Get(ctx, key, secret); err != nil {
		return fail(meta.VerificationError, false, fmt.Errorf("PGP public keys secret error: failed to get secret '%s': %w", key, err))
	}
	names := make([]string, 0, len(secret.Data))
	for k := range secret.Data {
		if strings.HasSuffix(k, pgpKeySuffix) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return fail(meta.VerificationError, false,
			fmt.Errorf("PGP public keys secret error: secret '%s' has no '*%s' key with an armored public key", key, pgpKeySuffix))
	}
	sort.Strings(names)
	keyRings := make([]string, len(names))
	for i, k := range names {
		keyRings[i] = string(secret.Data[k])
	}

	mode := v.GetMode()
	var verified []string
	if v.VerifyTag() {
		s, err := git.VerifyTag(dir, commit.Reference, keyRings)
		switch {
		case errors.Is(err, git.ErrNoTag):
			return fail(InvalidVerificationModeReason, true,
				fmt.Errorf("cannot verify tag object's signature with verification mode '%s': %w", mode, err))
		case errors.Is(err, git.ErrNotSigned):
			return fail(InvalidGitObjectReason, false, fmt.Errorf("cannot verify signature of %w", err))
		case err != nil:
			return fail(InvalidTagSignatureReason, false, fmt.Errorf("signature verification of tag failed: %w", err))
		}
		verified = append(verified, fmt.Sprintf("tag '%s' with key '%s'", s.Object, s.KeyID))
	}
	if v.VerifyHEAD() {
		s, err := git.VerifyCommit(dir, commit.Hash, keyRings)
		if err != nil {
			return fail(InvalidCommitSignatureReason, false, fmt.Errorf("signature verification of commit failed: %w", err))
		}
		verified = append(verified, fmt.Sprintf("commit '%s' with key '%s'", s.Object, s.KeyID))
	}
	status.MarkTrue(obj, meta.SourceVerifiedCondition, meta.SucceededReason, "verified signature of %s", strings.Join(verified, " and "))
	obj.Status.SourceVerificationMode = &mode
	return nil
}
