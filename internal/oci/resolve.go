package oci

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ErrInvalidReference is a reference that cannot resolve whatever the
// registry holds: a malformed digest, semver range or filter.
var ErrInvalidReference = errors.New("invalid OCI reference")

// Ref is what to pull from a repository, with Flux's precedence: Digest,
// then SemVer (with SemverFilter), then Tag ("latest" when all are empty).
type Ref struct {
	Digest, SemVer, SemverFilter, Tag string
}

// Resolved is a reference resolved to a manifest digest.
type Resolved struct {
	// Tag is the tag it was resolved from; "" for a digest.
	Tag string
	// Digest is the manifest's digest.
	Digest v1.Hash
}

// Revision is Flux's revision of an OCI artifact: "<tag>@sha256:<hex>",
// or "sha256:<hex>" for a digest reference.
func (r Resolved) Revision() string {
	if r.Tag == "" {
		return r.Digest.String()
	}
	return r.Tag + "@" + r.Digest.String()
}

// Resolve turns ref into a manifest digest: a digest needs no request, a
// tag one HEAD of its manifest, a semver range the tag list and a HEAD.
func (c *Client) Resolve(ctx context.Context, repo name.Repository, ref Ref) (Resolved, error) {
	if ref.Digest != "" {
		h, err := v1.NewHash(ref.Digest)
		if err != nil {
			return Resolved{}, fmt.Errorf("%w: digest '%s': %v", ErrInvalidReference, ref.Digest, err)
		}
		return Resolved{Digest: h}, nil
	}
	tag := ref.Tag
	if ref.SemVer != "" {
		tags, err := remote.List(repo, c.Remote(ctx)...)
		if err != nil {
			return Resolved{}, Classify(fmt.Sprintf("failed to list the tags of '%s'", repo), err)
		}
		if tag, err = HighestSemVer(tags, ref.SemVer, ref.SemverFilter); err != nil {
			return Resolved{}, err
		}
	}
	if tag == "" {
		tag = "latest"
	}
	t := repo.Tag(tag)
	desc, err := remote.Head(t, c.Remote(ctx)...)
	if err != nil {
		return Resolved{}, Classify(fmt.Sprintf("failed to determine the digest of '%s'", t), err)
	}
	return Resolved{Tag: tag, Digest: desc.Digest}, nil
}

// HighestSemVer returns the tag with the highest version in the
// Masterminds semver range rng among tags, considering only tags that
// match filter (a regular expression) when it is set. Tags that are not
// versions are ignored; of two tags of one version ("v1.0.0", "1.0.0") the
// one sorting last by name wins.
func HighestSemVer(tags []string, rng, filter string) (string, error) {
	constraint, err := semver.NewConstraint(rng)
	if err != nil {
		return "", fmt.Errorf("%w: semver range '%s': %v", ErrInvalidReference, rng, err)
	}
	var re *regexp.Regexp
	if filter != "" {
		if re, err = regexp.Compile(filter); err != nil {
			return "", fmt.Errorf("%w: semverFilter '%s': %v", ErrInvalidReference, filter, err)
		}
	}
	type candidate struct {
		tag     string
		version *semver.Version
	}
	var found []candidate
	for _, t := range tags {
		if re != nil && !re.MatchString(t) {
			continue
		}
		v, err := semver.NewVersion(t)
		if err != nil || !constraint.Check(v) {
			continue
		}
		found = append(found, candidate{t, v})
	}
	if len(found) == 0 {
		return "", fmt.Errorf("no tag matches semver range '%s'%s among %d tags", rng, filterNote(filter), len(tags))
	}
	sort.Slice(found, func(i, j int) bool {
		if c := found[i].version.Compare(found[j].version); c != 0 {
			return c < 0
		}
		return strings.Compare(found[i].tag, found[j].tag) < 0
	})
	return found[len(found)-1].tag, nil
}

func filterNote(filter string) string {
	if filter == "" {
		return ""
	}
	return fmt.Sprintf(" and filter '%s'", filter)
}
