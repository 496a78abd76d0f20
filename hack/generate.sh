#!/usr/bin/env bash
# Generate deepcopy functions and CRDs from the API types with controller-gen
# at a pinned version. Run from anywhere; usable as `make generate`.
set -euo pipefail

CONTROLLER_GEN_VERSION="${CONTROLLER_GEN_VERSION:-v0.23.0}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

rm -f config/crd/bases/*.yaml
go run "sigs.k8s.io/controller-tools/cmd/controller-gen@${CONTROLLER_GEN_VERSION}" \
	object:headerFile=hack/boilerplate.go.txt paths=./api/... \
	crd paths=./api/... output:crd:artifacts:config=config/crd/bases
