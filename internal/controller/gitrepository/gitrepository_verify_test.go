package gitrepository_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/pgptest"
)

// verifyKeys generates a trusted and an untrusted key and stores the
// trusted public key in the Secret "pgp-public-keys" of ns, as `flux`
// users do (kubectl create secret generic --from-file=author.asc).
func verifyKeys(t *testing.T, ns string) (trusted, untrusted *pgptest.Key) {
	t.Helper()
	trusted, err := pgptest.NewKey("trusted", "trusted@example.com")
	if err != nil {
		t.Fatal(err)
	}
	untrusted, err = pgptest.NewKey("untrusted", "untrusted@example.com")
	if err != nil {
		t.Fatal(err)
	}
	create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pgp-public-keys"},
		Data:       map[string][]byte{"author.asc": []byte(trusted.PublicArmored), "README": []byte("not a key")},
	})
	return trusted, untrusted
}

func withVerify(mode sourcev1.GitVerificationMode) func(*sourcev1.GitRepository) {
	return func(gr *sourcev1.GitRepository) {
		gr.Spec.Verification = &sourcev1.GitRepositoryVerification{
			Mode: mode, SecretRef: meta.LocalObjectReference{Name: "pgp-public-keys"},
		}
	}
}

// notVerified waits until SourceVerified=False with reason and the object
// is not Ready for the same reason.
func notVerified(reason string) func(*sourcev1.GitRepository) bool {
	return func(gr *sourcev1.GitRepository) bool {
		v, r := cond(gr, meta.SourceVerifiedCondition), cond(gr, meta.ReadyCondition)
		return v != nil && v.Status == metav1.ConditionFalse && v.Reason == reason &&
			r != nil && r.Status == metav1.ConditionFalse && r.Reason == reason
	}
}

// TestVerifyHEAD serves signed and unsigned commits and checks that only a
// commit signed by a trusted key is served, with SourceVerified as Flux.
func TestVerifyHEAD(t *testing.T) {
	ns := newNamespace(t)
	trusted, untrusted := verifyKeys(t, ns)
	git, repo, _ := newGitServer(t)
	signed, err := pgptest.Commit(repo.Dir, "signed change", map[string]string{"deploy/a.yaml": "a: 1\n"}, trusted)
	if err != nil {
		t.Fatal(err)
	}
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"), withVerify(sourcev1.ModeGitHEAD))
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)

	gr = waitFor(t, key, "Ready with the signed commit", isReadyWith("main@sha1:"+signed))
	v := cond(gr, meta.SourceVerifiedCondition)
	keyID := strings.ToUpper(trusted.Entity.PrimaryKey.KeyIdString())
	if v == nil || v.Status != metav1.ConditionTrue || v.Reason != meta.SucceededReason ||
		v.Message != "verified signature of commit '"+signed+"' with key '"+keyID+"'" {
		t.Errorf("SourceVerified = %+v", v)
	}
	if m := gr.Status.SourceVerificationMode; m == nil || *m != sourcev1.ModeGitHEAD {
		t.Errorf("sourceVerificationMode = %v, want HEAD", m)
	}
	served := *gr.Status.Artifact

	// New commits that are unsigned or signed by an unknown key are not
	// served: the previous artifact stays.
	for _, tt := range []struct {
		name string
		key  *pgptest.Key
	}{{"unsigned", nil}, {"untrusted", untrusted}} {
		t.Run(tt.name, func(t *testing.T) {
			head, err := pgptest.Commit(repo.Dir, tt.name+" change", map[string]string{"deploy/a.yaml": "a: " + tt.name + "\n"}, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			requestReconcile(t, key)
			gr := waitFor(t, key, "refused", func(gr *sourcev1.GitRepository) bool {
				return notVerified("InvalidCommitSignature")(gr) && strings.Contains(cond(gr, meta.SourceVerifiedCondition).Message, head)
			})
			if gr.Status.Artifact == nil || gr.Status.Artifact.Revision != served.Revision || gr.Status.Artifact.Digest != served.Digest {
				t.Errorf("artifact changed to %+v after a %s commit, want %+v", gr.Status.Artifact, tt.name, served)
			}
			waitForEvent(t, ns, "app", corev1.EventTypeWarning, "InvalidCommitSignature")
		})
	}

	// Once a trusted commit is on top again, it is served.
	fixed, err := pgptest.Commit(repo.Dir, "signed fix", map[string]string{"deploy/a.yaml": "a: 2\n"}, trusted)
	if err != nil {
		t.Fatal(err)
	}
	requestReconcile(t, key)
	gr = waitFor(t, key, "Ready with the signed fix", isReadyWith("main@sha1:"+fixed))
	if v := cond(gr, meta.SourceVerifiedCondition); v == nil || v.Status != metav1.ConditionTrue {
		t.Errorf("SourceVerified = %+v", v)
	}

	// Dropping spec.verify removes the condition and the observed mode.
	if err := env.Client.Get(context.Background(), key, gr); err != nil {
		t.Fatal(err)
	}
	gr.Spec.Verification = nil
	if err := env.Client.Update(context.Background(), gr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, key, "without verification", func(gr *sourcev1.GitRepository) bool {
		return isReadyWith("main@sha1:"+fixed)(gr) && cond(gr, meta.SourceVerifiedCondition) == nil &&
			gr.Status.SourceVerificationMode == nil
	})
}

// TestVerifyTag checks the Tag and TagAndHEAD modes on signed and unsigned
// tags, and that Tag mode on a branch stalls.
func TestVerifyTag(t *testing.T) {
	ns := newNamespace(t)
	trusted, _ := verifyKeys(t, ns)
	git, repo, head := newGitServer(t)
	for name, k := range map[string]*pgptest.Key{"v1.0.0": trusted, "v2.0.0": nil} {
		if err := pgptest.Tag(repo.Dir, name, head, k); err != nil {
			t.Fatal(err)
		}
	}
	keyID := strings.ToUpper(trusted.Entity.PrimaryKey.KeyIdString())
	tagRef := func(tag string) func(*sourcev1.GitRepository) {
		return func(gr *sourcev1.GitRepository) { gr.Spec.Reference = &sourcev1.GitRepositoryRef{Tag: tag} }
	}

	signedTag := newGitRepository(ns, "signed-tag", git.RepoURL("org/app"), withVerify(sourcev1.ModeGitTag), tagRef("v1.0.0"))
	create(t, signedTag)
	gr := waitFor(t, client.ObjectKeyFromObject(signedTag), "Ready", isReadyWith("v1.0.0@sha1:"+head))
	if v := cond(gr, meta.SourceVerifiedCondition); v == nil || v.Status != metav1.ConditionTrue ||
		v.Message != "verified signature of tag 'v1.0.0' with key '"+keyID+"'" {
		t.Errorf("SourceVerified = %+v", v)
	}
	if m := gr.Status.SourceVerificationMode; m == nil || *m != sourcev1.ModeGitTag {
		t.Errorf("sourceVerificationMode = %v, want Tag", m)
	}

	// TagAndHEAD: the tag is signed but the commit it points to is not.
	both := newGitRepository(ns, "tag-and-head", git.RepoURL("org/app"), withVerify(sourcev1.ModeGitTagAndHEAD), tagRef("v1.0.0"))
	create(t, both)
	gr = waitFor(t, client.ObjectKeyFromObject(both), "refused", notVerified("InvalidCommitSignature"))
	if gr.Status.Artifact != nil {
		t.Errorf("an artifact was served for an unsigned commit: %+v", gr.Status.Artifact)
	}

	unsignedTag := newGitRepository(ns, "unsigned-tag", git.RepoURL("org/app"), withVerify(sourcev1.ModeGitTag), tagRef("v2.0.0"))
	create(t, unsignedTag)
	gr = waitFor(t, client.ObjectKeyFromObject(unsignedTag), "refused", notVerified("InvalidGitObject"))
	if gr.Status.Artifact != nil {
		t.Errorf("an artifact was served for an unsigned tag: %+v", gr.Status.Artifact)
	}

	onBranch := newGitRepository(ns, "tag-mode-on-branch", git.RepoURL("org/app"), withVerify(sourcev1.ModeGitTag))
	create(t, onBranch)
	gr = waitFor(t, client.ObjectKeyFromObject(onBranch), "stalled", func(gr *sourcev1.GitRepository) bool {
		s := cond(gr, meta.StalledCondition)
		return notVerified("InvalidVerificationMode")(gr) && s != nil && s.Status == metav1.ConditionTrue
	})
}

// TestVerifyMissingSecret names the missing Secret.
func TestVerifyMissingSecret(t *testing.T) {
	ns := newNamespace(t)
	git, _, _ := newGitServer(t)
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"), withVerify(sourcev1.ModeGitHEAD))
	create(t, gr)
	gr = waitFor(t, client.ObjectKeyFromObject(gr), "refused", notVerified(meta.VerificationError))
	if msg := cond(gr, meta.SourceVerifiedCondition).Message; !strings.Contains(msg, ns+"/pgp-public-keys") {
		t.Errorf("message %q does not name the secret", msg)
	}
}
