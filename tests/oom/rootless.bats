#!/usr/bin/env bats
# Issue 8's acceptance 1 and 4 for rootless cgroup v2: an unprivileged user
# runs `nook spec --rootless` bundles with org.nook.oom=freeze in a cgroup
# delegated to it the way systemd delegates user@.service's: a directory
# the user owns (with its cgroup.procs, cgroup.subtree_control and
# cgroup.threads), the memory and pids controllers enabled above it, and
# the user's processes in a leaf below it. Every runtime command runs as
# that user from that leaf (OOM_AS); the container's cgroup is a sibling of
# the leaf (an absolute cgroupsPath, as runc and crun take it on v2).
#
# Needs a cgroup v2 hierarchy with the memory controller (the v2 VM); the
# hybrid CI host (memory on v1) and the v1 VM skip.

load helpers

RL_ID=60123

setup() {
	nook_setup
	require_oom_freeze
	[ "$(id -u)" -eq 0 ] || skip "needs root to make the test user and delegate a cgroup to it"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	local cg
	cg=$(cgroup2_mount)
	[ -n "$cg" ] || skip "no cgroup v2 hierarchy to delegate (a pure cgroup v1 host)"
	grep -qw memory "$cg/cgroup.controllers" ||
		skip "the cgroup v2 hierarchy at $cg has no memory controller to delegate (memory is on cgroup v1 here)"
	rl_user
	rl_delegate "$cg"
	rl_bundle
}

teardown() {
	nook_teardown
	rl_undelegate
}

# The test user: uid and gid numbers no account has (the VM's /etc is the
# host's, read-only), without supplementary groups.
rl_user() {
	RL_UID=$RL_ID RL_GID=$RL_ID
	! getent passwd "$RL_UID" >/dev/null || skip "uid $RL_UID is an account's here"
}

# rl_delegate MOUNT: the user's delegated cgroup RL_CG and its leaf
# RL_CG/user, which every runtime command of the test starts from.
rl_delegate() {
	local c
	for c in memory pids; do
		grep -qw "$c" "$1/cgroup.subtree_control" || echo "+$c" >"$1/cgroup.subtree_control"
	done
	RL_CG_REL=/nook-test-rootless-$$-$BATS_TEST_NUMBER
	RL_CG=$1$RL_CG_REL
	mkdir "$RL_CG"
	chown "$RL_UID:$RL_GID" "$RL_CG" "$RL_CG/cgroup.procs" "$RL_CG/cgroup.subtree_control" \
		"$RL_CG/cgroup.threads"
	# The user makes its leaf itself, as systemd --user does.
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups mkdir "$RL_CG/user"
	# Root moves the shell into the leaf, then becomes the user (as systemd
	# starts user@.service).
	OOM_AS=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$RL_CG/user"
		setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups --reset-env env HOME=/nonexistent)
}

# Remove the delegated cgroup once its processes are gone (a SIGKILLed
# process leaves its cgroup a moment later).
rl_undelegate() {
	[ -n "${RL_CG:-}" ] && [ -d "$RL_CG" ] || return 0
	local i
	for ((i = 0; i < 50; i++)); do
		find "$RL_CG" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
		rmdir "$RL_CG" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "teardown: could not remove $RL_CG: $(find "$RL_CG" -name cgroup.procs -exec cat {} +)" >&2
	return 1
}

# The bundle, the state root and the runtime, the user's: `spec --rootless`
# as the user, then what the OOM suite's bundles have.
rl_bundle() {
	local hog_nook=$NOOK d
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cp "$NOOK" "$BATS_TEST_TMPDIR/bin/nook"
	NOOK=$BATS_TEST_TMPDIR/bin/nook
	rm "$BUNDLE/config.json"
	mkdir -p "$ROOT"
	chown -R "$RL_UID:$RL_GID" "$BUNDLE" "$ROOT"
	d=$BATS_TEST_TMPDIR
	while [ "$d" != / ] && [ -n "$d" ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	chmod 755 "$BATS_TEST_TMPDIR/bin" "$NOOK"
	"${OOM_AS[@]}" "$NOOK" spec --rootless -b "$BUNDLE"
	cfg '.process.terminal = false | .root.readonly = false | .linux.cgroupsPath = $p' \
		--arg p "$RL_CG_REL/$ID"
	NOOK=$hog_nook oom_bundle
	chown "$RL_UID:$RL_GID" "$ROOTFS/oomhog"
	OOM_MARGIN=$((16 << 20))
}

nook() {
	"${OOM_AS[@]}" "$NOOK" --root "$ROOT" "$@"
}

@test "oom rootless 1, 4: hogs frozen at memory.high within memory.max's margin, raised, resumed, verified; page cache never frozen" {
	# The user is told where it may freeze: the parent of its cgroup.
	run -0 nook oom --help
	[[ "$output" == *"cgroup v2, rootless: yes, in $RL_CG_REL, delegated to you"* ]]
	# 4's file, read through the page cache and charged to the container:
	# a big file of the host's that no one read yet in the VM (tmpfs
	# everywhere, the host's / on 9p with cache=loose); one written around
	# the page cache on a disk filesystem.
	big=$BATS_TEST_TMPDIR/data
	mkdir -p "$big"
	if [ "$(stat -f -c %T "$big")" = tmpfs ]; then
		file=$(find /usr/bin /usr/lib/x86_64-linux-gnu /usr/libexec -maxdepth 2 -type f -size +48M -perm -o+r -print -quit 2>/dev/null)
		[ -n "$file" ] || skip "no file of 48 MiB on a page-cached filesystem"
		add_mount /data/file bind "$file" '["bind", "ro"]'
	else
		dd if=/dev/zero of="$big/file" bs=1M count=48 oflag=direct status=none
		chmod 644 "$big/file"
		add_mount /data bind "$big" '["bind", "ro"]'
	fi
	hog_shell
	create_ctr "$ID"
	start_events
	nook start "$ID"
	pid=$(nook state "$ID" | jq .pid)
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ]
	[ "$(mem_cg)" = "$RL_CG/$ID" ]
	# The user's limit is memory.high, memory.max a margin above; the
	# processes keep their oom_score_adj (lowering it needs privilege).
	[ "$(cat "$(mem_cg)/memory.high")" = "$LIMIT" ]
	[ "$(cat "$(mem_cg)/memory.max")" = $((LIMIT + OOM_MARGIN)) ]
	[ "$(cat "/proc/$pid/oom_score_adj")" = "$(cat /proc/self/oom_score_adj)" ]

	# 1: one round of 1 process, 4 processes, 4 threads, fork-heavy.
	hog_rounds 1
	[ "$(snap .mechanism)" = "cgroup v2 rootless" ]
	[ "$(snap .max)" = $((LIMIT + OOM_MARGIN)) ]

	# 4: back at the limit, reading the file goes over memory.high (the
	# trigger's counter rises) and nothing freezes.
	nook update --memory 32M "$ID"
	high=$(mem_event high)
	run -0 nook exec "$ID" sh -c 'cat /data/file >/dev/null && echo cat-done'
	[ "$output" = cat-done ]
	[ "$(mem_event high)" -gt "$high" ]
	sleep 1
	[ "$(count_events oom-frozen)" = 4 ]
	[ "$(mem_event oom_kill)" = 0 ]
	[ "$(nook state "$ID" | jq -r .status)" = running ]
}
