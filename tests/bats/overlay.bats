#!/usr/bin/env bats
# Overlay root (nook only): the annotation org.nook.rootfs.lower lists lower
# layers (topmost first), root.path is the writable upper layer;
# org.nook.rootfs.volatile=true puts the upper layer on a tmpfs.

load helpers

setup() {
	nook_only "org.nook.rootfs.* annotations"
	nook_setup
	LOWER1=$BUNDLE/lower1
	LOWER2=$BUNDLE/lower2
	UPPER=$BUNDLE/upper
	# lower2 (bottom): the busybox tree; lower1 (top): a small layer.
	mv "$ROOTFS" "$LOWER2"
	mkdir -p "$LOWER1/etc" "$UPPER"
	echo l1 >"$LOWER1/a"
	echo l1 >"$LOWER1/shared"
	echo l1-etc >"$LOWER1/etc/from-l1"
	echo l2 >"$LOWER2/b"
	echo l2 >"$LOWER2/shared"
	cfg '.root.path = "upper"
	   | .annotations["org.nook.rootfs.lower"] = "lower1:lower2"'
	LOWER_SUM=$(layer_sum "$LOWER1" "$LOWER2")
}
teardown() { nook_teardown; }

# A checksum of names, types, modes and contents of the layers.
layer_sum() {
	(cd "$BUNDLE" && find "$@" -printf '%p %y %m %s %l\n' | sort &&
		find "$@" -type f -exec sha256sum {} + | sort) | sha256sum
}

@test "overlay: the container sees the union of the layers" {
	run_container 'cat /a /b /shared /etc/from-l1; ls /bin/busybox; cat /etc/passwd | head -n 1'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = l1 ]
	[ "${lines[1]}" = l2 ]
	# The topmost layer wins.
	[ "${lines[2]}" = l1 ]
	[ "${lines[3]}" = l1-etc ]
	[ "${lines[4]}" = /bin/busybox ]
	[[ "${lines[5]}" == root:* ]]
	# Seen inside as an overlay root.
	run_container 'awk "\$5 == \"/\"" /proc/self/mountinfo'
	[[ "$output" == *" - overlay "* ]]
}

@test "overlay: writes land in the upper layer only; lower layers are untouched" {
	run_container 'echo new > /new; echo more >> /b; rm /a; mkdir /dir; echo x > /etc/from-l1'
	[ "$status" -eq 0 ]
	[ "$(cat "$UPPER/new")" = new ]
	[ "$(cat "$UPPER/b")" = "$(printf 'l2\nmore')" ]
	[ -d "$UPPER/dir" ]
	# rm of a lower file is a whiteout in upper.
	[ -c "$UPPER/a" ]
	[ "$(stat -c %t:%T "$UPPER/a")" = 0:0 ]
	[ "$(layer_sum "$LOWER1" "$LOWER2")" = "$LOWER_SUM" ]
	[ "$(cat "$LOWER1/a")" = l1 ]
	[ "$(cat "$LOWER2/b")" = l2 ]
}

@test "overlay: changes persist in the upper layer for the next container" {
	run_container 'echo kept > /kept'
	[ "$status" -eq 0 ]
	ID=$(new_id again)
	run_container 'cat /kept'
	[ "$status" -eq 0 ]
	[ "$output" = kept ]
}

@test "overlay: delete removes the workdir and the mounts, keeps the upper layer" {
	cfg '.process.args = ["sh", "-c", "echo data > /data; sleep 100"]'
	run_detached "$ID"
	wait_file "$UPPER/data"
	run -0 nook exec "$ID" cat /a
	[ "$output" = l1 ]
	run -0 nook delete -f "$ID"
	assert_nothing_left "$ID"
	[ "$(cat "$UPPER/data")" = data ]
	# Nothing nook made stays next to the layers (the workdir).
	[ "$(cd "$BUNDLE" && ls -A | sort | tr '\n' ' ')" = "config.json lower1 lower2 upper " ]
	[ "$(layer_sum "$LOWER1" "$LOWER2")" = "$LOWER_SUM" ]
}

@test "overlay: absolute lower paths" {
	cfg '.annotations["org.nook.rootfs.lower"] = "\($a):\($b)" | .root.path = $u' \
		--arg a "$LOWER1" --arg b "$LOWER2" --arg u "$UPPER"
	run_container 'cat /a /b'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'l1\nl2')" ]
}

@test "overlay: root.readonly makes the union read-only" {
	cfg '.root.readonly = true'
	run_container '(echo x > /new) 2>/dev/null && echo wrote; cat /a'
	[ "$status" -eq 0 ]
	[ "$output" = l1 ]
	[ ! -e "$UPPER/new" ]
}

@test "overlay volatile: writes go to a tmpfs and nothing is left after delete" {
	cfg '.annotations["org.nook.rootfs.volatile"] = "true"
	   | .process.args = ["sh", "-c", "echo v > /volatile-file; rm /a; echo ready > /dev/shm/r; sleep 100"]'
	local before
	before=$(cd "$BUNDLE" && find . -printf '%p %y %s\n' | sort)
	run_detached "$ID"
	run -0 nook exec "$ID" sh -c 'while [ ! -e /dev/shm/r ]; do sleep 0.02; done; cat /volatile-file; ls /a 2>&1; true'
	[ "${lines[0]}" = v ]
	[[ "${lines[1]}" == *"No such file"* ]]
	# The upper dir on disk got nothing.
	[ -z "$(ls -A "$UPPER")" ]
	run -0 nook delete -f "$ID"
	assert_nothing_left "$ID"
	[ "$(cd "$BUNDLE" && find . -printf '%p %y %s\n' | sort)" = "$before" ]
	[ "$(layer_sum "$LOWER1" "$LOWER2")" = "$LOWER_SUM" ]
}

@test "overlay volatile: a fresh container starts from the lower layers again" {
	cfg '.annotations["org.nook.rootfs.volatile"] = "true"'
	run_container 'echo v > /volatile-file'
	[ "$status" -eq 0 ]
	ID=$(new_id again)
	run_container 'ls /volatile-file 2>&1; cat /a'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"No such file"* ]]
	[ "${lines[1]}" = l1 ]
}

@test "overlay: a missing lower layer fails create with one error line and leaves nothing" {
	cfg '.annotations["org.nook.rootfs.lower"] = "lower1:no-such-layer"'
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_one_error_line "no-such-layer"
	assert_nothing_left "$ID"
	[ "$(cd "$BUNDLE" && ls -A | sort | tr '\n' ' ')" = "config.json lower1 lower2 upper " ]
}

@test "overlay: the workdir lives beside the upper layer while the container exists" {
	cfg '.process.args = ["sleep", "100"]'
	create_ctr "$ID"
	# The upper layer stays where root.path says; overlayfs needs a workdir
	# on the same filesystem, in the state dir or next to the upper layer.
	[ -d "$UPPER" ]
	[ -n "$(find "$BUNDLE" "$ROOT/$ID" -maxdepth 1 -name "*work*" -type d)" ]
	run -0 nook delete "$ID"
	[ -z "$(find "$BUNDLE" -maxdepth 1 -name "*work*")" ]
}
