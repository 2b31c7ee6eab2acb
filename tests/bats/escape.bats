#!/usr/bin/env bats
# Attack tests for issue 3, "Escape hardening": each one plays a known
# container escape against the runtime and checks that the host is untouched.
# Each was checked to fail against a build with that protection removed.

load helpers
load escape_helpers

setup() {
	nook_setup
	HOSTDIR=$BATS_TEST_TMPDIR/host
	mkdir -p "$HOSTDIR"
	echo host-only >"$HOSTDIR/HOST_MARKER"
}
teardown() { nook_teardown; }

# ---------------------------------------------------------------- CVE-2019-5736

@test "CVE-2019-5736: a container process cannot reach the runtime binary through /proc/1/exe" {
	# A copy of the runtime runs this container, so the attack, if it
	# works, overwrites the copy and nothing else.
	local copy=$BATS_TEST_TMPDIR/nook-copy log=$ROOTFS/attack.log before
	cp "$NOOK" "$copy"
	before=$(sha256sum <"$copy")
	# Same host uid as the init and every capability it has in the user
	# namespace: the kernel lets such a process open /proc/1/exe of a
	# dumpable init.
	identity_userns
	give_all_caps
	cfg '.process.args = ["sleep", "60"]'
	NOOK=$copy create_ctr "$ID"
	# While the init (a clone of nook) waits for start, /proc/1/exe is the
	# runtime binary. Hold it open, and once nothing runs the binary any
	# more (after start), reopen it for writing through /proc/self/fd.
	NOOK=$copy try_detached exec -d "$ID" sh -c '
		if ! (exec 3</proc/1/exe) 2>/dev/null; then echo denied >/attack.log; exit 0; fi
		exec 3</proc/1/exe
		echo opened >/attack.log
		i=0
		while [ $i -lt 250 ]; do
			if (exec 4<>/proc/self/fd/3 && echo PWNED >&4) 2>/dev/null; then
				echo overwritten >>/attack.log
				exit 0
			fi
			sleep 0.02
			i=$((i + 1))
		done
		echo "not writable" >>/attack.log'
	[ "$status" -eq 0 ] || {
		echo "exec failed: $output" >&2
		return 1
	}
	wait_file "$log"
	NOOK=$copy try_detached start "$ID"
	[ "$status" -eq 0 ] || {
		echo "start failed: $output" >&2
		return 1
	}
	# The attacker gives up after 5 s; wait for its last word.
	local i
	for ((i = 0; i < 350; i++)); do
		grep -qE 'denied|overwritten|not writable' "$log" && break
		sleep 0.02
	done
	echo "attack: $(cat "$log")" >&2
	[ "$(sha256sum <"$copy")" = "$before" ]
	[ "$(head -n 1 "$log")" = denied ]
}

# ---------------------------------------------------------------- CVE-2024-21626

# The fds a process in the container has, as ls lists them (ls's own
# directory fd is the last one).
fd_list_cmd='ls /proc/self/fd | sort -n | tr "\n" " "'

@test "CVE-2024-21626: no fd of the runtime or its caller reaches the container process" {
	# Host fds nook inherits without --preserve-fds: a file and a directory.
	run_container "$fd_list_cmd" 5<"$HOSTDIR/HOST_MARKER" 6<"$HOSTDIR" 7<"$HOSTDIR"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
}

@test "CVE-2024-21626: with --preserve-fds 1 only fd 3 more reaches the container process" {
	set_cmd "$fd_list_cmd"
	run nook run --preserve-fds 1 -b "$BUNDLE" "$ID" </dev/null 3<"$HOSTDIR/HOST_MARKER" \
		5<"$HOSTDIR" 6<"$HOSTDIR"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 4 " ]
}

@test "CVE-2024-21626: no fd of the runtime or its caller reaches a process started by exec" {
	cfg '.process.args = ["sleep", "60"]'
	run_detached "$ID"
	run nook exec "$ID" sh -c "$fd_list_cmd" </dev/null 5<"$HOSTDIR/HOST_MARKER" 6<"$HOSTDIR"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
}

# check_cwd_result: $status/$output of a process started with cwd
# /proc/self/fd/N: it either failed to start, or its cwd is inside the root.
check_cwd_result() {
	local n=$1
	if [ "$status" -eq 0 ] && [[ "$output" == *HOST_MARKER* || "$output" == *host-only* ]]; then
		echo "cwd /proc/self/fd/$n reached the host directory: $output" >&2
		return 1
	fi
	if [ "$status" -ne 0 ] && [[ "$output" != *"process.cwd /proc/self/fd/$n"* ]]; then
		echo "cwd /proc/self/fd/$n: failed without naming process.cwd: $output" >&2
		return 1
	fi
}

@test "CVE-2024-21626: process.cwd /proc/self/fd/N never lands outside the root" {
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		# Host directories held open by nook's caller, as a leaked fd would be.
		run_container 'ls; cat HOST_MARKER 2>/dev/null; true' 5<"$HOSTDIR" 6<"$HOSTDIR" \
			7<"$HOSTDIR" 8<"$HOSTDIR" 9<"$HOSTDIR"
		check_cwd_result "$n"
		nook delete -f "$ID" >/dev/null 2>&1 || true
	done
	# A missing cwd is created: never through such an fd on the host.
	for n in 5 6; do
		cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n/made-by-nook"
		run_container 'ls; cat HOST_MARKER 2>/dev/null; true' 5<"$HOSTDIR" 6<"$HOSTDIR"
		check_cwd_result "$n"
		nook delete -f "$ID" >/dev/null 2>&1 || true
	done
	[ "$(ls -A "$HOSTDIR")" = HOST_MARKER ]
}

@test "CVE-2024-21626: exec --cwd /proc/self/fd/N never lands outside the root" {
	cfg '.process.args = ["sleep", "60"]'
	run_detached "$ID"
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		run nook exec --cwd "/proc/self/fd/$n" "$ID" sh -c 'ls; cat HOST_MARKER 2>/dev/null; true' \
			</dev/null 5<"$HOSTDIR" 6<"$HOSTDIR" 7<"$HOSTDIR" 8<"$HOSTDIR" 9<"$HOSTDIR"
		check_cwd_result "$n"
	done
}

# ---------------------------------------------------------------- symlinks

@test "mount destinations through symlinks planted in the image stay inside the root" {
	mkdir -p "$BUNDLE/src"
	echo from-the-bundle >"$BUNDLE/src/file"
	# The links resolve inside the root to a directory that exists there
	# (a dangling one is refused, which is fine too).
	mkdir -p "$ROOTFS$HOSTDIR"
	ln -s "$HOSTDIR" "$ROOTFS/etc/evil"
	ln -s "../../../../../../../../../../../../..$HOSTDIR" "$ROOTFS/etc/evil-rel"
	add_mount /etc/evil/tmpfs-here tmpfs tmpfs '[]'
	add_mount /etc/evil-rel/bind-here bind "$BUNDLE/src" '["bind"]'
	add_mount /etc/evil/file-here bind "$BUNDLE/src/file" '["bind"]'
	run_container "cat $HOSTDIR/bind-here/file $HOSTDIR/file-here; grep -c ' $HOSTDIR/tmpfs-here ' /proc/self/mountinfo"
	echo "$output" >&2
	# The host directory has only what the test put there.
	[ "$(ls -A "$HOSTDIR")" = HOST_MARKER ]
	# And the mounts are where the symlinks lead inside the root.
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-the-bundle ]
	[ "${lines[1]}" = from-the-bundle ]
	[ "${lines[2]}" = 1 ]
}

@test "CVE-2025-31133: a /dev/null that is not the null device is not used to mask" {
	local dev=$BUNDLE/devdir
	mkdir -p "$dev"
	# The container controls its /dev (a bind mount) and made null a link
	# to a procfs file; masking by path would bind that file, writable,
	# over every masked file.
	ln -s /proc/sys/kernel/hostname "$dev/null"
	bind_dev_from "$dev"
	cfg '.linux.maskedPaths = ["/proc/timer_list", "/proc/keys"]'
	run_container 'stat -c "%F %t:%T" /proc/timer_list /proc/keys; cat /proc/timer_list /proc/keys | wc -c'
	echo "$output" >&2
	if [ "$status" -ne 0 ]; then
		[[ "$output" == *"linux.maskedPaths[0]"*"/dev/null"* ]]
	else
		[ "${lines[0]}" = "character special file 1:3" ]
		[ "${lines[1]}" = "character special file 1:3" ]
		[ "${lines[2]}" = 0 ]
	fi
}

@test "CVE-2025-52565: the console is not mounted through a symlink at /dev/console" {
	local dev=$BUNDLE/devdir sock=$BATS_TEST_TMPDIR/console.sock
	mkdir -p "$dev"
	ln -s /etc/passwd "$dev/console"
	bind_dev_from "$dev"
	cfg '.process.terminal = true | .process.args = ["sleep", "60"]'
	start_recvtty "$sock" "$BATS_TEST_TMPDIR/tty.out"
	try_create --console-socket "$sock" "$ID"
	echo "$output" >&2
	if [ "$status" -ne 0 ]; then
		[[ "$output" == *"/dev/console"* ]]
		return 0
	fi
	# Created: the pty must not be mounted over the link's target.
	! grep -E ' /etc/passwd ' "/proc/$(init_pid "$ID")/mountinfo"
}

# ---------------------------------------------------------------- CVE-2025-52881

@test "CVE-2025-52881: a sysctl is not written into a file mounted over /proc/sys" {
	echo fake-original >"$BUNDLE/fake"
	add_mount /proc/sys/net/ipv4/ip_forward bind "$BUNDLE/fake" '["bind"]'
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .process.args = ["sleep", "60"]'
	try_create "$ID"
	echo "$output" >&2
	[ "$(cat "$BUNDLE/fake")" = fake-original ]
	if [ "$status" -ne 0 ]; then
		[[ "$output" == *'linux.sysctl["net.ipv4.ip_forward"]'* ]]
	else
		[ "$(in_netns "$ID" cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	fi
}

@test "CVE-2025-52881: a sysctl is not written into a directory mounted over /proc/sys" {
	mkdir -p "$BUNDLE/fakesys/net/ipv4"
	echo fake-original >"$BUNDLE/fakesys/net/ipv4/ip_forward"
	add_mount /proc/sys bind "$BUNDLE/fakesys" '["rbind"]'
	# A read-only /proc/sys would stop the write by chance.
	cfg '.linux.readonlyPaths -= ["/proc/sys"]'
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .process.args = ["sleep", "60"]'
	try_create "$ID"
	echo "$output" >&2
	[ "$(cat "$BUNDLE/fakesys/net/ipv4/ip_forward")" = fake-original ]
	if [ "$status" -ne 0 ]; then
		[[ "$output" == *'linux.sysctl["net.ipv4.ip_forward"]'* ]]
	else
		[ "$(in_netns "$ID" cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	fi
}

@test "CVE-2025-52881: a sysctl is not redirected to another procfs file mounted over it" {
	# Another sysctl of the container's own network namespace stands in
	# for kernel.core_pattern.
	add_mount /proc/sys/net/ipv4/ip_forward bind /proc/sys/net/ipv4/ip_default_ttl '["bind"]'
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .process.args = ["sleep", "60"]'
	try_create "$ID"
	echo "$output" >&2
	if [ "$status" -ne 0 ]; then
		[[ "$output" == *'linux.sysctl["net.ipv4.ip_forward"]'* ]]
	else
		[ "$(in_netns "$ID" cat /proc/sys/net/ipv4/ip_default_ttl)" != 1 ]
		[ "$(in_netns "$ID" cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	fi
}

@test "CVE-2025-52881: oom_score_adj is not redirected to a procfs file mounted over it" {
	add_mount /proc/self/oom_score_adj bind /proc/sys/net/ipv4/ip_default_ttl '["bind"]'
	cfg '.process.oomScoreAdj = 7 | .process.args = ["sleep", "60"]'
	try_create "$ID"
	echo "$output" >&2
	if [ "$status" -ne 0 ]; then
		[[ "$output" == *oom_score_adj* ]]
	else
		[ "$(in_netns "$ID" cat /proc/sys/net/ipv4/ip_default_ttl)" != 7 ]
		[ "$(cat "/proc/$(init_pid "$ID")/oom_score_adj")" = 7 ]
	fi
}

# ---------------------------------------------------------------- masked paths

@test "runc's default masked paths are masked inside the container" {
	local runc_masked=(/proc/acpi /proc/asound /proc/kcore /proc/keys /proc/latency_stats
		/proc/timer_list /proc/timer_stats /proc/sched_debug /sys/firmware /proc/scsi
		/sys/devices/virtual/powercap)
	local p script="" checked=0
	for p in "${runc_masked[@]}"; do
		jq -e --arg p "$p" '.linux.maskedPaths | index($p)' "$BUNDLE/config.json" >/dev/null || {
			echo "nook spec does not mask $p" >&2
			return 1
		}
		[ -e "$p" ] || continue
		checked=$((checked + 1))
		# A directory: an empty tmpfs. Anything else: the null device,
		# which reads empty.
		if [ -d "$p" ]; then
			script+="echo $p \$(stat -f -c %T $p) \$(ls -A $p | wc -l);"
		else
			script+="echo $p \$(stat -c %t:%T $p) \$(cat $p 2>/dev/null | wc -c);"
		fi
	done
	[ "$checked" -gt 0 ] || skip "none of runc's masked paths exists on this host"
	run_container "$script"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq "$checked" ]
	local line
	for line in "${lines[@]}"; do
		set -- $line
		[ "$2 $3" = "tmpfs 0" ] || [ "$2 $3" = "1:3 0" ] || {
			echo "not masked: $line" >&2
			return 1
		}
	done
}
