#!/bin/bash
# The cgroup v2 suite: boots the test VM once (run-in-vm.sh) and runs every
# tests/vm/bats/*.bats file in it, printing the TAP output and exiting with
# bats' status. `make vm-test` calls it with NOOK set to the binary under test.
#
# The OOM-freeze suite (tests/oom) runs in the same boot.
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

# The busybox rootfs the tests copy for every bundle: built here, natively
# (hundreds of forks take a minute under TCG), and copied once to the
# guest's tmpfs.
cache=$build/vm-rootfs-cache
rm -rf "$cache"
scratch=$(mktemp -d)
NOOK_ROOTFS_CACHE=$cache "$worktree/tests/lib/mkrootfs.sh" "$scratch/rootfs"
rm -rf "$scratch"

start=$(date +%s)
status=0
"$here/run-in-vm.sh" -t "${NOOK_VM_TIMEOUT:-1200}" \
    -e "NOOK_TEST_CGROUP_LIVE=$live" -e "NOOK_BUILD=$build" -e "VM_ROOTFS_CACHE=$cache" \
    sh -c 'cp -a "$VM_ROOTFS_CACHE" /tmp/rootfs-cache &&
           NOOK_ROOTFS_CACHE=/tmp/rootfs-cache exec bats --tap "$0" "$1"' "$here/bats" \
    "$worktree/tests/oom" || status=$?
echo "run-vm-suite: cgroup v2 suite took $(( $(date +%s) - start ))s, exit status $status" >&2
exit "$status"
