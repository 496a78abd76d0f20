package oci

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The annotations `flux push artifact` sets on an artifact's manifest.
const (
	SourceAnnotation   = "org.opencontainers.image.source"
	RevisionAnnotation = "org.opencontainers.image.revision"
	CreatedAnnotation  = "org.opencontainers.image.created"
)

// ReproducibleCreated is the created annotation of `flux push artifact
// --reproducible`: the Unix epoch, so the same input gives the same digest.
const ReproducibleCreated = "1970-01-01T00:00:00Z"

// validTag is what the OCI distribution spec allows as a tag.
var validTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// ArtifactURL is a parsed oci://<registry>/<repository>[:<tag>|@<digest>].
type ArtifactURL struct {
	Repository name.Repository
	// Tag and Digest are the URL's reference; at most one is set.
	Tag, Digest string
}

// ParseArtifactURL parses the URL of an artifact, as the flux CLI takes
// it: oci://, a registry, a repository, and optionally a tag or a digest.
// Credentials in the URL are refused without being repeated; insecure lets
// the registry be reached over plain HTTP.
func ParseArtifactURL(rawURL string, insecure bool) (ArtifactURL, error) {
	if !strings.HasPrefix(rawURL, Prefix) {
		return ArtifactURL{}, fmt.Errorf("%w '%s': the URL must start with %s", ErrInvalidURL, redactURL(rawURL), Prefix)
	}
	raw := strings.TrimPrefix(rawURL, Prefix)
	host, rest, _ := strings.Cut(raw, "/")
	if strings.Contains(host, "@") {
		return ArtifactURL{}, fmt.Errorf("%w '%s': credentials do not belong in the URL: pass --creds or sign in with docker login", ErrInvalidURL, redactURL(rawURL))
	}
	if host == "" || rest == "" || strings.ContainsAny(raw, " \t\n?#") {
		return ArtifactURL{}, fmt.Errorf("%w '%s': want oci://<registry>/<repository>[:<tag>]", ErrInvalidURL, rawURL)
	}
	var u ArtifactURL
	repo := raw
	if i := strings.Index(raw, "@"); i >= 0 {
		repo, u.Digest = raw[:i], raw[i+1:]
		if _, err := v1.NewHash(u.Digest); err != nil {
			return ArtifactURL{}, fmt.Errorf("%w '%s': digest '%s': %v", ErrInvalidURL, rawURL, u.Digest, err)
		}
	} else if i := strings.LastIndex(raw, ":"); i > strings.LastIndex(raw, "/") {
		repo, u.Tag = raw[:i], raw[i+1:]
		if !validTag.MatchString(u.Tag) {
			return ArtifactURL{}, fmt.Errorf("%w '%s': tag '%s' is not a valid OCI tag", ErrInvalidURL, rawURL, u.Tag)
		}
	}
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.NewRepository(strings.TrimSuffix(repo, "/"), append(opts, name.StrictValidation)...)
	if err == nil {
		err = checkComponents(r)
	}
	if err != nil {
		return ArtifactURL{}, fmt.Errorf("%w '%s': %v", ErrInvalidURL, rawURL, err)
	}
	u.Repository = r
	return u, nil
}

// Reference is the digest of u, else its tag, else "latest".
func (u ArtifactURL) Reference() name.Reference {
	if u.Digest != "" {
		return u.Repository.Digest(u.Digest)
	}
	return u.Repository.Tag(u.TagOrLatest())
}

// TagOrLatest is u's tag, "latest" when it has none.
func (u ArtifactURL) TagOrLatest() string {
	if u.Tag == "" {
		return "latest"
	}
	return u.Tag
}

// Ref is u as what Resolve takes.
func (u ArtifactURL) Ref() Ref {
	if u.Digest != "" {
		return Ref{Digest: u.Digest}
	}
	return Ref{Tag: u.TagOrLatest()}
}

// CredentialsKeychain returns a keychain that answers every registry with
// creds, "<username>[:<password>]" as the flux CLI's --creds takes them.
func CredentialsKeychain(creds string) (authn.Keychain, error) {
	user, pass, _ := strings.Cut(creds, ":")
	if user == "" {
		return nil, fmt.Errorf("credentials must be '<username>[:<password>]'")
	}
	return staticKeychain{authn.FromConfig(authn.AuthConfig{Username: user, Password: pass})}, nil
}

type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

// Manifest reads the manifest of ref, and its digest.
func (c *Client) Manifest(ctx context.Context, ref name.Reference) (*v1.Manifest, v1.Hash, error) {
	desc, err := remote.Get(ref, c.Remote(ctx)...)
	if err != nil {
		return nil, v1.Hash{}, Classify(fmt.Sprintf("failed to read the manifest of '%s'", ref), err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, v1.Hash{}, fmt.Errorf("the manifest of '%s': %w", ref, err)
	}
	return m, desc.Digest, nil
}

// Tags lists the tags of repo.
func (c *Client) Tags(ctx context.Context, repo name.Repository) ([]string, error) {
	tags, err := remote.List(repo, c.Remote(ctx)...)
	if err != nil {
		return nil, Classify(fmt.Sprintf("failed to list the tags of '%s'", repo), err)
	}
	return tags, nil
}

// Tag points the tag to at the manifest of from and returns its digest.
func (c *Client) Tag(ctx context.Context, from name.Reference, to name.Tag) (v1.Hash, error) {
	desc, err := remote.Get(from, c.Remote(ctx)...)
	if err != nil {
		return v1.Hash{}, Classify(fmt.Sprintf("failed to read the manifest of '%s'", from), err)
	}
	if err := remote.Tag(to, desc, c.Remote(ctx)...); err != nil {
		return v1.Hash{}, Classify(fmt.Sprintf("failed to tag '%s' as '%s'", from, to.TagStr()), err)
	}
	return desc.Digest, nil
}
