package bucket

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/s3"
)

// index maps the object keys that go into the artifact to their ETags.
type index map[string]string

// revision is Flux's revision of a Bucket: the SHA-256 of the sorted
// "<key> <etag>\n" lines of the index, as "sha256:<hex>".
func (ix index) revision() string {
	keys := make([]string, 0, len(ix))
	for k := range ix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s %s\n", k, ix[k])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// ignoreMatcher is Flux's matcher of a Bucket's keys: the patterns of the
// .sourceignore object at the bucket's root, then spec.ignore, later
// patterns winning ("!" re-includes). Unlike a Git checkout's, no default
// exclusions apply, as in Flux.
func ignoreMatcher(sourceignore string, spec *string) gitignore.Matcher {
	ps := artifact.ReadPatterns(strings.NewReader(sourceignore), nil)
	if spec != nil {
		ps = append(ps, artifact.ReadPatterns(strings.NewReader(*spec), nil)...)
	}
	return gitignore.NewMatcher(ps)
}

// unsafeKey reports why key cannot be written below the artifact's root
// as the path it names, or "" when it can.
func unsafeKey(key string) string {
	switch {
	case strings.ContainsRune(key, '\\'):
		return "it holds a backslash"
	case strings.ContainsRune(key, 0):
		return "it holds a NUL"
	case strings.HasPrefix(key, "/"):
		return "it is absolute"
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "..":
			return "it climbs out of the artifact with '..'"
		case ".", "":
			return "it is not a clean path ('.' or empty segments)"
		}
	}
	return ""
}

// buildIndex keeps the listed objects the matcher does not exclude
// (and not the root .sourceignore), and returns them with their total
// size. Every kept key must be safe: the first unsafe ones are named in
// the error, and nothing is to be downloaded then.
func buildIndex(bucket string, objs []s3.Object, m gitignore.Matcher) (index, int64, error) {
	ix := index{}
	var total int64
	var refused []string
	for _, o := range objs {
		if o.Key == artifact.IgnoreFile || m.Match(strings.Split(o.Key, "/"), false) {
			continue
		}
		if why := unsafeKey(o.Key); why != "" {
			if len(refused) < 3 {
				refused = append(refused, fmt.Sprintf("'%s' (%s)", o.Key, why))
			} else {
				refused = append(refused[:3], "…")
			}
			continue
		}
		ix[o.Key] = o.ETag
		total += o.Size
	}
	if len(refused) > 0 {
		return nil, 0, fmt.Errorf("refusing object keys of bucket '%s' that do not name a path inside the artifact: %s; nothing was downloaded: rename or delete them, or leave them out with spec.prefix or spec.ignore",
			bucket, strings.Join(refused, ", "))
	}
	return ix, total, nil
}
