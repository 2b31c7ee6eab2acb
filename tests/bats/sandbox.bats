#!/usr/bin/env bats
# nook sandbox [OPTIONS] -- CMD: every option from a plain shell line, as
# root and as an unprivileged user (user namespace, state under
# $XDG_RUNTIME_DIR/nook). Each test runs its check in both modes ("root",
# "user"); a failure says which.

load helpers

SB_USER=nooktest

setup() {
	nook_setup
	nook_only "nook sandbox"
	[ "$(id -u)" -eq 0 ] || skip "needs root to make and become the test user"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	id -u "$SB_USER" >/dev/null 2>&1 ||
		useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SB_USER" 2>/dev/null ||
		id -u "$SB_USER" >/dev/null
	SB_UID=$(id -u "$SB_USER")
	SB_GID=$(id -g "$SB_USER")
	# Outside /tmp (the sandbox has a fresh one), right under a top-level
	# directory and the user's: rootless, the kernel's overlayfs can copy up
	# (write to) only what belongs to mapped ids, up to the overlay's root.
	SB_DIR=$(mktemp -d /var/nook-sandbox-test.XXXXXX)
	SB_XDG=$SB_DIR/xdg
	mkdir -p "$SB_XDG" "$SB_DIR/bin" "$SB_DIR/work"
	chmod 700 "$SB_XDG"
	chmod 755 "$SB_DIR"
	cp "$NOOK" "$SB_DIR/bin/nook"
	chmod 755 "$SB_DIR/bin/nook"
	chown "$SB_UID:$SB_GID" "$SB_DIR"
	chown -R "$SB_UID:$SB_GID" "$SB_XDG" "$SB_DIR/work"
}

teardown() {
	local id
	for id in $(as_mode user list -q 2>/dev/null); do
		as_mode user delete -f "$id" >/dev/null 2>&1 || true
	done
	nook_teardown
	local bad=0
	if [ -n "${SB_DIR:-}" ]; then
		if grep -qF -- "$SB_DIR" /proc/self/mountinfo; then
			echo "left behind: a mount under $SB_DIR" >&2
			bad=1
		fi
		rm -rf "$SB_DIR"
	fi
	return $bad
}

# as_mode MODE ARGS...: nook as root (with this test's --root) or as the
# test user (its own XDG_RUNTIME_DIR, no --root).
as_mode() {
	local mode=$1
	shift
	if [ "$mode" = root ]; then
		"$NOOK" --root "$ROOT" "$@"
	else
		setpriv --reuid="$SB_UID" --regid="$SB_GID" --init-groups --reset-env \
			env XDG_RUNTIME_DIR="$SB_XDG" HOME=/nonexistent "$SB_DIR/bin/nook" "$@"
	fi
}

# sb MODE OPTIONS... -- CMD...
sb() {
	local mode=$1
	shift
	as_mode "$mode" sandbox "$@"
}

state_root() {
	if [ "$1" = root ]; then echo "$ROOT"; else echo "$SB_XDG/nook"; fi
}

# Nothing of any sandbox left: no state dir, no mount under the test dirs.
assert_clean() {
	local mode=$1 d
	d=$(state_root "$mode")
	# (names no container id can have are nook's caches: seccomp~cache)
	local left
	left=$([ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1 ! -name '*~*' ! -name '.*')
	if [ -n "$left" ]; then
		echo "$mode: left behind: $left" >&2
		return 1
	fi
	! grep -F -- "$SB_DIR" /proc/self/mountinfo
}

# mode_dir MODE NAME: a directory outside /tmp owned by the mode's user
# (the sandbox's root has no CAP_DAC_OVERRIDE, as nook spec's).
mode_dir() {
	local d=$SB_DIR/work/$2
	mkdir -p "$d"
	[ "$1" = root ] || chown "$SB_UID:$SB_GID" "$d"
	echo "$d"
}

@test "sandbox: stdin, stdout and stderr pass through" {
	for m in root user; do
		run -0 --separate-stderr sb "$m" -- sh -c 'cat; echo err >&2' <<<"hi from $m"
		[ "$output" = "hi from $m" ] || { echo "$m: $output"; false; }
		[ "$stderr" = err ]
		out=$(echo hi | sb "$m" -- cat)
		[ "$out" = hi ]
		assert_clean "$m"
	done
}

@test "sandbox: exit status of CMD, 128+N when it is killed by signal N" {
	for m in root user; do
		run -7 sb "$m" -- sh -c 'exit 7'
		run -0 sb "$m" -- true
		run -127 sb "$m" -- sh -c 'no-such-command-here'
		sb "$m" --name "sig-$m" -- sleep 30 </dev/null >/dev/null 2>&1 &
		local pid=$!
		for _ in $(seq 400); do
			as_mode "$m" state "sig-$m" 2>/dev/null | grep -q running && break
			sleep 0.05
		done
		as_mode "$m" kill "sig-$m" KILL
		local st=0
		wait "$pid" || st=$?
		[ "$st" -eq 137 ] || { echo "$m: status $st"; false; }
		assert_clean "$m"
	done
}

# mode_cmd MODE: as_mode's command line, for a command that runs nook
# itself (no spaces in any word).
mode_cmd() {
	if [ "$1" = root ]; then
		echo "$NOOK --root $ROOT"
	else
		echo "setpriv --reuid=$SB_UID --regid=$SB_GID --init-groups --reset-env env XDG_RUNTIME_DIR=$SB_XDG HOME=/nonexistent $SB_DIR/bin/nook"
	fi
}

# sb_bg MODE OPTIONS... -- CMD...: nook sandbox itself (not a subshell) in
# the background, its pid in SB_PID.
sb_bg() {
	local mode=$1
	shift
	# shellcheck disable=SC2046
	$(mode_cmd "$mode") sandbox "$@" </dev/null >/dev/null 2>&1 &
	SB_PID=$!
}

# wait_running MODE NAME: wait until the sandbox NAME is running.
wait_running() {
	for _ in $(seq 400); do
		as_mode "$1" state "$2" 2>/dev/null | grep -q running && return 0
		sleep 0.05
	done
	return 1
}

@test "sandbox: CMD is pid 2 under a small init: signals without a handler end it, kill -9 \$\$ works" {
	for m in root user; do
		# SIGTERM to nook reaches a CMD that has no handler for it.
		sb_bg "$m" --name "term-$m" -- sleep 30
		local pid=$SB_PID st=0
		wait_running "$m" "term-$m"
		kill -TERM "$pid"
		for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		if kill -0 "$pid" 2>/dev/null; then
			as_mode "$m" kill "term-$m" KILL
			wait "$pid" || true
			echo "$m: SIGTERM did not end sleep"
			false
		fi
		wait "$pid" || st=$?
		[ "$st" -eq 143 ] || { echo "$m: status $st"; false; }
		# And SIGINT, as from ^C.
		sb "$m" --name "int-$m" -- sleep 30 </dev/null >/dev/null 2>&1 &
		pid=$! st=0
		wait_running "$m" "int-$m"
		as_mode "$m" kill "int-$m" INT
		timeout 10 tail --pid="$pid" -f /dev/null || as_mode "$m" kill "int-$m" KILL
		wait "$pid" || st=$?
		[ "$st" -eq 130 ] || { echo "$m: SIGINT: status $st"; false; }
		run -137 sb "$m" -- sh -c 'kill -9 $$; sleep 5'
		run -143 sb "$m" -- sh -c 'kill $$; sleep 5'
		run -0 sb "$m" -- sh -c 'echo $$; cat /proc/1/comm'
		[ "$output" = "2"$'\n'"nook" ] || { echo "$m: $output"; false; }
		assert_clean "$m"
	done
}

@test "sandbox: --timeout ends a CMD without a SIGTERM handler on the SIGTERM, without the --kill-after grace" {
	for m in root user; do
		# (timeout(1) stops a nook that waits for the grace: status 137)
		run -124 --separate-stderr timeout -s KILL 20 $(mode_cmd "$m") sandbox --timeout 500ms --kill-after 120s -- sleep 120
		[[ "$stderr" == *"--timeout 500ms expired: sent SIGTERM" ]] || { echo "$m: $stderr"; false; }
		assert_clean "$m"
	done
}

@test "sandbox: orphans are reaped: no zombie is left in the sandbox" {
	# The orphan (its parent, a subshell, is gone) is reparented to pid 1;
	# CMD (then sleep, which reaps nothing) ends when the check has run.
	local script='p=$(sleep 0.2 >/dev/null 2>&1 & echo $!)
		( i=0; while [ -e /proc/$p ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
		  if [ -e /proc/$p ]; then echo "left: $(cut -d" " -f3 /proc/$p/stat)"; else echo reaped; fi
		  kill $$ ) & exec sleep 30'
	for m in root user; do
		run -143 sb "$m" -- sh -c "$script"
		[ "$output" = reaped ] || { echo "$m: $output"; false; }
		assert_clean "$m"
	done
}

@test "sandbox: --as-pid-1 keeps CMD as the pid namespace's pid 1" {
	for m in root user; do
		run -0 sb "$m" --as-pid-1 -- sh -c 'echo $$'
		[ "$output" = 1 ] || { echo "$m: $output"; false; }
		# The kernel shields pid 1 from signals it has no handler for.
		run -0 sb "$m" --as-pid-1 -- sh -c 'kill -9 $$; echo alive'
		[ "$output" = alive ]
		assert_clean "$m"
	done
	run -0 sb root --as-pid-1 --print-config -- true
	jq -e '.annotations["org.nook.sandbox.init"] == null' <<<"$output"
	run -0 sb root --print-config -- true
	jq -e '.annotations["org.nook.sandbox.init"] == "true"' <<<"$output"
}

@test "sandbox: with -t CMD is the terminal's foreground process group" {
	for m in root user; do
		run -0 sb "$m" -t -- sh -c 'read -r _ _ _ _ pg _ _ tp _ </proc/self/stat; echo "$$ $pg $tp"' </dev/null
		[ "${output%$'\r'}" = "2 2 2" ] || { echo "$m: $output"; false; }
	done
}

@test "sandbox: writes to the host root vanish; --overlay-dir keeps them" {
	for m in root user; do
		local d f up
		d=$(mode_dir "$m" "w-$m")
		f=$d/written
		run -0 sb "$m" -- sh -c "echo x > $f && cat $f"
		[ "$output" = x ]
		[ ! -e "$f" ] || { echo "$m: $f reached the host"; false; }
		if [ "$m" = root ]; then
			run -0 sb root -- sh -c 'echo x > /etc/nook-sandbox-test && rm /bin/sh && echo gone'
			[ "$output" = gone ]
			[ ! -e /etc/nook-sandbox-test ]
			[ -e /bin/sh ]
		fi
		up=$(mode_dir "$m" "up-$m")
		run -0 sb "$m" --overlay-dir "$up" -- sh -c "echo kept > $f"
		[ ! -e "$f" ]
		[ "$(cat "$up/upper$f")" = kept ] || { echo "$m: upper: $(find "$up")"; false; }
		# Used again, it is the same layer.
		run -0 sb "$m" --overlay-dir "$up" -- cat "$f"
		[ "$output" = kept ]
		assert_clean "$m"
		[ -z "$(find "$up" -maxdepth 1 -name '.nook-work-*')" ]
	done
}

@test "sandbox: --rootfs DIR instead of the host's /, still with a throw-away overlay" {
	chmod -R o+rX "$BUNDLE"
	local d=$BUNDLE
	while [ "$d" != / ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	for m in root user; do
		run -0 sb "$m" --rootfs "$ROOTFS" -- sh -c 'test -e /etc/debian_version && echo host; echo x > /new; cat /new; ls /bin/busybox'
		[ "${lines[0]}" = x ] && [ "${lines[1]}" = /bin/busybox ] || { echo "$m: $output"; false; }
		[ ! -e "$ROOTFS/new" ]
		assert_clean "$m"
	done
	run -1 sb root --rootfs /nonexistent -- true
	[[ "$output" == *"--rootfs /nonexistent: No such file or directory"* ]]
}

@test "sandbox: --bind, --ro-bind, --tmpfs" {
	for m in root user; do
		local d
		d=$(mode_dir "$m" "b-$m")
		echo host >"$d/file"
		[ "$m" = root ] || chown "$SB_UID:$SB_GID" "$d/file"
		run -0 sb "$m" --bind "$d:/mnt/rw" --ro-bind "$d/file:/srv/ro" --tmpfs /var/scratch -- sh -c \
			'echo new > /mnt/rw/new; cat /srv/ro; echo x 2>/dev/null > /srv/ro || echo ro-refused; grep -c " /var/scratch tmpfs " /proc/mounts'
		[ "${lines[0]}" = host ]
		[ "${lines[1]}" = ro-refused ] || { echo "$m: $output"; false; }
		[ "${lines[2]}" = 1 ]
		[ "$(cat "$d/new")" = new ]
		[ "$(cat "$d/file")" = host ]
		# SRC alone: the same path inside.
		run -0 sb "$m" --bind "$d" -- cat "$d/new"
		[ "$output" = new ]
		assert_clean "$m"
	done
}

@test "sandbox: --chdir, default the current directory when visible, else /" {
	for m in root user; do
		local d
		d=$(mode_dir "$m" "c-$m")
		run -0 sb "$m" --chdir /usr/share -- pwd
		[ "$output" = /usr/share ]
		run -0 sb_in "$d" "$m" -- pwd
		[ "$output" = "$d" ] || { echo "$m: $output"; false; }
		run -0 sb_in "$BATS_TEST_TMPDIR" "$m" -- pwd
		[ "$output" = / ]
	done
}

# sb_in DIR MODE ...: sb run from DIR.
sb_in() {
	local dir=$1
	shift
	(cd "$dir" && sb "$@")
}

@test "sandbox: fresh /proc, /dev and /tmp" {
	for m in root user; do
		# pid 1 is nook's init, 2 CMD
		run -0 sb "$m" -- sh -c 'cat /proc/1/comm /proc/2/comm; ls /proc | grep -c "^[0-9]"; ls /tmp | wc -l; test -e /dev/vda || echo no-disk; test -c /dev/null && echo null'
		[ "${lines[0]}" = nook ]
		[ "${lines[1]}" = sh ]
		[ "${lines[2]}" -le 4 ]
		[ "${lines[3]}" = 0 ]
		[ "${lines[4]}" = no-disk ]
		[ "${lines[5]}" = null ]
	done
}

@test "sandbox: --user, --hostname, --env, --clearenv" {
	for m in root user; do
		run -0 sb "$m" -- sh -c 'id -u; id -g'
		[ "${lines[0]}" = 0 ] && [ "${lines[1]}" = 0 ]
		run -0 sb "$m" --user 1234:2345 -- sh -c 'id -u; id -g'
		[ "${lines[0]}" = 1234 ] && [ "${lines[1]}" = 2345 ] || { echo "$m: $output"; false; }
		run -0 sb "$m" --hostname box -- hostname
		[ "$output" = box ]
		run -0 sb "$m" -- hostname
		[ "$output" = "$(hostname)" ]
		run -0 sb "$m" --env A=1 --env B=two -- sh -c 'echo "$A $B"; env | grep -c "^PATH="'
		[ "${lines[0]}" = "1 two" ]
		run -0 sb "$m" --clearenv --env ONLY=1 -- env
		[[ "$output" == *ONLY=1* ]]
		[[ "$output" != *XDG_RUNTIME_DIR* && "$output" != *BATS* ]] || { echo "$m: $output"; false; }
	done
	export NOOK_SB_OUTER=passed
	run -0 sb root -- sh -c 'echo $NOOK_SB_OUTER'
	[ "$output" = passed ]
	run -2 sb root --user nobody -- true
	[[ "$output" == *'--user needs UID[:GID] (numbers), not "nobody"'* ]]
}

@test "sandbox: --net none (default) has only lo, up; --net host sees the host's" {
	local host_ifs
	host_ifs=$(ip -o link | wc -l)
	for m in root user; do
		for net in "" "--net none"; do
			# shellcheck disable=SC2086
			run sb "$m" $net -- ip -o link
			[ "$status" -eq 0 ] && [ "${#lines[@]}" -eq 1 ] && [[ "${lines[0]}" == "1: lo: <LOOPBACK,UP,LOWER_UP>"* ]] ||
				{ echo "$m $net: $output"; false; }
		done
		run -0 sb "$m" --net host -- ip -o link
		[ "${#lines[@]}" -eq "$host_ifs" ]
	done
	run -2 sb root --net bridge -- true
	[[ "$output" == *'--net needs none or host, not "bridge"'* ]]
}

@test "sandbox: --timeout ends the command: SIGTERM, then SIGKILL; exit status 124" {
	for m in root user; do
		SECONDS=0
		# A command that ignores SIGTERM needs the SIGKILL.
		run -124 --separate-stderr sb "$m" --timeout 300ms --kill-after 300ms -- sh -c 'trap "" TERM; sleep 10'
		[ "$SECONDS" -lt 5 ]
		[[ "$stderr" == *"--timeout 300ms expired: sent SIGTERM, then SIGKILL"* ]] || { echo "$m: $stderr"; false; }
		# A command that handles SIGTERM ends on it.
		run -124 --separate-stderr sb "$m" --timeout 300ms -- sh -c 'trap "exit 0" TERM; sleep 10 & wait'
		[[ "$stderr" == *"expired: sent SIGTERM" ]]
		# Quicker than the timeout: its own status.
		run -3 sb "$m" --timeout 10s -- sh -c 'exit 3'
		assert_clean "$m"
	done
	run -2 sb root --timeout 10x -- true
	[[ "$output" == *'--timeout needs a duration such as 10s, 500ms or 1m30s, not "10x"'* ]]
}

@test "sandbox: default caps, seccomp and no_new_privileges of nook spec; --cap-add, --cap-drop" {
	# CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
	for m in root user; do
		run -0 sb "$m" -- sh -c 'grep -E "^(CapEff|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status'
		[[ "$output" == *"CapEff:	0000000020000420"* ]] || { echo "$m: $output"; false; }
		[[ "$output" == *"CapBnd:	0000000020000420"* ]]
		[[ "$output" == *"Seccomp:	2"* ]]
		[[ "$output" == *"NoNewPrivs:	1"* ]]
		run -0 sb "$m" --cap-add NET_ADMIN --cap-drop cap_kill -- grep CapEff: /proc/self/status
		[[ "$output" == *"0000000020001400"* ]] || { echo "$m: $output"; false; }
		run -0 sb "$m" --cap-drop ALL -- grep CapEff: /proc/self/status
		[[ "$output" == *"0000000000000000"* ]]
	done
	run -1 sb root --cap-add CAP_NOPE -- true
	[[ "$output" == *'unknown capability "CAP_NOPE"'* ]]
}

@test "sandbox: --seccomp default|none|FILE" {
	local prof=$SB_DIR/deny-mkdir.json
	cat >"$prof" <<-'EOF'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
	EOF
	local nowait=$SB_DIR/deny-sigwait.json
	echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["rt_sigtimedwait"], "action": "SCMP_ACT_ERRNO"}]}' >"$nowait"
	chmod 644 "$prof" "$nowait"
	for m in root user; do
		run -0 sb "$m" --seccomp none -- grep Seccomp: /proc/self/status
		[[ "$output" == *"	0" ]] || { echo "$m: $output"; false; }
		run -0 sb "$m" --seccomp default -- grep Seccomp: /proc/self/status
		[[ "$output" == *"	2" ]]
		run -1 sb "$m" --seccomp "$prof" -- mkdir /newdir
		[[ "$output" == *"Operation not permitted"* ]] || { echo "$m: $output"; false; }
		run -0 sb "$m" --seccomp "$prof" -- touch /newfile
		# A profile that forbids the init's signal wait: it still reaps CMD.
		run -5 sb "$m" --seccomp "$nowait" -- sh -c 'sleep 0.2; exit 5'
	done
	run -1 sb root --seccomp /nonexistent.json -- true
	[[ "$output" == *"--seccomp /nonexistent.json"* ]]
}

@test "sandbox: --name is the container id, shown by nook list; without it a fresh id is" {
	for m in root user; do
		sb "$m" --name "named-$m" -- sleep 30 </dev/null >/dev/null 2>&1 &
		local pid=$!
		local ok=""
		for _ in $(seq 400); do
			as_mode "$m" list -q | grep -qx "named-$m" && { ok=1; break; }
			sleep 0.05
		done
		[ -n "$ok" ]
		[ -d "$(state_root "$m")/named-$m" ]
		# ps reads the container's cgroup: a rootless sandbox without a
		# delegated cgroup has none.
		if [ "$m" = root ]; then
			run -0 as_mode "$m" ps "named-$m"
			[[ "$output" == *sleep* ]] || { echo "$m: $output"; false; }
		fi
		as_mode "$m" kill "named-$m" KILL
		wait "$pid" || true
		sb "$m" -- sleep 30 </dev/null >/dev/null 2>&1 &
		pid=$!
		ok=""
		for _ in $(seq 400); do
			as_mode "$m" list -q | grep -q "^sandbox-" && { ok=1; break; }
			sleep 0.05
		done
		[ -n "$ok" ]
		as_mode "$m" kill "$(as_mode "$m" list -q | grep "^sandbox-")" KILL
		wait "$pid" || true
		assert_clean "$m"
	done
	run -2 sb root --name a/b -- true
	# Two sandboxes of one name: the second is refused, the first unharmed.
	sb root --name twice -- sleep 30 </dev/null >/dev/null 2>&1 &
	local pid=$!
	for _ in $(seq 400); do
		nook list -q | grep -qx twice && break
		sleep 0.05
	done
	run -1 sb root --name twice -- true
	[[ "$output" == *"already exists"* ]]
	nook kill twice KILL
	wait "$pid" || true
}

@test "sandbox: -t gives CMD a terminal, -T and a non-terminal stdin do not" {
	for m in root user; do
		run -0 sb "$m" -t -- tty </dev/null
		[[ "$output" == /dev/pts/* ]] || { echo "$m: $output"; false; }
		run -1 sb "$m" -T -- tty </dev/null
		[[ "$output" == "not a tty" ]]
		run -1 sb "$m" -- tty </dev/null
	done
}

@test "sandbox: --print-config writes a config.json that nook run accepts" {
	for m in root user; do
		local b
		b=$(mode_dir "$m" "pc-$m")
		sb "$m" --print-config --hostname pc -- sh -c 'hostname; echo from-config' >"$b/config.json"
		jq -e '.process.args[2] == "hostname; echo from-config" and .annotations["org.nook.rootfs.lower"] == "/"' "$b/config.json"
		chown "$SB_UID:$SB_GID" "$b/config.json"
		run -0 as_mode "$m" run -b "$b" "pc-$m"
		[ "${lines[0]}" = pc ] && [ "${lines[1]}" = from-config ] || { echo "$m: $output"; false; }
		assert_clean "$m"
	done
	run -0 sb root --print-config --oom freeze -- true
	[ "$(jq -r '.annotations["org.nook.oom"]' <<<"$output")" = freeze ]
	run -2 sb root --oom maybe -- true
	[[ "$output" == *'--oom needs freeze or kill, not "maybe"'* ]]
}

@test "sandbox: limits --memory --memory-swap --cpus --pids: enforced as root; rootless an error or, with --best-effort, a warning" {
	run -0 sb root --print-config --memory 32M --memory-swap 64M --cpus 0.5 --pids 20 -- true
	jq -e '.linux.resources.memory.limit == 33554432 and .linux.resources.memory.swap == 67108864 and
		.linux.resources.cpu.quota == 50000 and .linux.resources.cpu.period == 100000 and
		.linux.resources.pids.limit == 20' <<<"$output"
	run -2 sb root --memory 12zb -- true
	[[ "$output" == *'--memory needs a size such as 256M, not "12zb"'* ]]
	run -2 sb root --cpus -1 -- true
	run -2 sb root --pids 0 -- true
	# Root: a memory hog is stopped, the pid limit holds.
	if sb root --memory 32M -- true 2>"$BATS_TEST_TMPDIR/lim.err"; then
		run sb root --memory 32M --memory-swap 32M -- sh -c 'tail /dev/zero'
		[ "$status" -eq 137 ] || { echo "hog: $status $output"; false; }
		run -0 sb root --pids 20 -- sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; echo started'
		run -2 sb root --pids 5 -- sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; echo started'
		[[ "$output" == *"Cannot fork"* ]]
		# --cpus: the CFS quota of the sandbox's cgroup (v1 cpu or v2 cpu.max).
		sb root --name cpus --cpus 0.5 -- sleep 30 </dev/null >/dev/null 2>&1 &
		local pid=$! st=$ROOT/cpus/state.json
		for _ in $(seq 400); do
			# state.json, not just the early resources.json, must be there.
			[ -e "$st" ] && nook state cpus 2>/dev/null | jq -e '.status == "running"' >/dev/null && break
			sleep 0.05
		done
		local v1 v2
		v1=$(jq -r '.cgroupPaths.cpu // empty' "$st")
		v2=$(jq -r '.cgroupPath' "$st")
		if [ -n "$v1" ]; then
			[ "$(cat "$v1/cpu.cfs_quota_us")" = 50000 ]
		else
			[ "$(cat "$v2/cpu.max")" = "50000 100000" ]
		fi
		nook kill cpus KILL
		wait "$pid" || true
	else
		echo "limits are not available on this host: $(cat "$BATS_TEST_TMPDIR/lim.err")" >&3
	fi
	# Rootless without a delegated cgroup: a clear error, or a warning.
	run -1 --separate-stderr sb user --memory 32M -- echo ran
	[[ "$stderr" == *memory* ]]
	[ -z "$output" ]
	run -0 --separate-stderr sb user --best-effort --memory 32M -- echo ran
	[ "$output" = ran ]
	[[ "$stderr" == *"warning: linux.resources.memory.limit not enforced"* ]]
	assert_clean user
	assert_clean root
}

@test "sandbox: bad input exits 2 with usage or names the option and value; nothing is left behind" {
	for m in root user; do
		run -2 sb "$m" --frobnicate -- true
		[[ "$output" == *'unknown or incomplete option "--frobnicate"'* ]]
		[[ "$output" == *"usage: nook sandbox"* ]]
		run -2 sb "$m"
		[[ "$output" == *"missing command"* ]]
		run -2 sb "$m" --kill-after forever -- true
		run -1 sb "$m" --bind /no/such/dir:/mnt -- true
		[[ "$output" =~ ^nook:\ sandbox-[0-9a-f]{12}:\ --bind\ /no/such/dir:\ No\ such\ file\ or\ directory$ ]] ||
			{ echo "$m: $output"; false; }
		run -1 sb "$m" --ro-bind /no/such/file -- true
		[[ "$output" == *"--ro-bind /no/such/file"* ]]
		run -1 sb "$m" --overlay-dir /no/such/upper -- true
		[[ "$output" == *"--overlay-dir /no/such/upper"* ]]
		run -2 sb "$m" --chdir relative -- true
		# Fails inside the container's setup: still cleaned up.
		run -1 sb "$m" --bind /etc/hostname:/proc/x/y -- true
		assert_clean "$m"
	done
}
