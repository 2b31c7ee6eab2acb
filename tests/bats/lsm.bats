#!/usr/bin/env bats
# AppArmor and SELinux labels (issue 3): applied where the host has the LSM,
# otherwise a request for one fails clearly, naming the field, and leaves
# nothing behind. `features` says which ones this host can apply.

load helpers

setup() { nook_setup; }
teardown() { nook_teardown; }

apparmor_enabled() {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]
}

selinux_enabled() {
	[ -d /sys/fs/selinux ] && [ -e /sys/fs/selinux/enforce ]
}

@test "apparmorProfile without AppArmor on the host fails create clearly" {
	nook_only "error format"
	apparmor_enabled && skip "this host has AppArmor: the profile would be applied"
	cfg '.process.apparmorProfile = "nook-test-profile"'
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_one_error_line process.apparmorProfile
	[[ "$output" == *AppArmor* ]]
	assert_nothing_left "$ID"
}

@test "selinuxLabel without SELinux on the host fails create clearly" {
	nook_only "error format"
	selinux_enabled && skip "this host has SELinux: the label would be applied"
	cfg '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_one_error_line process.selinuxLabel
	[[ "$output" == *SELinux* ]]
	assert_nothing_left "$ID"
}

@test "without a label the container runs as usual" {
	run_container 'echo unlabelled'
	[ "$status" -eq 0 ]
	[ "$output" = unlabelled ]
}
