#!/usr/bin/env bats
# The container process: args, env, cwd, user, umask, rlimits, oomScoreAdj,
# hostname, sysctl, file descriptors, terminal.

load helpers

setup() { nook_setup; }
teardown() { nook_teardown; }

@test "args are passed as given" {
	cfg '.process.args = ["sh", "-c", "printf \"[%s]\" \"$@\"", "zero", "one", "two words", ""]'
	run -0 nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$output" = "[one][two words][]" ]
}

@test "env is exactly process.env" {
	cfg '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar", "EMPTY=", "WITH_EQ=a=b"]'
	run_container 'env | sort'
	[ "$status" -eq 0 ]
	# sh adds PWD and SHLVL; runc adds HOME when process.env has none (from
	# /etc/passwd), which nook may do as well.
	[ "$(grep -v -e '^PWD=' -e '^SHLVL=' -e '^HOME=' <<<"$output")" = "$(printf '%s\n' EMPTY= FOO=bar PATH=/bin:/usr/bin WITH_EQ=a=b)" ]
}

@test "args[0] is looked up in the PATH of process.env" {
	cfg '.process.env = ["PATH=/usr/bin"] | .process.args = ["env", "-u", "HOME"]'
	run -0 nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$output" = PATH=/usr/bin ]
	# Not found in that PATH (busybox has sh in /bin only): create or start fails.
	cfg '.process.args = ["sh", "-c", "true"]'
	ID=$(new_id nopath)
	run nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ]
}

@test "cwd is process.cwd, created if missing" {
	cfg '.process.cwd = "/home/user"'
	run_container 'pwd'
	[ "$status" -eq 0 ]
	[ "$output" = /home/user ]
	cfg '.process.cwd = "/new/dir"'
	run_container 'pwd'
	[ "$status" -eq 0 ]
	[ "$output" = /new/dir ]
}

@test "user uid, gid and additionalGids" {
	cfg '.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20]}'
	run_container 'cat /proc/self/status'
	[ "$status" -eq 0 ]
	grep -E '^Uid:\s+1000\s+1000\s+1000\s+1000$' <<<"$output"
	grep -E '^Gid:\s+1000\s+1000\s+1000\s+1000$' <<<"$output"
	grep -E '^Groups:\s+10 20\s*$' <<<"$output"
}

@test "a user without additionalGids has no supplementary groups" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	run_container 'grep ^Groups: /proc/self/status'
	[ "$status" -eq 0 ]
	grep -E '^Groups:\s*$' <<<"$output"
}

@test "user.umask" {
	cfg '.process.user.umask = 63'
	run_container 'umask; touch /tmp/f; stat -c %a /tmp/f'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0077 ]
	[ "${lines[1]}" = 600 ]
}

@test "a non-root user cannot write root's files" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	run_container 'echo x > /etc/passwd'
	[ "$status" -ne 0 ]
	run_container 'echo x > /home/user/mine && cat /home/user/mine'
	[ "$status" -eq 0 ]
}

@test "rlimits" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 123, hard: 456}, {type: "RLIMIT_NPROC", soft: 777, hard: 888}]'
	run_container 'ulimit -n; ulimit -H -n; grep "Max processes" /proc/self/limits'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 123 ]
	[ "${lines[1]}" = 456 ]
	grep -E 'Max processes +777 +888' <<<"$output"
}

@test "oomScoreAdj" {
	cfg '.process.oomScoreAdj = 123'
	run_container 'cat /proc/self/oom_score_adj'
	[ "$status" -eq 0 ]
	[ "$output" = 123 ]
}

@test "hostname" {
	cfg '.hostname = "box-one"'
	run_container 'hostname'
	[ "$status" -eq 0 ]
	[ "$output" = box-one ]
	# The host's did not change.
	[ "$(hostname)" != box-one ]
}

@test "domainname" {
	# runc 1.1 ignores domainname (runc 1.2 added it); the issue asks for it.
	nook_only "domainname (not in runc 1.1)"
	cfg '.hostname = "box-one" | .domainname = "example.org"'
	run_container 'cat /proc/sys/kernel/domainname'
	[ "$status" -eq 0 ]
	[ "$output" = example.org ]
	[ "$(cat /proc/sys/kernel/domainname)" != example.org ]
}

@test "sysctl sets namespaced keys" {
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1", "net.ipv4.ping_group_range": "0 1000"}'
	run_container 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ping_group_range'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 1 ]
	[[ "${lines[2]}" =~ ^0[[:space:]]+1000$ ]]
}

@test "sysctl refuses a key outside the container's namespaces and leaves nothing" {
	cfg '.linux.sysctl = {"kernel.panic": "5"}'
	local before
	before=$(cat /proc/sys/kernel/panic)
	try_create "$ID"
	[ "$status" -eq 1 ]
	[ "$(cat /proc/sys/kernel/panic)" = "$before" ]
	assert_nothing_left "$ID"
	# A net.* key without a network namespace is refused too.
	remove_namespace network
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_nothing_left "$ID"
}

@test "only stdio reaches the container: other fds are closed" {
	set_cmd 'ls /proc/self/fd'
	run -0 nook run -b "$BUNDLE" "$ID" </dev/null 7</etc/hostname 8>/dev/null
	# ls itself has the directory open as fd 3.
	[ "$(echo $output)" = "0 1 2 3" ]
}

@test "--preserve-fds N passes fds 3..N+2 and closes the rest" {
	echo first >"$BATS_TEST_TMPDIR/f1"
	echo second >"$BATS_TEST_TMPDIR/f2"
	set_cmd 'cat <&3; cat <&4; [ -e /proc/self/fd/5 ] && echo fd5-open; echo done'
	run -0 nook run --preserve-fds 2 -b "$BUNDLE" "$ID" </dev/null \
		3<"$BATS_TEST_TMPDIR/f1" 4<"$BATS_TEST_TMPDIR/f2" 5</etc/hostname
	[ "$output" = "$(printf 'first\nsecond\ndone')" ]
}

@test "--preserve-fds with create and start" {
	echo preserved >"$BATS_TEST_TMPDIR/f1"
	set_cmd 'cat <&3 > /from-fd3'
	# Not try_create: it closes bats' fd 3, and here fd 3 is the payload.
	nook create --preserve-fds 1 -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3<"$BATS_TEST_TMPDIR/f1"
	run -0 nook start "$ID"
	wait_status "$ID" stopped
	[ "$(cat "$ROOTFS/from-fd3")" = preserved ]
}

@test "LISTEN_FDS: socket-activation fds are passed on with LISTEN_FDS and LISTEN_PID=1" {
	echo activated >"$BATS_TEST_TMPDIR/f1"
	echo extra >"$BATS_TEST_TMPDIR/f2"
	set_cmd 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3; cat <&4'
	# LISTEN_PID must be the runtime's own pid: exec keeps the shell's.
	run -0 env ROOT="$ROOT" BUNDLE="$BUNDLE" ID="$ID" NOOK="$NOOK" sh -c \
		'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$NOOK" --root "$ROOT" run --preserve-fds 1 -b "$BUNDLE" "$ID"' \
		</dev/null 3<"$BATS_TEST_TMPDIR/f1" 4<"$BATS_TEST_TMPDIR/f2"
	[ "${lines[0]}" = "1 1" ]
	[ "${lines[1]}" = activated ]
	[ "${lines[2]}" = extra ]
}

@test "terminal: create --console-socket sends the pty master" {
	local sock=$BATS_TEST_TMPDIR/console.sock out=$BATS_TEST_TMPDIR/console.out
	cfg '.process.terminal = true'
	set_cmd 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-stdio-on-tty; stty size'
	start_recvtty "$sock" "$out"
	create_ctr --console-socket "$sock" "$ID"
	run -0 nook start "$ID"
	wait "$RECVTTY_PID"
	grep -q '^/dev/pts/0' "$out"
	grep -q 'all-stdio-on-tty' "$out"
}

@test "terminal: consoleSize sets the window size" {
	local sock=$BATS_TEST_TMPDIR/console.sock out=$BATS_TEST_TMPDIR/console.out
	cfg '.process.terminal = true | .process.consoleSize = {height: 33, width: 101}'
	set_cmd 'stty size'
	start_recvtty "$sock" "$out"
	run_detached --console-socket "$sock" "$ID"
	wait "$RECVTTY_PID"
	grep -q '^33 101' "$out"
}

@test "terminal: /dev/console is the pty inside" {
	local sock=$BATS_TEST_TMPDIR/console.sock out=$BATS_TEST_TMPDIR/console.out
	cfg '.process.terminal = true'
	set_cmd 'echo via-console > /dev/console; ls -l /dev/ptmx'
	start_recvtty "$sock" "$out"
	run_detached --console-socket "$sock" "$ID"
	wait "$RECVTTY_PID"
	grep -q via-console "$out"
}

@test "terminal without a console socket fails create" {
	cfg '.process.terminal = true'
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_nothing_left "$ID"
}

@test "a non-root process without noNewPrivileges still gets its seccomp filter" {
	# Without no_new_privs the filter must be loaded while the process still
	# has CAP_SYS_ADMIN, before the user change drops it (runc does so).
	cfg '.process.noNewPrivileges = false
	   | .process.user = {uid: 1000, gid: 1000}
	   | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	                       syscalls: [{names: ["kexec_load"], action: "SCMP_ACT_ERRNO"}]}'
	run_container 'id -u; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	grep -qE '^Seccomp:\s+2$' <<<"$output"
	grep -qE '^NoNewPrivs:\s+0$' <<<"$output"
}
