#!/usr/bin/env bash
# Run every native Go fuzz target of the module (every `func FuzzXxx(f
# *testing.F)` in a _test.go file) alone for FUZZTIME, as CI does with
# `make fuzz`. Fails when any target fails, printing the failing input Go
# wrote under <package>/testdata/fuzz/<FuzzName>/ (commit it with the fix:
# it then runs as a seed in every plain `go test`).
#
# Each package's test binary is built once, with fuzzing instrumentation,
# and run once per target, one target after the other; FUZZJOBS packages
# at a time. The corpus Go finds is kept in $(go env GOCACHE)/fuzz, as with
# `go test -fuzz`.
#
#   FUZZTIME      how long each target fuzzes (default 5s; go test's
#                 -fuzztime syntax, also "1000x")
#   FUZZPARALLEL  fuzzing workers per target (default 1; the coordinator
#                 is one more process)
#   FUZZJOBS      packages built and fuzzed at the same time (default 2: one
#                 worker per core on a 2-core machine)
#   FUZZ          only the targets whose name matches this extended
#                 regular expression (default: all)
#   FUZZ_SKIP     targets not to run, as <package dir>:<FuzzName> separated
#                 by spaces (default: the ones below whose package's TestMain
#                 cannot run without its integration tests)
#   GO, TAGS      the go command and build tags (as the Makefile's)
#
# Usage: hack/fuzz.sh [package dir ...]   (default: the whole module)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

GO="${GO:-go}"
TAGS="${TAGS:-kustomize_disable_go_plugin_support}"
FUZZTIME="${FUZZTIME:-5s}"
FUZZPARALLEL="${FUZZPARALLEL:-1}"
FUZZJOBS="${FUZZJOBS:-2}"
FUZZ="${FUZZ:-.}"
# The TestMain of these packages fails the run when its integration tests
# did not run (it checks that the controllers' logs were captured), which a
# fuzz-only run never does: their seeds run with the package's tests in
# `go test ./...` until TestMain skips the control plane when only fuzzing.
FUZZ_SKIP="${FUZZ_SKIP-internal/controller/receiver:FuzzValidate internal/controller/bucket:FuzzBuildIndex}"

module="$(awk '$1 == "module" { print $2; exit }' go.mod)"
cache="$("$GO" env GOCACHE)/fuzz"
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT

# targets: "<package dir> <FuzzName>" lines, sorted.
if (($# > 0)); then dirs=("$@"); else dirs=(.); fi
targets="$(grep -rE --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' "${dirs[@]}" |
	grep -v -e '/testdata/' -e '^\./vendor/' |
	sed -E 's|^(\./)?(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*|\2 \3|' |
	awk -v re="$FUZZ" '$2 ~ re' | sort -u)"
if [[ -z "$targets" ]]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

# spurious reports whether log is only Go's report of its own -fuzztime
# deadline: "--- FAIL: <name>" followed by a bare "context deadline
# exceeded", and no failing input written.
spurious() {
	! grep -q 'Failing input written' "$1" &&
		grep -A1 -- "^--- FAIL: $2 (" "$1" | tail -1 | grep -qx '    context deadline exceeded'
}

# fuzzpkg dir name...: builds dir's test binary and runs each target alone;
# prints what it did and records the failures in $bin/failed, the targets
# run in $bin/ran.
fuzzpkg() {
	local dir="$1" name t0 rc log execs input
	shift
	local test="$bin/$(echo "$dir" | tr / _).test"
	t0=$SECONDS
	if ! "$GO" test -c -tags "$TAGS" -fuzz "^$1\$" -o "$test" "./$dir" 2>&1; then
		echo "FAIL  $dir: the test binary does not build"
		echo "$dir (build)" >>"$bin/failed"
		return
	fi
	echo "build $dir ($((SECONDS - t0))s)"
	for name in "$@"; do
		t0=$SECONDS
		log="$bin/$(echo "$dir" | tr / _)-$name.log"
		# -test.short lets the TestMains that honour it skip the control
		# plane, which no fuzz target needs.
		rc=0
		(cd "$dir" && "$test" -test.short -test.run '^$' -test.fuzz "^$name\$" -test.fuzztime "$FUZZTIME" \
			-test.parallel "$FUZZPARALLEL" -test.timeout 10m -test.fuzzcachedir "$cache/$module/$dir") >"$log" 2>&1 || rc=$?
		execs="$(grep -o 'execs: [0-9]*' "$log" | tail -1 || true)"
		echo "$dir $name" >>"$bin/ran"
		if ((rc == 0)); then
			echo "ok    $dir $name ($((SECONDS - t0))s${execs:+, $execs})"
		elif spurious "$log" "$name"; then
			# Go 1.26's coordinator may report its own -fuzztime deadline as
			# a failure (go.dev/issue/75804, fixed in Go 1.27): no input failed.
			echo "ok    $dir $name ($((SECONDS - t0))s${execs:+, $execs}; Go's spurious deadline failure, go.dev/issue/75804)"
		else
			echo "FAIL  $dir $name ($((SECONDS - t0))s)"
			sed 's/^/      /' "$log"
			input="$(sed -nE 's|.*Failing input written to (testdata/fuzz/[^ ]*).*|\1|p' "$log" | tail -1)"
			if [[ -n "$input" ]]; then
				echo "      failing input: $dir/$input"
				echo "      reproduce: go test -tags '$TAGS' -run '^$name/$(basename "$input")\$' ./$dir"
			fi
			echo "$dir $name" >>"$bin/failed"
		fi
	done
}

start=$SECONDS
: >"$bin/failed"
: >"$bin/ran"
skipped=0
# Group the targets by package, then run FUZZJOBS packages at a time, each
# printing its lines when it is done.
declare -A names=()
order=()
while read -r dir name; do
	if [[ " $FUZZ_SKIP " == *" $dir:$name "* ]]; then
		echo "SKIP  $dir $name (FUZZ_SKIP)"
		skipped=$((skipped + 1))
		continue
	fi
	[[ -v "names[$dir]" ]] || order+=("$dir")
	names[$dir]+=" $name"
done <<<"$targets"
running=0
for dir in "${order[@]}"; do
	if ((running >= FUZZJOBS)); then
		wait -n || true
		running=$((running - 1))
	fi
	# shellcheck disable=SC2086 # names[$dir] is a list of words
	(fuzzpkg "$dir" ${names[$dir]} >"$bin/$(echo "$dir" | tr / _).out" 2>&1
		cat "$bin/$(echo "$dir" | tr / _).out") &
	running=$((running + 1))
done
wait

echo "fuzz: $(wc -l <"$bin/ran") targets for $FUZZTIME each, $FUZZJOBS at a time, $skipped skipped, in $((SECONDS - start))s"
if [[ -s "$bin/failed" ]]; then
	echo "fuzz: FAILED:" >&2
	sed 's/^/  /' "$bin/failed" >&2
	exit 1
fi
