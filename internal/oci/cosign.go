package oci

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Cosign's signature scheme with a key pair (`cosign sign --key`): the
// signatures of manifest sha256:<hex> are the layers of the manifest
// tagged sha256-<hex>.sig in the same repository. Each layer is a simple
// signing payload naming the signed digest, its signature in an
// annotation.
const (
	CosignPayloadMediaType types.MediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	cosignSignatureKey                     = "dev.cosignproject.cosign/signature"
	// CosignKeySuffix is the suffix of the public keys in a
	// verify.secretRef Secret, as Flux reads them.
	CosignKeySuffix = ".pub"
	// maxCosignPayload bounds a signature payload; cosign's are a few
	// hundred bytes.
	maxCosignPayload = 64 << 10
	// maxCosignSignatures bounds the signatures checked per artifact.
	maxCosignSignatures = 64
)

// ErrNotVerified is an artifact with no signature that verifies: none,
// none by a trusted key, or one for another digest.
var ErrNotVerified = errors.New("no matching signatures")

// PublicKey is a trusted cosign public key and the name it was read under.
type PublicKey struct {
	Name     string
	verifier signature.Verifier
}

// PublicKeys reads the cosign public keys (PEM, the *.pub keys) of a
// Secret's data, sorted by name. A Secret with none, or a key that is not
// a public key, is an error naming it.
func PublicKeys(data map[string][]byte) ([]PublicKey, error) {
	var keys []PublicKey
	for k, v := range data {
		if !strings.HasSuffix(k, CosignKeySuffix) {
			continue
		}
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(v)
		if err != nil {
			return nil, fmt.Errorf("key '%s' is not a PEM public key: %w", k, err)
		}
		verifier, err := signature.LoadVerifier(pub, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("key '%s': %w", k, err)
		}
		keys = append(keys, PublicKey{Name: k, verifier: verifier})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no '*%s' key with a cosign public key", CosignKeySuffix)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Name < keys[j].Name })
	return keys, nil
}

// CosignSignatureTag is the tag cosign stores the signatures of digest
// under.
func CosignSignatureTag(digest v1.Hash) string {
	return digest.Algorithm + "-" + digest.Hex + ".sig"
}

// VerifyCosign checks that the manifest digest in repo carries a cosign
// signature by one of keys whose payload names that digest, and returns
// the key's name. It reads the signature manifest and its payloads.
func (c *Client) VerifyCosign(ctx context.Context, repo name.Repository, digest v1.Hash, keys []PublicKey) (string, error) {
	signed := repo.Digest(digest.String())
	tag := repo.Tag(CosignSignatureTag(digest))
	img, err := remote.Image(tag, c.Remote(ctx)...)
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == 404 {
			return "", fmt.Errorf("%w: '%s' is not signed (no signature manifest at tag '%s')", ErrNotVerified, signed, tag.TagStr())
		}
		return "", Classify(fmt.Sprintf("failed to get the signatures of '%s'", signed), err)
	}
	m, err := img.Manifest()
	if err != nil {
		return "", Classify(fmt.Sprintf("failed to read the signature manifest '%s'", tag), err)
	}
	checked, otherDigest := 0, ""
	for _, l := range m.Layers {
		if l.MediaType != CosignPayloadMediaType {
			continue
		}
		if checked++; checked > maxCosignSignatures {
			break
		}
		sig, err := base64.StdEncoding.DecodeString(l.Annotations[cosignSignatureKey])
		if err != nil || len(sig) == 0 {
			continue
		}
		if l.Size > maxCosignPayload {
			continue
		}
		body, err := readPayload(img, l.Digest)
		if err != nil {
			return "", Classify(fmt.Sprintf("failed to read signature payload %s of '%s'", l.Digest, signed), err)
		}
		for _, k := range keys {
			if k.verifier.VerifySignature(bytes.NewReader(sig), bytes.NewReader(body)) != nil {
				continue
			}
			// A valid signature counts only for the digest it names: a
			// signature copied from another artifact is refused.
			var p payload.SimpleContainerImage
			if err := json.Unmarshal(body, &p); err != nil || p.Critical.Type != payload.CosignSignatureType {
				continue
			}
			if p.Critical.Image.DockerManifestDigest != digest.String() {
				otherDigest = p.Critical.Image.DockerManifestDigest
				continue
			}
			return k.Name, nil
		}
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	if otherDigest != "" {
		return "", fmt.Errorf("%w for '%s': a signature by a trusted key signs another digest, '%s'", ErrNotVerified, signed, otherDigest)
	}
	return "", fmt.Errorf("%w for '%s': none of its %d signatures verifies with the keys %s", ErrNotVerified, signed, min(checked, maxCosignSignatures), strings.Join(names, ", "))
}

func readPayload(img v1.Image, digest v1.Hash) ([]byte, error) {
	l, err := img.LayerByDigest(digest)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxCosignPayload))
}

// CosignSignatureImage is the signature manifest `cosign sign --key`
// writes for the manifest digest of repo, signed by signer; pushed to
// CosignSignatureTag(digest) it signs that artifact. (ferry verifies
// signatures; this produces them for its tests and tools.)
func CosignSignatureImage(repo name.Repository, digest v1.Hash, signer signature.Signer) (v1.Image, error) {
	body, err := payload.Cosign{Image: repo.Digest(digest.String())}.MarshalJSON()
	if err != nil {
		return nil, err
	}
	sig, err := signer.SignMessage(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	return mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer(body, CosignPayloadMediaType),
		Annotations: map[string]string{cosignSignatureKey: base64.StdEncoding.EncodeToString(sig)},
	})
}
