#!/usr/bin/env bats
# The seccomp profile `nook spec` writes (spec/default_seccomp.c): ordinary
# busybox work keeps running under it, and what it blocks fails with EPERM.
# Each blocking test first runs the same command without the profile, so it
# shows that the profile, not a missing capability, is what stops it.
#
# Against runc (whose `runc spec` has no profile) the profile is taken from
# the nook build next to the tests, which also checks that runc accepts it.

load helpers

setup() {
	nook_setup
	if ! jq -e '.linux.seccomp' "$BUNDLE/config.json" >/dev/null; then
		is_runc || {
			echo "nook spec wrote no linux.seccomp" >&2
			return 1
		}
		take_profile_from_nook_build
	fi
	jq '.linux.seccomp' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/profile.json"
}
teardown() { nook_teardown; }

take_profile_from_nook_build() {
	local nb=$REPO_DIR/${BUILD:-build}/nook dir=$BATS_TEST_TMPDIR/nook-spec
	[ -x "$nb" ] || skip "no nook build at $nb to take the default profile from"
	mkdir -p "$dir"
	"$nb" spec -b "$dir"
	cfg '.linux.seccomp = $p' --argjson p "$(jq '.linux.seccomp' "$dir/config.json")"
}

without_profile() {
	cfg 'del(.linux.seccomp)'
}

with_profile() {
	cfg '.linux.seccomp = $p' --argjson p "$(cat "$BATS_TEST_TMPDIR/profile.json")"
}

# add_caps CAP...: into the bounding, effective and permitted sets (root
# needs no ambient ones).
add_caps() {
	local c
	for c in "$@"; do
		cfg '.process.capabilities |= (.bounding += [$c] | .effective += [$c] | .permitted += [$c])' \
			--arg c "$c"
	done
}

@test "nook spec: deny-by-default profile with EPERM, the same for rootless" {
	nook_only "runc spec writes no seccomp profile"
	local p=$BATS_TEST_TMPDIR/profile.json
	run -0 jq -r '[.defaultAction, .defaultErrnoRet] | @tsv' "$p"
	[ "$output" = "SCMP_ACT_ERRNO	1" ]
	case "$(uname -m)" in
	x86_64) run -0 jq -r '.architectures | join(",")' "$p"
		[ "$output" = "SCMP_ARCH_X86_64,SCMP_ARCH_X86,SCMP_ARCH_X32" ] ;;
	aarch64) run -0 jq -r '.architectures | join(",")' "$p"
		[ "$output" = "SCMP_ARCH_AARCH64,SCMP_ARCH_ARM" ] ;;
	esac
	# None of these has a rule, so the default action answers them.
	local s
	for s in keyctl add_key request_key bpf perf_event_open kexec_load kexec_file_load \
		open_by_handle_at mount umount2 unshare setns pivot_root init_module userfaultfd; do
		run -0 jq --arg s "$s" '[.syscalls[].names[] | select(. == $s)] | length' "$p"
		[ "$output" = 0 ] || {
			echo "the profile has a rule for $s" >&2
			return 1
		}
	done
	local dir=$BATS_TEST_TMPDIR/rootless
	mkdir -p "$dir"
	"$NOOK" spec --rootless -b "$dir"
	run -0 jq --slurpfile a "$p" '.linux.seccomp == $a[0]' "$dir/config.json"
	[ "$output" = true ]
}

@test "default profile: busybox keeps working" {
	# Every line must succeed; `set -e` stops at the first that does not.
	run_container 'set -e
		grep -q "^Seccomp:[[:space:]]*2" /proc/self/status
		ls -l / >/dev/null
		ps >/dev/null
		mount >/dev/null
		id -u
		linux32 uname -m >/dev/null
		linux64 uname -m >/dev/null
		nproc >/dev/null
		date >/dev/null
		df / >/dev/null
		free >/dev/null
		uptime >/dev/null
		ip link >/dev/null
		ionice -p 1 >/dev/null
		renice -n 5 $$ >/dev/null
		taskset -p 1 >/dev/null
		mkdir -p /tmp/d && echo hi >/tmp/d/f && cat /tmp/d/f
		ln -s f /tmp/d/l && readlink /tmp/d/l
		mkfifo /tmp/d/p && mknod /tmp/d/q p
		dd if=/dev/zero of=/tmp/d/z bs=1k count=4 2>/dev/null && truncate -s 1 /tmp/d/z
		tar -cf /tmp/t.tar -C /tmp d && tar -tf /tmp/t.tar >/dev/null
		gzip -c /tmp/t.tar | gunzip -c | md5sum >/dev/null
		find /tmp -name f | sort
		touch -d "2020-01-01 00:00" /tmp/d/f && stat -c %Y /tmp/d/f >/dev/null
		sleep 0.1 & wait $!
		sleep 10 & kill $!; wait $! 2>/dev/null || [ $? -eq 143 ]
		timeout 1 true
		echo end'
	echo "$output" >&2 # shown when the test fails
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = hi ]
	[ "${lines[2]}" = f ]
	[ "${lines[3]}" = /tmp/d/f ]
	[ "${lines[4]}" = end ]
}

@test "default profile: unshare of a user namespace fails with EPERM" {
	# Needs no capability at all, so only seccomp stops it.
	without_profile
	run_container 'unshare -U true; echo "unshare: $?"'
	[ "$status" -eq 0 ]
	if [ "${lines[-1]}" != "unshare: 0" ]; then
		skip "this host does not let containers make user namespaces: $output"
	fi
	with_profile
	run_container 'unshare -U true'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "default profile: mount and chroot fail with EPERM even with the capability" {
	# The profile is static: it does not widen when caps are added.
	add_caps CAP_SYS_ADMIN CAP_SYS_CHROOT
	local cmd='mkdir -p /mnt && mount -t tmpfs x /mnt && echo mounted; chroot / true && echo chrooted'
	without_profile
	run_container "$cmd"
	[ "$status" -eq 0 ]
	[[ "$output" == *mounted* ]]
	[[ "$output" == *chrooted* ]]
	with_profile
	run_container "$cmd"
	[ "$status" -ne 0 ]
	[[ "$output" != *mounted* ]]
	[[ "$output" == *"permission denied"* ]] # busybox mount's word for EPERM
	run_container 'chroot / true'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}
