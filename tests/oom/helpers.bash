# shellcheck shell=bash
# The OOM-freeze suite's helpers (tests/oom/*.bats): run natively (make
# oom-test; the hybrid CI host), in the cgroup v2 VM and the v1 VM.
#
# Each test's container has a 32 MiB limit and /oomhog (tests/helpers/static/oomhog.c,
# static). Hogs run one after another in one container (a container start
# costs ~2 s under TCG): the container's shell waits for /goN in its root,
# which the test creates from the host, and writes the hog's output to /outN.

load ../bats/helpers

LIMIT=33554432
# How far over LIMIT usage may go: 0 with root; rootless.bats: memory.max's
# margin over memory.high.
OOM_MARGIN=0
# Runs per hog kind: 5 in make test, 50 in make oom-stress.
: "${OOM_RUNS:=5}"

# The command line the runtime runs under: as it is (root) here;
# tests/oom/rootless.bats runs it as the test user in its delegated cgroup.
OOM_AS=()

oom_setup() {
	nook_setup
	oom_bundle
}

# oom_bundle: this test's bundle gets the hog, the limit and the opt-in.
oom_bundle() {
	# Capabilities are not what this suite tests (as the VM suite).
	cfg 'del(.process.capabilities.ambient)'
	HOG=$(dirname "$NOOK")/helpers/static/oomhog
	[ -x "$HOG" ] || HOG=$REPO_DIR/build/helpers/static/oomhog
	cp "$HOG" "$ROOTFS/oomhog"
	cfg '.linux.resources.memory = {limit: $l} | .annotations["org.nook.oom"] = "freeze"' \
		--argjson l "$LIMIT"
}

# Skip unless this host can freeze at the memory limit (see `nook oom --help`).
require_oom_freeze() {
	nook_only "OOM freeze is nook's"
	local help
	help=$(nook oom --help)
	grep -q "^  cgroup v2, root: *yes" <<<"$help" ||
		grep -q "^  cgroup v1 / hybrid: *yes" <<<"$help" ||
		skip "this host has no memory controller nook can freeze on: $(grep 'OOM freeze on' <<<"$help")"
}

# The container's memory cgroup directory on the host (v2: the cgroup; v1
# and hybrid: its directory in the memory hierarchy).
mem_cg() {
	jq -r '.cgroupPaths.memory // .cgroupPath' "$ROOT/$ID/state.json"
}

# mem_event KEY: memory.events (v2) or memory.oom_control (v1: oom_kill).
mem_event() {
	local d
	d=$(mem_cg)
	if [ -e "$d/memory.events" ]; then
		awk -v k="$1" '$1 == k { print $2 }' "$d/memory.events"
	else
		awk -v k="$1" '$1 == k { print $2 }' "$d/memory.oom_control"
	fi
}

# hog_shell: the container's shell runs /oomhog with the arguments written
# to /go<i> in its root, for i = 1, 2, ..., once that file exists, and writes
# the hog's output to /out<i>.
hog_shell() {
	set_cmd 'i=1; while :; do while [ ! -s /go$i ]; do sleep 0.1; done; /oomhog $(cat /go$i) >/out$i 2>&1; i=$((i+1)); done'
	HOG_N=0
}

# go_hog 'ARGS': start the next hog.
go_hog() {
	HOG_N=$((HOG_N + 1))
	echo "$1" >"$ROOTFS/go$HOG_N.new"
	mv "$ROOTFS/go$HOG_N.new" "$ROOTFS/go$HOG_N"
}

# start_events: `nook events` in the background, into $EVENTS, once it runs.
start_events() {
	EVENTS=$BATS_TEST_TMPDIR/events
	"${OOM_AS[@]}" "$NOOK" --root "$ROOT" events --interval 60s "$ID" >"$EVENTS" 2>&1 &
	track_bg $!
	wait_file "$EVENTS" 20
}

# wait_frozen: the snapshot of the next OOM freeze, into $SNAP.
wait_frozen() {
	SNAP=$BATS_TEST_TMPDIR/snapshot
	timeout "${1:-120}" "${OOM_AS[@]}" "$NOOK" --root "$ROOT" oom --wait "$ID" >"$SNAP" || {
		oom_diagnose >&2
		return 1
	}
}

# oom_diagnose: what the kernel and the monitor say, when a freeze did not come.
oom_diagnose() {
	local d p t
	echo "--- not frozen; state.json cgroup paths and monitor:"
	jq -c '{cgroupPath, cgroupPaths, oomMonitorPid}' "$ROOT/$ID/state.json"
	d=$(mem_cg)
	if [ -e "$d/memory.events" ]; then
		echo "--- $d: memory.current $(cat "$d/memory.current") high $(cat "$d/memory.high") max $(cat "$d/memory.max")"
		echo "--- memory.events:"; cat "$d/memory.events"
		echo "--- memory.stat anon/file:"; grep -E '^(anon|file) ' "$d/memory.stat"
		echo "--- cgroup.events:"; cat "$d/cgroup.events"
	else
		echo "--- $d/memory.oom_control:"; cat "$d/memory.oom_control"
	fi
	echo "--- usage $(cat "$d/memory.usage_in_bytes" 2>/dev/null) limit $(cat "$d/memory.limit_in_bytes" 2>/dev/null)"
	for f in $(jq -r '.cgroupPaths // {} | to_entries[] | select(.key == "freezer") | .value' "$ROOT/$ID/state.json"); do
		echo "--- $f/freezer.state: $(cat "$f/freezer.state")"
	done
	[ ! -e "$d/cgroup.freeze" ] || echo "--- cgroup.freeze $(cat "$d/cgroup.freeze")"
	for p in $(cat "$d/cgroup.procs"); do
		for t in /proc/$p/task/*; do
			echo "--- task ${t##*/} of $p ($(cat /proc/$p/comm 2>/dev/null)): $(awk '{print $3}' "$t/stat" 2>/dev/null) wchan=$(cat "$t/wchan" 2>/dev/null)"
		done
	done
	p=$(jq -r '.oomMonitorPid // 0' "$ROOT/$ID/state.json")
	echo "--- monitor $p: $(cat /proc/$p/stat 2>/dev/null | cut -d' ' -f1-3) wchan=$(cat /proc/$p/wchan 2>/dev/null)"
	ls /proc/$p/fd -l 2>/dev/null | sed 's/^/    /'
	echo "--- oom files:"; ls -l "$ROOT/$ID"; cat "$ROOT/$ID"/oom-events 2>/dev/null
	echo "--- dmesg:"; dmesg 2>/dev/null | tail -n 30
}

snap() {
	jq -r "$1" "$SNAP"
}

# hog_running: an oomhog process is still in the container's cgroup (its
# memory is uncharged before it leaves).
hog_running() {
	local p
	for p in $(cat "$(mem_cg)/cgroup.procs"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = oomhog ] && return 0
	done
	return 1
}

# signal_pending PID SIG: SIG (a name: USR1) waits for PID, pending
# (SigPnd, ShdPnd of /proc/PID/status).
signal_pending() {
	local n mask
	n=$(kill -l "$2")
	for mask in $(awk '$1 == "SigPnd:" || $1 == "ShdPnd:" { print $2 }' "/proc/$1/status"); do
		(((0x$mask >> (n - 1)) & 1)) && return 0
	done
	return 1
}

# wait_out [I]: the output of hog I (default: the latest) once it finished:
# it printed its verdict and exited (the next limit must not find its memory).
wait_out() {
	local f=$ROOTFS/out${1:-$HOG_N} i
	for ((i = 0; i < ${2:-120} * 10; i++)); do
		if grep -q "^oomhog: " "$f" 2>/dev/null && ! hog_running; then
			cat "$f"
			return 0
		fi
		sleep 0.1
	done
	echo "hog did not finish: $(cat "$f" 2>/dev/null)" >&2
	return 1
}

# count_events TYPE: lines of that type in $EVENTS.
count_events() {
	grep -c "\"type\":\"$1\"" "$EVENTS" || true
}

# wait_event TYPE N: until $EVENTS has N lines of TYPE.
wait_event() {
	local i
	for ((i = 0; i < ${3:-60} * 10; i++)); do
		[ "$(count_events "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "waited for $2 $1 events; have: $(cat "$EVENTS")" >&2
	return 1
}

# wait_kernel_frozen: on v2, until cgroup.events says "frozen 1" (30 s at
# most); fails at once on v1, which has no such file (`state` is what
# counts there).
wait_kernel_frozen() {
	local f i
	f=$(mem_cg)/cgroup.events
	[ -e "$f" ] || return 1
	for ((i = 0; i < 600; i++)); do
		grep -qx "frozen 1" "$f" && return 0
		sleep 0.05
	done
	return 1
}

# Acceptance 1, one incident: the next hog (ARGS) at the 32 MiB limit is
# frozen with an oom-frozen snapshot, no OOM kill, usage (and, the first
# time, the peak) within the limit (rootless: the limit + OOM_MARGIN);
# `update --memory 64M` + `resume` let it finish with its data verified.
# Counts go to FROZEN OVER VERIFIED; the most the usage (or the first peak)
# went over the limit to MAX_OVER (bytes), the longest time from the
# monitor's freeze to frozen (v2: cgroup.events; v1: `state` says paused)
# to MAX_PAUSE_MS.
incident_raise() {
	nook update --memory 32M "$ID"
	go_hog "$1"
	wait_frozen
	local first=0 check over paused_ms
	[ "$FROZEN" != 0 ] || first=1
	check=$(jq -r --argjson l "$LIMIT" --argjson m "$OOM_MARGIN" --argjson first "$first" \
		'[.limit == $l, .events.oom_kill == 0, (.processes | length) > 0,
		  .usage <= $l + $m and ($first == 0 or .peak <= $l + $m)] | map(tostring) | join(" ")' "$SNAP")
	over=$(jq --argjson l "$LIMIT" --argjson first "$first" \
		'[.usage - $l, if $first == 1 then .peak - $l else 0 end, 0] | max' "$SNAP")
	[ "$over" -le "$MAX_OVER" ] || MAX_OVER=$over
	# v1: tasks in the OOM wait count as frozen; one may wake for a moment.
	# Rootless v2: tasks sleeping in memory.high's throttling freeze when
	# they wake (up to 2 s); the kernel's cgroup.events says when, cheaper
	# to poll than `state`.
	wait_kernel_frozen || wait_status "$ID" paused
	paused_ms=$(($(date +%s%3N) - $(date -d "$(snap .frozenAt)" +%s%3N)))
	wait_status "$ID" paused
	[ "$paused_ms" -le "$MAX_PAUSE_MS" ] || MAX_PAUSE_MS=$paused_ms
	FROZEN=$((FROZEN + 1))
	echo "incident $FROZEN ($1): checks $check, over the limit by $over bytes, paused ${paused_ms} ms after the freeze"
	[[ "$check" == "true true true "* ]]
	[[ "$check" == *" true" ]] || OVER=$((OVER + 1))
	OOMS=$(snap .events.oom)
	nook update --memory 64M "$ID"
	nook resume "$ID"
	if wait_out | grep -q "^oomhog: verified"; then
		VERIFIED=$((VERIFIED + 1))
	fi
}

# hog_rounds N: N rounds of the four hogs (1 process, 4 processes, 4
# threads, fork-heavy), each an incident_raise; prints the counts.
hog_rounds() {
	local r kind
	FROZEN=0 OVER=0 VERIFIED=0 MAX_OVER=0 MAX_PAUSE_MS=0
	for ((r = 1; r <= $1; r++)); do
		for kind in "proc 48" "procs 4 48" "threads 4 48" "forks 48"; do
			incident_raise "$kind"
		done
	done
	wait_event oom-resolved "$FROZEN"
	local kills runs=$(($1 * 4))
	kills=$(mem_event oom_kill)
	local counts="runs=$runs frozen=$FROZEN kills=$kills over=$OVER verified=$VERIFIED oom-events=$OOMS max-over=$((MAX_OVER >> 10))KiB max-paused-after=${MAX_PAUSE_MS}ms"
	echo "oom-freeze counts: $counts"
	echo "# oom-freeze counts: $counts" >&3
	[ "$FROZEN" = "$runs" ] && [ "$kills" = 0 ] && [ "$OVER" = 0 ] && [ "$VERIFIED" = "$runs" ]
	[ "$(count_events oom-frozen)" = "$runs" ]
	[ "$(grep -c '"action":"raise"' "$EVENTS")" = "$runs" ]
}
