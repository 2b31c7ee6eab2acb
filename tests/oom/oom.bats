#!/usr/bin/env bats
# Issue 8's acceptance tests: the OOM-freeze handler (org.nook.oom=freeze).
# Runs natively (make oom-test), in the cgroup v2 VM and in the v1 VM; see
# tests/oom/helpers.bash for how hogs run. A container start costs ~2 s
# under TCG, so one container serves several points where it can.

load helpers

setup() {
	oom_setup
}

teardown() {
	nook_teardown
	# A parent cgroup of the test's own (the tighter-limit test).
	[ -z "${OOM_PARENT:-}" ] || rmdir "$OOM_PARENT" 2>/dev/null || true
}

@test "oom 1, 2, 5: hogs frozen at the limit, raised, resumed; kill the largest; the monitor SIGKILLed" {
	require_oom_freeze
	hog_shell
	create_ctr "$ID"
	start_events
	nook start "$ID"
	pid=$(nook state "$ID" | jq .pid)
	# The init and so every process: invisible to the OOM killer (v2).
	[ "$(cat /proc/$pid/oom_score_adj)" = -1000 ] || [ -e "$(mem_cg)/memory.oom_control" ]

	# 1: OOM_RUNS rounds of 1 process, 4 processes, 4 threads, fork-heavy.
	hog_rounds "$OOM_RUNS"

	# 2: three small processes, then a big one runs into the limit; kill
	# the largest from the snapshot, resume: the survivors finish verified.
	# The monitor, held (SIGSTOP) while resume runs, must still tell the
	# killed one from the survivors: resume has it decide before it thaws
	# (SIGUSR1), else the survivors could finish and exit before it looks.
	nook update --memory 32M "$ID"
	go_hog "mix 4 4 40"
	wait_frozen
	largest=$(snap '.processes | max_by(.rss) | .pid')
	[ "$(snap '.processes | max_by(.rss) | .rss')" -gt $((16 << 20)) ]
	mon=$(jq .oomMonitorPid "$ROOT/$ID/state.json")
	kill -STOP "$mon"
	kill -KILL "$largest"
	"$NOOK" --root "$ROOT" resume "$ID" &
	resume=$!
	# Until resume asked the monitor or (it did not ask) the hog finished.
	for ((i = 0; i < 100; i++)); do
		signal_pending "$mon" USR1 && break
		hog_running || break
		sleep 0.1
	done
	kill -CONT "$mon"
	wait "$resume"
	run wait_out
	echo "$output"
	[[ "$output" == "oomhog: verified mix 4 4 40 (1 killed)" ]]
	wait_event oom-resolved $((FROZEN + 1))
	resolved=$(grep '"type":"oom-resolved"' "$EVENTS" | tail -n 1)
	echo "$resolved"
	[[ "$resolved" == *'"action":"kill"'* && "$resolved" == *"\"killed\":[$largest]"* ]]
	[ "$(mem_event oom_kill)" = 0 ]

	# 5: frozen again, the monitor dies: state still works and says so,
	# delete -f removes everything.
	go_hog "proc 48"
	wait_frozen
	cg=$(mem_cg)
	mon=$(jq .oomMonitorPid "$ROOT/$ID/state.json")
	[ "$mon" -gt 0 ]
	kill -KILL "$mon"
	for ((i = 0; i < 50; i++)); do kill -0 "$mon" 2>/dev/null || break; sleep 0.1; done
	run nook state "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nook: $ID: warning: the OOM monitor (pid $mon) is gone"* ]]
	[[ "$output" == *'"status": "paused"'* ]]
	run nook kill "$ID" CONT
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: the OOM monitor (pid $mon) is gone"* ]]
	run nook delete -f "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$ID" ]
	[ ! -e "$cg" ]
}

@test "oom 1, exec: a process nook exec starts is held at the limit too (v2: oom_score_adj -1000), raised, resumed" {
	require_oom_freeze
	set_cmd 'while :; do sleep 1; done'
	create_ctr "$ID"
	start_events
	nook start "$ID"
	# The exec'd shell and its hog: on v2 only -1000 keeps the kernel's OOM
	# killer off them (the init's score does not reach them).
	HOG_N=1
	try_detached exec -d "$ID" sh -c '/oomhog proc 48 >/out1 2>&1; true'
	[ "$status" -eq 0 ]
	wait_frozen
	echo "snapshot: $(cat "$SNAP")"
	[ "$(snap .events.oom_kill)" = 0 ]
	[ "$(snap '[.processes[] | select(.rss > 16777216)] | length')" = 1 ]
	[ -e "$(mem_cg)/memory.oom_control" ] ||
		[ "$(snap '[.processes[].oomScoreAdj] | unique | tostring')" = "[-1000]" ]
	wait_status "$ID" paused
	nook update --memory 64M "$ID"
	nook resume "$ID"
	run wait_out
	echo "$output"
	[[ "$output" == "oomhog: verified proc 48" ]]
	wait_event oom-resolved 1
	grep '"type":"oom-resolved"' "$EVENTS" | grep -q '"action":"raise"'
	[ "$(mem_event oom_kill)" = 0 ]
}

@test "oom 4, 3: page cache over the limit is never frozen; timeout fallback kill: one OOM kill, oom_score_adj restored" {
	require_oom_freeze
	# 4: a file read through the page cache, charged to the container. On
	# a disk filesystem: written around the page cache, so the container's
	# read is what caches it. In the VM (tmpfs everywhere, the host's / on
	# 9p with cache=loose): a big file of the host's that no one read yet.
	big=$BATS_TEST_TMPDIR/data
	mkdir -p "$big"
	if [ "$(stat -f -c %T "$big")" = tmpfs ]; then
		file=$(find /usr/bin /usr/lib/x86_64-linux-gnu /usr/libexec -maxdepth 2 -type f -size +48M 2>/dev/null | head -n 1)
		[ -n "$file" ] || skip "no file of 48 MiB on a page-cached filesystem"
		add_mount /data/file bind "$file" '["bind", "ro"]'
	else
		dd if=/dev/zero of="$big/file" bs=1M count=48 oflag=direct status=none
		add_mount /data bind "$big" '["bind"]'
	fi
	cfg '.annotations["org.nook.oom.timeout"] = "2s" | .annotations["org.nook.oom.fallback"] = "kill"'
	set_cmd 'cat /data/file >/dev/null && echo cat-done >/out0; i=1; while :; do while [ ! -s /go$i ]; do sleep 0.1; done; /oomhog $(cat /go$i) >/out$i 2>&1; i=$((i+1)); done'
	HOG_N=0
	create_ctr "$ID"
	start_events
	nook start "$ID"
	pid=$(nook state "$ID" | jq .pid)
	for ((i = 0; i < 600; i++)); do [ -s "$ROOTFS/out0" ] && break; sleep 0.1; done
	[ "$(cat "$ROOTFS/out0")" = cat-done ]
	[ "$(count_events oom-frozen)" = 0 ]
	[ "$(mem_event oom_kill)" = 0 ]

	# An exec'd process with an oomScoreAdj of its own: hidden from the OOM
	# killer while the policy is armed (v2: -1000), its own value back
	# after the fallback.
	jq '.process | .args = ["sleep", "1000"] | .oomScoreAdj = 100' "$BUNDLE/config.json" \
		>"$BATS_TEST_TMPDIR/process.json"
	try_detached exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" \
		--process "$BATS_TEST_TMPDIR/process.json" "$ID"
	[ "$status" -eq 0 ]
	epid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	if [ -e "$(mem_cg)/memory.oom_control" ]; then
		[ "$(cat /proc/$epid/oom_score_adj)" = 100 ]
	else
		[ "$(cat /proc/$epid/oom_score_adj)" = -1000 ]
	fi

	# 3: nobody answers within 2 s: the kernel's OOM killer takes the hog,
	# once; the shell (the init) lives on with its oom_score_adj back.
	go_hog "proc 48"
	wait_frozen
	[ "$(snap .fallback)" = kill ]
	[ "$(snap .deadline)" != null ]
	wait_event oom-resolved 1 30
	grep '"type":"oom-resolved"' "$EVENTS" | grep '"action":"timeout"' | grep -q '"fallback":"kill"'
	for ((i = 0; i < 100; i++)); do [ "$(mem_event oom_kill)" = 1 ] && break; sleep 0.1; done
	sleep 1
	[ "$(mem_event oom_kill)" = 1 ]
	[ "$(cat /proc/$pid/oom_score_adj)" = 0 ]
	[ "$(cat /proc/$epid/oom_score_adj)" = 100 ]
	[ "$(nook state "$ID" | jq -r .status)" = running ]
	[ "$(count_events oom-frozen)" = 1 ]
}

@test "oom 3: timeout fallback kill-all: the container is gone" {
	require_oom_freeze
	cfg '.annotations["org.nook.oom.timeout"] = "2s" | .annotations["org.nook.oom.fallback"] = "kill-all"'
	hog_shell
	create_ctr "$ID"
	start_events
	nook start "$ID"
	go_hog "proc 48"
	wait_frozen
	[ "$(snap .fallback)" = kill-all ]
	wait_status "$ID" stopped
	wait_event oom-resolved 1 30
	grep '"type":"oom-resolved"' "$EVENTS" | grep -q '"fallback":"kill-all"'
	[ -z "$(cat "$(mem_cg)/cgroup.procs")" ]
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
	hog_shell
	create_ctr "$ID"
	start_events
	nook start "$ID"
	go_hog "proc 48"
	run wait_out
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
	hog_shell
	create_ctr "$ID"
	start_events
	nook start "$ID"
	[ "$(jq '.oomMonitorPid // 0' "$ROOT/$ID/state.json")" = 0 ]
	pid=$(nook state "$ID" | jq .pid)
	[ "$(cat /proc/$pid/oom_score_adj)" = "$(cat /proc/self/oom_score_adj)" ]
	go_hog "proc 48"
	wait_event oom 1
	grep -q "^{\"type\":\"oom\",\"id\":\"$ID\"}$" "$EVENTS"
	[ "$(mem_event oom_kill)" -ge 1 ]
	[ "$(count_events oom-frozen)" = 0 ]
	run nook oom "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not freeze at its memory limit"* ]]
}

@test "oom: a parent cgroup with a tighter limit is warned about at create; the container runs" {
	require_oom_freeze
	# A parent of the test's own with 16 MiB, the container's 32 MiB below.
	mine=nook-oomp-$ID
	v2=$(cgroup2_mount)
	if [ -n "$v2" ] && grep -qw memory "$v2/cgroup.controllers"; then
		# As nook does for its own cgroups (the VM's root).
		grep -qw memory "$v2/cgroup.subtree_control" || echo +memory >"$v2/cgroup.subtree_control"
		OOM_PARENT=$v2/$mine file=memory.max
		mkdir "$OOM_PARENT"
		echo +memory >"$OOM_PARENT/cgroup.subtree_control"
	else
		OOM_PARENT=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
		                    if ($(i + 1) == "cgroup" && $(i + 3) ~ /memory/) { print $5; exit } }' \
			/proc/self/mountinfo)/$mine
		file=memory.limit_in_bytes
		mkdir "$OOM_PARENT"
	fi
	echo $((16 << 20)) >"$OOM_PARENT/$file"
	cfg '.linux.cgroupsPath = $p' --arg p "/$mine/c"
	set_cmd 'echo up >/up; exec sleep 1000'
	create_ctr "$ID"
	echo "$output"
	[ "$output" = "nook: $ID: warning: annotations[\"org.nook.oom\"]: freeze: the ancestor cgroup $OOM_PARENT has $file 16777216, below the container's $LIMIT: the freeze does not catch an OOM at that limit" ]
	nook start "$ID"
	wait_file "$ROOTFS/up"
	[ "$(nook state "$ID" | jq -r .status)" = running ]
	nook delete -f "$ID"
	rmdir "$OOM_PARENT"
	[ -z "$(for m in $(cgroup_mounts); do ls -d "$m/$mine" 2>/dev/null; done)" ]
}

@test "oom: config errors name the annotation; features, --help and oom --help say what this host supports" {
	nook_only "org.nook.oom is nook's"
	cfg '.annotations["org.nook.oom.timeout"] = "soon"'
	try_create "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == "nook: $ID: annotations[\"org.nook.oom.timeout\"]: must be a duration like \"2s\", \"500ms\" or \"1m\" (0: wait for a decision), not \"soon\"" ]]
	[ ! -e "$ROOT/$ID" ]
	cfg '.annotations["org.nook.oom.timeout"] = "2s" | .annotations["org.nook.oom.fallback"] = "pray"'
	try_create "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'annotations["org.nook.oom.fallback"]: must be "kill", "kill-all" or "thaw", not "pray"'* ]]
	cfg 'del(.annotations["org.nook.oom.fallback"]) | .annotations["org.nook.oom"] = "yes"'
	try_create "$ID"
	[[ "$output" == *'annotations["org.nook.oom"]: must be "freeze" or "kill", not "yes"'* ]]
	cfg '.annotations["org.nook.oom"] = "freeze" | del(.linux.resources.memory)'
	try_create "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == "nook: $ID: annotations[\"org.nook.oom\"]: freeze needs a memory limit (linux.resources.memory.limit)" ]]
	[ ! -e "$ROOT/$ID" ]

	run nook features
	[ "$status" -eq 0 ]
	support=$(jq -r '.annotations["org.nook.oom.freeze"]' <<<"$output")
	run nook oom --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"OOM freeze on this host"* ]]
	if [[ "$output" == *"cgroup v2, root:     yes"* ]]; then
		[[ "$support" == "cgroup v2 (root, rootless)"* ]]
	elif [[ "$output" == *"cgroup v1 / hybrid:  yes"* ]]; then
		[ "$support" = "cgroup v1 (memory.oom_control)" ]
	else
		[[ "$support" == "none on this host"* ]]
	fi
	run nook --help
	[[ "$output" == *"OOM freeze (nook oom --help) on this host: $support"* ]]
}
