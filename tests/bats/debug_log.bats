#!/usr/bin/env bats
# --debug traces every step with its arguments into the runtime log, in the
# line format runc's logrus writes (what podman, containerd and Docker read
# back from the --log file), so a failure under them can be understood from
# that log alone.

load helpers

setup() {
	nook_setup
	LOG=$BATS_TEST_TMPDIR/log
	mkdir -p "$BATS_TEST_TMPDIR/src"
	add_mount /data bind "$BATS_TEST_TMPDIR/src" '["rbind", "ro"]'
	add_mount /scratch tmpfs tmpfs '["nosuid", "size=1m"]'
	cat >"$BATS_TEST_TMPDIR/hook.sh" <<-'EOF'
		#!/bin/sh
		cat >/dev/null
	EOF
	chmod +x "$BATS_TEST_TMPDIR/hook.sh"
	cfg '.hooks.prestart = [{path: $p, args: ["hook.sh", "first-arg"]}]' \
		--arg p "$BATS_TEST_TMPDIR/hook.sh"
}
teardown() { nook_teardown; }

# The log's messages, one per line.
msgs() {
	jq -r .msg "$LOG"
}

@test "--debug --log-format json: every step with its arguments" {
	nook_only "runc's debug messages are its own"
	run -0 "$NOOK" --root "$ROOT" --debug --log "$LOG" --log-format json run -b "$BUNDLE" "$ID"
	# Every line is one logrus JSON object: level, msg, time (RFC 3339 with
	# microseconds under --debug, for per-step timings).
	run -0 jq -e -s 'all(.[]; (keys == ["level", "msg", "time"]) and
		(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}Z$")))' "$LOG"
	run -0 msgs
	[[ "$output" == *"run -b $BUNDLE $ID"* ]]
	[[ "$output" == *"mount proc on /proc: type proc, flags"* ]]
	[[ "$output" == *"mount $BATS_TEST_TMPDIR/src on /data: type bind, flags MS_RDONLY|MS_BIND|MS_REC"* ]]
	[[ "$output" == *'mount tmpfs on /scratch: type tmpfs, flags MS_NOSUID, data "size=1m"'* ]]
	[[ "$output" == *"clone init: new namespaces pid|mount|network|ipc|uts"* ]]
	[[ "$output" == *"pivot_root into "* ]]
	[[ "$output" == *"prestart hook $BATS_TEST_TMPDIR/hook.sh: run (pid "*") with args [hook.sh first-arg]"* ]]
	[[ "$output" == *"prestart hook $BATS_TEST_TMPDIR/hook.sh: done"* ]]
	[[ "$output" == *"exec /bin/true [true] as 0:0 in /"* ]]
}

@test "--debug: cgroup files written and namespaces joined" {
	nook_only "runc's debug messages are its own"
	cfg '.linux.resources.pids = {limit: 42} | .linux.cgroupsPath = $p' --arg p "/nook-test/$ID"
	netns=$(readlink -f /proc/self/ns/net)
	add_namespace network /proc/self/ns/net
	run -0 "$NOOK" --root "$ROOT" --debug --log "$LOG" --log-format json run -b "$BUNDLE" "$ID"
	run -0 msgs
	[[ "$output" == *"join network namespace /proc/self/ns/net"* ]]
	[[ "$output" =~ write\ [^\ ]*/nook-test/$ID/pids.max:\ 42 ]]
	# The init joins each v1 hierarchy itself ("0" to tasks; the cgroup2 one
	# by CLONE_INTO_CGROUP).
	[[ "$output" =~ write\ [^\ ]*/nook-test/$ID/tasks:\ 0 ]]
}

@test "--debug text format: runc's logrus line" {
	nook_only "runc's debug messages are its own"
	run -0 "$NOOK" --root "$ROOT" --debug --log "$LOG" run -b "$BUNDLE" "$ID"
	run -0 grep -c -v -E '^time="[0-9-]{10}T[0-9:]{8}\.[0-9]{6}Z" level=(debug|info|warning|error) msg=".*"$' "$LOG" || true
	[ "$output" = 0 ]
	grep -q 'msg="mount proc on /proc: type proc' "$LOG"
}

@test "--debug without --log traces to stderr, not into the container's output" {
	nook_only "runc's debug messages are its own"
	set_cmd 'echo container-out'
	"$NOOK" --root "$ROOT" --debug run -b "$BUNDLE" "$ID" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" </dev/null
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = container-out ]
	grep -q 'msg="mount proc on /proc' "$BATS_TEST_TMPDIR/err"
}

@test "without --debug the log gets no trace" {
	run -0 "$NOOK" --root "$ROOT" --log "$LOG" --log-format json run -b "$BUNDLE" "$ID"
	[ ! -s "$LOG" ] || ! grep -q '"level":"debug"' "$LOG"
}

# The steps runc's debug log names ("nsexec", init(), the completion pipe,
# setns_init) are named the same way in ours: tools and runc's own tests
# (debug.bats, exec.bats) look for these words.
@test "--debug: run and exec log the steps in the words runc's log uses" {
	set_cmd 'sleep 100'
	try_detached --debug --log "$LOG" --log-format json run -d -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	run -0 msgs
	[[ "$output" == *"nsexec container setup"* ]]
	[[ "$output" == *"child process in init()"* ]]
	[[ "$output" == *"init: closing the pipe to signal completion"* ]]
	: >"$LOG"
	run -0 "$NOOK" --root "$ROOT" --debug --log "$LOG" --log-format json exec "$ID" true
	run -0 msgs
	[[ "$output" == *"nsexec container setup"* ]]
	[[ "$output" == *"child process in init()"* ]]
	[[ "$output" == *"setns_init: about to exec"* ]]
}
