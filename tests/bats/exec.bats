#!/usr/bin/env bats
# exec: a new process in a running container's namespaces, root and cgroup.

load helpers

setup() {
	nook_setup
	echo only-in-the-container >"$ROOTFS/marker"
	cfg '.process.args = ["sleep", "1000"]'
	# Every namespace type the host allows a container to have.
	add_namespace cgroup
	run_detached "$ID"
	INIT_PID=$(state_field "$ID" pid)
}
teardown() { nook_teardown; }

@test "exec joins every namespace of the container's init" {
	local t
	for t in pid net ipc uts mnt cgroup; do
		run -0 nook exec "$ID" readlink "/proc/self/ns/$t"
		[ "$output" = "$(ns_link "$INIT_PID" "$t")" ] || {
			echo "$t: exec sees $output, init has $(ns_link "$INIT_PID" $t)" >&2
			return 1
		}
		[ "$output" != "$(ns_link self "$t")" ]
	done
}

@test "exec sees the container's root and its PID 1" {
	run -0 nook exec "$ID" cat /marker
	[ "$output" = only-in-the-container ]
	run -0 nook exec "$ID" cat /proc/1/comm
	[ "$output" = sleep ]
	# Its own pid is a pid of the container's pid namespace.
	run -0 nook exec "$ID" sh -c 'echo $$'
	[ "$output" -gt 1 ]
	[ "$output" -lt 100 ]
}

@test "exec runs in the container's cgroup" {
	local pf=$BATS_TEST_TMPDIR/exec.pid
	try_detached exec -d --pid-file "$pf" "$ID" sleep 100
	[ "$status" -eq 0 ]
	# Seen from the host, the exec'd process is in init's cgroups.
	[ "$(cat "/proc/$(cat "$pf")/cgroup")" = "$(cat "/proc/$INIT_PID/cgroup")" ]
	[ "$(cat "/proc/$INIT_PID/cgroup")" != "$(cat /proc/self/cgroup)" ]
}

@test "exec exit status is the process's" {
	run nook exec "$ID" sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run nook exec "$ID" sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
}

@test "exec of a missing program fails" {
	run nook exec "$ID" /no/such/program
	[ "$status" -ne 0 ]
}

@test "exec -e sets environment, --cwd the directory" {
	run -0 nook exec -e FOO=bar -e OTHER=x=y --cwd /tmp "$ID" sh -c 'echo "$FOO $OTHER $(pwd)"'
	[ "$output" = "bar x=y /tmp" ]
}

@test "exec gets the container's environment" {
	nook delete -f "$ID"
	cfg '.process.env += ["FROM_CONFIG=yes"]'
	run_detached "$ID"
	run -0 nook exec "$ID" sh -c 'echo $FROM_CONFIG'
	[ "$output" = yes ]
}

@test "exec -u UID:GID and -u UID" {
	run -0 nook exec -u 1000:1000 "$ID" sh -c 'echo $(id -u) $(id -g)'
	[ "$output" = "1000 1000" ]
	run -0 nook exec -u 1000 "$ID" id -u
	[ "$output" = 1000 ]
	run -0 nook exec -u 1000:1000 "$ID" cat /proc/self/status
	grep -E '^Uid:\s+1000\s+1000\s+1000\s+1000' <<<"$output"
	grep -E '^Gid:\s+1000\s+1000\s+1000\s+1000' <<<"$output"
}

@test "exec --process FILE runs a process.json" {
	local pj=$BATS_TEST_TMPDIR/process.json
	cat >"$pj" <<-'EOF'
		{
		  "terminal": false,
		  "user": { "uid": 1000, "gid": 1000 },
		  "args": ["sh", "-c", "echo $PJ $(id -u) $(pwd)"],
		  "env": ["PATH=/bin:/usr/bin", "PJ=from-process-json"],
		  "cwd": "/tmp"
		}
	EOF
	run -0 nook exec --process "$pj" "$ID"
	[ "$output" = "from-process-json 1000 /tmp" ]
}

@test "exec --process as a user without capabilities or noNewPrivileges, under seccomp" {
	# Without no_new_privs the seccomp filter must be loaded while the
	# process still has CAP_SYS_ADMIN, before the user change drops it.
	nook delete -f "$ID"
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	                       syscalls: [{names: ["kexec_load"], action: "SCMP_ACT_ERRNO"}]}'
	run_detached "$ID"
	local pj=$BATS_TEST_TMPDIR/process.json
	jq -n '{terminal: false, user: {uid: 1000, gid: 1000}, args: ["id", "-u"],
	        env: ["PATH=/bin:/usr/bin"], cwd: "/"}' >"$pj"
	run -0 nook exec --process "$pj" "$ID"
	[ "$output" = 1000 ]
	run -0 nook exec -u 1000 "$ID" grep ^Seccomp: /proc/self/status
	[[ "$output" == *2 ]]
}

@test "exec -d returns and the process runs on" {
	try_detached exec -d "$ID" sh -c 'sleep 0.2; echo detached > /tmp/exec-d'
	[ "$status" -eq 0 ]
	[ ! -e "$ROOTFS/tmp/exec-d" ]
	wait_file "$ROOTFS/tmp/exec-d"
	[ "$(cat "$ROOTFS/tmp/exec-d")" = detached ]
}

@test "exec --pid-file writes the exec'd process's pid" {
	local pf=$BATS_TEST_TMPDIR/exec.pid
	try_detached exec -d --pid-file "$pf" "$ID" sleep 100
	[ "$status" -eq 0 ]
	local pid
	pid=$(cat "$pf")
	[ "$pid" != "$INIT_PID" ]
	[ "$(cat "/proc/$pid/comm")" = sleep ]
	[ "$(ns_link "$pid" pid)" = "$(ns_link "$INIT_PID" pid)" ]
}

@test "exec into a stopped or missing container fails with exit 255, as runc" {
	run -0 nook kill "$ID" KILL
	wait_status "$ID" stopped
	run nook exec "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *stopped* ]]
	run nook exec no-such-container true
	[ "$status" -eq 255 ]
}

@test "exec -d -t with --console-socket sends the pty" {
	local sock=$BATS_TEST_TMPDIR/exec.sock out=$BATS_TEST_TMPDIR/exec.tty
	start_recvtty "$sock" "$out"
	try_detached exec -d -t --console-socket "$sock" "$ID" sh -c 'tty; echo on-the-tty'
	[ "$status" -eq 0 ]
	wait "$RECVTTY_PID"
	grep -q 'on-the-tty' "$out"
	grep -q '^/dev/pts/[0-9]' "$out"
}
