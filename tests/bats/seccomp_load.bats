#!/usr/bin/env bats
# Where and how the seccomp filter is loaded (runtime/finish.c,
# security/seccomp*.c): nook's own setup runs before the filter, so no
# profile can break it; syscalls newer than the profile get ENOSYS;
# startContainer hooks run under the filter; and compiled programs are
# cached per profile in <root>/seccomp~cache.

load helpers

# The container's last output line: --debug traces go to the same stderr.
container_last_line() {
	printf '%s\n' "${lines[@]}" | grep -v '^time="[^"]*" level=debug ' | tail -n 1
}

setup() { nook_setup; }
teardown() { nook_teardown; }

ENOSYS=38
EPERM=1

# The syscall-number probe (tests/helpers/static/syscall_errno.c), copied
# into the container's root.
add_probe() {
	local cand
	for cand in "$(dirname "$NOOK")/helpers/static/syscall_errno" \
		"$REPO_DIR/${BUILD:-build}/helpers/static/syscall_errno"; do
		if [ -x "$cand" ]; then
			cp "$cand" "$ROOTFS/syscall_errno"
			return 0
		fi
	done
	cc -O2 -static -o "$ROOTFS/syscall_errno" "$TESTS_DIR/helpers/static/syscall_errno.c"
}

# The deny-by-default profile `nook spec` writes (taken from the nook build
# next to the tests when the runtime under test is runc).
default_profile() {
	local conf=$BUNDLE/config.json
	if ! jq -e .linux.seccomp "$conf" >/dev/null; then
		local nb=$REPO_DIR/${BUILD:-build}/nook dir=$BATS_TEST_TMPDIR/nook-spec
		[ -x "$nb" ] || skip "no nook build at $nb to take the default profile from"
		mkdir -p "$dir"
		"$nb" spec -b "$dir"
		conf=$dir/config.json
	fi
	jq -c .linux.seccomp "$conf"
}

# The default profile as it was before Linux 5.3: without clone3 (435) and
# every syscall after it, close_range and faccessat2 among them (as the OCI
# validation suite's profile is).
old_profile() {
	default_profile | jq -c '.syscalls |= map(.names -= ["clone3", "close_range", "openat2",
		"faccessat2", "epoll_pwait2", "landlock_create_ruleset", "landlock_add_rule",
		"landlock_restrict_self", "memfd_secret", "process_mrelease", "futex_waitv",
		"fchmodat2", "cachestat", "map_shadow_stack", "futex_wake", "futex_wait",
		"futex_requeue", "statmount", "listmount", "mseal"] | select(.names != []))'
}

@test "seccomp: a profile without close_range/faccessat2 and noNewPrivileges false starts" {
	# nook marks fds close-on-exec (close_range) and looks up PATH
	# (faccessat2) before the filter exists; loaded earlier, this profile
	# made them fail with EPERM.
	cfg '.linux.seccomp = $p | .process.noNewPrivileges = false' --argjson p "$(old_profile)"
	run_container 'echo ok; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ok ]
	[ "${lines[1]}" = "NoNewPrivs:	0" ]
	[ "${lines[2]}" = "Seccomp:	2" ]
	# With noNewPrivileges true as well, and with preserved fds to mark.
	cfg '.process.noNewPrivileges = true'
	run_container 'echo ok'
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "seccomp: a syscall newer than the profile gets ENOSYS, one it leaves out the default errno" {
	[ "$(uname -m)" = x86_64 ] || skip "syscall numbers are x86_64's"
	add_probe
	# close_range (436) and 1000 are above every syscall the old profile
	# names; uselib (134) is below them and not allowed.
	cfg '.linux.seccomp = $p | .process.args = ["/syscall_errno", "436", "1000", "134"]' \
		--argjson p "$(old_profile)"
	run nook run -b "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "436=$ENOSYS" ]
	[ "${lines[1]}" = "1000=$ENOSYS" ]
	[ "${lines[2]}" = "134=$EPERM" ]
	# An allow-by-default profile leaves unknown syscalls to the kernel
	# (which has no syscall 1000 either).
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["uselib"],
		action: "SCMP_ACT_ERRNO", errnoRet: 5}]}'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "436=0" ] # close_range(0, 0, 0) closes fd 0
	[ "${lines[1]}" = "1000=$ENOSYS" ]
	[ "${lines[2]}" = "134=5" ]
}

@test "seccomp: startContainer hooks run with the filter in place" {
	cfg '.process.args = ["true"]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL"}]}
		| .hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", "mkdir /tmp/hooked"]}]}'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"startContainer hook"*"killed by signal 31"* ]]
	[ ! -e "$ROOTFS/tmp/hooked" ]
	# Without the rule the hook makes its directory.
	cfg '.linux.seccomp.syscalls = [{names: ["uselib"], action: "SCMP_ACT_KILL"}]'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[ -d "$ROOTFS/tmp/hooked" ]
}

# ---------------------------------------------------------------- the cache

# seccomp_note: the --debug line about the seccomp program from $output.
seccomp_note() {
	grep -o 'msg="seccomp: [^"]*"' <<<"$output"
}

cache_entries() {
	find "$ROOT/seccomp~cache" -mindepth 1 -maxdepth 1 | sort
}

@test "seccomp cache: a second container of the same profile takes the compiled program" {
	nook_only "nook's seccomp cache"
	cfg '.linux.seccomp = $p' --argjson p "$(default_profile)"
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	seccomp_note
	[[ "$(seccomp_note)" =~ ^msg=\"seccomp:\ program\ [0-9a-f]{16}\ \([0-9]+\ instructions\)\ compiled\ and\ cached\"$ ]]
	local first
	first=$(seccomp_note | awk '{print $3}')
	[ "$(cache_entries | wc -l)" -eq 1 ]
	run -0 stat -c '%a %U' "$ROOT/seccomp~cache" "$(cache_entries)"
	[ "${lines[0]}" = "700 root" ]
	[ "${lines[1]}" = "600 root" ]
	# The second container (another id) loads the same program from the
	# cache, and the filter works: the profile refuses unshare.
	run nook --debug run -b "$BUNDLE" "$ID-2" </dev/null
	[ "$status" -eq 0 ]
	[[ "$(seccomp_note)" == *"program $first ("*" instructions) from the cache\"" ]]
	set_cmd 'grep ^Seccomp: /proc/self/status; unshare -U true'
	run nook --debug run -b "$BUNDLE" "$ID-3" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$(seccomp_note)" == *"from the cache\"" ]]
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *"unshare"*"Operation not permitted"* ]]
	# exec uses it too.
	set_cmd 'sleep 100'
	run_detached "$ID-4"
	run nook --debug exec "$ID-4" sh -c 'grep ^Seccomp: /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" == *"from the cache\""* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
}

@test "seccomp cache: a truncated or altered entry is detected and rebuilt" {
	nook_only "nook's seccomp cache"
	cfg '.linux.seccomp = $p' --argjson p "$(default_profile)"
	set_cmd 'unshare -U true 2>/dev/null && echo unfiltered || echo filtered'
	run -0 nook --debug run -b "$BUNDLE" "$ID" </dev/null
	local entry
	entry=$(cache_entries)
	local good=$BATS_TEST_TMPDIR/good
	cp "$entry" "$good"
	# One byte of the program changed: an "allow" could have become a
	# "deny" or the reverse.
	printf '\x00' | dd of="$entry" bs=1 seek=200 conv=notrunc status=none
	! cmp -s "$entry" "$good"
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(seccomp_note)" == *"compiled, cache entry rebuilt (it was bad: digest mismatch)\"" ]]
	[ "$(container_last_line)" = filtered ]
	cmp "$entry" "$good"
	# Cut short (as by a crash while writing): rebuilt.
	truncate -s 1000 "$entry"
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$(seccomp_note)" == *"cache entry rebuilt (it was bad: truncated or extended)\"" ]]
	cmp "$entry" "$good"
	# Emptied, and then made writable by others: not trusted.
	: >"$entry"
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$(seccomp_note)" == *"(it was bad: wrong size)\"" ]]
	chmod 0666 "$entry"
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$(seccomp_note)" == *"(it was bad: writable by others)\"" ]]
	run -0 stat -c %a "$entry"
	[ "$output" = 600 ]
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	[[ "$(seccomp_note)" == *"from the cache\"" ]]
	# A cache directory others may write is not used at all.
	chmod 0777 "$ROOT/seccomp~cache"
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$(seccomp_note)" == *"compiled, cache not used: $ROOT/seccomp~cache: writable by others\"" ]]
	[ "$(container_last_line)" = filtered ]
}

@test "seccomp cache: a different profile never gets another profile's program" {
	nook_only "nook's seccomp cache"
	# Two profiles that differ in one errno only.
	local a b
	a=$(jq -nc '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"],
		action: "SCMP_ACT_ERRNO", errnoRet: 100}]}')
	b=$(jq -c '.syscalls[0].errnoRet = 122' <<<"$a")
	set_cmd 'mkdir /tmp/x'
	cfg '.linux.seccomp = $p' --argjson p "$a"
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"Network is down"* ]]
	local key_a entry_a
	key_a=$(seccomp_note | awk '{print $3}')
	entry_a=$(cache_entries)
	cfg '.linux.seccomp = $p' --argjson p "$b"
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$(seccomp_note)" == *"compiled and cached\"" ]]
	[[ "$output" == *"Disk quota exceeded"* ]]
	local key_b
	key_b=$(seccomp_note | awk '{print $3}')
	[ "$key_a" != "$key_b" ]
	[ "$(cache_entries | wc -l)" -eq 2 ]
	# Profile a's entry put where b's belongs: its key does not match b's,
	# so b is compiled again rather than run with a's errno.
	local entry_b
	entry_b=$(cache_entries | grep -v "$entry_a")
	cp "$entry_a" "$entry_b"
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$(seccomp_note)" == *"(it was bad: another profile's key)\"" ]]
	[[ "$output" == *"Disk quota exceeded"* ]]
	# Same rules, other architectures: another program too.
	cfg '.linux.seccomp = $p | .linux.seccomp.architectures = ["SCMP_ARCH_X86"]' --argjson p "$b"
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	[[ "$(seccomp_note)" == *"compiled and cached\"" ]]
}

@test "seccomp cache: concurrent creates with one profile all succeed" {
	nook_only "nook's seccomp cache"
	cfg '.linux.seccomp = $p' --argjson p "$(default_profile)"
	set_cmd 'grep ^Seccomp: /proc/self/status'
	local i pids=() n=8
	for ((i = 0; i < n; i++)); do
		nook create -b "$BUNDLE" "$ID-$i" </dev/null >"$BATS_TEST_TMPDIR/c$i.out" 2>&1 3>&- &
		pids+=($!)
	done
	for ((i = 0; i < n; i++)); do
		wait "${pids[$i]}" || { cat "$BATS_TEST_TMPDIR/c$i.out" >&2; return 1; }
	done
	for ((i = 0; i < n; i++)); do
		nook start "$ID-$i"
	done
	# One whole entry, no temporary files left.
	run -0 cache_entries
	[ "${#lines[@]}" -eq 1 ]
	[[ "$(basename "${lines[0]}")" =~ ^[0-9a-f]{64}$ ]]
	run nook --debug run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$(seccomp_note)" == *"from the cache\"" ]]
	[ "$(container_last_line)" = "Seccomp:	2" ]
}
