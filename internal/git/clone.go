package git

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

// CloneOptions says what to fetch and how. The reference fields take
// precedence as in Flux: Commit, then RefName, then SemVer, then Tag, then
// Branch.
type CloneOptions struct {
	// URL is the http, https or ssh URL of the repository.
	URL string
	// Branch is the branch to check out. When Commit is set too, the
	// commit must be on this branch. When no reference field is set,
	// "master" is used, as Flux does.
	Branch string
	// Tag is the tag to check out instead of a branch.
	Tag string
	// SemVer is a Masterminds semver range; the highest tag matching it is
	// checked out.
	SemVer string
	// RefName is any full reference, e.g. "refs/pull/1/head". Its
	// revision keeps the full name: "refs/pull/1/head@sha1:<hex>".
	RefName string
	// Commit is the full SHA-1 of the commit to check out.
	Commit string
	// Auth holds credentials, CAs and client certificates; nil for
	// anonymous access (not possible over ssh, which needs known_hosts).
	Auth *Auth
	// Proxy, when set, is used to reach http(s) remotes.
	Proxy *Proxy
	// InsecureSkipTLS disables certificate verification for https.
	InsecureSkipTLS bool
	// SparseCheckout limits the checkout to these directories.
	SparseCheckout []string
	// RecurseSubmodules also checks out the submodules, recursively.
	RecurseSubmodules bool
}

// Proxy is an HTTP proxy and its optional credentials.
type Proxy struct {
	// Address is the URL of the proxy, e.g. "http://proxy:3128".
	Address  string
	Username string
	Password string
}

// String describes p without its password.
func (p Proxy) String() string { return RedactURL(p.Address) }

// GoString is String, so %#v cannot reveal the password either.
func (p Proxy) GoString() string { return p.String() }

func (p *Proxy) options() transport.ProxyOptions {
	if p == nil {
		return transport.ProxyOptions{}
	}
	return transport.ProxyOptions{URL: p.Address, Username: p.Username, Password: p.Password}
}

// DefaultBranch is the branch fetched when CloneOptions names none, as in Flux.
const DefaultBranch = "master"

// referenceName returns the full name of the reference o asks for by name
// (not for SemVer or a bare Commit).
func (o CloneOptions) referenceName() plumbing.ReferenceName {
	switch {
	case o.RefName != "":
		return plumbing.ReferenceName(o.RefName)
	case o.Tag != "":
		return plumbing.NewTagReferenceName(o.Tag)
	case o.Branch != "":
		return plumbing.NewBranchReferenceName(o.Branch)
	}
	return plumbing.NewBranchReferenceName(DefaultBranch)
}

// secrets returns every secret value of o.
func (o CloneOptions) secrets() []string {
	s := o.Auth.secrets()
	if o.Proxy != nil {
		s = append(s, o.Proxy.Password)
	}
	return s
}

// Commit is the commit a Clone checked out.
type Commit struct {
	// Hash is the full hexadecimal SHA-1 of the commit.
	Hash string
	// Reference is the full name of the reference that was checked out,
	// e.g. "refs/heads/main"; "" for a commit checked out by hash alone.
	Reference string
	// AbsoluteReference makes Revision keep the full reference name, as
	// Flux does for spec.ref.name.
	AbsoluteReference bool
	// Message is the commit message.
	Message string
	// Author is "Name <email>" of the commit author.
	Author string
}

// Revision returns the commit in Flux's revision format,
// "<branch or tag>@sha1:<hex>" (e.g. "main@sha1:1f0c..."), the full
// reference for spec.ref.name ("refs/pull/1/head@sha1:..."), or
// "sha1:<hex>" for a commit without a reference.
func (c *Commit) Revision() string {
	if c.AbsoluteReference && c.Reference != "" {
		return c.Reference + "@sha1:" + c.Hash
	}
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

// target is what a clone fetches and checks out.
type target struct {
	// ref is the full reference fetched; "" to fetch every branch and tag.
	ref plumbing.ReferenceName
	// hash is the commit to check out; zero for the fetched head of ref.
	hash plumbing.Hash
	// shallow fetches only the tip of ref.
	shallow bool
	// commit carries the reference fields of the result.
	commit Commit
}

// connection is the transport configuration shared by ls-remote, fetch and
// submodule updates.
type connection struct {
	auth       transport.AuthMethod
	ca         []byte
	clientCert []byte
	clientKey  []byte
	insecure   bool
	proxy      transport.ProxyOptions
}

func (o CloneOptions) connection() (*connection, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, ValidateURL(o.URL)
	}
	c := &connection{ca: o.Auth.caBundle(), insecure: o.InsecureSkipTLS, proxy: o.Proxy.options()}
	c.clientCert, c.clientKey = o.Auth.clientCert()
	if strings.EqualFold(u.Scheme, "ssh") {
		c.auth, err = o.Auth.sshMethod(u)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	c.auth = o.Auth.httpMethod()
	return c, nil
}

// Clone checks out the reference in opts into dir, which must be empty or
// not exist, and returns the checked-out commit. Branches, tags and named
// references are fetched shallow (their tip only); a commit is fetched with
// the history of its branch (or of every branch and tag without one).
// Errors are prefixed with "unable to clone '<redacted url>'" and never
// contain credentials.
func Clone(ctx context.Context, dir string, opts CloneOptions) (*Commit, error) {
	if err := ValidateURL(opts.URL); err != nil {
		return nil, err
	}
	prefix := fmt.Sprintf("unable to clone '%s'", RedactURL(opts.URL))
	secrets := opts.secrets()
	fail := func(err error, what string) error {
		return sanitize(err, prefix+what+interrupted(ctx, err), secrets...)
	}
	conn, err := opts.connection()
	if err != nil {
		return nil, prefixed(err, prefix)
	}
	t, err := resolve(ctx, opts, conn)
	if err != nil {
		return nil, prefixed(err, prefix+interrupted(ctx, err))
	}

	repo, err := gogit.PlainInit(dir, false)
	if err != nil {
		return nil, fail(err, "")
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: gogit.DefaultRemoteName, URLs: []string{opts.URL}}); err != nil {
		return nil, fail(err, "")
	}
	refSpecs := []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"}
	if t.ref != "" {
		refSpecs = []config.RefSpec{config.RefSpec(fmt.Sprintf("+%s:%s", t.ref, t.ref))}
	}
	fetch := &gogit.FetchOptions{
		RemoteName:      gogit.DefaultRemoteName,
		RefSpecs:        refSpecs,
		Auth:            conn.auth,
		Tags:            gogit.NoTags,
		CABundle:        conn.ca,
		ClientCert:      conn.clientCert,
		ClientKey:       conn.clientKey,
		InsecureSkipTLS: conn.insecure,
		ProxyOptions:    conn.proxy,
	}
	if t.shallow {
		fetch.Depth = 1
	}
	if err := repo.FetchContext(ctx, fetch); err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return nil, fail(err, "")
	}

	hash := t.hash
	if hash.IsZero() || t.shallow {
		// Check out what was fetched, which may be newer than what the
		// ref pointed to when it was listed.
		ref, err := repo.Reference(t.ref, true)
		if err != nil {
			return nil, fail(err, fmt.Sprintf(": cannot resolve '%s'", t.ref))
		}
		hash = ref.Hash()
	}
	c, err := commitObject(repo, hash)
	if err != nil {
		if t.ref != "" && !t.hash.IsZero() && !t.shallow {
			return nil, &scrubbedError{msg: fmt.Sprintf("%s: unable to resolve commit object for '%s' on '%s': %s",
				prefix, t.hash, t.ref.Short(), err), cause: plumbing.ErrReferenceNotFound}
		}
		return nil, &scrubbedError{msg: fmt.Sprintf("%s: unable to resolve commit object for '%s': %s", prefix, hash, err),
			cause: plumbing.ErrReferenceNotFound}
	}

	w, err := repo.Worktree()
	if err != nil {
		return nil, fail(err, "")
	}
	sparse, err := sparseDirectories(opts.SparseCheckout, c)
	if err != nil {
		return nil, prefixed(err, prefix)
	}
	if err := w.Checkout(&gogit.CheckoutOptions{Hash: c.Hash, Force: true, SparseCheckoutDirectories: sparse}); err != nil {
		return nil, fail(err, fmt.Sprintf(": cannot check out %s", c.Hash))
	}
	if opts.RecurseSubmodules {
		subs, err := w.Submodules()
		if err == nil {
			err = subs.UpdateContext(ctx, &gogit.SubmoduleUpdateOptions{
				Init:              true,
				RecurseSubmodules: gogit.DefaultSubmoduleRecursionDepth,
				Auth:              conn.auth,
			})
		}
		if err != nil {
			return nil, fail(err, ": cannot update submodules")
		}
	}

	result := t.commit
	result.Hash = c.Hash.String()
	result.Message = c.Message
	result.Author = fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email)
	return &result, nil
}

// sparseDirectories cleans the directories of a sparse checkout ("./deploy/"
// becomes "deploy") and checks that each is a directory of commit c.
func sparseDirectories(dirs []string, c *object.Commit) ([]string, error) {
	if len(dirs) == 0 {
		return nil, nil
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, sanitize(err, fmt.Sprintf("cannot read the tree of %s", c.Hash))
	}
	out := make([]string, 0, len(dirs))
	for _, d := range dirs {
		clean := strings.Trim(path.Clean("/"+strings.TrimSpace(d)), "/")
		if clean == "" {
			// The root: the whole tree, as without a sparse checkout.
			return nil, nil
		}
		if _, err := tree.Tree(clean); err != nil {
			return nil, &scrubbedError{msg: fmt.Sprintf("sparse checkout directory '%s' does not exist in commit %s", d, c.Hash),
				cause: plumbing.ErrObjectNotFound}
		}
		out = append(out, clean)
	}
	return out, nil
}

// commitObject returns the commit hash names, peeling an annotated tag.
func commitObject(repo *gogit.Repository, hash plumbing.Hash) (*object.Commit, error) {
	if tag, err := repo.TagObject(hash); err == nil {
		return tag.Commit()
	}
	return repo.CommitObject(hash)
}

// prefixed puts prefix before the message of an error of this package.
func prefixed(err error, prefix string) error {
	var se *scrubbedError
	if errors.As(err, &se) {
		return &scrubbedError{msg: prefix + ": " + se.msg, cause: se.cause}
	}
	return sanitize(err, prefix)
}

// RemoteRevision asks the remote which commit the reference in opts points
// to, without fetching any objects, and returns it in the format of
// Commit.Revision. Annotated tags resolve to the commit they point to; a
// SemVer range resolves to its highest matching tag. A Commit needs no
// remote: its revision is known from opts alone.
func RemoteRevision(ctx context.Context, opts CloneOptions) (string, error) {
	if err := ValidateURL(opts.URL); err != nil {
		return "", err
	}
	prefix := fmt.Sprintf("unable to list references of '%s'", RedactURL(opts.URL))
	conn, err := opts.connection()
	if err != nil {
		return "", prefixed(err, prefix)
	}
	t, err := resolve(ctx, opts, conn)
	if err != nil {
		return "", prefixed(err, prefix+interrupted(ctx, err))
	}
	c := t.commit
	c.Hash = t.hash.String()
	return c.Revision(), nil
}

// resolve turns the reference fields of opts into a target, listing the
// remote's references unless a commit is asked for.
func resolve(ctx context.Context, opts CloneOptions, conn *connection) (*target, error) {
	if opts.Commit != "" {
		if !plumbing.IsHash(opts.Commit) {
			return nil, &scrubbedError{msg: fmt.Sprintf("invalid commit '%s': not a full SHA-1", opts.Commit), cause: ErrInvalidReference}
		}
		t := &target{hash: plumbing.NewHash(opts.Commit)}
		if opts.Branch != "" {
			t.ref = plumbing.NewBranchReferenceName(opts.Branch)
			t.commit.Reference = t.ref.String()
		}
		return t, nil
	}
	refs, err := listRefs(ctx, opts, conn)
	if err != nil {
		return nil, err
	}
	if opts.RefName == "" && opts.SemVer != "" {
		name, hash, err := highestSemVerTag(refs, opts.SemVer)
		if err != nil {
			return nil, err
		}
		return &target{ref: name, hash: hash, shallow: true, commit: Commit{Reference: name.String()}}, nil
	}
	want := opts.referenceName()
	hash, found := refs[want.String()]
	if !found {
		return nil, &scrubbedError{msg: fmt.Sprintf("couldn't find remote ref %q", want.String()), cause: plumbing.ErrReferenceNotFound}
	}
	return &target{ref: want, hash: hash, shallow: true,
		commit: Commit{Reference: want.String(), AbsoluteReference: opts.RefName != ""}}, nil
}

// listRefs lists the remote's references; annotated tags map to the
// commit they point to.
func listRefs(ctx context.Context, opts CloneOptions, conn *connection) (map[string]plumbing.Hash, error) {
	remote := gogit.NewRemote(memory.NewStorage(), &config.RemoteConfig{
		Name: gogit.DefaultRemoteName,
		URLs: []string{opts.URL},
	})
	refs, err := remote.ListContext(ctx, &gogit.ListOptions{
		Auth:            conn.auth,
		CABundle:        conn.ca,
		ClientCert:      conn.clientCert,
		ClientKey:       conn.clientKey,
		InsecureSkipTLS: conn.insecure,
		ProxyOptions:    conn.proxy,
		PeelingOption:   gogit.AppendPeeled,
	})
	if err != nil {
		if notGitProtocol(err) {
			err = fmt.Errorf("%w: %s", err, notGitProtocolHint)
		}
		return nil, sanitize(err, "", opts.secrets()...)
	}
	hashes := make(map[string]plumbing.Hash, len(refs))
	for _, r := range refs {
		if r.Type() == plumbing.HashReference {
			hashes[r.Name().String()] = r.Hash()
		}
	}
	// The peeled commit of an annotated tag wins over the tag object.
	for name, hash := range hashes {
		if base, ok := strings.CutSuffix(name, "^{}"); ok {
			hashes[base] = hash
			delete(hashes, name)
		}
	}
	return hashes, nil
}

// interrupted says why an operation under ctx failed when ctx ended
// (": timed out", ": canceled"), else "". go-git does not always wrap the
// context's error, so ctx itself is asked.
func interrupted(ctx context.Context, err error) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return ": timed out"
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return ": canceled"
	}
	return ""
}

// notGitProtocolHint follows a reference listing that did not decode:
// what answered was not a Git server.
const notGitProtocolHint = "the server did not answer with the Git protocol: " +
	"check that the URL is the repository's clone URL and that no login page or proxy answers in its place"

// notGitProtocol reports whether err is a reference listing that did not
// decode as pkt-lines: an HTML page, JSON or an empty body with status 200.
func notGitProtocol(err error) bool {
	var unexpected *packp.ErrUnexpectedData
	return errors.Is(err, pktline.ErrInvalidPktLen) || errors.Is(err, packp.ErrEmptyInput) || errors.As(err, &unexpected)
}
