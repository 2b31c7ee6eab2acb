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
#   2. binary sizes, 3. peak RSS of one run (GNU time -v)
#   4. the cost of create/start/state/list/delete as 1 → 500 containers
#      exist, and its ratio to the same on an empty root in the same run
#   5. user-space instructions of one nook run (callgrind)
#   6. where the time goes: per-step times of nook run and of the floor,
#      from `perf trace` of interleaved runs (tests/bench/phases.awk)
#
# Nothing is asserted: numbers for reading, never pass/fail (the goals of
# issue 12 are printed next to the ratios). Needs root. Settings: NOOK
# (binary, default build/nook), BENCH_RUNS (default 30), BENCH_WARMUP
# (default 3), BENCH_CURVE (default "1 10 100 500"; empty skips it),
# BENCH_CALLGRIND (default 1), BENCH_PHASES (default 1). Not part of
# `make test`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
NOOK=${NOOK:-$repo/build/nook}
RUNS=${BENCH_RUNS:-30}
WARMUP=${BENCH_WARMUP:-3}
CURVE=${BENCH_CURVE-1 10 100 500}
CALLGRIND=${BENCH_CALLGRIND:-1}
PHASES=${BENCH_PHASES:-1}

section() {
	printf '\n== %s\n' "$*"
}

# Debian packages the bench uses, installed only when missing.
install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}"
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
}

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

work=$(mktemp -d /tmp/nook-bench.XXXXXX)
declare -A bins=()
declare -a names=()
# Containers a run may leave behind (interrupted, or the exec and curve
# ones): delete them, then the files.
cleanup() {
	local rt id
	for rt in "${names[@]:-}"; do
		[ -n "$rt" ] || continue
		for id in $("${bins[$rt]}" --root "$work/state-$rt" list -q 2>/dev/null); do
			"${bins[$rt]}" --root "$work/state-$rt" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	for root in "$work/state-curve" "$work/state-empty"; do
		[ -d "$root" ] || continue
		for id in $("$NOOK" --root "$root" list -q 2>/dev/null); do
			"$NOOK" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -Wall -Wextra -o "$work/interleave" "$here/interleave.c"

# One bundle for every runtime: nook's default config (with its seccomp
# profile, so each runtime loads the same filter), not interactive, running
# `true`. The process is root, for which ambient capabilities change nothing;
# they are cleared so that runtimes that treat ambient-without-inheritable
# differently (runc warns, nook refuses) run the same work. ociVersion 1.0.2
# is one every runtime compared reads. An absolute cgroupsPath, because runc
# on a hybrid host nests a relative one under the caller's own cgroups.
bundle=$work/bundle
mkdir -p "$bundle"
"$repo/tests/lib/mkrootfs.sh" "$bundle/rootfs"
"$NOOK" spec -b "$bundle"
jq --arg cg "/nook-bench-$$" '.ociVersion = "1.0.2" | .process.terminal = false
	| .process.args = ["true"] | .process.capabilities.ambient = []
	| .linux.cgroupsPath = $cg' "$bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$bundle/config.json"
# The same without linux.seccomp, and one whose process stays (for exec).
make_variant() {
	mkdir -p "$work/$1"
	jq --arg r "$bundle/rootfs" ".root.path = \$r | $2" "$bundle/config.json" >"$work/$1/config.json"
}
make_variant bundle-noseccomp 'del(.linux.seccomp)'
for rt in nook runc; do
	make_variant "bundle-sleep-$rt" ".process.args = [\"sleep\", \"1000000\"]
		| .linux.cgroupsPath += \"-exec-$rt\""
done
# Many containers at once: each in a cgroup of its own (nook names it).
make_variant bundle-curve '.process.args = ["sleep", "1000000"] | del(.linux.cgroupsPath)'
# valgrind only lets a process set RLIMIT_NOFILE to its own limit.
make_variant bundle-callgrind 'del(.process.rlimits)'

# The floor: unshare(1) making the namespaces the config asks for.
floor_flags=$(jq -r '[.linux.namespaces[].type] | map({pid: "--pid --fork", network: "--net",
	ipc: "--ipc", uts: "--uts", mount: "--mount", cgroup: "--cgroup", user: "--user",
	time: "--time"}[.]) | join(" ")' "$bundle/config.json")
nsenter_flags=$(jq -r '[.linux.namespaces[].type] | map({pid: "--pid", network: "--net",
	ipc: "--ipc", uts: "--uts", mount: "--mount", cgroup: "--cgroup", user: "--user",
	time: "--time"}[.]) | join(" ")' "$bundle/config.json")

# run_cmd NAME BUNDLE: the command line of one foreground run (which deletes
# the container when it exits, so one id serves every run).
run_cmd() {
	echo "${bins[$1]} --root $work/state-$1 run -b $2 bench-$1"
}

section "runtimes"
for rt in nook runc; do
	if [ "$rt" = nook ]; then
		bin=$NOOK
	else
		bin=$(command -v "$rt") || {
			echo "$rt: not installed, left out"
			continue
		}
	fi
	bins[$rt]=$bin
	version=$("$bin" --version 2>&1 | head -1)
	if out=$($(run_cmd "$rt" "$bundle") </dev/null 2>&1); then
		echo "$rt: $bin ($version)"
		names+=("$rt")
	else
		echo "$rt: $bin ($version) cannot run the bench container here, left out:"
		printf '%s\n' "$out" | sed 's/^/    /'
		unset 'bins[$rt]'
	fi
done
if command -v crun >/dev/null; then
	echo "crun: $(command -v crun): refuses this hybrid cgroup host; not measured"
fi
[ -n "${bins[nook]:-}" ] || {
	echo "nook cannot run the bench container" >&2
	exit 1
}
echo "floor: unshare $floor_flags /bin/true"
echo "exec floor: nsenter --target PID $nsenter_flags --root --wd=/ true"

# Containers that stay, for exec.
declare -A exec_pid=()
for rt in "${names[@]}"; do
	"${bins[$rt]}" --root "$work/state-$rt" run -d -b "$work/bundle-sleep-$rt" "bench-exec-$rt" \
		</dev/null >/dev/null 2>&1
	exec_pid[$rt]=$("${bins[$rt]}" --root "$work/state-$rt" state "bench-exec-$rt" | jq -r .pid)
done

section "start-up: median of $RUNS interleaved runs ($WARMUP warm-up rounds), ms"
cache=$work/state-nook/seccomp~cache
args=(floor "" "unshare $floor_flags /bin/true")
args+=(nook-seccomp-compile "rm -rf $cache" "$(run_cmd nook "$bundle")")
args+=(nook-seccomp-cached "" "$(run_cmd nook "$bundle")")
args+=(nook-no-seccomp "" "$(run_cmd nook "$work/bundle-noseccomp")")
if [ -n "${bins[runc]:-}" ]; then
	args+=(runc-seccomp "" "$(run_cmd runc "$bundle")")
	args+=(runc-no-seccomp "" "$(run_cmd runc "$work/bundle-noseccomp")")
fi
args+=(nsenter "" "nsenter --target ${exec_pid[nook]} $nsenter_flags --root --wd=/ true")
for rt in "${names[@]}"; do
	args+=("$rt-exec" "" "${bins[$rt]} --root $work/state-$rt exec bench-exec-$rt true")
done
"$work/interleave" "$RUNS" "$WARMUP" "${args[@]}" | tee "$work/times.tsv"

# The table: each config's median, its ratio to the floor and to runc.
ms() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$work/times.tsv"; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo -; }
echo
printf '%-34s %8s %8s %8s %9s %9s  %s\n' config nook runc floor nook/floor nook/runc goal
row() {
	local label=$1 n=$2 r=$3 f=$4 goal=$5
	printf '%-34s %8s %8s %8s %9s %9s  %s\n' "$label" "$(ms "$n")" "${r:+$(ms "$r")}" "$(ms "$f")" \
		"$(ratio "$(ms "$n")" "$(ms "$f")")" "$(ratio "$(ms "$n")" "${r:+$(ms "$r")}")" "$goal"
}
runc_row() { [ -n "${bins[runc]:-}" ] && echo "$1" || true; }
row "default config, seccomp compiled" nook-seccomp-compile "$(runc_row runc-seccomp)" floor "(first compile: no slower than before)"
row "default config, seccomp cached" nook-seccomp-cached "$(runc_row runc-seccomp)" floor "nook/floor <= 1.5"
row "without seccomp" nook-no-seccomp "$(runc_row runc-no-seccomp)" floor "nook/floor <= 1.3"
row "exec into a running container" nook-exec "$(runc_row runc-exec)" nsenter "nook/nsenter <= 1.5"
awk -v c="$(ms nook-seccomp-cached)" -v n="$(ms nook-no-seccomp)" 'BEGIN {
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

