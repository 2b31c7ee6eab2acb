#!/bin/bash
# `make bench`: start-up cost of nook against runc (and crun when it runs on
# this host), on `run` of a busybox container whose process is `true`.
#
#   1. wall time of `run` with hyperfine (warm-up runs, then mean ± σ)
#   2. binary sizes (file size, and text/data/bss from size(1))
#   3. maximum RSS of one `run` (GNU time -v)
#   4. instructions of one `run`: perf's hardware counter where the CPU
#      exposes it, else callgrind (nook only: the Go runtime of runc does not
#      survive valgrind)
#
# Every tool prints to the terminal; nothing is asserted, so the numbers are
# for reading, never a pass/fail. Needs root (the runtimes run real
# containers). Settings: NOOK (binary, default build/nook), BENCH_RUNS
# (default 50), BENCH_WARMUP (default 5). Not part of `make test`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
NOOK=${NOOK:-$repo/build/nook}
RUNS=${BENCH_RUNS:-50}
WARMUP=${BENCH_WARMUP:-5}

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
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "$0: run as root (the runtimes start real containers)" >&2
	exit 1
fi
if [ ! -x "$NOOK" ]; then
	echo "$0: no nook binary at $NOOK (run make, or set NOOK)" >&2
	exit 1
fi
# hyperfine and time are the instruments; runc and crun the comparisons.
install_missing hyperfine time binutils valgrind jq busybox-static runc crun

work=$(mktemp -d /tmp/nook-bench.XXXXXX)
# A run that was interrupted may leave a container: delete it, then the files.
cleanup() {
	local rt
	for rt in "${names[@]:-}"; do
		[ -n "$rt" ] || continue
		"${bins[$rt]}" --root "$work/state-$rt" delete -f "bench-$rt-$$" >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
declare -a names=()
declare -A bins=()
trap cleanup EXIT

# One bundle for every runtime: nook's default config (with its seccomp
# profile, so each runtime loads the same filter), not interactive, running
# `true`. The process is root, for which ambient capabilities change nothing;
# they are cleared so that runtimes that treat ambient-without-inheritable
# differently (runc warns, nook refuses) run the same work. ociVersion 1.0.2
# is one every runtime compared reads (crun 1.8 refuses 1.2.0 outright).
bundle=$work/bundle
mkdir -p "$bundle"
"$repo/tests/lib/mkrootfs.sh" "$bundle/rootfs"
"$NOOK" spec -b "$bundle"
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["true"]
	| .process.capabilities.ambient = []' "$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

# valgrind only lets a process set RLIMIT_NOFILE to its own limit, so the
# callgrind run uses a copy of the config without rlimits (same rootfs).
cg_bundle=$work/bundle-callgrind
mkdir -p "$cg_bundle"
jq --arg r "$bundle/rootfs" 'del(.process.rlimits) | .root.path = $r' "$bundle/config.json" \
	>"$cg_bundle/config.json"

# run_cmd NAME: the command line that runs the bench container once with the
# runtime NAME (its own state root; foreground `run` deletes the container
# when it exits, so the same id serves every run), for hyperfine.
run_cmd() {
	echo "${bins[$1]} --root $work/state-$1 run -b $bundle bench-$1-$$"
}

# run_once NAME [TOOL ARGS...]: run it once, under TOOL when given.
# BENCH_BUNDLE overrides the bundle.
run_once() {
	local rt=$1
	shift
	"$@" "${bins[$rt]}" --root "$work/state-$rt" run -b "${BENCH_BUNDLE:-$bundle}" \
		"bench-$rt-$$" </dev/null
}

# Keep the runtimes that can run the bundle here; say why the others cannot.
section "runtimes"
for rt in nook runc crun; do
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
	if out=$(run_once "$rt" 2>&1); then
		echo "$rt: $bin ($version)"
		names+=("$rt")
	else
		echo "$rt: $bin ($version) cannot run the bench container here, left out:"
		printf '%s\n' "$out" | sed 's/^/    /'
		unset 'bins[$rt]'
	fi
done
if [ ${#names[@]} -eq 0 ]; then
	echo "no runtime could run the bench container" >&2
	exit 1
fi

section "start-up: run of a busybox container running true ($WARMUP warm-up runs, $RUNS runs)"
hf_args=()
for rt in "${names[@]}"; do
	hf_args+=(--command-name "$rt" "$(run_cmd "$rt")")
done
hyperfine --shell=none --warmup "$WARMUP" --runs "$RUNS" \
	--export-json "$work/hyperfine.json" "${hf_args[@]}"
echo
printf '%-6s %22s %10s %10s\n' runtime "mean ± σ (ms)" "min (ms)" "max (ms)"
jq -r '.results[] | [.command, (.mean * 1000), (.stddev * 1000), (.min * 1000), (.max * 1000)]
	| @tsv' "$work/hyperfine.json" |
	while IFS=$'\t' read -r name mean sd min max; do
		printf '%-6s %13.2f ± %6.2f %10.2f %10.2f\n' "$name" "$mean" "$sd" "$min" "$max"
	done

section "binary sizes"
for rt in "${names[@]}"; do
	printf '%-6s %10s bytes  %s\n' "$rt" "$(stat -L -c %s "${bins[$rt]}")" "${bins[$rt]}"
done
echo
size "${bins[@]}"

section "maximum RSS of one run (GNU time -v; includes waited-for children)"
for rt in "${names[@]}"; do
	run_once "$rt" /usr/bin/time -v -o "$work/time-$rt"
	printf '%-6s %s\n' "$rt" "$(grep 'Maximum resident set size' "$work/time-$rt")"
done

section "instructions of one run"
# The field perf prints is a number, or "<not supported>" without a PMU
# (as in most VMs).
if command -v perf >/dev/null &&
	perf stat -x, -e instructions:u true 2>&1 >/dev/null | cut -d, -f1 | grep -qE '^[0-9]+$'; then
	for rt in "${names[@]}"; do
		echo "-- $rt: perf stat -e instructions:u,instructions:k (counts child processes too)"
		run_once "$rt" perf stat -e instructions:u,instructions:k --
	done
else
	echo "perf: no hardware instruction counter here ($(perf stat -x, -e instructions:u true 2>&1 >/dev/null | head -1)), using callgrind"
	for rt in "${names[@]}"; do
		if [ "$rt" = nook ]; then
			echo "-- nook: valgrind --tool=callgrind (user-space instructions of the nook"
			echo "   process; the container's init stops being traced at its execve;"
			echo "   config without rlimits, see above)"
			BENCH_BUNDLE=$cg_bundle run_once nook \
				valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.%p.out"
		else
			echo "-- $rt: not measured (valgrind cannot run the Go runtime)"
		fi
	done
fi
