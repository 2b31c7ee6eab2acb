#!/bin/bash
# The VM suites: boots the test VM once per kind (run-in-vm.sh) and runs the
# kind's bats files in it, printing the TAP output and exiting with bats'
# status. `make vm-test` (v2) and `make vm-test-v1` call it with NOOK set to
# the binary under test.
#
#   tests/vm/run-vm-suite.sh [v2|v1]
#
#   v2: tests/vm/bats/*.bats (issue 4's v2 suite and the C live cgroup tests)
#       the parametrised cgroup suite tests/cgroup/, the OOM-freeze suite
#       tests/oom/ (natively it runs on the hybrid host), and
#       tests/bats/checkpoint.bats (criu needs the VM's older kernel);
#   v1: the C live cgroup tests, tests/cgroup/ and the OOM-freeze suite
#       tests/oom/ on a pure cgroup v1 host.
#
# The C live cgroup tests (tests/unit/test_cgroup_live.c) run inside as one
# of the bats tests, so their result counts in the TAP total: they are built
# here first, in the build directory of $NOOK (or $BUILD).
set -euo pipefail

kind=${1:-v2}
case "$kind" in v1 | v2) ;; *) echo "usage: run-vm-suite.sh [v2|v1]" >&2; exit 2 ;; esac
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

if [ "$kind" = v2 ]; then
    # checkpoint.bats too: criu 3.17 cannot run on the CI host's kernel
    # (6.18), and does on the VM's (Debian's 6.1).
    suites=("$here/bats" "$worktree/tests/cgroup" "$worktree/tests/oom"
            "$worktree/tests/bats/checkpoint.bats")
else
    # The OOM suite too: memory.oom_control with the v1 freezer (the
    # hybrid host freezes through cgroup2's cgroup.freeze instead).
    suites=("$here/bats/cgroup_live.bats" "$worktree/tests/cgroup" "$worktree/tests/oom")
fi
# In the v2 VM, after the suites, nook under podman, containerd and Docker
# (tests/integration): the checks whose outcome depends on the kind of
# cgroups (exec joins the container's cgroup, pause freezes it, stats and
# metrics read it, the OOM kill and the limits are its), once each; the host
# runs all of them, and again under runc. A podman command costs seconds
# under TCG, so more would not fit the VM's time. Each check waits on
# conditions (INTEG_WAIT bounds a wait, INTEG_TEST_TIMEOUT a check: both
# only end a check that would never pass, so they are generous here).
# INTEG_VM_FILTER= (empty) runs every check (3 rounds of "run --rm").
integ=
timeout=${NOOK_VM_TIMEOUT:-1200}
if [ "$kind" = v2 ]; then
    integ=$worktree/tests/integration/run.sh
    timeout=${NOOK_VM_TIMEOUT:-2100}
fi
vm_filter='(: run: exit code|: exec|: pause / (unpause|resume)|own usage|OOM kill|in the container.s cgroup)$'
start=$(date +%s)
status=0
"$here/run-in-vm.sh" -k "$kind" -t "$timeout" \
    -e "NOOK_TEST_CGROUP_LIVE=$live" -e "NOOK_BUILD=$build" -e "VM_ROOTFS_CACHE=$cache" \
    -e "INTEG=$integ" -e "INTEG_REFERENCE=" -e "INTEG_REPEAT=3" -e "INTEG_WAIT=300" -e "INTEG_TEST_TIMEOUT=1200" -e "INTEG_FILTER=${INTEG_VM_FILTER-$vm_filter}" \
    sh -c 'cp -a "$VM_ROOTFS_CACHE" /tmp/rootfs-cache || exit 1
           export NOOK_ROOTFS_CACHE=/tmp/rootfs-cache
           bats --tap "$@"; s=$?
           if [ -n "$INTEG" ]; then "$INTEG" || s=1; fi
           exit $s' sh "${suites[@]}" || status=$?
echo "run-vm-suite: cgroup $kind suite took $(( $(date +%s) - start ))s, exit status $status" >&2
exit "$status"
