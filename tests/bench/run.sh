#!/bin/bash
# `make bench`: start-up cost of nook against runc and the bare-namespace
# floor, on `run` of a busybox container whose process is `true`.
#
#   1. start-up, median ms of one interleaved run (tests/bench/interleave.c:
#      every command once per round, so drift of a busy machine hits all
#      alike), for `nook spec`'s default config with its seccomp profile
#      compiled afresh (cache emptied before each run) and taken from the
#      cache, the config without seccomp, and exec into a running container;
#      against runc with the same bundle, `unshare` with the same namespaces
#      (the floor) and `nsenter` of the same namespaces (exec's floor);
#      ratios to the floor and to runc
#   1b. `nook sandbox -- true` against bubblewrap with the same namespaces
#      (`bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev true`), as
#      a ratio
#   2. binary sizes, 3. peak RSS of one run (GNU time -v), 3b. the resident
#      cost of the OOM monitor a freeze-armed container leaves running
#   4. the cost of create/start/state/list/delete as 1 → 500 containers
#      exist, and its ratio to the same on an empty root in the same run
#   5. user-space instructions of one nook run (callgrind)
#   6. where the time goes: per-step times of nook run and of the floor,
#      from `perf trace` of interleaved runs (tests/bench/phases.awk)
#   7. section 1 against crun (which refuses this hybrid cgroup host) and
#      runc, in the pure cgroup v2 VM (tests/vm/run-in-vm.sh, QEMU TCG, so
#      only its ratios mean something), without the compiled row (tests/bench/vm.sh)
#
# The start-up comparison (bundle, runtimes, interleaved run, table) is
# tests/bench/startup.bash, shared by sections 1 and 7.
#
# Nothing is asserted: numbers for reading, never pass/fail (the goals of
# issue 12 are printed next to the ratios). Needs root. Settings: NOOK
# (binary, default build/nook), BENCH_RUNS (default 30), BENCH_WARMUP
# (default 3), BENCH_CURVE (default "1 10 100 500"; empty skips it),
# BENCH_CALLGRIND (default 1), BENCH_PHASES (default 1), BENCH_VM (default
# 1; 0 skips section 7), BENCH_VM_RUNS (default 15), BENCH_VM_WARMUP
# (default 2). Not part of `make test`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
NOOK=${NOOK:-$repo/build/nook}
RUNS=${BENCH_RUNS:-30}
WARMUP=${BENCH_WARMUP:-3}
CURVE=${BENCH_CURVE-1 10 100 500}
CALLGRIND=${BENCH_CALLGRIND:-1}
PHASES=${BENCH_PHASES:-1}
VM=${BENCH_VM:-1}
VM_RUNS=${BENCH_VM_RUNS:-15}
VM_WARMUP=${BENCH_VM_WARMUP:-2}

# shellcheck source=tests/bench/startup.bash
. "$here/startup.bash"

if [ "$(id -u)" -ne 0 ]; then
	echo "$0: run as root (the runtimes start real containers)" >&2
	exit 1
fi
if [ ! -x "$NOOK" ]; then
	echo "$0: no nook binary at $NOOK (run make, or set NOOK)" >&2
	exit 1
fi
install_missing time binutils valgrind jq busybox-static runc util-linux build-essential bubblewrap \
	linux-perf

bench_init
make_bundles nook runc
# Many containers at once: each in a cgroup of its own (nook names it).
make_variant bundle-curve '.process.args = ["sleep", "1000000"] | del(.linux.cgroupsPath)'
# valgrind only lets a process set RLIMIT_NOFILE to its own limit.
make_variant bundle-callgrind 'del(.process.rlimits)'

section "runtimes"
probe_runtimes nook runc
if command -v crun >/dev/null; then
	echo "crun: $(command -v crun): refuses this hybrid cgroup host; measured in the cgroup v2 VM (last section)"
fi
start_exec_containers

section "start-up: median of $RUNS interleaved runs ($WARMUP warm-up rounds), ms"
measure_startup "$RUNS" "$WARMUP" 1
startup_table 1
awk -v c="$(ms nook-seccomp)" -v n="$(ms nook-no-seccomp)" 'BEGIN {
	printf "\ncached seccomp filter: %+.2f ms over no seccomp (goal < 0.3 ms; the kernel'"'"'s own\n", c - n
	print "load of the program is part of it: see `nook --debug` and docs/ARCHITECTURE.md)" }'

section "sandbox: nook sandbox -- true vs bubblewrap, same namespaces, median of $RUNS interleaved runs, ms"
# Both with new pid, ipc, uts, network (lo up), mount and cgroup namespaces, a
# fresh /proc and /dev; nook's root is an overlay of the host's / (bwrap: a
# read-only bind of it), with nook spec's capabilities and seccomp profile.
"$work/interleave" "$RUNS" "$WARMUP" \
	nook-sandbox "" "$NOOK --root $work/state-sandbox sandbox -- true" \
	bwrap "" "bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev true" \
	nook-sandbox-no-seccomp "" "$NOOK --root $work/state-sandbox sandbox --seccomp none -- true" \
	>"$work/sandbox.tsv"
cat "$work/sandbox.tsv"
sb_ms() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$work/sandbox.tsv"; }
printf 'nook sandbox / bwrap: %s (goal <= 1.00); without seccomp: %s\n' \
	"$(ratio "$(sb_ms nook-sandbox)" "$(sb_ms bwrap)")" \
	"$(ratio "$(sb_ms nook-sandbox-no-seccomp)" "$(sb_ms bwrap)")"

section "binary sizes"
for rt in "${names[@]}"; do
	printf '%-6s %10s bytes  %s\n' "$rt" "$(stat -L -c %s "${bins[$rt]}")" "${bins[$rt]}"
done
echo
size "${bins[@]}"

section "peak RSS of one run, seccomp cached (GNU time -v; the largest process)"
for rt in "${names[@]}"; do
	/usr/bin/time -v -o "$work/time-$rt" $(run_cmd "$rt" "$bundle") </dev/null >/dev/null 2>&1
	printf '%-6s %s kB (goal for nook: <= 3072 kB)\n' "$rt" \
		"$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time-$rt")"
done

# What a container with the OOM-freeze opt-in leaves running: its monitor.
# Its shared pages (nook's text, libc) are charged to it as its share in
# Pss; Private is what each further container adds.
section "resident cost of the OOM monitor, per container (smaps_rollup)"
make_variant bundle-oom '.process.args = ["sleep", "1000000"]
	| .annotations["org.nook.oom"] = "freeze" | .linux.resources.memory.limit = 33554432'
# The detached container keeps its stdio: not the pipe of a $(...).
if "$NOOK" --root "$work/state-nook" run -d -b "$work/bundle-oom" bench-oom \
	</dev/null >/dev/null 2>"$work/oom-run.err"; then
	mon=$(jq -r '.oomMonitorPid // empty' "$work/state-nook/bench-oom/state.json")
	if [ -n "$mon" ] && [ -r "/proc/$mon/smaps_rollup" ]; then
		awk '/^(Rss|Pss|Private_Clean|Private_Dirty):/ { v[$1] = $2 }
			END { printf "monitor: Rss %d kB, Pss %d kB, Private %d kB (goal: <= 1024 kB)\n",
				v["Rss:"], v["Pss:"], v["Private_Clean:"] + v["Private_Dirty:"] }' \
			"/proc/$mon/smaps_rollup"
	else
		echo "no monitor process found for the container"
	fi
	"$NOOK" --root "$work/state-nook" delete -f bench-oom >/dev/null 2>&1 || true
else
	echo "not measured: the OOM-freeze container did not start here: $(cat "$work/oom-run.err")"
fi

if [ -n "$CURVE" ]; then
	section "cost per container as containers exist (nook, ms, median of 7)"
	# Each point is measured interleaved with the same commands on an empty
	# root, so the ratio (N existing / none) is free of the machine's drift.
	curve_root=$work/state-curve
	empty_root=$work/state-empty
	cnook() { "$NOOK" --root "$curve_root" "$@"; }
	ops=(create start state list delete)
	printf '%-9s' existing
	for op in "${ops[@]}"; do printf ' %15s' "$op (ratio)"; done
	echo
	have=0
	for want in $CURVE; do
		while [ "$have" -lt "$want" ]; do
			cnook create -b "$work/bundle-curve" "fill-$have" </dev/null >/dev/null 2>&1
			have=$((have + 1))
		done
		b=$work/bundle-curve
		cargs=()
		for r in "$curve_root" "$empty_root"; do
			tag=full
			[ "$r" = "$empty_root" ] && tag=empty
			cargs+=("create-$tag" "" "$NOOK --root $r create -b $b probe"
				"start-$tag" "" "$NOOK --root $r start probe"
				"state-$tag" "" "$NOOK --root $r state probe"
				"list-$tag" "" "$NOOK --root $r list"
				"delete-$tag" "" "$NOOK --root $r delete -f probe")
		done
		"$work/interleave" 7 1 "${cargs[@]}" >"$work/curve.tsv"
		printf '%-9s' "$want"
		for op in "${ops[@]}"; do
			full=$(awk -F'\t' -v n="$op-full" '$1 == n { print $2 }' "$work/curve.tsv")
			empty=$(awk -F'\t' -v n="$op-empty" '$1 == n { print $2 }' "$work/curve.tsv")
			printf ' %7s (%5s)' "$full" "$(ratio "$full" "$empty")"
		done
		echo
	done
	echo "(list prints every container, so it grows with them; the others should not)"
fi

if [ "$CALLGRIND" = 1 ]; then
	section "user-space instructions of one nook run (callgrind; the init stops being traced at execve)"
	echo "(under valgrind seccomp(2) is missing, so the cache key differs: this run compiles)"
	valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.%p.out" \
		$(run_cmd nook "$work/bundle-callgrind") </dev/null 2>&1 | grep -E 'Collected' || true
fi

if [ "$PHASES" = 1 ]; then
	section "where the time goes: per-step times of a run (seccomp cached) and of the floor, median of $RUNS, ms"
	echo "(perf trace of the marker syscalls only; each step ends at the next marker, see tests/bench/phases.awk)"
	script=$work/phases.sh
	{
		echo "for i in \$(seq $RUNS); do"
		echo "	$(run_cmd nook "$bundle") </dev/null >/dev/null 2>&1"
		echo "	unshare $floor_flags /bin/true"
		echo "done"
	} >"$script"
	if perf trace -e brk,execve,mkdir,clone3,clone,sendmsg,mount,pivot_root,umount2,seccomp,exit_group,rmdir,wait4,unshare \
		-o "$work/phases.trace" sh "$script" >/dev/null 2>&1; then
		awk -f "$here/phases.awk" "$work/phases.trace"
	else
		echo "perf trace cannot run here: left out"
	fi
fi


if [ "$VM" = 1 ]; then
	section "start-up in the cgroup v2 VM (QEMU TCG), nook vs crun and runc: median of $VM_RUNS interleaved runs ($VM_WARMUP warm-up rounds), ms"
	echo "(TCG emulates the CPU, so these absolute times are meaningless: the ratios are what count)"
	if ! command -v qemu-system-x86_64 >/dev/null; then
		echo "skipped: qemu-system-x86_64 is not installed (make vm-deps installs QEMU and the kernel)"
	else
		install_missing crun
		echo "crun is Debian's package, crun $(dpkg-query -W -f='${Version}' crun)"
		# The guest sees this work tree but not this host's /tmp: the nook
		# binary and the bundle's rootfs go to it through the build
		# directory (a rootfs built in the guest would cost a minute of
		# forks under TCG).
		mkdir -p "$repo/build"
		vm_share=$(mktemp -d "$repo/build/bench-vm.XXXXXX")
		trap 'rm -rf "$vm_share"; bench_cleanup' EXIT
		cp "$NOOK" "$vm_share/nook"
		cp -a "$bundle/rootfs" "$vm_share/rootfs"
		status=0
		# A round takes ~15 s under TCG; the timeout only ends a hung VM.
		"$repo/tests/vm/run-in-vm.sh" -k v2 -t $((600 + 60 * (VM_RUNS + VM_WARMUP))) -e "NOOK=$vm_share/nook" \
			-e "NOOK_ROOTFS_CACHE=$vm_share/rootfs" -e "BENCH_RUNS=$VM_RUNS" \
			-e "BENCH_WARMUP=$VM_WARMUP" "$here/vm.sh" 2>&1 || status=$?
		[ "$status" = 0 ] || echo "the VM section failed (exit status $status; run-in-vm.sh says why above)"
	fi
fi
