#!/usr/bin/env bats
# Behaviour the public conformance suites check (OCI runtime-tools validation,
# runc's integration tests), one test per point of issue 9, each written
# against what runc (or crun, where runc 1.1 falls short) does.

load helpers

setup() { nook_setup; }
teardown() { nook_teardown; }

# ---- mounts

@test "a read-only /dev still gets its submounts and nodes" {
	cfg '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
	run_container 'touch /dev/x 2>/dev/null && echo wrote; ls /dev/pts/ptmx /dev/null; grep " /dev " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$output" != *wrote* ]]
	[[ "$output" == *"/dev/pts/ptmx"* ]]
	[[ "$(grep ' /dev ' <<<"$output" | awk '{print $6}')" == ro* ]]
}

@test "a read-only bind mount with a mount below it" {
	mkdir -p "$BATS_TEST_TMPDIR/src/sub"
	add_mount /mnt bind "$BATS_TEST_TMPDIR/src" '["bind", "ro"]'
	add_mount /mnt/sub/t tmpfs tmpfs '[]'
	run_container 'touch /mnt/x 2>/dev/null && echo wrote; touch /mnt/sub/t/y && echo sub-ok'
	[ "$status" -eq 0 ]
	[[ "$output" != *wrote* ]]
	[[ "$output" == *sub-ok* ]]
}

@test "rro makes a bind mount read-only with its submounts" {
	local src=$BATS_TEST_TMPDIR/rro
	mkdir -p "$src/sub"
	mount -t tmpfs tmpfs "$src/sub"
	add_mount /mnt bind "$src" '["rbind", "rro"]'
	run_container 'touch /mnt/a 2>/dev/null && echo wrote-a; touch /mnt/sub/b 2>/dev/null && echo wrote-b; echo done'
	umount "$src/sub"
	[ "$status" -eq 0 ]
	[ "$output" = done ]
}

@test "tmpcopyup: a tmpfs starts with what the image has there" {
	mkdir -p "$ROOTFS/data/d"
	echo image >"$ROOTFS/data/d/f"
	ln -s d/f "$ROOTFS/data/l"
	chmod 0710 "$ROOTFS/data/d"
	chown 12:34 "$ROOTFS/data/d/f"
	add_mount /data tmpfs tmpfs '["tmpcopyup"]'
	run_container 'cat /data/l; stat -c "%a %u:%g" /data/d /data/d/f; echo new > /data/new; awk "\$5 == \"/data\"" /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = image ]
	[ "${lines[1]}" = "710 0:0" ]
	[ "${lines[2]}" = "644 12:34" ]
	[ "${lines[3]}" = tmpfs ]
	[ ! -e "$ROOTFS/data/new" ]
}

@test "an unknown mount option is a config error naming it" {
	nook_only "runc passes unknown options to the kernel as data"
	add_mount /mnt tmpfs tmpfs '["nosuid", "bogus-option"]'
	set_cmd true
	try_create "$ID"
	[ "$status" -eq 1 ]
	local n
	n=$(jq '.mounts | length - 1' "$BUNDLE/config.json")
	[[ "$output" == *"mounts[$n].options[1]: unknown mount option \"bogus-option\""* ]]
	assert_nothing_left "$ID"
}

@test "proc over a symlink: must be mounted on ordinary directory" {
	rmdir "$ROOTFS/proc"
	ln -s /tmp "$ROOTFS/proc"
	run_container true
	[ "$status" -ne 0 ]
	[[ "$output" == *"must be mounted on ordinary directory"* ]]
}

@test "rootfsPropagation unbindable" {
	cfg '.linux.rootfsPropagation = "unbindable"'
	run_container 'grep -E "^[^ ]+ [^ ]+ [^ ]+ [^ ]+ / " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$output" == *unbindable* ]]
}

# ---- namespaces

@test "no namespaces at all: every one is nook's, the mount namespace included" {
	cfg 'del(.hostname) | .linux.namespaces = [] | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	echo in-root >"$ROOTFS/marker"
	local before
	before=$(grep -c . /proc/self/mountinfo)
	set_cmd 'cat /marker; sleep 100'
	create_ctr "$ID"
	local pid t
	pid=$(state_field "$ID" pid)
	for t in mnt pid net ipc uts cgroup user; do
		[ "$(readlink /proc/$pid/ns/$t)" = "$(readlink /proc/self/ns/$t)" ]
	done
	# A chroot into the root, and nothing mounted in the shared namespace.
	[ "$(readlink /proc/$pid/root)" = "$ROOTFS" ]
	[ "$(grep -c . /proc/self/mountinfo)" = "$before" ]
	nook start "$ID"
	wait_file "$BATS_TEST_TMPDIR/$ID.out"
	[ "$(ctr_output "$ID")" = in-root ]
	nook delete -f "$ID"
}

@test "no mount namespace: maskedPaths is a config error" {
	nook_only "runc's wording differs"
	remove_namespace mount
	try_create "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.maskedPaths: needs a mount namespace in linux.namespaces"* ]]
	assert_nothing_left "$ID"
}

@test "hostname is set in a uts namespace joined by path" {
	unshare --uts sleep 100 &
	local pid=$! i
	track_bg "$pid"
	for ((i = 0; i < 250; i++)); do
		[ "$(ns_link "$pid" uts)" != "$(ns_link self uts)" ] && break
		sleep 0.02
	done
	add_namespace uts "/proc/$pid/ns/uts"
	cfg '.hostname = "joined-uts"'
	run_container hostname
	[ "$status" -eq 0 ]
	[ "$output" = joined-uts ]
	[ "$(nsenter -t "$pid" -u hostname)" = joined-uts ]
	[ "$(hostname)" != joined-uts ]
}

@test "spec: a cgroup namespace only on a pure cgroup v2 host" {
	nook spec -b "$BATS_TEST_TMPDIR"
	local has
	has=$(jq '[.linux.namespaces[] | select(.type == "cgroup")] | length' "$BATS_TEST_TMPDIR/config.json")
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		[ "$has" = 1 ]
	else
		[ "$has" = 0 ]
	fi
}
