# shellcheck shell=bash
# Common setup for the behaviour tests. Every .bats file does
#
#   load helpers
#   setup()    { nook_setup; }
#   teardown() { nook_teardown; }
#
# The runtime under test is $NOOK (the Makefile exports build/nook); the same
# suite runs against runc to check that the tests describe runc's behaviour:
#
#   NOOK=$(command -v runc) bats tests/bats
#
# Tests of what only nook does (overlay annotations, error message format,
# features details, exit 2 for usage errors) call nook_only first.
#
# Each test gets its own state root ($ROOT), bundle ($BUNDLE, rootfs in
# $ROOTFS, config.json from `$NOOK spec` made non-interactive) and container
# id ($ID), all under $BATS_TEST_TMPDIR, so tests never collide.

bats_require_minimum_version 1.5.0

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$TESTS_DIR/.." && pwd)
: "${NOOK:=$REPO_DIR/build/nook}"
export NOOK

# ---------------------------------------------------------------- runtime

is_runc() {
	[[ "$(basename "$NOOK")" == runc* ]]
}

# nook_only REASON: skip this test when the runtime under test is runc.
nook_only() {
	if is_runc; then
		skip "nook only: ${*:-nook-specific behaviour}"
	fi
}

# The runtime with this test's state root.
nook() {
	"$NOOK" --root "$ROOT" "$@"
}

# A container id that is unique on the host (cgroups are named after it).
new_id() {
	echo "nk${BATS_SUITE_TEST_NUMBER:-$BATS_TEST_NUMBER}-${1:-c}-$$"
}

# ---------------------------------------------------------------- setup

nook_setup() {
	[ -x "$NOOK" ] || {
		echo "runtime under test not found: NOOK=$NOOK (run make first)" >&2
		return 1
	}
	ROOT=$BATS_TEST_TMPDIR/root
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	ROOTFS=$BUNDLE/rootfs
	ID=$(new_id)
	BG_PIDS=()
	make_bundle "$BUNDLE"
}

# make_bundle DIR: a busybox bundle with a non-interactive config.json.
#   terminal false, rootfs writable, args `true`.
make_bundle() {
	local dir=$1
	mkdir -p "$dir"
	"$TESTS_DIR/lib/mkrootfs.sh" "$dir/rootfs"
	"$NOOK" spec -b "$dir"
	cfg_file "$dir/config.json" \
		'.process.terminal = false | .root.readonly = false | .process.args = ["true"]'
}

# cfg_file FILE FILTER [jq options...]: edit a JSON file in place with jq.
cfg_file() {
	local file=$1 filter=$2
	shift 2
	jq "$@" "$filter" "$file" >"$file.new" && mv "$file.new" "$file"
}

# cfg FILTER [jq options...]: edit this test's config.json.
cfg() {
	cfg_file "$BUNDLE/config.json" "$@"
}

# set_cmd 'shell command': the container runs sh -c 'shell command'.
set_cmd() {
	cfg '.process.args = ["sh", "-c", $c]' --arg c "$1"
}

# add_namespace TYPE [PATH]
add_namespace() {
	if [ $# -ge 2 ]; then
		cfg '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t, path: $p}])' \
			--arg t "$1" --arg p "$2"
	else
		cfg '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t}])' --arg t "$1"
	fi
}

remove_namespace() {
	cfg '.linux.namespaces = [.linux.namespaces[] | select(.type != $t)]' --arg t "$1"
}

# add_mount DEST TYPE SOURCE OPTIONS-JSON-ARRAY
add_mount() {
	cfg '.mounts += [{destination: $d, type: $t, source: $s, options: $o}]' \
		--arg d "$1" --arg t "$2" --arg s "$3" --argjson o "$4"
}

# run_container 'shell command': `run` the container in the foreground with
# bats' run; $status and $output are the container's.
run_container() {
	set_cmd "$1"
	run nook run -b "$BUNDLE" "$ID" </dev/null
}

# Commands that leave a container behind (create, run -d, exec -d) must not
# hand it bats' output pipes: bats' `run` would wait for the container to
# close them. The container's stdout/stderr go to $BATS_TEST_TMPDIR/<id>.out
# and .err; the runtime's own stderr ends up there too, and is copied into
# $output.

# try_create [create flags...] ID: sets $status, $output and $lines.
try_create() {
	try_detached create -b "$BUNDLE" "$@"
}

# create_ctr [flags...] ID: create, failing the test if create fails.
create_ctr() {
	try_create "$@"
	if [ "$status" -ne 0 ]; then
		echo "create $* failed ($status): $output" >&2
		return 1
	fi
}

# run_detached [flags...] ID: `run -d`, failing the test if it fails.
run_detached() {
	try_detached run -d -b "$BUNDLE" "$@"
	if [ "$status" -ne 0 ]; then
		echo "run -d $* failed ($status): $output" >&2
		return 1
	fi
}

# try_detached COMMAND ARGS... ID: any command that leaves processes behind.
# Output files are named after the id (create, run) or "exec".
try_detached() {
	local id=${*: -1} out err
	[ "$1" != exec ] || id="exec"
	out=$BATS_TEST_TMPDIR/$id.out
	err=$BATS_TEST_TMPDIR/$id.err
	status=0
	nook "$@" </dev/null >>"$out" 2>"$err.cmd" 3>&- || status=$?
	output=$(cat "$err.cmd")
	cat "$err.cmd" >>"$err"
	mapfile -t lines <<<"$output"
	[ -n "$output" ] || lines=()
}

# ctr_output ID: what the container wrote to stdout so far.
ctr_output() {
	cat "$BATS_TEST_TMPDIR/$1.out" 2>/dev/null
}

# ---------------------------------------------------------------- waiting

# state_field ID FIELD
state_field() {
	nook state "$1" | jq -r ".$2"
}

# wait_status ID STATUS: poll `state` until it reports STATUS (5 s at most).
wait_status() {
	local id=$1 want=$2 st="" i
	for ((i = 0; i < 250; i++)); do
		st=$(nook state "$id" 2>/dev/null | jq -r .status 2>/dev/null) || st=""
		[ "$st" = "$want" ] && return 0
		sleep 0.02
	done
	echo "container $id: status \"$st\", waited for \"$want\"" >&2
	return 1
}

# wait_file FILE [SECONDS]: wait until FILE exists and is not empty.
wait_file() {
	local f=$1 t=${2:-5} i
	for ((i = 0; i < t * 50; i++)); do
		[ -s "$f" ] && return 0
		sleep 0.02
	done
	echo "timed out waiting for $f" >&2
	return 1
}

# wait_exists PATH [SECONDS]
wait_exists() {
	local f=$1 t=${2:-5} i
	for ((i = 0; i < t * 50; i++)); do
		[ -e "$f" ] && return 0
		sleep 0.02
	done
	echo "timed out waiting for $f" >&2
	return 1
}

# Remember a background process to reap in teardown.
track_bg() {
	BG_PIDS+=("$1")
}

# ---------------------------------------------------------------- namespaces

# ns_link PID TYPE: e.g. "net:[4026531840]" (TYPE as in /proc/PID/ns).
ns_link() {
	readlink "/proc/$1/ns/$2"
}

# The /proc/*/ns name of a config.json namespace type.
ns_proc_name() {
	case "$1" in
	network) echo net ;;
	mount) echo mnt ;;
	*) echo "$1" ;;
	esac
}

# Make the path to this test's bundle traversable by unprivileged uids (a
# container root mapped to another host uid must reach its rootfs).
make_bundle_path_traversable() {
	local d=$BUNDLE
	while [ "$d" != / ] && [ -n "$d" ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	chmod -R o+rX "$BUNDLE"
}

# ---------------------------------------------------------------- cleanup checks

# The mount points of cgroup v1 and v2 hierarchies, from mountinfo.
cgroup_mounts() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
	       if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5 }' /proc/self/mountinfo
}

cgroup2_mount() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
	       if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo
}

# Pids of processes left from container ID with bundle BUNDLE: a command line
# naming the id, or a mount namespace that has the bundle mounted. One grep
# over all of /proc each, so a check stays fast on a busy host.
leftover_pids() {
	local id=$1 bundle=$2 our_mnt f p
	our_mnt=$(readlink /proc/self/ns/mnt)
	{
		grep -lswF -- "$id" /proc/[0-9]*/cmdline
		# A mount in our own namespace is reported by the mount check.
		for f in $(grep -lsF -- "$bundle" /proc/[0-9]*/mountinfo); do
			p=${f%/mountinfo}
			[ "$(readlink "$p/ns/mnt")" = "$our_mnt" ] || echo "$f"
		done
	} 2>/dev/null | awk -F/ -v me="$$" -v sub_="$BASHPID" '$3 != me && $3 != sub_ { print $3 }' | sort -u
}

# assert_nothing_left ID [BUNDLE]: a failed create (or a delete) left no state
# dir under --root, no process, no mount mentioning the bundle and no cgroup
# directory named after the id.
assert_nothing_left() {
	local id=$1 bundle=${2:-$BUNDLE} bad=0 pids cg found
	if [ -e "$ROOT/$id" ]; then
		echo "left behind: state dir $ROOT/$id" >&2
		bad=1
	fi
	pids=$(leftover_pids "$id" "$bundle")
	if [ -n "$pids" ]; then
		local p
		for p in $pids; do
			echo "left behind: process $p: $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null)" >&2
		done
		bad=1
	fi
	if grep -F -- "$bundle" /proc/self/mountinfo >&2; then
		echo "left behind: the mounts above" >&2
		bad=1
	fi
	while read -r cg; do
		[ -n "$cg" ] || continue
		# find fails when a directory it walks goes away meanwhile (other
		# containers on the host): only what it found counts.
		found=$(find "$cg" -maxdepth 4 -type d -name "$id" 2>/dev/null || true)
		if [ -n "$found" ]; then
			echo "left behind: cgroup $found" >&2
			bad=1
		fi
	done < <(cgroup_mounts)
	return $bad
}

# assert_one_error_line FIELD: $output is exactly one nook error line for $ID
# that names FIELD (nook's error format; see docs/ARCHITECTURE.md).
assert_one_error_line() {
	local field=$1
	if [ "${#lines[@]}" -ne 1 ]; then
		echo "expected one line, got ${#lines[@]}:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
	if [[ "$output" != "nook: $ID: "* ]]; then
		echo "expected \"nook: $ID: ...\", got: $output" >&2
		return 1
	fi
	if [[ "$output" != *"$field"* ]]; then
		echo "expected the error to name \"$field\", got: $output" >&2
		return 1
	fi
}

# expect_usage_error: $status is a usage error. nook exits 2 as the issue
# asks; runc (urfave/cli) exits 1 for a bad flag or argument count and 3 for
# an unknown command, so against runc only "it failed" is checked.
expect_usage_error() {
	if is_runc; then
		[ "$status" -ne 0 ] || {
			echo "expected a usage error, got status 0: $output" >&2
			return 1
		}
	else
		[ "$status" -eq 2 ] || {
			echo "expected exit 2, got $status: $output" >&2
			return 1
		}
	fi
}

# expect_error_status: $status is a runtime error: exit 1 for nook. runc
# exits 255 instead of 1 in a few places (exec that cannot start its process),
# so against runc only "it failed" is checked.
expect_error_status() {
	if is_runc; then
		[ "$status" -ne 0 ]
	else
		[ "$status" -eq 1 ] || {
			echo "expected exit 1, got $status: $output" >&2
			return 1
		}
	fi
}

# ---------------------------------------------------------------- helpers

# The recvtty helper (tests/helpers/recvtty.c): built by the Makefile next to
# the nook binary under test; when testing another runtime, built here.
recvtty_bin() {
	local cand
	for cand in "$(dirname "$NOOK")/helpers/recvtty" "$REPO_DIR/${BUILD:-build}/helpers/recvtty"; do
		if [ -x "$cand" ]; then
			echo "$cand"
			return 0
		fi
	done
	cand=$BATS_RUN_TMPDIR/recvtty
	if [ ! -x "$cand" ]; then
		cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o "$cand.$$" \
			"$TESTS_DIR/helpers/recvtty.c" && mv "$cand.$$" "$cand"
	fi
	echo "$cand"
}

# start_recvtty SOCKET OUTFILE: a console receiver in the background; returns
# once SOCKET listens. Its pid is in $RECVTTY_PID.
start_recvtty() {
	local bin
	bin=$(recvtty_bin)
	"$bin" "$1" >"$2" 2>&1 &
	RECVTTY_PID=$!
	track_bg "$RECVTTY_PID"
	wait_exists "$1"
}

# ---------------------------------------------------------------- teardown

nook_teardown() {
	local id d p bad=0
	if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ]; then
		for id in $(nook list -q 2>/dev/null); do
			nook delete -f "$id" >/dev/null 2>&1 || true
		done
		# In case list itself is broken: every state dir is a container.
		for d in "$ROOT"/*/; do
			[ -d "$d" ] || continue
			nook delete -f "$(basename "$d")" >/dev/null 2>&1 || true
		done
	fi
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	# A mount left on the host under this test's directory would make bats'
	# rm -rf of it reach through a bind mount: unmount such mounts (they are
	# this test's own) and fail the test, because the runtime leaked them.
	if [ -n "${BATS_TEST_TMPDIR:-}" ]; then
		local mnt
		while read -r mnt; do
			echo "teardown: unmounting leaked mount $mnt" >&2
			umount -l "$mnt" 2>/dev/null || true
			bad=1
		done < <(awk -v d="$BATS_TEST_TMPDIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	fi
	return $bad
}
