#!/usr/bin/env bats
# Issue 8's acceptance tests: the OOM-freeze handler (org.nook.oom=freeze).
# See tests/oom/helpers.bash for how hogs run.

load helpers

setup() {
	oom_setup
}

teardown() {
	nook_teardown
}

@test "oom 1: one process at the limit: frozen, no kill, raised + resumed, data verified" {
	require_oom_freeze
	hog_runs "$OOM_RUNS" "proc 48"
}

@test "oom 1: 4 processes at the limit" {
	require_oom_freeze
	hog_runs "$OOM_RUNS" "procs 4 48"
}

@test "oom 1: 4 threads at the limit (opted in by disableOOMKiller)" {
	require_oom_freeze
	cfg 'del(.annotations["org.nook.oom"]) | .linux.resources.memory.disableOOMKiller = true'
	hog_runs "$OOM_RUNS" "threads 4 48"
}

@test "oom 1: fork-heavy at the limit" {
	require_oom_freeze
	hog_runs "$OOM_RUNS" "forks 48"
}

@test "oom 2: kill the largest process while frozen; the survivors finish verified" {
	require_oom_freeze
	hog_loop 1 "mix 4 4 40"
	create_ctr "$ID"
	nook start "$ID"
	touch "$ROOTFS/go1"
	wait_frozen
	cat "$SNAP"
	largest=$(snap '.processes | max_by(.rss) | .pid')
	[ "$(snap '.processes | max_by(.rss) | .rss')" -gt $((16 << 20)) ]
	kill -KILL "$largest"
	nook resume "$ID"
	run wait_out 1
	echo "$output"
	[[ "$output" == "oomhog: verified mix 4 4 40 (1 killed)" ]]
	[ "$(mem_event oom_kill)" = 0 ]
}

@test "oom 3: timeout with fallback kill: one OOM kill, oom_score_adj restored" {
	require_oom_freeze
	cfg '.annotations["org.nook.oom.timeout"] = "2s" | .annotations["org.nook.oom.fallback"] = "kill"'
	hog_loop 1 "proc 48"
	create_ctr "$ID"
	start_events
	nook start "$ID"
	pid=$(nook state "$ID" | jq .pid)
	[ "$(cat /proc/$pid/oom_score_adj)" = -1000 ]
	touch "$ROOTFS/go1"
	wait_frozen
	[ "$(snap .fallback)" = kill ]
	[ "$(snap .deadline)" != null ]
	wait_event oom-resolved 1 30
	grep '"type":"oom-resolved"' "$EVENTS" | grep '"action":"timeout"' | grep -q '"fallback":"kill"'
	# The kernel's OOM killer takes the hog; the shell lives on.
	for ((i = 0; i < 100; i++)); do [ "$(mem_event oom_kill)" = 1 ] && break; sleep 0.1; done
	[ "$(mem_event oom_kill)" = 1 ]
	[ "$(cat /proc/$pid/oom_score_adj)" = 0 ]
	sleep 1
	[ "$(mem_event oom_kill)" = 1 ]
	[ "$(nook state "$ID" | jq -r .status)" = running ]
}

@test "oom 3: timeout with fallback kill-all: the container is gone" {
	require_oom_freeze
	cfg '.annotations["org.nook.oom.timeout"] = "2s" | .annotations["org.nook.oom.fallback"] = "kill-all"'
	hog_loop 1 "proc 48"
	create_ctr "$ID"
	start_events
	nook start "$ID"
	touch "$ROOTFS/go1"
	wait_frozen
	[ "$(snap .fallback)" = kill-all ]
	wait_status "$ID" stopped
	wait_event oom-resolved 1 30
	grep '"type":"oom-resolved"' "$EVENTS" | grep -q '"fallback":"kill-all"'
	[ -z "$(cat "$(mem_cg)/cgroup.procs")" ]
}

@test "oom 4: a page-cache-only workload bigger than the limit is never frozen" {
	require_oom_freeze
	# A file the container reads through the page cache (charged to it): on
	# a disk filesystem, written around the page cache so the container's
	# read is what caches it.
	big=$BATS_TEST_TMPDIR/data
	mkdir -p "$big"
	if [ "$(stat -f -c %T "$big")" = tmpfs ]; then
		[ -b /dev/vda ] && command -v mkfs.ext4 >/dev/null || skip "no disk filesystem for a page-cache test"
		mkfs.ext4 -q -F /dev/vda
		mount /dev/vda "$big"
	fi
	dd if=/dev/zero of="$big/file" bs=1M count=48 oflag=direct status=none
	add_mount /data bind "$big" '["bind"]'
	set_cmd 'cat /data/file >/dev/null && cat /data/file >/dev/null && dd if=/dev/zero of=/data/file2 bs=1M count=8 status=none && echo cat-done'
	create_ctr "$ID"
	start_events
	nook start "$ID"
	wait_status "$ID" stopped || true
	for ((i = 0; i < 300; i++)); do grep -q cat-done "$BATS_TEST_TMPDIR/$ID.out" && break; sleep 0.1; done
	cat "$BATS_TEST_TMPDIR/$ID.out"
	grep -q cat-done "$BATS_TEST_TMPDIR/$ID.out"
	[ "$(count_events oom-frozen)" = 0 ]
	nook delete -f "$ID"
	! mountpoint -q "$big" || umount "$big"
}

@test "oom 5: the monitor SIGKILLed while frozen: state says so, delete -f removes everything" {
	require_oom_freeze
	hog_loop 1 "proc 48"
	create_ctr "$ID"
	nook start "$ID"
	touch "$ROOTFS/go1"
	wait_frozen
	cg=$(mem_cg)
	mon=$(jq .oomMonitorPid "$ROOT/$ID/state.json")
	[ "$mon" -gt 0 ]
	kill -KILL "$mon"
	for ((i = 0; i < 50; i++)); do kill -0 "$mon" 2>/dev/null || break; sleep 0.1; done
	run nook state "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: the OOM monitor (pid $mon) is gone"* ]]
	[[ "$output" == *'"status": "paused"'* ]]
	run nook oom "$ID"
	[ "$status" -ne 0 ] || [[ "$output" == *'"incident"'* ]]
	run nook delete -f "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$ID" ]
	[ ! -e "$cg" ]
}

@test "oom 6: the handler program gets the snapshot; its raise + resume takes effect" {
	require_oom_freeze
	handler=$BATS_TEST_TMPDIR/handler.sh
	cat >"$handler" <<-'SH'
		#!/bin/sh
		cat >"$(dirname "$0")/handler-stdin"
		"$NOOK" --root "$NOOK_ROOT" update --memory 64M "$NOOK_CONTAINER_ID" &&
			"$NOOK" --root "$NOOK_ROOT" resume "$1"
	SH
	chmod +x "$handler"
	cfg '.annotations["org.nook.oom.handler"] = $h' --arg h "$handler"
	hog_loop 1 "proc 48"
	create_ctr "$ID"
	start_events
	nook start "$ID"
	touch "$ROOTFS/go1"
	run wait_out 1
	echo "$output"
	[[ "$output" == "oomhog: verified proc 48" ]]
	[ "$(jq -r .limit "$BATS_TEST_TMPDIR/handler-stdin")" = "$LIMIT" ]
	[ "$(jq '.processes | length' "$BATS_TEST_TMPDIR/handler-stdin")" -ge 2 ]
	wait_event oom-resolved 1
	grep '"type":"oom-resolved"' "$EVENTS" | grep -q '"action":"raise"'
	[ "$(mem_event oom_kill)" = 0 ]
}

@test "oom 7: without the opt-in the kernel kills, and events reports {\"type\":\"oom\"}" {
	require_oom_freeze
	cfg 'del(.annotations["org.nook.oom"])'
	hog_loop 1 "proc 48"
	create_ctr "$ID"
	start_events
	nook start "$ID"
	[ "$(jq '.oomMonitorPid // 0' "$ROOT/$ID/state.json")" = 0 ]
	pid=$(nook state "$ID" | jq .pid)
	[ "$(cat /proc/$pid/oom_score_adj)" = 0 ]
	touch "$ROOTFS/go1"
	wait_event oom 1
	grep -q "^{\"type\":\"oom\",\"id\":\"$ID\"}$" "$EVENTS"
	[ "$(mem_event oom_kill)" -ge 1 ]
	[ "$(count_events oom-frozen)" = 0 ]
	run nook oom "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not freeze at its memory limit"* ]]
}
