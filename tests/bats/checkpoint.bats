#!/usr/bin/env bats
# checkpoint and restore (criu). The option and error checks run wherever
# criu is installed. The checkpoint/restore round trips need a criu that
# works on the running kernel: criu 3.17 (Debian 12) cannot start at all on
# Linux 6.18 ("vdso: Unexpected rt vDSO area bounds"), so on such a host
# they skip and the cgroup v2 VM (Debian's 6.1 kernel, make vm-test) runs
# them.

load helpers

setup() {
	command -v criu >/dev/null || skip "criu is not installed (apt-get install criu)"
	nook_setup
}
teardown() { nook_teardown; }

# The round trips: skipped with criu's own reason when it cannot run here.
requires_working_criu() {
	local why
	# No default config: runc's own suite leaves an /etc/criu/default.conf
	# (with a log-file) behind on the host.
	if ! why=$(cd "$BATS_TEST_TMPDIR" && criu check --no-default-config 2>&1); then
		why=$(echo "$why" | grep -m1 Error || true)
		skip "criu cannot checkpoint on this kernel ($(uname -r)): criu check fails${why:+: $why}"
	fi
}

# A container that counts in /count (one step every 50 ms) from where its
# shell variable is; its stdio are pipes held by this shell (criu gives the
# restored process the pipes restore is given, by the names recorded at
# checkpoint), so nothing of it points outside the container.
COUNTER='i=0; while :; do i=$((i+1)); echo $i > /count.new; mv /count.new /count; sleep 0.05; done'

setup_pipes() {
	local p
	exec {p}<> <(:)
	exec {in_r}</proc/self/fd/$p {in_w}>/proc/self/fd/$p {p}>&-
	exec {p}<> <(:)
	exec {out_r}</proc/self/fd/$p {out_w}>/proc/self/fd/$p {p}>&-
}

# with_pipes CMD...: the runtime with the container's pipes as stdio (its
# own errors, on failure, are read back from the pipe into $output).
with_pipes() {
	status=0
	nook "$@" <&"$in_r" >&"$out_w" 2>&"$out_w" 3>&- || status=$?
	output=
	if [ "$status" -ne 0 ]; then
		output=$(timeout 1 cat <&"$out_r" || true)
	fi
}

count() {
	cat "$ROOTFS/count" 2>/dev/null || echo 0
}

# wait_count_above N: /count goes past N (10 s at most).
wait_count_above() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ "$(count)" -gt "$1" ] && return 0
		sleep 0.02
	done
	echo "count stayed at $(count), waited for more than $1" >&2
	return 1
}

start_counter() {
	set_cmd "$COUNTER"
	setup_pipes
	with_pipes run -d -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || {
		echo "run -d failed: $output" >&2
		return 1
	}
	wait_count_above 4
}

# checkpoint_ok [checkpoint options]: checkpoint $ID with its logs in
# ./work-dir, showing criu's errors when it fails.
checkpoint_ok() {
	run nook checkpoint --work-path "$BATS_TEST_TMPDIR/work-dir" "$@" "$ID"
	if [ "$status" -ne 0 ]; then
		echo "checkpoint $* failed: $output" >&2
		grep -B5 Error "$BATS_TEST_TMPDIR"/work-dir/dump.log >&2 || true
		return 1
	fi
}

# restore_counter [restore options]: restore $ID from ./image-dir.
restore_counter() {
	with_pipes restore -d -b "$BUNDLE" --image-path "$BATS_TEST_TMPDIR/image-dir" \
		--work-path "$BATS_TEST_TMPDIR/work-dir" "$@" "$ID"
	if [ "$status" -ne 0 ]; then
		echo "restore failed: $output" >&2
		grep -B5 Error "$BATS_TEST_TMPDIR"/work-dir/restore.log >&2 || true
		return 1
	fi
}

@test "checkpoint refuses an absolute or missing --parent-path and the container keeps running" {
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	cd "$BATS_TEST_TMPDIR"
	run -1 nook checkpoint --parent-path "$PWD/parent-dir" --image-path ./image-dir "$ID"
	[[ "$output" == *"--parent-path"* ]]
	run -1 nook checkpoint --parent-path ./parent-dir --image-path ./image-dir "$ID"
	[[ "$output" == *"--parent-path"* ]]
	[ "$(state_field "$ID" status)" = running ]
}

@test "checkpoint of a created container is refused" {
	set_cmd 'exec sleep 100'
	create_ctr "$ID"
	cd "$BATS_TEST_TMPDIR"
	run -1 nook checkpoint "$ID"
	[[ "$output" == *"cannot be checkpointed in created state"* ]]
	[ "$(state_field "$ID" status)" = created ]
	[ ! -e checkpoint/descriptors.json ]
}

@test "checkpoint and restore name a bad option value" {
	nook_only "nook's messages"
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	cd "$BATS_TEST_TMPDIR"
	run -1 nook checkpoint --manage-cgroups-mode hard "$ID"
	[[ "$output" == *'--manage-cgroups-mode: "hard" is not soft, full or strict'* ]]
	run -1 nook checkpoint --empty-ns ipc "$ID"
	[[ "$output" == *'--empty-ns: namespace "ipc" is not supported'* ]]
	run -1 nook checkpoint --page-server nohost "$ID"
	[[ "$output" == *'--page-server needs ADDRESS:PORT'* ]]
	run -1 nook checkpoint --lazy-pages "$ID"
	[[ "$output" == *'--lazy-pages is not supported'* ]]
	[ "$(state_field "$ID" status)" = running ]
}

@test "checkpoint without criu fails and leaves the container running" {
	nook_only "nook's message"
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	cd "$BATS_TEST_TMPDIR"
	PATH=/nonexistent run -1 "$NOOK" --root "$ROOT" checkpoint "$ID"
	[[ "$output" == *"criu not found in PATH"* ]]
	[ "$(state_field "$ID" status)" = running ]
}

@test "a failed restore leaves no container, cgroup or mount behind" {
	cfg '.linux.cgroupsPath = $p' --arg p "/nook-test-ckpt-$ID"
	mkdir -p "$BATS_TEST_TMPDIR/image-dir"
	# A checkpoint criu cannot use: the restore gets as far as criu.
	echo '["/dev/null","/dev/null","/dev/null"]' >"$BATS_TEST_TMPDIR/image-dir/descriptors.json"
	cd "$BATS_TEST_TMPDIR"
	run ! nook restore -d -b "$BUNDLE" --image-path ./image-dir "$ID"
	[[ "$output" == *"restore"* ]]
	run ! nook state "$ID"
	[ -z "$(nook list -q)" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "nook-test-ckpt-$ID" 2>/dev/null)" ]
	! grep -q criu-root /proc/self/mountinfo
	# And without any checkpoint: named, nothing made.
	run -1 nook restore -d -b "$BUNDLE" --image-path ./missing "$ID"
	[[ "$output" == *"missing"* ]]
	[ -z "$(nook list -q)" ]
}

@test "checkpoint ends the container; restore brings it back counting on from its value" {
	requires_working_criu
	start_counter
	cd "$BATS_TEST_TMPDIR"
	checkpoint_ok --image-path ./image-dir
	# Gone, as after delete (runc's 'checkpointed'): state fails.
	run ! nook state "$ID"
	local at_dump
	at_dump=$(count)
	sleep 0.3
	[ "$(count)" -eq "$at_dump" ]
	[ -s image-dir/descriptors.json ]
	restore_counter --pid-file "$BATS_TEST_TMPDIR/pid"
	[ "$(state_field "$ID" status)" = running ]
	local pid
	pid=$(state_field "$ID" pid)
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
	[ -d "/proc/$pid" ]
	# The process goes on from where it was, not from 1.
	wait_count_above "$at_dump"
	[ "$(count)" -gt "$at_dump" ]
	# What the container sees: its own pid 1, its files.
	run -0 nook exec "$ID" sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "'
	[[ "$output" == *"while :"* ]]
	# kill and delete work on the restored container.
	run -0 nook kill "$ID" KILL
	wait_status "$ID" stopped
	run -0 nook delete "$ID"
	[ -z "$(nook list -q)" ]
}

@test "checkpoint --leave-running keeps the container; its image restores another" {
	requires_working_criu
	# The counter also logs every value: what the restored process wrote
	# first is read from the log, however late the test gets to look.
	COUNTER='i=0; while :; do i=$((i+1)); echo $i >> /log; echo $i > /count.new; mv /count.new /count; sleep 0.05; done'
	start_counter
	cd "$BATS_TEST_TMPDIR"
	checkpoint_ok --leave-running --image-path ./image-dir
	[ "$(state_field "$ID" status)" = running ]
	local at_dump
	at_dump=$(count)
	wait_count_above $((at_dump + 3))
	run -0 nook delete -f "$ID"
	# The restored shell may be about to move /count.new: one it wrote, not
	# one the first container wrote after the dump.
	rm -f "$ROOTFS/count.new"
	local before logged
	before=$(count)
	logged=$(wc -l <"$ROOTFS/log")
	restore_counter
	[ "$(state_field "$ID" status)" = running ]
	local i=0 first=
	while [ -z "$first" ] && [ $((i++)) -lt 500 ]; do
		sleep 0.02
		first=$(sed -n "$((logged + 1))p" "$ROOTFS/log")
	done
	echo "count: $at_dump after the dump, $before when deleted, $first first after the restore" >&2
	# Counting again from the checkpoint's value (at most what it was when
	# the dump ended), not from 1 and not from where the first one stopped.
	[ -n "$first" ]
	[ "$first" -gt 4 ]
	[ "$first" -le $((at_dump + 2)) ]
}

@test "checkpoint --pre-dump, then a dump with --parent-path, restores" {
	requires_working_criu
	start_counter
	cd "$BATS_TEST_TMPDIR"
	mkdir parent-dir
	checkpoint_ok --pre-dump --image-path ./parent-dir
	[ "$(state_field "$ID" status)" = running ]
	ls parent-dir | grep -q '^pages-'
	checkpoint_ok --parent-path ../parent-dir --image-path ./image-dir
	[ -L image-dir/parent ]
	run ! nook state "$ID"
	local at_dump
	at_dump=$(count)
	restore_counter
	wait_count_above "$at_dump"
	run -0 nook exec "$ID" true
}

@test "checkpoint and restore with a bind mount nested in another" {
	requires_working_criu
	mkdir -p "$BATS_TEST_TMPDIR/b1" "$BATS_TEST_TMPDIR/b2"
	echo inner >"$BATS_TEST_TMPDIR/b2/file"
	add_mount /test bind "$BATS_TEST_TMPDIR/b1" '["rbind"]'
	add_mount /test/for/nested bind "$BATS_TEST_TMPDIR/b2" '["rbind"]'
	start_counter
	cd "$BATS_TEST_TMPDIR"
	checkpoint_ok --image-path ./image-dir
	# The mount point create made is gone: restore makes it again.
	rm -rf "$BATS_TEST_TMPDIR/b1"/*
	restore_counter
	run -0 nook exec "$ID" cat /test/for/nested/file
	[ "$output" = inner ]
	# The restore's mounts were made in a mount namespace of its own.
	! grep -q "$BATS_TEST_TMPDIR/bundle/rootfs/test" /proc/self/mountinfo
}

@test "checkpoint and restore a container with a terminal: the new pty goes to --console-socket" {
	requires_working_criu
	cfg '.process.terminal = true'
	set_cmd 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.05; done'
	local sock1=$BATS_TEST_TMPDIR/tty1.sock sock2=$BATS_TEST_TMPDIR/tty2.sock
	start_recvtty "$sock1" "$BATS_TEST_TMPDIR/tty1.out"
	run_detached --console-socket "$sock1" "$ID"
	wait_file "$BATS_TEST_TMPDIR/tty1.out"
	cd "$BATS_TEST_TMPDIR"
	checkpoint_ok --image-path ./image-dir
	local last
	last=$(grep -o 'tick [0-9]*' tty1.out | tail -1 | cut -d' ' -f2)
	[ -n "$last" ]
	start_recvtty "$sock2" "$BATS_TEST_TMPDIR/tty2.out"
	try_detached restore -d -b "$BUNDLE" --image-path ./image-dir --work-path ./work-dir \
		--console-socket "$sock2" "$ID"
	[ "$status" -eq 0 ] || {
		echo "restore failed: $output" >&2
		grep -B5 Error work-dir/restore.log >&2
		return 1
	}
	wait_file "$BATS_TEST_TMPDIR/tty2.out"
	# The restored shell goes on writing to its terminal, counting from
	# where it was.
	local first i
	for ((i = 0; i < 250; i++)); do
		first=$(grep -o 'tick [0-9]*' tty2.out | head -1 | cut -d' ' -f2)
		[ -n "$first" ] && break
		sleep 0.02
	done
	echo "last tick before the checkpoint: $last, first after the restore: $first" >&2
	[ "$first" -gt "$last" ]
	run -0 nook exec "$ID" true
}

@test "the annotation org.criu.config gives criu a configuration file" {
	requires_working_criu
	echo "log-file=from-annotation.log" >"$BATS_TEST_TMPDIR/criu.conf"
	cfg '.annotations["org.criu.config"] = $f' --arg f "$BATS_TEST_TMPDIR/criu.conf"
	start_counter
	cd "$BATS_TEST_TMPDIR"
	checkpoint_ok --image-path ./image-dir
	[ -s work-dir/from-annotation.log ]
	[ ! -e work-dir/dump.log ]
}
