#!/bin/bash
# make valgrind: the unit tests and a few nook commands under valgrind's
# memcheck, failing on any memory error or leak.
#
# Forked children are not checked (--child-silent-after-fork): they exit
# without freeing what their parent owns, which is no leak.
#
# Unit tests run with --error-exitcode=1. nook commands that are meant to fail
# (exit 1) run with --error-exitcode=97 so that a valgrind finding is told
# apart from the command's own, expected, failure.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
repo=$(pwd)
nook=${NOOK:-$repo/build/nook}
build=${BUILD:-$(dirname "$nook")}
vg=(valgrind -q --child-silent-after-fork=yes --leak-check=full --show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()

# check NAME WANT_STATUS COMMAND...: run under valgrind, expect WANT_STATUS.
check() {
	local name=$1 want=$2 rc=0
	shift 2
	echo "== $name"
	"${vg[@]}" --error-exitcode=97 "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, want $want" >&2
		cat "$tmp/err" >&2
		failed+=("$name")
	fi
}

# Unit tests.
shopt -s nullglob
units=("$build"/tests/test_*)
[ ${#units[@]} -gt 0 ] || {
	echo "valgrind: no unit tests in $build/tests (make unit first)" >&2
	exit 1
}
for t in "${units[@]}"; do
	[ -x "$t" ] || continue
	echo "== unit $(basename "$t")"
	if ! "${vg[@]}" --error-exitcode=1 "$t"; then
		failed+=("unit $(basename "$t")")
	fi
done

# nook commands.
root=$tmp/root
bundle=$tmp/bundle
mkdir -p "$bundle"
check "nook spec" 0 "$nook" spec -b "$bundle"
check "nook spec --rootless" 0 "$nook" spec --rootless -b "$tmp"
check "nook features" 0 "$nook" features
check "nook --version" 0 "$nook" --version
check "nook --help" 0 "$nook" --help
check "nook list (empty root)" 0 "$nook" --root "$root" list
check "nook list --format json" 0 "$nook" --root "$root" list --format json
check "nook state (missing container)" 1 "$nook" --root "$root" state no-such-container
check "nook delete (missing container)" 1 "$nook" --root "$root" delete no-such-container
check "nook bogus command" 2 "$nook" --root "$root" no-such-command

# A create that fails on a bad config: parse, validate, report, clean up.
tests/lib/mkrootfs.sh "$bundle/rootfs" >/dev/null
jq '.linux.namespaces[0].type = "foo"' "$bundle/config.json" >"$tmp/bad.json"
cp "$tmp/bad.json" "$bundle/config.json"
check "nook create (bad namespace)" 1 "$nook" --root "$root" create -b "$bundle" vg-bad
jq '.mounts[0].destination = "relative"' "$tmp/bad.json" >"$bundle/config.json"
check "nook create (relative mount destination)" 1 "$nook" --root "$root" create -b "$bundle" vg-bad
printf '{' >"$bundle/config.json"
check "nook create (not JSON)" 1 "$nook" --root "$root" create -b "$bundle" vg-bad

if [ ${#failed[@]} -gt 0 ]; then
	echo "valgrind: ${#failed[@]} failed: ${failed[*]}" >&2
	exit 1
fi
echo "valgrind: all clean"
