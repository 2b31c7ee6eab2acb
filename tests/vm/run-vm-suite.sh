#!/bin/bash
# The cgroup v2 suite: boots the test VM once (run-in-vm.sh) and runs every
# tests/vm/bats/*.bats file in it, printing the TAP output and exiting with
# bats' status. `make vm-test` calls it with NOOK set to the binary under test.
#
# The C live cgroup tests (tests/unit/test_cgroup_live.c) run inside too, as
# one of the bats tests, so their result counts in the TAP total: they are
# built here first, in the build directory of $NOOK (or $BUILD).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
worktree=$(cd "$here/../.." && pwd)
cd "$worktree"

build=${BUILD:-}
if [ -z "$build" ]; then
    if [ -n "${NOOK:-}" ]; then build=$(dirname "$NOOK"); else build=$worktree/build; fi
fi
case "$build" in /*) ;; *) build=$worktree/$build ;; esac
export NOOK=${NOOK:-$build/nook}

live=$build/tests/test_cgroup_live
make -s BUILD="$build" "$live" >&2

start=$(date +%s)
status=0
"$here/run-in-vm.sh" -t "${NOOK_VM_TIMEOUT:-1200}" \
    -e "NOOK_TEST_CGROUP_LIVE=$live" -e "NOOK_BUILD=$build" \
    bats --tap "$here/bats" || status=$?
echo "run-vm-suite: cgroup v2 suite took $(( $(date +%s) - start ))s, exit status $status" >&2
exit "$status"
