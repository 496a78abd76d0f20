#!/usr/bin/env bash
# Regenerate deepcopy functions and CRDs and fail if the committed files under
# api/ or config/crd/ are stale. Usable as `make verify-generated`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

paths=(api config/crd)
before="$(mktemp -d)"
trap 'rm -rf "$before"' EXIT
for p in "${paths[@]}"; do
	mkdir -p "$before/$p"
	cp -a "$p/." "$before/$p/"
done

bash hack/generate.sh

stale=()
while IFS= read -r line; do
	stale+=("$line")
done < <(for p in "${paths[@]}"; do diff -rq "$before/$p" "$p" || true; done)

if ((${#stale[@]} > 0)); then
	echo "generated files are stale; run 'bash hack/generate.sh' (make generate) and commit the result:" >&2
	printf '  %s\n' "${stale[@]}" >&2
	exit 1
fi

echo "generated files are up to date"
