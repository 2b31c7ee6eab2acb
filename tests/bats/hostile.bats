#!/usr/bin/env bats
# Crash safety and hostile input (issue 10): nothing a kill, a full disk or a
# bad file does may strand a container, and nothing a caller passes may make
# nook hang, balloon or print garbage.

load helpers

setup() { nook_setup; }
teardown() { nook_teardown; }

# ---------------------------------------------------------------- config.json

@test "config.json that is a symlink to /dev/zero is refused at once" {
	nook_only "runc reads it until it runs out of memory"
	rm "$BUNDLE/config.json"
	ln -s /dev/zero "$BUNDLE/config.json"
	run timeout 10 "$NOOK" --root "$ROOT" create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "nook: $ID: "*"config.json: not a regular file"* ]]
	assert_nothing_left "$ID"
}

@test "config.json that is a fifo is refused without waiting for a writer" {
	nook_only "runc blocks opening it"
	rm "$BUNDLE/config.json"
	mkfifo "$BUNDLE/config.json"
	run timeout 10 "$NOOK" --root "$ROOT" run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == "nook: $ID: "*"config.json: not a regular file"* ]]
	assert_nothing_left "$ID"
}

@test "a config.json larger than the limit is refused before it is parsed" {
	nook_only "the size limit is nook's"
	# 17 MiB of annotations: valid JSON, too big to be a real config.
	jq --rawfile pad <(head -c $((17 << 20)) /dev/zero | tr '\0' a) \
		'.annotations = {"pad": $pad}' "$BUNDLE/config.json" >"$BUNDLE/big.json"
	mv "$BUNDLE/big.json" "$BUNDLE/config.json"
	run timeout 10 "$NOOK" --root "$ROOT" create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == "nook: $ID: "*"config.json: too large"* ]]
	assert_nothing_left "$ID"
}

@test "40000 annotations: the container runs and state lists every one" {
	jq '.annotations = ([range(40000) | {key: "org.example.k\(.)", value: "v\(.)"}] | from_entries)' \
		"$BUNDLE/config.json" >"$BUNDLE/many.json"
	mv "$BUNDLE/many.json" "$BUNDLE/config.json"
	cfg '.process.args = ["sleep", "30"]'
	run_detached "$ID"
	[ "$(nook state "$ID" | jq '.annotations | length')" -eq 40000 ]
	[ "$(nook state "$ID" | jq -r '.annotations["org.example.k39999"]')" = v39999 ]
	nook delete -f "$ID"
	assert_nothing_left "$ID"
}

# ---------------------------------------------------------------- rootfs

@test "bind mount onto a dangling symlink creates its target inside the root" {
	# As real images ship it (systemd-resolved's stub).
	rm -f "$ROOTFS/etc/resolv.conf"
	ln -s ../run/systemd/resolve/stub-resolv.conf "$ROOTFS/etc/resolv.conf"
	echo "nameserver 192.0.2.53" >"$BATS_TEST_TMPDIR/resolv.conf"
	add_mount /etc/resolv.conf bind "$BATS_TEST_TMPDIR/resolv.conf" '["bind", "ro"]'
	run_container "cat /etc/resolv.conf"
	[ "$status" -eq 0 ]
	[ "$output" = "nameserver 192.0.2.53" ]
	# Created inside the root, nowhere else.
	[ -f "$ROOTFS/run/systemd/resolve/stub-resolv.conf" ]
	[ ! -e /run/systemd/resolve/stub-resolv.conf ] || [ -n "$(cat /run/systemd/resolve/stub-resolv.conf)" ]
}

@test "bind mount onto an absolute dangling symlink stays inside the root" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo inside >"$BATS_TEST_TMPDIR/src/f"
	ln -s "/nook-i10-nowhere-$$/dir" "$ROOTFS/data"
	add_mount /data bind "$BATS_TEST_TMPDIR/src" '["bind"]'
	run_container "cat /data/f"
	[ "$status" -eq 0 ]
	[ "$output" = inside ]
	[ -d "$ROOTFS/nook-i10-nowhere-$$/dir" ]
	[ ! -e "/nook-i10-nowhere-$$" ]
}
