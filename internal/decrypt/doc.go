// Package decrypt decrypts SOPS-encrypted Kubernetes Secrets in memory, the
// way kustomize-controller does for a Kustomization with
// spec.decryption.provider "sops": after the kustomize build and before the
// apply, a Secret carrying a top-level "sops" field is decrypted as a whole,
// and a Secret whose data entries are SOPS-encrypted YAML, JSON, dotenv or
// binary files (as a kustomize secretGenerator produces from files: and
// envs:) has those entries decrypted.
//
// The SOPS file format is read here directly: the data key is recovered from
// the file's age recipients (filippo.io/age) or PGP recipients
// (github.com/ProtonMail/go-crypto, keys held in memory, no gpg binary or
// keyring), and the values are decrypted with AES-256-GCM. Cloud KMS and
// Vault recipients are not supported, which keeps their SDKs out of the
// binary. Shamir key groups with more than one group are refused. The MAC is
// not verified, as in kustomize-controller, because kustomize changes the
// document (namespace, labels) before decryption.
//
// No error returned by this package contains a plaintext value, a ciphertext
// or key material; errors name the object, the data entry and the path of the
// value that could not be decrypted.
package decrypt
