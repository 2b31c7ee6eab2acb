# shellcheck shell=bash
# The OOM-freeze suite's helpers (tests/oom/*.bats): run natively (make
# oom-test; the hybrid CI host), in the cgroup v2 VM and the v1 VM.
#
# Each test's container has a 32 MiB limit and /oomhog (tests/helpers/oomhog.c,
# static). Hogs run one after another in one container (a container start
# costs ~2 s under TCG): the container's shell waits for /goN in its root,
# which the test creates from the host, and writes the hog's output to /outN.

load ../bats/helpers

LIMIT=33554432
# Runs per hog kind: 5 in make test, 50 in make oom-stress.
: "${OOM_RUNS:=5}"

oom_setup() {
	nook_setup
	# Capabilities are not what this suite tests (as the VM suite).
	cfg 'del(.process.capabilities.ambient)'
	HOG=$(dirname "$NOOK")/helpers/oomhog
	[ -x "$HOG" ] || HOG=$REPO_DIR/build/helpers/oomhog
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

# The container's memory cgroup directory on the host (v2: the cgroup).
mem_cg() {
	jq -r '.cgroupPath' "$ROOT/$ID/state.json"
}

mem_event() {
	awk -v k="$1" '$1 == k { print $2 }' "$(mem_cg)/memory.events"
}

# hog_loop N 'ARGS': the container runs N hogs, the i-th once /go<i> exists.
hog_loop() {
	set_cmd "i=1; while [ \$i -le $1 ]; do while [ ! -e /go\$i ]; do sleep 0.05; done; /oomhog $2 >/out\$i 2>&1; i=\$((i+1)); done; sleep 1000"
}

# start_events: `nook events` in the background, into $EVENTS, once it runs.
start_events() {
	EVENTS=$BATS_TEST_TMPDIR/events
	"$NOOK" --root "$ROOT" events --interval 60s "$ID" >"$EVENTS" 2>&1 &
	track_bg $!
	wait_file "$EVENTS" 20
}

# wait_frozen: the snapshot of the next OOM freeze, into $SNAP.
wait_frozen() {
	SNAP=$BATS_TEST_TMPDIR/snapshot
	timeout "${1:-120}" "$NOOK" --root "$ROOT" oom --wait "$ID" >"$SNAP"
}

snap() {
	jq -r "$1" "$SNAP"
}

# wait_out I: hog i's output, once it has finished.
wait_out() {
	local f=$ROOTFS/out$1 i
	for ((i = 0; i < ${2:-120} * 10; i++)); do
		if grep -q "^oomhog: " "$f" 2>/dev/null; then
			cat "$f"
			return 0
		fi
		sleep 0.1
	done
	echo "hog $1 did not finish: $(cat "$f" 2>/dev/null)" >&2
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

# Acceptance 1: RUNS incidents of one hog kind in one container, each frozen
# with no kill and no byte over the limit, then raised and resumed to finish
# with its data verified. Prints "frozen=N kills=N over=N verified=N".
hog_runs() {
	local runs=$1 args=$2 i frozen=0 over=0 verified=0
	hog_loop "$runs" "$args"
	create_ctr "$ID"
	start_events
	nook start "$ID"
	for ((i = 1; i <= runs; i++)); do
		nook update --memory 32M "$ID"
		touch "$ROOTFS/go$i"
		wait_frozen
		[ "$(snap .limit)" = "$LIMIT" ]
		[ "$(snap .events.oom_kill)" = 0 ]
		[ "$(nook state "$ID" | jq -r .status)" = paused ]
		frozen=$((frozen + 1))
		# memory.peak cannot be reset on older kernels: after the first
		# raise it holds that run's peak; usage must still be within.
		if [ "$(snap .usage)" -gt "$LIMIT" ] || { [ "$i" = 1 ] && [ "$(snap .peak)" -gt "$LIMIT" ]; }; then
			over=$((over + 1))
		fi
		nook update --memory 64M "$ID"
		nook resume "$ID"
		if wait_out "$i" | grep -q "^oomhog: verified"; then
			verified=$((verified + 1))
		fi
	done
	wait_event oom-resolved "$runs"
	local kills
	kills=$(mem_event oom_kill)
	echo "$args: frozen=$frozen kills=$kills over=$over verified=$verified runs=$runs"
	[ "$frozen" = "$runs" ] && [ "$kills" = 0 ] && [ "$over" = 0 ] && [ "$verified" = "$runs" ]
	[ "$(count_events oom-frozen)" = "$runs" ]
	[ "$(grep -c '"action":"raise"' "$EVENTS")" = "$runs" ]
}
