package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

var (
	// ErrRemoteMoved means the remote branch moved between the checkout
	// and the push: nothing was pushed; a fresh checkout can try again.
	ErrRemoteMoved = errors.New("the remote branch moved since the checkout")
	// ErrNothingToCommit means the files staged equal HEAD's.
	ErrNothingToCommit = errors.New("nothing to commit")
)

// Keys of a commit signing key Secret, as Flux reads them.
const (
	SigningKeyKey        = "git.asc"
	SigningPassphraseKey = "passphrase"
)

// Workspace is a checkout that can be committed to and pushed.
type Workspace struct {
	// Dir is the checkout's directory.
	Dir string

	repo    *gogit.Repository
	opts    CloneOptions
	conn    *connection
	branch  string
	prefix  string
	secrets []string
}

// Signature is the author (and committer) of a commit.
type Signature struct {
	Name, Email string
	When        time.Time
}

// CommitRequest is what Commit commits.
type CommitRequest struct {
	// Files are the paths relative to Dir (slash separated) to stage;
	// nothing else is.
	Files   []string
	Author  Signature
	Message string
	// SignKey, when set, signs the commit.
	SignKey *openpgp.Entity
}

// CheckoutForUpdate checks out opts into dir, which must be empty or not
// exist, to commit and push to pushBranch (or, when empty, the branch
// checked out). When pushBranch exists on the remote the workspace starts
// from its head, so updates land on top of it; otherwise it is created
// from the checked-out commit, which is returned. A tag or commit checkout
// needs a pushBranch.
func CheckoutForUpdate(ctx context.Context, dir string, opts CloneOptions, pushBranch string) (*Workspace, *Commit, error) {
	if err := ValidateURL(opts.URL); err != nil {
		return nil, nil, err
	}
	prefix := fmt.Sprintf("unable to clone '%s'", RedactURL(opts.URL))
	secrets := opts.secrets()
	conn, err := opts.connection()
	if err != nil {
		return nil, nil, prefixed(err, prefix)
	}
	t, err := resolve(ctx, opts, conn)
	if err != nil {
		return nil, nil, prefixed(err, prefix)
	}
	branch := pushBranch
	if branch == "" {
		if !t.ref.IsBranch() {
			return nil, nil, &scrubbedError{msg: "spec.git.push.branch is required when the checkout is not a branch", cause: ErrInvalidReference}
		}
		branch = t.ref.Short()
	}
	refs, err := listRefs(ctx, opts, conn)
	if err != nil {
		return nil, nil, prefixed(err, prefix)
	}
	pushRef := plumbing.NewBranchReferenceName(branch)
	pushHead, pushExists := refs[pushRef.String()]

	repo, err := gogit.PlainInit(dir, false)
	if err != nil {
		return nil, nil, sanitize(err, prefix, secrets...)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: gogit.DefaultRemoteName, URLs: []string{opts.URL}}); err != nil {
		return nil, nil, sanitize(err, prefix, secrets...)
	}
	var specs []config.RefSpec
	if t.ref != "" {
		specs = append(specs, config.RefSpec(fmt.Sprintf("+%s:%s", t.ref, remoteName(t.ref))))
	} else {
		specs = append(specs, "+refs/heads/*:refs/remotes/origin/*")
	}
	if pushExists && pushRef != t.ref {
		specs = append(specs, config.RefSpec(fmt.Sprintf("+%s:%s", pushRef, remoteName(pushRef))))
	}
	depth := 0
	if t.shallow {
		// The tips are enough to commit on and push: the server has
		// their history.
		depth = 1
	}
	if err := repo.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName:      gogit.DefaultRemoteName,
		RefSpecs:        specs,
		Depth:           depth,
		Auth:            conn.auth,
		Tags:            gogit.NoTags,
		CABundle:        conn.ca,
		ClientCert:      conn.clientCert,
		ClientKey:       conn.clientKey,
		InsecureSkipTLS: conn.insecure,
		ProxyOptions:    conn.proxy,
	}); err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return nil, nil, sanitize(err, prefix, secrets...)
	}

	checkout := t.hash
	if t.ref != "" && (checkout.IsZero() || t.shallow) {
		ref, err := repo.Reference(remoteName(t.ref), true)
		if err != nil {
			return nil, nil, sanitize(err, fmt.Sprintf("%s: cannot resolve '%s'", prefix, t.ref), secrets...)
		}
		checkout = ref.Hash()
	}
	c, err := commitObject(repo, checkout)
	if err != nil {
		return nil, nil, &scrubbedError{msg: fmt.Sprintf("%s: unable to resolve commit object for '%s': %s", prefix, checkout, err), cause: plumbing.ErrReferenceNotFound}
	}
	start := c.Hash
	if pushExists {
		start = pushHead
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(pushRef, start)); err != nil {
		return nil, nil, sanitize(err, prefix, secrets...)
	}
	w, err := repo.Worktree()
	if err != nil {
		return nil, nil, sanitize(err, prefix, secrets...)
	}
	if err := w.Checkout(&gogit.CheckoutOptions{Branch: pushRef, Force: true}); err != nil {
		return nil, nil, sanitize(err, fmt.Sprintf("%s: cannot check out branch '%s'", prefix, branch), secrets...)
	}
	result := t.commit
	result.Hash = c.Hash.String()
	result.Message = c.Message
	result.Author = fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email)
	return &Workspace{Dir: dir, repo: repo, opts: opts, conn: conn, branch: branch,
		prefix: fmt.Sprintf("unable to push to '%s'", RedactURL(opts.URL)), secrets: secrets}, &result, nil
}

// remoteName is the remote-tracking name of a fetched reference.
func remoteName(ref plumbing.ReferenceName) plumbing.ReferenceName {
	if ref.IsBranch() {
		return plumbing.NewRemoteReferenceName(gogit.DefaultRemoteName, ref.Short())
	}
	return ref
}

// Branch returns the branch the workspace pushes to.
func (w *Workspace) Branch() string { return w.branch }

// Commit stages exactly req.Files and commits them on the workspace's
// branch. It returns ErrNothingToCommit when they are unchanged, and
// refuses a commit that would touch anything else.
func (w *Workspace) Commit(req CommitRequest) (string, error) {
	wt, err := w.repo.Worktree()
	if err != nil {
		return "", err
	}
	for _, f := range req.Files {
		if _, err := wt.Add(f); err != nil {
			return "", fmt.Errorf("staging '%s': %w", f, err)
		}
	}
	head, err := w.repo.Head()
	if err != nil {
		return "", err
	}
	parent, err := w.repo.CommitObject(head.Hash())
	if err != nil {
		return "", err
	}
	hash, err := wt.Commit(req.Message, &gogit.CommitOptions{
		Author:            &object.Signature{Name: req.Author.Name, Email: req.Author.Email, When: req.Author.When},
		Committer:         &object.Signature{Name: req.Author.Name, Email: req.Author.Email, When: req.Author.When},
		SignKey:           req.SignKey,
		AllowEmptyCommits: true,
	})
	if err != nil {
		return "", fmt.Errorf("committing: %w", err)
	}
	c, err := w.repo.CommitObject(hash)
	if err != nil {
		return "", err
	}
	changed, err := changedPaths(parent, c)
	if err != nil {
		return "", err
	}
	if len(changed) == 0 {
		// Undo the empty commit: the branch stays at its parent.
		if err := w.repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName(w.branch), parent.Hash)); err != nil {
			return "", err
		}
		return "", ErrNothingToCommit
	}
	for _, p := range changed {
		if !slices.Contains(req.Files, p) {
			return "", fmt.Errorf("the commit would change '%s', which is not one of the files updated (%s): nothing was pushed", p, strings.Join(req.Files, ", "))
		}
	}
	return hash.String(), nil
}

// changedPaths lists the paths whose content differs between two commits.
func changedPaths(from, to *object.Commit) ([]string, error) {
	a, err := from.Tree()
	if err != nil {
		return nil, err
	}
	b, err := to.Tree()
	if err != nil {
		return nil, err
	}
	changes, err := a.Diff(b)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ch := range changes {
		for _, name := range []string{ch.From.Name, ch.To.Name} {
			if name != "" && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out, nil
}

// Push pushes the workspace's branch to the branch of the same name on
// origin, and also to refspec when it is set ("src:dst"), with git push
// options. It never forces: when the remote branch moved since the
// checkout, the error wraps ErrRemoteMoved.
func (w *Workspace) Push(ctx context.Context, refspec string, options map[string]string) error {
	ref := plumbing.NewBranchReferenceName(w.branch)
	specs := []config.RefSpec{config.RefSpec(fmt.Sprintf("%s:%s", ref, ref))}
	if refspec != "" {
		rs := config.RefSpec(refspec)
		if err := rs.Validate(); err != nil || rs.IsForceUpdate() || strings.Contains(refspec, "*") {
			return &scrubbedError{msg: fmt.Sprintf("invalid spec.git.push.refspec '%s': write 'refs/heads/<source>:refs/heads/<destination>' (no '+', no wildcard)", refspec), cause: ErrInvalidReference}
		}
		specs = append(specs, rs)
	}
	err := w.repo.PushContext(ctx, &gogit.PushOptions{
		RemoteName:      gogit.DefaultRemoteName,
		RefSpecs:        specs,
		Auth:            w.conn.auth,
		CABundle:        w.conn.ca,
		ClientCert:      w.conn.clientCert,
		ClientKey:       w.conn.clientKey,
		InsecureSkipTLS: w.conn.insecure,
		ProxyOptions:    w.conn.proxy,
		Options:         options,
	})
	if err == nil || errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return nil
	}
	if remoteMoved(err) {
		return &scrubbedError{msg: fmt.Sprintf("%s: the remote branch '%s' moved since the checkout (someone pushed): nothing was pushed; ferry tries again from a fresh checkout", w.prefix, w.branch), cause: ErrRemoteMoved}
	}
	return sanitize(err, w.prefix, w.secrets...)
}

// remoteMoved recognises a push refused because the remote reference is
// not where the checkout saw it: go-git's own check, or the server's.
func remoteMoved(err error) bool {
	if errors.Is(err, gogit.ErrNonFastForwardUpdate) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"non-fast-forward", "fetch first", "failed to update ref", "cannot lock ref", "stale info", "failed to lock"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// SigningKeyFromSecret reads the armored PGP private key of a Secret's
// data under git.asc, decrypted with passphrase when it is encrypted.
func SigningKeyFromSecret(data map[string][]byte) (*openpgp.Entity, error) {
	armored, ok := data[SigningKeyKey]
	if !ok || len(bytes.TrimSpace(armored)) == 0 {
		return nil, fmt.Errorf("no '%s' key: it must hold the ASCII-armored PGP private key (gpg --export-secret-keys --armor)", SigningKeyKey)
	}
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("'%s' is not an armored PGP key: %v", SigningKeyKey, err)
	}
	if len(ring) == 0 || ring[0].PrivateKey == nil {
		return nil, fmt.Errorf("'%s' holds no private key", SigningKeyKey)
	}
	e := ring[0]
	if e.PrivateKey.Encrypted {
		pass, ok := data[SigningPassphraseKey]
		if !ok {
			return nil, fmt.Errorf("the key of '%s' is encrypted and there is no '%s' key", SigningKeyKey, SigningPassphraseKey)
		}
		if err := e.DecryptPrivateKeys(pass); err != nil {
			return nil, fmt.Errorf("the '%s' does not decrypt the key of '%s'", SigningPassphraseKey, SigningKeyKey)
		}
	}
	if _, ok := e.SigningKey(time.Now()); !ok {
		return nil, fmt.Errorf("the key of '%s' cannot sign (no signing-capable key or subkey, or it expired)", SigningKeyKey)
	}
	return e, nil
}
