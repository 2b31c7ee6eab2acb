#!/usr/bin/env bats
# linux.namespaces: new ones differ from the host's, absent ones are shared,
# paths are joined, user namespaces get their id maps.

load helpers

setup() { nook_setup; }
teardown() { nook_teardown; }

# print_ns TYPES...: a command printing "type link" for each type inside.
print_ns() {
	local t cmd=""
	for t in "$@"; do
		cmd+="echo $t \$(readlink /proc/self/ns/$t); "
	done
	echo "$cmd"
}

@test "each requested namespace differs from the host's" {
	add_namespace cgroup
	local types="pid net ipc uts mnt cgroup"
	run_container "$(print_ns $types)"
	[ "$status" -eq 0 ]
	local t link
	for t in $types; do
		link=$(awk -v t="$t" '$1 == t { print $2 }' <<<"$output")
		[ -n "$link" ]
		if [ "$link" = "$(ns_link self "$t")" ]; then
			echo "$t namespace is the host's: $link" >&2
			return 1
		fi
	done
}

@test "namespaces not requested are the host's" {
	remove_namespace network
	remove_namespace ipc
	remove_namespace uts
	cfg 'del(.hostname)'
	run_container "$(print_ns net ipc uts pid)"
	[ "$status" -eq 0 ]
	local t
	for t in net ipc uts; do
		grep -qxF "$t $(ns_link self "$t")" <<<"$output"
	done
	! grep -qxF "pid $(ns_link self pid)" <<<"$output"
}

@test "the container's init is PID 1 of its pid namespace" {
	run_container 'echo $$; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[[ "${lines[1]}" == "sh -c "* ]]
}

@test "a new network namespace has only lo, and it is down" {
	run_container 'cat /proc/net/dev'
	[ "$status" -eq 0 ]
	# Two header lines, then lo only.
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[2]}" == *lo:* ]]
}

@test "join a network namespace by path" {
	unshare --net sleep 1000 3>&- &
	local holder=$!
	track_bg "$holder"
	# Wait until unshare has exec'd sleep in its new namespace.
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(ns_link "$holder" net)" != "$(ns_link self net)" ] && break
		sleep 0.02
	done
	add_namespace network "/proc/$holder/ns/net"
	run_container "$(print_ns net)"
	[ "$status" -eq 0 ]
	[ "$output" = "net $(ns_link "$holder" net)" ]
}

@test "join another container's uts, ipc and pid namespaces by path" {
	cfg '.process.args = ["sleep", "1000"] | .hostname = "first"'
	run_detached "$ID"
	local pid1
	pid1=$(state_field "$ID" pid)

	local b2=$BATS_TEST_TMPDIR/bundle2 id2
	id2=$(new_id second)
	make_bundle "$b2"
	cfg_file "$b2/config.json" '
		del(.hostname)
		| .linux.namespaces = [.linux.namespaces[] | select(.type != "uts" and .type != "ipc" and .type != "pid")]
		  + [{type: "uts", path: "/proc/\($p)/ns/uts"},
		     {type: "ipc", path: "/proc/\($p)/ns/ipc"},
		     {type: "pid", path: "/proc/\($p)/ns/pid"}]
		| .process.args = ["sh", "-c", "hostname; readlink /proc/self/ns/ipc; cat /proc/1/comm"]' \
		--arg p "$pid1"
	run -0 nook run -b "$b2" "$id2" </dev/null
	[ "${lines[0]}" = first ]
	[ "${lines[1]}" = "$(ns_link "$pid1" ipc)" ]
	[ "${lines[2]}" = sleep ]
}

@test "joining a namespace path that does not exist fails and leaves nothing" {
	add_namespace network /proc/999999999/ns/net
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_nothing_left "$ID"
}

@test "joining a path of the wrong namespace type fails and leaves nothing" {
	add_namespace network /proc/self/ns/uts
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_nothing_left "$ID"
}

# A user namespace: container root is host uid 100000.
userns_config() {
	make_bundle_path_traversable
	add_namespace user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	   | .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]
	   | .mounts = [.mounts[] | select(.type != "cgroup" and .type != "cgroup2")]'
}

@test "user namespace: uid_map and gid_map apply inside" {
	userns_config
	run_container 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; readlink /proc/self/ns/user'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^[[:space:]]*0[[:space:]]+100000[[:space:]]+65536$ ]]
	[[ "${lines[1]}" =~ ^[[:space:]]*0[[:space:]]+200000[[:space:]]+65536$ ]]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0 ]
	[ "${lines[4]}" != "$(ns_link self user)" ]
}

@test "user namespace: the process runs as the mapped host ids" {
	userns_config
	cfg '.process.args = ["sleep", "1000"] | .process.user = {uid: 1000, gid: 1000}'
	run_detached "$ID"
	local pid
	pid=$(state_field "$ID" pid)
	grep -E '^Uid:\s+101000\s' "/proc/$pid/status"
	grep -E '^Gid:\s+201000\s' "/proc/$pid/status"
	# Files the host root owns are unmapped (nobody) inside.
	run -0 nook exec "$ID" stat -c %u /bin/busybox
	[ "$output" = 65534 ]
}

@test "user namespace: exec joins it, with the same id maps" {
	userns_config
	cfg '.process.args = ["sleep", "1000"]'
	run_detached "$ID"
	local pid
	pid=$(state_field "$ID" pid)
	run -0 nook exec "$ID" sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u'
	[ "${lines[0]}" = "$(ns_link "$pid" user)" ]
	[[ "${lines[1]}" =~ ^[[:space:]]*0[[:space:]]+100000[[:space:]]+65536$ ]]
	[ "${lines[2]}" = 0 ]
	# exec -u picks a uid inside the namespace.
	try_detached exec -d --pid-file "$BATS_TEST_TMPDIR/e.pid" -u 1000:1000 "$ID" sleep 100
	[ "$status" -eq 0 ]
	grep -E '^Uid:\s+101000\s' "/proc/$(cat "$BATS_TEST_TMPDIR/e.pid")/status"
}

@test "user namespace: mappings with several ranges" {
	userns_config
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 1000}, {containerID: 1000, hostID: 300000, size: 10}]'
	run_container 'cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" =~ ^[[:space:]]*1000[[:space:]]+300000[[:space:]]+10$ ]]
}

@test "time namespace with timeOffsets" {
	# runc 1.1 has no time namespace support (runc 1.2 added it).
	nook_only "time namespace (not in runc 1.1)"
	add_namespace time
	cfg '.linux.timeOffsets = {monotonic: {secs: 864000, nanosecs: 0}, boottime: {secs: 1728000, nanosecs: 0}}'
	run_container 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(ns_link self time)" ]
	# uptime is boottime: the host's plus 20 days.
	local host_up
	host_up=$(cut -d. -f1 /proc/uptime)
	[ "${lines[1]}" -ge $((host_up + 1728000 - 5)) ]
	[ "${lines[1]}" -le $((host_up + 1728000 + 60)) ]
}
