package repository

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	repo "helm.sh/helm/v4/pkg/repo/v1"
	"sigs.k8s.io/yaml"
)

// FetchIndex downloads <opts.URL>/index.yaml (at most MaxIndexSize bytes:
// more is an ErrTooLarge error), parses it as Helm does, sorts its entries
// (repo.IndexFile.SortEntries) and returns the normalized YAML to store and
// its revision, "sha256:<hex>" of those bytes, Flux's revision of a
// HelmRepository. Errors never hold the password or URL userinfo.
func FetchIndex(ctx context.Context, opts Options) (data []byte, revision string, err error) {
	if err := ValidateURL(opts.URL); err != nil {
		return nil, "", err
	}
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	if u.Scheme == "oci" {
		return nil, "", fmt.Errorf("%w '%s': an OCI repository has no index", ErrInvalidURL, opts.URL)
	}
	u = u.JoinPath("index.yaml")
	ctx, cancel := context.WithTimeout(ctx, opts.timeout())
	defer cancel()
	raw, err := get(ctx, opts, u, opts.maxIndexSize(), "index")
	if err != nil {
		return nil, "", redact(err, opts)
	}
	index, err := ParseIndex(raw)
	if err != nil {
		if looksLikeHTML(raw) {
			// The YAML or JSON error would only confuse.
			err = errors.New("the server answered with an HTML page, not an index: check that the URL is the chart repository's and that no login page or proxy answers in its place")
		}
		return nil, "", redact(fmt.Errorf("failed to load index from '%s': %w: %w", u.Redacted(), ErrInvalidIndex, err), opts)
	}
	data, revision, err = NormalizeIndex(index)
	if err != nil {
		return nil, "", err
	}
	return data, revision, nil
}

// looksLikeHTML reports whether data starts as an HTML document does.
func looksLikeHTML(data []byte) bool {
	start := bytes.ToLower(bytes.TrimSpace(data))
	return bytes.HasPrefix(start, []byte("<!doctype html")) || bytes.HasPrefix(start, []byte("<html"))
}

// NormalizeIndex sorts index's entries and returns its YAML and revision,
// "sha256:<hex>" of that YAML.
func NormalizeIndex(index *repo.IndexFile) (data []byte, revision string, err error) {
	index.SortEntries()
	data, err = yaml.Marshal(index)
	if err != nil {
		return nil, "", fmt.Errorf("failed to render index: %w", err)
	}
	sum := sha256.Sum256(data)
	return data, "sha256:" + hex.EncodeToString(sum[:]), nil
}

// ParseIndex parses a repository index (YAML or JSON) as Helm's
// repo.LoadIndexFile does, without its logging: entries that are empty or
// fail Helm's validation are dropped, entries are sorted newest first, and
// an index without apiVersion is an error.
func ParseIndex(data []byte) (*repo.IndexFile, error) {
	index := &repo.IndexFile{}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, repo.ErrEmptyIndexYaml
	}
	var err error
	if json.Valid(data) {
		err = json.Unmarshal(data, index)
	} else {
		err = yaml.UnmarshalStrict(data, index)
	}
	if err != nil {
		return nil, err
	}
	for name, versions := range index.Entries {
		kept := versions[:0]
		for _, v := range versions {
			if v == nil {
				continue
			}
			if v.Metadata == nil {
				v.Metadata = &chart.Metadata{}
			}
			if v.APIVersion == "" {
				v.APIVersion = chart.APIVersionV1
			}
			if err := v.Validate(); err != nil && !skippable(err) {
				continue
			}
			kept = append(kept, v)
		}
		index.Entries[name] = kept
	}
	if index.Entries == nil {
		index.Entries = map[string]repo.ChartVersions{}
	}
	index.SortEntries()
	if index.APIVersion == "" {
		return nil, repo.ErrNoAPIVersion
	}
	return index, nil
}

// skippable reports whether a validation error is one Helm ignores when
// loading an index (helm/helm#12748: JFrog strips dependency aliases).
func skippable(err error) bool {
	var verr chart.ValidationError
	return errors.As(err, &verr) && bytes.HasPrefix([]byte(verr.Error()), []byte("validation: more than one dependency with name or alias"))
}
