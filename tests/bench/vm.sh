#!/bin/bash
# The cgroup v2 VM section of `make bench`: run.sh boots the VM
# (tests/vm/run-in-vm.sh) and runs this inside it, where crun runs (on the
# hybrid host it refuses to). The start-up comparison of run.sh's section 1
# (startup.bash), for nook, crun and runc, without the compiled-seccomp row
# (the VM's few runs are better spent on the configs containers start with).
# Settings from run.sh: NOOK (a binary the guest sees), NOOK_ROOTFS_CACHE
# (the host's busybox rootfs, copied into the bundle), BENCH_RUNS,
# BENCH_WARMUP.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
: "${NOOK:?}" "${NOOK_ROOTFS_CACHE:?}"
RUNS=${BENCH_RUNS:-15}
WARMUP=${BENCH_WARMUP:-2}

# shellcheck source=tests/bench/startup.bash
. "$here/startup.bash"

bench_init
make_bundles nook crun runc
probe_runtimes nook crun runc
start_exec_containers
measure_startup "$RUNS" "$WARMUP" 0
startup_table 0
