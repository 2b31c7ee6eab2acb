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

# A container's life with the default config (`nook spec`: terminal, sh),
# as a user runs it: run in the foreground (nook proxies the pty), run -d
# with a console socket, exec with and without a terminal, state, list,
# kill (valgrind has no pidfd_open: the fallback), delete.
# valgrind refuses any change of RLIMIT_NOFILE's hard limit, which the
# default config sets to 1024; it keeps 12 fds above its client's limit, so
# a hard limit of 1036 gives the client exactly 1024.
ulimit -n 1036
rm -rf "$bundle/config.json" "$root"
check "nook spec (default config)" 0 "$nook" spec -b "$bundle"
run_fg() { printf 'exit 7\n' | "${vg[@]}" --error-exitcode=97 "$nook" --root "$root" run -b "$bundle" vg-run; }
echo "== nook run (default config, foreground)"
rc=0
run_fg >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -ne 7 ]; then
	echo "FAIL nook run: exit $rc, want 7" >&2
	cat "$tmp/err" >&2
	failed+=("nook run")
fi
sock=$tmp/console.sock
"$build/helpers/recvtty" "$sock" >"$tmp/tty.out" 2>&1 &
recvtty=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
check "nook run -d --console-socket" 0 "$nook" --root "$root" run -d --console-socket "$sock" -b "$bundle" vg-ctr
check "nook state" 0 "$nook" --root "$root" state vg-ctr
check "nook list" 0 "$nook" --root "$root" list
check "nook exec" 0 "$nook" --root "$root" exec vg-ctr sh -c 'test -e /etc/passwd'
exec_tty() { printf 'exit 5\n' | "${vg[@]}" --error-exitcode=97 "$nook" --root "$root" exec -t vg-ctr sh; }
echo "== nook exec -t"
rc=0
exec_tty >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -ne 5 ]; then
	echo "FAIL nook exec -t: exit $rc, want 5" >&2
	cat "$tmp/err" >&2
	failed+=("nook exec -t")
fi
check "nook kill" 0 "$nook" --root "$root" kill vg-ctr KILL
check "nook delete -f" 0 "$nook" --root "$root" delete -f vg-ctr
kill "$recvtty" 2>/dev/null
wait "$recvtty" 2>/dev/null

if [ ${#failed[@]} -gt 0 ]; then
	echo "valgrind: ${#failed[@]} failed: ${failed[*]}" >&2
	exit 1
fi
echo "valgrind: all clean"
