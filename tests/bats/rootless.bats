#!/usr/bin/env bats
# Rootless: a real unprivileged user runs `spec --rootless` bundles end to
# end (create, start, state, exec, kill, delete, run). The runtime runs with
# that user's uid, gid and groups (setpriv), XDG_RUNTIME_DIR set to a
# directory the user owns and no --root, so the default rootless state root
# ($XDG_RUNTIME_DIR/nook, runc: .../runc) is what is tested.

load helpers

RL_USER=nooktest

setup() {
	nook_setup
	[ "$(id -u)" -eq 0 ] || skip "needs root to make and become the test user"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	rootless_user
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	# Everything the user touches lives in one directory it owns; the path
	# down to it must be traversable.
	RL_DIR=$BATS_TEST_TMPDIR/rl
	RL_MOUNTS=()
	RL_XDG=$RL_DIR/xdg
	RL_BUNDLE=$RL_DIR/bundle
	RL_STATE=$RL_XDG/$(is_runc && echo runc || echo nook)
	mkdir -p "$RL_XDG" "$RL_BUNDLE" "$RL_DIR/bin"
	chmod 700 "$RL_XDG"
	# A copy of the runtime the user can execute wherever the build is.
	cp "$NOOK" "$RL_DIR/bin/runtime"
	chmod 755 "$RL_DIR/bin/runtime"
	RL_NOOK=$RL_DIR/bin/runtime
	"$TESTS_DIR/lib/mkrootfs.sh" "$RL_BUNDLE/rootfs"
	chown -R "$RL_UID:$RL_GID" "$RL_DIR"
	local d=$BATS_TEST_TMPDIR
	while [ "$d" != / ] && [ -n "$d" ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	as_user "$RL_NOOK" spec --rootless -b "$RL_BUNDLE"
	rl_cfg '.process.terminal = false | .process.args = ["true"]'
	# The teardown's checks (no mounts left under the test dir) see our root.
	ROOT=$RL_STATE
}

teardown() {
	local id m
	if [ -n "${RL_NOOK:-}" ] && [ -d "${RL_STATE:-}" ]; then
		for id in $(rl_nook list -q 2>/dev/null); do
			rl_nook delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	# Host mounts this test made itself.
	for m in "${RL_MOUNTS[@]}"; do
		umount "$m" || true
	done
	nook_teardown
}

# The test user, made once (also when tests run in parallel).
rootless_user() {
	id -u "$RL_USER" >/dev/null 2>&1 && return 0
	useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RL_USER" 2>/dev/null ||
		id -u "$RL_USER" >/dev/null
}

# as_user CMD...: CMD as the test user, nothing of root's kept.
as_user() {
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups --reset-env \
		env XDG_RUNTIME_DIR="$RL_XDG" HOME="$RL_DIR" "$@"
}

rl_nook() {
	as_user "$RL_NOOK" "$@"
}

# rl_cfg FILTER [jq options...]: edit the rootless bundle's config.json
# (it stays the user's).
rl_cfg() {
	local f=$RL_BUNDLE/config.json
	jq "${@:2}" "$1" "$f" >"$f.new" && mv "$f.new" "$f"
	chown "$RL_UID:$RL_GID" "$f"
}

rl_cmd() {
	rl_cfg '.process.args = ["sh", "-c", $c]' --arg c "$1"
}

# rl_detached COMMAND ARGS...: a command that leaves processes behind (create,
# run -d, exec -d) with their stdio on files, not on bats' pipes; sets
# $status and $output (its stderr) as `run` does.
rl_detached() {
	status=0
	rl_nook "$@" </dev/null >>"$BATS_TEST_TMPDIR/detached.out" 2>"$BATS_TEST_TMPDIR/detached.err" 3>&- ||
		status=$?
	output=$(cat "$BATS_TEST_TMPDIR/detached.err")
}

# rl_state ID FIELD
rl_state() {
	rl_nook state "$1" | jq -r ".$2"
}

rl_wait_status() {
	local id=$1 want=$2 st="" i
	for ((i = 0; i < 250; i++)); do
		st=$(rl_state "$id" status 2>/dev/null) || st=""
		[ "$st" = "$want" ] && return 0
		sleep 0.02
	done
	echo "container $id: status \"$st\", waited for \"$want\"" >&2
	return 1
}

# No state dir, no process naming the id, no mount of the bundle left.
rl_assert_nothing_left() {
	local id=$1
	if [ -e "$RL_STATE/$id" ]; then
		echo "left behind: state dir $RL_STATE/$id" >&2
		return 1
	fi
	local pids
	pids=$(leftover_pids "$id" "$RL_BUNDLE")
	if [ -n "$pids" ]; then
		echo "left behind: processes $pids" >&2
		return 1
	fi
	! grep -F -- "$RL_BUNDLE" /proc/self/mountinfo
}

@test "rootless run: root inside, mapped to the user's uid" {
	rl_cmd 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map'
	cd "$RL_BUNDLE"
	run -0 rl_nook run "$ID" </dev/null
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[[ "${lines[2]}" =~ ^\ *0\ +$RL_UID\ +1$ ]]
	[[ "${lines[3]}" =~ ^\ *0\ +$RL_GID\ +1$ ]]
	rl_assert_nothing_left "$ID"
}

@test "rootless run: the exit status and the state root under XDG_RUNTIME_DIR" {
	rl_cmd 'ls -d '"$RL_STATE"' 2>/dev/null; exit 7'
	run -7 rl_nook run -b "$RL_BUNDLE" "$ID" </dev/null
	# The host's paths are not visible inside.
	[ -z "$output" ]
	[ -d "$RL_STATE" ]
	[ "$(stat -c %u "$RL_STATE")" = "$RL_UID" ]
	rl_assert_nothing_left "$ID"
}

@test "rootless create, start, state, exec, kill, delete" {
	rl_cfg '.process.args = ["sleep", "1000"]'
	rl_detached create -b "$RL_BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(rl_state "$ID" status)" = created ]
	local pid
	pid=$(rl_state "$ID" pid)
	[ "$pid" -gt 0 ]
	# The init runs as the user on the host.
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ]
	[ -d "$RL_STATE/$ID" ]
	[ "$(stat -c %u "$RL_STATE/$ID")" = "$RL_UID" ]

	run -0 rl_nook start "$ID"
	rl_wait_status "$ID" running

	# exec joins the container: its user namespace (root inside, the same
	# map) and its pid namespace (pid 1 is the container's sleep).
	run -0 rl_nook exec "$ID" sh -c 'id -u; cat /proc/self/uid_map; cat /proc/1/cmdline | tr "\0" " "'
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ *0\ +$RL_UID\ +1$ ]]
	[ "${lines[2]}" = "sleep 1000 " ]
	[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]

	# The exit status comes back; --pid-file names the exec'd process.
	run -3 rl_nook exec "$ID" sh -c 'exit 3'
	rl_detached exec -d --pid-file "$RL_DIR/exec.pid" "$ID" sleep 777
	[ "$status" -eq 0 ]
	local epid
	epid=$(cat "$RL_DIR/exec.pid")
	[ "$(tr '\0' ' ' <"/proc/$epid/cmdline")" = "sleep 777 " ]
	[ "$(readlink "/proc/$epid/ns/pid")" = "$(readlink "/proc/$pid/ns/pid")" ]
	[ "$(readlink "/proc/$epid/ns/user")" = "$(readlink "/proc/$pid/ns/user")" ]

	run -0 rl_nook kill "$ID" KILL
	rl_wait_status "$ID" stopped
	run -0 rl_nook delete "$ID"
	rl_assert_nothing_left "$ID"
	# The exec'd sleep went with the pid namespace.
	[ ! -e "/proc/$epid" ] || [ "$(tr '\0' ' ' <"/proc/$epid/cmdline")" != "sleep 777 " ]
	run -0 rl_nook list -q
	[ -z "$output" ]
}

@test "rootless delete --force of a running container leaves nothing" {
	rl_cfg '.process.args = ["sleep", "1000"]'
	rl_detached run -d -b "$RL_BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	rl_wait_status "$ID" running
	rl_detached exec -d "$ID" sleep 999
	[ "$status" -eq 0 ]
	run -0 rl_nook delete --force "$ID"
	rl_assert_nothing_left "$ID"
	run ! pgrep -u "$RL_UID" -f "sleep 999"
}

@test "rootless: a file made inside on a bind mount is the user's on the host" {
	mkdir "$RL_DIR/shared"
	chown "$RL_UID:$RL_GID" "$RL_DIR/shared"
	rl_cfg '.mounts += [{destination: "/shared", type: "bind", source: $s, options: ["rbind", "rw"]}]' \
		--arg s "$RL_DIR/shared"
	rl_cmd 'echo hi >/shared/file && mkdir /shared/dir && stat -c "%u %g" /shared/file'
	run -0 rl_nook run -b "$RL_BUNDLE" "$ID" </dev/null
	[ "$output" = "0 0" ]
	[ "$(stat -c '%u %g' "$RL_DIR/shared/file")" = "$RL_UID $RL_GID" ]
	[ "$(stat -c '%u %g' "$RL_DIR/shared/dir")" = "$RL_UID $RL_GID" ]
	[ "$(cat "$RL_DIR/shared/file")" = hi ]
}

@test "rootless: the default mounts work (sysfs, devpts, mqueue, shm, devices, read-only root)" {
	rl_cmd '
		set -e
		test -n "$(ls /sys/class)"
		grep -q " /dev/pts devpts " /proc/mounts
		grep -q " /dev/mqueue mqueue " /proc/mounts
		echo x >/dev/shm/f
		echo x >/dev/null
		head -c 4 /dev/zero | wc -c
		head -c 4 /dev/urandom >/dev/null
		if touch /newfile 2>/dev/null; then echo "root is writable"; exit 1; fi
		echo ok'
	run -0 rl_nook run -b "$RL_BUNDLE" "$ID" </dev/null
	[ "${lines[0]}" = 4 ]
	[ "${lines[1]}" = ok ]
}

@test "rootless: a new time namespace with offsets" {
	nook_only "runc 1.1 has no time namespaces"
	rl_cfg '.linux.namespaces += [{type: "time"}]
		| .linux.timeOffsets = {boottime: {secs: 864000, nanosecs: 0}}'
	rl_cmd 'cut -d. -f1 /proc/uptime'
	run -0 rl_nook run -b "$RL_BUNDLE" "$ID" </dev/null
	local host
	host=$(cut -d. -f1 /proc/uptime)
	[ "$output" -ge $((host + 864000 - 5)) ]
}

@test "rootless: mapping host ids other than one's own is refused, naming the mapping" {
	nook_only "nook's error message (runc would try newuidmap)"
	rl_cfg '.linux.uidMappings += [{containerID: 1, hostID: 100000, size: 1000}]'
	run -1 rl_nook create -b "$RL_BUNDLE" "$ID"
	assert_one_error_line "linux.uidMappings[1]"
	[[ "$output" == *"needs root"* ]]
	rl_assert_nothing_left "$ID"
	rl_cfg '.linux.uidMappings = [.linux.uidMappings[0]] | .linux.gidMappings[0].hostID = 0'
	run -1 rl_nook create -b "$RL_BUNDLE" "$ID"
	assert_one_error_line "linux.gidMappings[0]"
	rl_assert_nothing_left "$ID"
}

@test "rootless: a config without a user namespace is refused, naming linux.namespaces" {
	nook_only "nook's error message"
	rl_cfg '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
	run -1 rl_nook create -b "$RL_BUNDLE" "$ID"
	assert_one_error_line "linux.namespaces"
	[[ "$output" == *"need root"* ]]
	rl_assert_nothing_left "$ID"
}

@test "rootless: limits that need a cgroup the user may not create fail, naming the field" {
	nook_only "nook's error message"
	rl_cfg '.linux.resources = {pids: {limit: 100}}'
	run -1 rl_nook create -b "$RL_BUNDLE" "$ID"
	assert_one_error_line "linux.resources.pids.limit"
	rl_assert_nothing_left "$ID"
	rl_cfg 'del(.linux.resources) | .linux.cgroupsPath = "/nook-rootless-test"'
	run -1 rl_nook create -b "$RL_BUNDLE" "$ID"
	assert_one_error_line "linux.cgroupsPath"
	rl_assert_nothing_left "$ID"
}

@test "rootless: without limits the container runs without a cgroup of its own (debug says so)" {
	nook_only "nook's debug log"
	local cg
	cg=$(cgroup2_mount)
	[ -n "$cg" ] || skip "no cgroup v2 hierarchy"
	# Only meaningful where the user may not create cgroups.
	! as_user mkdir "$cg/nook-rootless-probe-$$" 2>/dev/null || {
		as_user rmdir "$cg/nook-rootless-probe-$$"
		skip "the user may create cgroups here"
	}
	run -0 rl_nook --debug run -b "$RL_BUNDLE" "$ID" </dev/null
	[[ "$output" == *"without a cgroup of its own"* ]]
	rl_assert_nothing_left "$ID"
}

@test "rootless: a bind mount keeps the flags its source has locked (nosuid, nodev, noexec)" {
	nook_only "runc before 1.1.10 drops locked flags on the ro remount (EPERM)"
	mkdir "$RL_DIR/locked"
	mount -t tmpfs -o nosuid,nodev,noexec,mode=755 tmpfs "$RL_DIR/locked"
	RL_MOUNTS+=("$RL_DIR/locked")
	rl_cfg '.mounts += [{destination: "/locked", type: "bind", source: $s, options: ["bind", "ro"]}]' \
		--arg s "$RL_DIR/locked"
	rl_cmd 'grep " /locked " /proc/mounts'
	run -0 rl_nook run -b "$RL_BUNDLE" "$ID" </dev/null
	local opts
	opts=$(echo "$output" | awk '{ print $4 }')
	[[ ",$opts," == *,ro,* ]]
	[[ ",$opts," == *,nosuid,* ]]
	[[ ",$opts," == *,nodev,* ]]
	[[ ",$opts," == *,noexec,* ]]
	rl_assert_nothing_left "$ID"
}

@test "rootless: clearing a locked mount flag is refused, naming the flag" {
	nook_only "nook's error message"
	mkdir "$RL_DIR/locked"
	mount -t tmpfs -o nosuid,mode=755 tmpfs "$RL_DIR/locked"
	RL_MOUNTS+=("$RL_DIR/locked")
	rl_cfg '.mounts += [{destination: "/locked", type: "bind", source: $s, options: ["bind", "suid"]}]' \
		--arg s "$RL_DIR/locked"
	run -1 rl_nook run -b "$RL_BUNDLE" "$ID" </dev/null
	assert_one_error_line "/locked"
	[[ "$output" == *"mounted nosuid"* ]]
	rl_assert_nothing_left "$ID"
}

@test "rootless: a terminal through --console-socket, for the container and for exec" {
	local bin
	bin=$(recvtty_bin)
	# The receiver runs as the user too: it owns the socket the runtime
	# connects to.
	as_user "$bin" "$RL_DIR/tty.sock" >"$RL_DIR/tty.out" 2>&1 &
	track_bg $!
	wait_exists "$RL_DIR/tty.sock"
	rl_cfg '.process.terminal = true | .process.args = ["sh", "-c", "tty; id -u; sleep 1000"]'
	rl_detached run -d --console-socket "$RL_DIR/tty.sock" -b "$RL_BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	rl_wait_status "$ID" running
	as_user "$bin" "$RL_DIR/tty2.sock" >"$RL_DIR/tty2.out" 2>&1 &
	track_bg $!
	wait_exists "$RL_DIR/tty2.sock"
	rl_detached exec -d -t --console-socket "$RL_DIR/tty2.sock" "$ID" sh -c 'tty; id -u'
	[ "$status" -eq 0 ]
	local i
	for ((i = 0; i < 250; i++)); do
		grep -q '^0' "$RL_DIR/tty.out" && grep -q '^0' "$RL_DIR/tty2.out" && break
		sleep 0.02
	done
	[ "$(tr -d '\r' <"$RL_DIR/tty.out" | head -2)" = "$(printf '/dev/pts/0\n0')" ]
	[[ "$(tr -d '\r' <"$RL_DIR/tty2.out" | head -1)" == /dev/pts/* ]]
	[ "$(tr -d '\r' <"$RL_DIR/tty2.out" | sed -n 2p)" = 0 ]
	run -0 rl_nook delete -f "$ID"
	rl_assert_nothing_left "$ID"
}
