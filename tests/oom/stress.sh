#!/bin/bash
# make oom-stress: acceptance 1 of the OOM-freeze suite with 50 rounds of
# each hog (1 process, 4 processes, 4 threads, fork-heavy) instead of 5,
# natively when this host can freeze at the limit and in the cgroup v2 VM;
# prints the counts ("runs= frozen= kills= over= verified= oom-events=").
set -uo pipefail

cd "$(dirname "$0")/../.."
build=${BUILD:-build}
export NOOK=${NOOK:-$(pwd)/$build/nook}
runs=${OOM_RUNS:-50}
status=0

echo "== native ($(uname -r))"
OOM_RUNS=$runs bats --tap -f "oom 1, 2, 5" tests/oom | tee "$build/oom-stress-native.log" | grep -E '^(ok|not ok)|counts' || status=1
grep -q '^not ok' "$build/oom-stress-native.log" && status=1

echo "== cgroup v2 VM"
# The busybox root the tests copy: built here (hundreds of forks are slow
# under TCG) and copied to the guest's tmpfs.
cache=$(pwd)/$build/vm-rootfs-cache
scratch=$(mktemp -d)
NOOK_ROOTFS_CACHE=$cache tests/lib/mkrootfs.sh "$scratch/rootfs"
rm -rf "$scratch"
tests/vm/run-in-vm.sh -t 3600 -e "OOM_RUNS=$runs" -e "VM_ROOTFS_CACHE=$cache" \
	sh -c 'cp -a "$VM_ROOTFS_CACHE" /tmp/rootfs-cache &&
	       NOOK_ROOTFS_CACHE=/tmp/rootfs-cache exec bats --tap -f "oom 1, 2, 5" tests/oom'  | tee "$build/oom-stress-vm.log" | grep -E '^(ok|not ok)|counts' || status=1
grep -q '^not ok' "$build/oom-stress-vm.log" && status=1
exit "$status"
