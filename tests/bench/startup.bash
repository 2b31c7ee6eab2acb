# The start-up comparison of `make bench`, sourced by run.sh (on this host)
# and by vm.sh (in the cgroup v2 VM, where crun runs): one bundle for every
# runtime, each runtime's `run` and `exec` timed in one interleaved run
# (interleave.c) with the `unshare` and `nsenter` floors, printed as a table
# of medians and ratios. The caller sets NOOK, repo and here (this folder)
# and calls, in order:
#
#   bench_init                    work dir (removed on exit), interleave
#   make_bundles RT...            the bundle, its variants, the floors' flags
#   probe_runtimes RT...          which of RT run the bundle here (nook first)
#   start_exec_containers         one container per runtime for exec
#   measure_startup RUNS WARMUP COMPILE   the interleaved run ($work/times.tsv)
#   startup_table COMPILE         medians, ratios, goals
#
# COMPILE=1 adds nook with its seccomp profile compiled afresh before each
# run (the cache emptied).

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

declare -A bins=() exec_pid=()
declare -a names=()

# Containers a run may leave behind (interrupted, or the exec and curve
# ones): delete them, then the files.
bench_cleanup() {
	local rt id root
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

bench_init() {
	work=$(mktemp -d /tmp/nook-bench.XXXXXX)
	trap bench_cleanup EXIT
	cc -O2 -Wall -Wextra -o "$work/interleave" "$here/interleave.c"
}

# make_variant DIR JQ: a bundle $work/DIR on the main bundle's rootfs, its
# config the main one's changed by JQ.
make_variant() {
	mkdir -p "$work/$1"
	jq --arg r "$bundle/rootfs" ".root.path = \$r | $2" "$bundle/config.json" >"$work/$1/config.json"
}

# One bundle for every runtime: nook's default config (with its seccomp
# profile, so each runtime loads the same filter), not interactive, running
# `true`. The process is root, for which ambient capabilities change nothing;
# they are cleared so that runtimes that treat ambient-without-inheritable
# differently (runc warns, nook refuses) run the same work. ociVersion 1.0.2
# is one every runtime compared reads. An absolute cgroupsPath, because runc
# on a hybrid host nests a relative one under the caller's own cgroups.
# Variants: the same without linux.seccomp, and per runtime one whose process
# stays (for exec).
make_bundles() {
	local rt
	bundle=$work/bundle
	mkdir -p "$bundle"
	"$repo/tests/lib/mkrootfs.sh" "$bundle/rootfs"
	"$NOOK" spec -b "$bundle"
	jq --arg cg "/nook-bench-$$" '.ociVersion = "1.0.2" | .process.terminal = false
		| .process.args = ["true"] | .process.capabilities.ambient = []
		| .linux.cgroupsPath = $cg' "$bundle/config.json" >"$work/config.json"
	mv "$work/config.json" "$bundle/config.json"
	make_variant bundle-noseccomp 'del(.linux.seccomp)'
	for rt in "$@"; do
		make_variant "bundle-sleep-$rt" ".process.args = [\"sleep\", \"1000000\"]
			| .linux.cgroupsPath += \"-exec-$rt\""
	done
	# The floors: unshare(1) making the namespaces the config asks for, and
	# nsenter(1) joining them.
	floor_flags=$(jq -r '[.linux.namespaces[].type] | map({pid: "--pid --fork", network: "--net",
		ipc: "--ipc", uts: "--uts", mount: "--mount", cgroup: "--cgroup", user: "--user",
		time: "--time"}[.]) | join(" ")' "$bundle/config.json")
	nsenter_flags=$(jq -r '[.linux.namespaces[].type] | map({pid: "--pid", network: "--net",
		ipc: "--ipc", uts: "--uts", mount: "--mount", cgroup: "--cgroup", user: "--user",
		time: "--time"}[.]) | join(" ")' "$bundle/config.json")
}

# run_cmd NAME BUNDLE: the command line of one foreground run (which deletes
# the container when it exits, so one id serves every run).
run_cmd() {
	echo "${bins[$1]} --root $work/state-$1 run -b $2 bench-$1"
}

# probe_runtimes RT...: each installed RT that runs the bundle here goes into
# names (in the order given) and bins; the others are named with the reason.
probe_runtimes() {
	local rt bin version out
	for rt in "$@"; do
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
	[ -n "${bins[nook]:-}" ] || {
		echo "nook cannot run the bench container" >&2
		exit 1
	}
	echo "floor: unshare $floor_flags /bin/true"
	echo "exec floor: nsenter --target PID $nsenter_flags --root --wd=/ true"
}

start_exec_containers() {
	local rt
	for rt in "${names[@]}"; do
		"${bins[$rt]}" --root "$work/state-$rt" run -d -b "$work/bundle-sleep-$rt" "bench-exec-$rt" \
			</dev/null >/dev/null 2>&1
		exec_pid[$rt]=$("${bins[$rt]}" --root "$work/state-$rt" state "bench-exec-$rt" | jq -r .pid)
	done
}

# The interleaved run, its lines (name, median, min, max) printed and kept
# in $work/times.tsv. Names: RT-seccomp (nook's with the cache filled by the
# run before), RT-no-seccomp, RT-exec, floor, nsenter, nook-seccomp-compile.
measure_startup() {
	local runs=$1 warmup=$2 compile=$3 rt args
	args=(floor "" "unshare $floor_flags /bin/true")
	if [ "$compile" = 1 ]; then
		args+=(nook-seccomp-compile "rm -rf $work/state-nook/seccomp~cache" "$(run_cmd nook "$bundle")")
	fi
	for rt in "${names[@]}"; do
		args+=("$rt-seccomp" "" "$(run_cmd "$rt" "$bundle")")
		args+=("$rt-no-seccomp" "" "$(run_cmd "$rt" "$work/bundle-noseccomp")")
	done
	args+=(nsenter "" "nsenter --target ${exec_pid[nook]} $nsenter_flags --root --wd=/ true")
	for rt in "${names[@]}"; do
		args+=("$rt-exec" "" "${bins[$rt]} --root $work/state-$rt exec bench-exec-$rt true")
	done
	"$work/interleave" "$runs" "$warmup" "${args[@]}" | tee "$work/times.tsv"
}

ms() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$work/times.tsv"; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo -; }

# The table: each config's median for nook, every other runtime and the
# floor; nook's ratio to the floor and to every other runtime; the goal.
startup_table() {
	local compile=$1 rt others=() fmt head
	for rt in "${names[@]}"; do
		[ "$rt" = nook ] || others+=("$rt")
	done
	# A column and a ratio per other runtime.
	fmt="%-34s %8s"
	for rt in "${others[@]}"; do fmt+=" %8s"; done
	fmt+=" %8s %10s"
	for rt in "${others[@]}"; do fmt+=" %10s"; done
	fmt+="  %s\n"
	head=(config nook "${others[@]}" floor nook/floor)
	for rt in "${others[@]}"; do head+=("nook/$rt"); done
	echo
	# shellcheck disable=SC2059
	printf "$fmt" "${head[@]}" goal
	# row LABEL NOOK-NAME OTHERS-SUFFIX FLOOR GOAL: the others' cells are
	# their RT-SUFFIX lines.
	row() {
		local n f cells=() ratios=()
		n=$(ms "$2")
		f=$(ms "$4")
		for rt in "${others[@]}"; do
			cells+=("$(ms "$rt-$3")")
			ratios+=("$(ratio "$n" "$(ms "$rt-$3")")")
		done
		# shellcheck disable=SC2059
		printf "$fmt" "$1" "$n" "${cells[@]}" "$f" "$(ratio "$n" "$f")" "${ratios[@]}" "$5"
	}
	if [ "$compile" = 1 ]; then
		row "default config, seccomp compiled" nook-seccomp-compile seccomp floor "(first compile: no slower than before)"
	fi
	row "default config, seccomp cached" nook-seccomp seccomp floor "nook/floor <= 1.5"
	row "without seccomp" nook-no-seccomp no-seccomp floor "nook/floor <= 1.3"
	row "exec into a running container" nook-exec exec nsenter "nook/nsenter <= 1.5"
}
