package git

import (
	"context"
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"
)

// CloneOptions says what to fetch and how.
type CloneOptions struct {
	// URL is the http or https URL of the repository.
	URL string
	// Branch is the branch to check out. Ignored when Tag is set; when both
	// are empty, "master" is used, as Flux does.
	Branch string
	// Tag is the tag to check out instead of a branch.
	Tag string
	// Auth holds credentials and extra CAs; nil for anonymous access.
	Auth *Auth
	// InsecureSkipTLS disables certificate verification for https.
	InsecureSkipTLS bool
}

// DefaultBranch is the branch fetched when CloneOptions names none, as in Flux.
const DefaultBranch = "master"

// referenceName returns the full name of the reference o asks for.
func (o CloneOptions) referenceName() plumbing.ReferenceName {
	if o.Tag != "" {
		return plumbing.NewTagReferenceName(o.Tag)
	}
	if o.Branch != "" {
		return plumbing.NewBranchReferenceName(o.Branch)
	}
	return plumbing.NewBranchReferenceName(DefaultBranch)
}

// describe names the reference for messages: "branch 'main'" or "tag 'v1'".
func (o CloneOptions) describe() string {
	ref := o.referenceName()
	if ref.IsTag() {
		return fmt.Sprintf("tag '%s'", ref.Short())
	}
	return fmt.Sprintf("branch '%s'", ref.Short())
}

// Commit is the commit a Clone checked out.
type Commit struct {
	// Hash is the full hexadecimal SHA-1 of the commit.
	Hash string
	// Reference is the full name of the reference that was checked out,
	// e.g. "refs/heads/main".
	Reference string
	// Message is the commit message.
	Message string
	// Author is "Name <email>" of the commit author.
	Author string
}

// Revision returns the commit in Flux's revision format,
// "<branch or tag>@sha1:<hex>" (e.g. "main@sha1:1f0c...").
func (c *Commit) Revision() string {
	return Revision(c.Reference, c.Hash)
}

// Revision formats a reference (full or short name, or "" for none) and a
// commit hash as Flux does: "main@sha1:<hex>", or "sha1:<hex>" without a
// reference.
func Revision(reference, hash string) string {
	if reference == "" {
		return "sha1:" + hash
	}
	return plumbing.ReferenceName(reference).Short() + "@sha1:" + hash
}

// Clone makes a shallow checkout of the branch or tag in opts into dir, which
// must be empty or not exist, and returns the checked-out commit. Errors are
// prefixed with "unable to clone '<redacted url>'" and never contain
// credentials.
func Clone(ctx context.Context, dir string, opts CloneOptions) (*Commit, error) {
	if err := ValidateURL(opts.URL); err != nil {
		return nil, err
	}
	prefix := fmt.Sprintf("unable to clone '%s'", RedactURL(opts.URL))
	secrets := opts.Auth.secrets()
	ref := opts.referenceName()
	repo, err := gogit.PlainCloneContext(ctx, dir, false, &gogit.CloneOptions{
		URL:             opts.URL,
		Auth:            opts.Auth.method(),
		RemoteName:      gogit.DefaultRemoteName,
		ReferenceName:   ref,
		SingleBranch:    true,
		Depth:           1,
		Tags:            gogit.NoTags,
		CABundle:        opts.Auth.caBundle(),
		InsecureSkipTLS: opts.InsecureSkipTLS,
	})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return nil, sanitize(err, prefix+": timed out or canceled", secrets...)
		}
		return nil, sanitize(err, prefix, secrets...)
	}
	head, err := repo.Head()
	if err != nil {
		return nil, sanitize(err, prefix+": cannot resolve HEAD", secrets...)
	}
	c, err := repo.CommitObject(head.Hash())
	if err != nil {
		return nil, sanitize(err, fmt.Sprintf("%s: cannot read commit %s", prefix, head.Hash()), secrets...)
	}
	return &Commit{
		Hash:      c.Hash.String(),
		Reference: ref.String(),
		Message:   c.Message,
		Author:    fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email),
	}, nil
}

// RemoteRevision asks the remote which commit the branch or tag in opts
// points to, without fetching any objects, and returns it in the format of
// Commit.Revision. Annotated tags resolve to the commit they point to.
func RemoteRevision(ctx context.Context, opts CloneOptions) (string, error) {
	if err := ValidateURL(opts.URL); err != nil {
		return "", err
	}
	prefix := fmt.Sprintf("unable to list references of '%s'", RedactURL(opts.URL))
	secrets := opts.Auth.secrets()
	remote := gogit.NewRemote(memory.NewStorage(), &config.RemoteConfig{
		Name: gogit.DefaultRemoteName,
		URLs: []string{opts.URL},
	})
	refs, err := remote.ListContext(ctx, &gogit.ListOptions{
		Auth:            opts.Auth.method(),
		CABundle:        opts.Auth.caBundle(),
		InsecureSkipTLS: opts.InsecureSkipTLS,
		PeelingOption:   gogit.AppendPeeled,
	})
	if err != nil {
		return "", sanitize(err, prefix, secrets...)
	}
	want := opts.referenceName()
	hashes := make(map[string]plumbing.Hash, len(refs))
	for _, r := range refs {
		if r.Type() == plumbing.HashReference {
			hashes[r.Name().String()] = r.Hash()
		}
	}
	// The peeled commit of an annotated tag wins over the tag object.
	hash, found := hashes[want.String()+"^{}"]
	if !found {
		hash, found = hashes[want.String()]
	}
	if !found {
		return "", &scrubbedError{
			msg:   fmt.Sprintf("%s: couldn't find remote ref %q", prefix, want.String()),
			cause: plumbing.ErrReferenceNotFound,
		}
	}
	return Revision(want.String(), hash.String()), nil
}
