#!/usr/bin/env bats
# The container's filesystem: root, mounts and their options, /dev, masked
# and read-only paths, pivot_root and --no-pivot.

load helpers

setup() {
	nook_setup
	DATA=$BATS_TEST_TMPDIR/data
	mkdir -p "$DATA"
	echo host-data >"$DATA/file"
}
teardown() { nook_teardown; }

# mount_line DEST: the container's mountinfo line for DEST (topmost).
MOUNT_LINE='ml() { awk -v d="$1" "\$5 == d" /proc/self/mountinfo | tail -n 1; }'

@test "the root is root.path, relative to the bundle" {
	echo in-rootfs >"$ROOTFS/where"
	run_container 'cat /where; ls /'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-rootfs ]
	! grep -qx work <<<"$output"
}

@test "an absolute root.path works" {
	local other=$BATS_TEST_TMPDIR/abs-rootfs
	"$TESTS_DIR/lib/mkrootfs.sh" "$other"
	echo absolute >"$other/where"
	cfg '.root.path = $p' --arg p "$other"
	run_container 'cat /where'
	[ "$status" -eq 0 ]
	[ "$output" = absolute ]
}

@test "root.readonly makes / read-only" {
	cfg '.root.readonly = true'
	run_container '(touch /x) 2>/dev/null && echo wrote; awk "\$5 == \"/\"" /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" != wrote ]]
	[[ "$(awk '{print $6}' <<<"${lines[0]}")" == ro* ]]
	[ ! -e "$ROOTFS/x" ]
}

@test "a writable root: writes land in root.path" {
	run_container 'echo written > /newfile'
	[ "$status" -eq 0 ]
	[ "$(cat "$ROOTFS/newfile")" = written ]
}

@test "the host's root is not reachable after pivot_root" {
	touch "$BATS_TEST_TMPDIR/host-only-marker"
	run_container "ls $BATS_TEST_TMPDIR/host-only-marker 2>&1; cat /proc/self/mountinfo"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"No such file"* ]]
	# No mount point outside the container's tree shows up.
	! grep -q " /work " <<<"$output"
}

@test "--no-pivot runs the container with MS_MOVE and chroot" {
	echo no-pivot >"$ROOTFS/where"
	set_cmd 'cat /where; echo $$'
	run -0 nook run --no-pivot -b "$BUNDLE" "$ID" </dev/null
	[ "${lines[0]}" = no-pivot ]
	[ "${lines[1]}" = 1 ]
}

@test "proc, sysfs, devpts, mqueue, shm and the /dev tmpfs are mounted" {
	run_container 'cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	local want
	for want in "/proc proc" "/sys sysfs" "/dev/pts devpts" "/dev/mqueue mqueue" "/dev/shm tmpfs" "/dev tmpfs"; do
		set -- $want
		awk -v d="$1" -v t="$2" '{ for (i = 7; $i != "-"; i++); if ($5 == d && $(i + 1) == t) f = 1 } END { exit !f }' <<<"$output" || {
			echo "no $2 mount on $1" >&2
			return 1
		}
	done
}

@test "a read-only bind mount is really read-only" {
	add_mount /data bind "$DATA" '["bind", "ro"]'
	run_container "$MOUNT_LINE"'; cat /data/file; (echo x > /data/file) 2>/dev/null && echo wrote; touch /data/new 2>/dev/null && echo created; ml /data'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = host-data ]
	[[ "$output" != *wrote* ]]
	[[ "$output" != *created* ]]
	[[ "$(awk '{print $6}' <<<"${lines[1]}")" == ro* ]]
	[ "$(cat "$DATA/file")" = host-data ]
	[ ! -e "$DATA/new" ]
}

@test "a read-write bind mount writes through to the host" {
	add_mount /data bind "$DATA" '["rbind", "rw"]'
	run_container 'echo from-container > /data/new'
	[ "$status" -eq 0 ]
	[ "$(cat "$DATA/new")" = from-container ]
}

@test "a bind mount of a file" {
	add_mount /etc/injected bind "$DATA/file" '["bind", "ro"]'
	run_container 'cat /etc/injected'
	[ "$status" -eq 0 ]
	[ "$output" = host-data ]
}

@test "rbind carries submounts along, bind does not" {
	mkdir -p "$DATA/sub"
	# A submount of our own under the test dir (teardown would catch a leak).
	mount -t tmpfs -o size=1m tmpfs "$DATA/sub"
	echo in-submount >"$DATA/sub/f"
	add_mount /r bind "$DATA" '["rbind"]'
	add_mount /b bind "$DATA" '["bind"]'
	run_container 'cat /r/sub/f; ls /b/sub | wc -l'
	umount "$DATA/sub"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-submount ]
	[ "${lines[1]}" = 0 ]
}

@test "a cgroup2 mount shows the container's cgroup" {
	# Only where the host has a cgroup v2 hierarchy (hybrid or unified).
	[ -n "$(cgroup2_mount)" ] || skip "no cgroup2 hierarchy on this host"
	cfg '.mounts = [.mounts[] | select(.destination != "/sys/fs/cgroup")]
	   | .mounts += [{destination: "/sys/fs/cgroup", type: "cgroup2", source: "cgroup2", options: ["nosuid", "noexec", "nodev", "ro"]}]'
	add_namespace cgroup
	run_container 'awk "\$5 == \"/sys/fs/cgroup\"" /proc/self/mountinfo; cat /proc/self/cgroup; ls /sys/fs/cgroup/cgroup.procs'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" - cgroup2 "* ]]
	# In its own cgroup namespace the container's cgroup is "/".
	grep -qx '0::/' <<<"$output"
	grep -qx /sys/fs/cgroup/cgroup.procs <<<"$output"
}

@test "a v1 cgroup mount: its tmpfs and every cgroup bind in it get the mount's flags, also where mount_setattr is missing" {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; if ($(i + 1) == "cgroup") v1 = 1 }
	     END { exit !v1 }' /proc/self/mountinfo || skip "no cgroup v1 hierarchy on this host"
	command -v strace >/dev/null || skip "strace is not installed"
	jq -e '.mounts[] | select(.destination == "/sys/fs/cgroup") | .options | index("ro")' \
		"$BUNDLE/config.json"
	run_container 'awk "\$5 ~ \"^/sys/fs/cgroup(/|\$)\" { print \$5, \$6 }" /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	local with=$output mp opts o
	echo "$with"
	# The tmpfs and a bind per hierarchy, each ro, nosuid, nodev, noexec.
	[ "${#lines[@]}" -ge 2 ]
	while read -r mp opts; do
		for o in ro nosuid nodev noexec; do
			[[ ",$opts," == *",$o,"* ]] || { echo "$mp: $opts: no $o"; return 1; }
		done
	done <<<"$with"
	# A kernel without mount_setattr (< 5.12) gets a remount of each: the same.
	# LeakSanitizer (the ASan build) cannot run under ptrace.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	run strace -f -o /dev/null -e inject=mount_setattr:error=ENOSYS \
		"$NOOK" --root "$ROOT" run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "$with" ]
}

@test "nosuid, nodev, noexec show in the mount's options" {
	add_mount /data bind "$DATA" '["bind", "nosuid", "nodev", "noexec"]'
	cp "$ROOTFS/bin/busybox" "$DATA/busybox"
	run_container "$MOUNT_LINE"'; ml /data; /data/busybox true 2>/dev/null && echo executed; true'
	[ "$status" -eq 0 ]
	local opts
	opts=$(awk '{print $6}' <<<"${lines[0]}")
	[[ ",$opts," == *,nosuid,* ]]
	[[ ",$opts," == *,nodev,* ]]
	[[ ",$opts," == *,noexec,* ]]
	[[ "$output" != *executed* ]]
}

@test "tmpfs with size and mode" {
	add_mount /scratch tmpfs tmpfs '["nosuid", "size=1m", "mode=1770"]'
	run_container "$MOUNT_LINE"'; ml /scratch; stat -c %a /scratch; df -k /scratch | tail -n 1'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" - tmpfs "* ]]
	[[ "${lines[0]}" == *size=1024k* ]]
	[ "${lines[1]}" = 1770 ]
	[ "$(awk '{print $2}' <<<"${lines[2]}")" = 1024 ]
}

@test "relatime and strictatime" {
	add_mount /a tmpfs tmpfs '["strictatime"]'
	add_mount /b tmpfs tmpfs '["relatime"]'
	run_container "$MOUNT_LINE"'; ml /a; ml /b'
	[ "$status" -eq 0 ]
	[[ ",$(awk '{print $6}' <<<"${lines[0]}")," != *,relatime,* ]]
	[[ ",$(awk '{print $6}' <<<"${lines[0]}")," != *,noatime,* ]]
	[[ ",$(awk '{print $6}' <<<"${lines[1]}")," == *,relatime,* ]]
}

@test "mounts are made in order: a later mount goes on top of an earlier one" {
	add_mount /stack tmpfs tmpfs '["size=1m"]'
	add_mount /stack/inner tmpfs tmpfs '["size=2m"]'
	add_mount /stack tmpfs tmpfs '["size=3m"]'
	run_container 'grep " /stack" /proc/self/mountinfo; ls /stack'
	[ "$status" -eq 0 ]
	# The last /stack hides the first and the inner one.
	[ "$(grep -c ' /stack ' <<<"$output")" -eq 2 ]
	[[ "$(grep ' /stack ' <<<"$output" | tail -n 1)" == *size=3072k* ]]
	[[ "$output" != *"inner"$'\n'* ]]
	! grep -qx inner <<<"$(tail -n 1 <<<"$output")"
}

@test "mount propagation options: shared, private, unbindable" {
	add_mount /p-shared tmpfs tmpfs '["shared"]'
	add_mount /p-private tmpfs tmpfs '["private"]'
	add_mount /p-unbindable tmpfs tmpfs '["unbindable"]'
	run_container "$MOUNT_LINE"'; ml /p-shared; ml /p-private; ml /p-unbindable'
	[ "$status" -eq 0 ]
	# mountinfo field 7 on: optional fields up to "-".
	local f
	f=$(awk '{ for (i = 7; $i != "-"; i++) printf "%s ", $i }' <<<"${lines[0]}")
	[[ "$f" == *shared:* ]]
	f=$(awk '{ for (i = 7; $i != "-"; i++) printf "%s ", $i }' <<<"${lines[1]}")
	[[ "$f" != *shared:* && "$f" != *master:* ]]
	f=$(awk '{ for (i = 7; $i != "-"; i++) printf "%s ", $i }' <<<"${lines[2]}")
	[[ "$f" == *unbindable* ]]
}

@test "mount propagation: a slave bind receives mounts made on the host side" {
	mkdir -p "$DATA/sub"
	# A shared source, so the container's copy can be its slave.
	mount --bind "$DATA" "$DATA"
	mount --make-shared "$DATA"
	add_mount /data bind "$DATA" '["rbind", "rslave"]'
	cfg '.linux.rootfsPropagation = "rslave"'
	set_cmd 'while [ ! -e /data/sub/mounted ]; do sleep 0.05; done; echo saw-host-mount'
	"$NOOK" --root "$ROOT" run -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/slave.out" 2>&1 3>&- &
	local runpid=$!
	track_bg "$runpid"
	wait_status "$ID" running
	mount -t tmpfs tmpfs "$DATA/sub"
	touch "$DATA/sub/mounted"
	local rc=0
	timeout 5 tail --pid="$runpid" -f /dev/null || rc=$?
	umount "$DATA/sub"
	umount "$DATA"
	[ "$rc" -eq 0 ]
	grep -q saw-host-mount "$BATS_TEST_TMPDIR/slave.out"
}

@test "mounts made inside do not propagate to the host" {
	# CAP_SYS_ADMIN lets the process mount; no seccomp profile stands in the way.
	cfg 'del(.linux.seccomp) | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	add_mount /data bind "$DATA" '["rbind"]'
	run_container 'mount -t tmpfs tmpfs /data && touch /data/inside && echo mounted'
	[ "$status" -eq 0 ]
	[ "$output" = mounted ]
	[ ! -e "$DATA/inside" ]
	! grep -qF "$DATA" /proc/self/mountinfo
}

@test "a mount destination through a symlink stays inside the root" {
	local outside=$BATS_TEST_TMPDIR/outside
	mkdir "$outside"
	# An absolute link pointing at a host path: resolved inside the root.
	ln -s "$outside" "$ROOTFS/evil"
	ln -s ../../../../../../../.. "$ROOTFS/up"
	add_mount /evil/made tmpfs tmpfs '[]'
	add_mount /up/made2 tmpfs tmpfs '[]'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	[ ! -e "$outside/made" ]
	[ ! -e /made2 ]
	# If it ran, the mounts were made inside the root.
	if [ "$status" -eq 0 ]; then
		[ -d "$ROOTFS$outside/made" ] || [ -d "$ROOTFS/made2" ]
	fi
}

@test "a mount destination that does not exist is created" {
	add_mount /deep/new/dir tmpfs tmpfs '[]'
	run_container 'grep -c " /deep/new/dir " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

# ------------------------------------------------------------------ /dev

@test "/dev has the default devices, ptmx, pts, shm, fd and stdio links" {
	run_container '
		for d in null zero full random urandom tty; do [ -c /dev/$d ] && echo "$d $(stat -c "%t:%T" /dev/$d)"; done
		[ -c /dev/ptmx ] || [ -L /dev/ptmx ] && echo ptmx
		[ -d /dev/pts ] && echo pts
		[ -d /dev/shm ] && echo shm
		echo "fd $(readlink /dev/fd)"
		echo "stdin $(readlink /dev/stdin)"
		echo "stdout $(readlink /dev/stdout)"
		echo "stderr $(readlink /dev/stderr)"
		echo hello > /dev/null && echo null-writable
		head -c 4 /dev/zero | od -An -tx1 | tr -d " "
		(echo x > /dev/full) 2>/dev/null || echo full-is-full
		[ -e /dev/sda ] || [ -e /dev/mem ] || [ -e /dev/kmsg ] || echo no-host-devices'
	[ "$status" -eq 0 ]
	local want
	for want in "null 1:3" "zero 1:5" "full 1:7" "random 1:8" "urandom 1:9" "tty 5:0" \
		ptmx pts shm "fd /proc/self/fd" "stdin /proc/self/fd/0" "stdout /proc/self/fd/1" \
		"stderr /proc/self/fd/2" null-writable 00000000 full-is-full no-host-devices; do
		grep -qxF "$want" <<<"$output" || {
			echo "missing: $want" >&2
			return 1
		}
	done
}

@test "/dev/pts is a new devpts instance: a pty can be opened" {
	run_container 'ls /dev/pts; readlink /dev/ptmx; stat -c %t:%T /dev/pts/ptmx'
	[ "$status" -eq 0 ]
	# No host ptys are visible: only ptmx in the new instance.
	[ "${lines[0]}" = ptmx ]
	[ "${lines[2]}" = 5:2 ]
}

@test "linux.devices creates the device nodes" {
	cfg '.linux.devices = [
		{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 432, uid: 0, gid: 0},
		{path: "/dev/sub/myzero", type: "c", major: 1, minor: 5, fileMode: 438, uid: 1000, gid: 1000}]'
	run_container 'stat -c "%n %F %t:%T %a %u:%g" /dev/mynull /dev/sub/myzero; echo x > /dev/mynull && echo ok; head -c 1 /dev/sub/myzero | od -An -tx1'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/mynull character special file 1:3 660 0:0" ]
	[ "${lines[1]}" = "/dev/sub/myzero character special file 1:5 666 1000:1000" ]
	[ "${lines[2]}" = ok ]
	[ "$(echo ${lines[3]})" = 00 ]
}

# ------------------------------------------------------------------ masked / readonly

@test "maskedPaths hide files and directories" {
	mkdir -p "$ROOTFS/secretdir"
	echo secret >"$ROOTFS/secretdir/s"
	echo secret >"$ROOTFS/secretfile"
	cfg '.linux.maskedPaths += ["/secretdir", "/secretfile", "/does/not/exist"]'
	run_container 'cat /secretfile; echo "[$(ls /secretdir)]"; cat /proc/kcore 2>/dev/null | head -c 1 | wc -c'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[]" ]
	[ "${lines[1]}" = 0 ]
}

@test "readonlyPaths are read-only, the rest stays writable" {
	mkdir -p "$ROOTFS/rodir" "$ROOTFS/rwdir"
	cfg '.linux.readonlyPaths += ["/rodir"]'
	run_container 'touch /rodir/x 2>/dev/null && echo ro-written; touch /rwdir/x && echo rw-written; (echo 1 > /proc/sys/kernel/domainname) 2>/dev/null && echo sys-written; true'
	[ "$status" -eq 0 ]
	[ "$output" = rw-written ]
}
