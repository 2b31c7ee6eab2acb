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

# ---- command line (runc's)

@test "exec --additional-gids adds groups" {
	set_cmd 'sleep 100'
	run_detached "$ID"
	run nook exec --user 1000:1000 --additional-gids 100 --additional-gids 65534 "$ID" id -G
	[ "$status" -eq 0 ]
	[ "$output" = "1000 100 65534" ]
}

@test "exec: 255 when the process could not be started, its own status otherwise" {
	set_cmd 'sleep 100'
	run_detached "$ID"
	run nook exec "$ID" sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run nook exec --pid-file /non-existent/directory "$ID" true
	[ "$status" -eq 255 ]
	run nook exec "$ID" no-such-binary
	[ "$status" -eq 255 ]
	run nook exec no-such-container true
	[ "$status" -eq 255 ]
}

@test "exec into a paused container: 255, unless --ignore-paused" {
	set_cmd 'sleep 100'
	run_detached "$ID"
	run -0 nook pause "$ID"
	run nook exec "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *paused* ]]
	# The process is frozen with the rest until resume.
	(
		sleep 1
		nook resume "$ID"
	) &
	track_bg $!
	run nook exec --ignore-paused "$ID" echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

# cgroup_dirs PID: the directory of each of the process's cgroups.
cgroup_dirs() {
	local n ctrl path mnt
	while IFS=: read -r n ctrl path; do
		if [ -z "$ctrl" ]; then
			mnt=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1)
		else
			mnt=$(findmnt -rn -t cgroup -O "${ctrl%%,*}" -o TARGET | head -n 1)
		fi
		[ -n "$mnt" ] && echo "$mnt$path"
	done <"/proc/$1/cgroup"
}

@test "exec --cgroup puts the process in a sub-cgroup of the container" {
	set_cmd 'sleep 100'
	run_detached "$ID"
	local pid d
	pid=$(state_field "$ID" pid)
	mapfile -t dirs < <(cgroup_dirs "$pid")
	for d in "${dirs[@]}"; do
		mkdir "$d/sub"
		# A v1 cpuset cgroup takes no process before it has cpus and mems.
		if [ -e "$d/cpuset.cpus" ]; then
			cat "$d/cpuset.cpus" >"$d/sub/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/sub/cpuset.mems"
		fi
	done
	run nook exec --cgroup sub "$ID" cat /proc/self/cgroup
	nook kill -a "$ID" KILL
	wait_status "$ID" stopped
	for d in "${dirs[@]}"; do rmdir "$d/sub" 2>/dev/null || true; done
	[ "$status" -eq 0 ]
	local line
	while read -r line; do
		[[ "$line" == */sub ]] || {
			echo "not in sub: $line" >&2
			return 1
		}
	done <<<"$output"
	run nook exec --cgroup ../escape "$ID" true
	[ "$status" -eq 255 ]
}

@test "exec --cgroup CONTROLLER:SUB, repeated, and runc's errors for bad ones (v1 hierarchies)" {
	findmnt -rn -t cgroup -O memory >/dev/null && findmnt -rn -t cgroup -O cpu >/dev/null ||
		skip "no v1 memory and cpu hierarchies here"
	set_cmd 'sleep 100'
	run_detached "$ID"
	local pid mem cpu acct
	pid=$(state_field "$ID" pid)
	mem=$(findmnt -rn -t cgroup -O memory -o TARGET | head -n 1)$(awk -F: '$2 == "memory" { print $3 }' "/proc/$pid/cgroup")
	cpu=$(findmnt -rn -t cgroup -O cpu -o TARGET | head -n 1)$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3 }' "/proc/$pid/cgroup")
	# cpu and cpuacct: one hierarchy, or two (then a subcpu in each).
	acct=$(findmnt -rn -t cgroup -O cpuacct -o TARGET | head -n 1)$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ { print $3 }' "/proc/$pid/cgroup")
	run nook exec --cgroup .. "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *" .. is not a sub cgroup path"* ]]
	run nook exec --cgroup cpu:nonexistent "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *" adding pid "*"/nonexistent/cgroup.procs: no such file "* ]]
	run nook exec --cgroup whaaat:/ "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown controller "* ]]
	mkdir -p "$mem/submem" "$cpu/subcpu" "$acct/subcpu"
	run nook exec --cgroup memory:submem --cgroup cpu,cpuacct:subcpu "$ID" cat /proc/self/cgroup
	nook kill -a "$ID" KILL
	wait_status "$ID" stopped
	rmdir "$mem/submem" "$cpu/subcpu"
	[ ! -d "$acct/subcpu" ] || rmdir "$acct/subcpu"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *":memory:"*/submem* ]]
	[[ "$output" =~ :cpu[,a-z]*:[^$'\n']*/subcpu ]]
	# The other hierarchies stay at the container's own cgroup.
	[ "$(grep -c '/sub' <<<"$output")" -le 3 ]
	! grep -E ':(pids|devices|freezer):.*/sub' <<<"$output"
}

@test "kill --all with signal 0 after the container stopped, ps of it, both exit 0" {
	set_cmd 'sleep 100'
	run_detached "$ID"
	run -0 nook kill "$ID" KILL
	wait_status "$ID" stopped
	run -0 nook kill -a "$ID" 0
	run -0 nook ps "$ID"
	[ "${#lines[@]}" -eq 1 ]
	run -0 nook delete "$ID"
}

@test "list is sorted by id" {
	set_cmd 'sleep 100'
	local a=${ID}-b b=${ID}-c c=${ID}-a
	run_detached "$a"
	run_detached "$b"
	run_detached "$c"
	run -0 nook list -q
	[ "${lines[0]}" = "$c" ]
	[ "${lines[1]}" = "$a" ]
	[ "${lines[2]}" = "$b" ]
	nook delete -f "$a"
	nook delete -f "$b"
	nook delete -f "$c"
}

@test "--version in runc's layout" {
	nook_only "names nook"
	run -0 "$NOOK" --version
	[[ "${lines[0]}" =~ ^nook\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	[[ "${lines[1]}" == "commit: "* ]]
	[[ "${lines[2]}" == "spec: "[0-9]* ]]
	[[ "${lines[3]}" =~ ^libseccomp:\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "help in runc's layout; help on an unknown topic fails" {
	nook_only "names nook"
	run -0 "$NOOK" -h
	[ "${lines[0]}" = "NAME:" ]
	[[ "${lines[1]}" == *"nook - Open Container Initiative runtime"* ]]
	run -0 "$NOOK" delete -h
	[[ "${lines[1]}" == *"nook delete"* ]]
	run "$NOOK" foo -h
	[ "$status" -ne 0 ]
	[[ "$output" == *"No help topic for 'foo'"* ]]
}

# ---- terminal

@test "the pty belongs to the process's user (run)" {
	cfg '.process.terminal = true | .process.user.uid = 1000 | .process.user.gid = 100'
	set_cmd 'stat -c %u:%g $(tty)'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == "1000:5"* ]]
}

@test "the pty belongs to the process's user (exec -t)" {
	set_cmd 'sleep 100'
	run_detached "$ID"
	run nook exec -t --user 1000:100 "$ID" sh -c 'stat -c %u:%g $(tty)' </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == "1000:5"* ]]
}

@test "a short foreground container with a terminal never loses its output" {
	cfg '.process.terminal = true'
	set_cmd 'seq 1 300'
	local i
	for ((i = 0; i < 25; i++)); do
		run nook run -b "$BUNDLE" "$ID-$i" </dev/null
		[ "$status" -eq 0 ]
		[[ "$output" == *"300"* ]] || {
			echo "run $i lost output: $(tail -c 100 <<<"$output")" >&2
			return 1
		}
	done
}

@test "--console-socket that appears a moment later is waited for" {
	local sock=$BATS_TEST_TMPDIR/late.sock out=$BATS_TEST_TMPDIR/late.tty
	cfg '.process.terminal = true'
	set_cmd 'echo on-the-late-tty'
	(
		sleep 0.3
		exec "$(recvtty_bin)" "$sock" >"$out" 2>&1
	) &
	track_bg $!
	try_detached run -d --console-socket "$sock" -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	wait_file "$out"
	for ((i = 0; i < 100; i++)); do
		grep -q on-the-late-tty "$out" && break
		sleep 0.05
	done
	grep -q on-the-late-tty "$out"
}

# ---- --no-pivot

@test "--no-pivot: a nested user namespace works but cannot mount a bare /proc" {
	cfg 'del(.linux.seccomp)
	     | .process.capabilities.bounding += ["CAP_SETFCAP"]
	     | .process.capabilities.permitted += ["CAP_SETFCAP"]
	     | .process.args = ["unshare", "-mrpf", "sh", "-euxc", "mount -t proc none /proc && echo h > /proc/sysrq-trigger"]'
	run nook run --no-pivot -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ]
	# The user namespace was made (sh ran in it), the mount was refused.
	[[ "$output" == *"+ mount -t proc none /proc"* ]]
	[[ "$output" == *"mount: permission denied"* ]]
}

# ---- errors before "created", the rest from start

@test "a missing executable is an error of create, not of the container" {
	set_cmd true
	cfg '.process.args = ["no-such-binary"]'
	try_create "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no-such-binary"*"not found"* ]]
	assert_nothing_left "$ID"
}

@test "an error after the start is reported by start, exit 1" {
	# startContainer hooks run after the release, in the container.
	cfg '.hooks.startContainer = [{path: "/bin/false"}]'
	set_cmd 'echo ran'
	create_ctr "$ID"
	run nook start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nook: $ID: "* ]]
	[ -z "$(ctr_output "$ID")" ]
	! grep -q "nook:" "$BATS_TEST_TMPDIR/$ID.err"
}

@test "createContainer hooks run in the container's root" {
	cfg '.hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", "pwd > /proc/self/fd/1; touch ./from-hook"]}]'
	run_container 'ls /from-hook'
	[ "$status" -eq 0 ]
	[ -e "$ROOTFS/from-hook" ]
}

@test "a read-only /dev with a terminal" {
	cfg '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"] | .process.terminal = true'
	set_cmd 'tty; grep " /dev " /proc/self/mountinfo'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/* ]]
}

# ---- user namespace

@test "user namespace: bind sources the container's root cannot reach are opened on the host side" {
	# The container's root is host uid 100000: it may not enter src-1, src-2.
	make_bundle_path_traversable
	mkdir -p "$BUNDLE/src-1/dir" "$BUNDLE/src-2/dir" "$ROOTFS/tmp/m1" "$ROOTFS/tmp/m2"
	touch "$BUNDLE/src-1/dir/foo" "$BUNDLE/src-2/dir/bar"
	chmod 700 "$BUNDLE/src-1" "$BUNDLE/src-2"
	add_namespace user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65534}]
	     | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65534}]
	     | .mounts = [.mounts[] | select(.type != "cgroup" and .type != "cgroup2")]
	     | .mounts += [{source: "src-1/dir", destination: "/tmp/m1", options: ["bind"]},
	                   {source: "src-2/dir", destination: "/tmp/m2", options: ["bind", "ro"]}]'
	run_container 'ls /tmp/m1 /tmp/m2; touch /tmp/m2/x 2>/dev/null && echo wrote; true'
	[ "$status" -eq 0 ]
	[[ "$output" == *foo*bar* ]]
	[[ "$output" != *wrote* ]]
}

@test "a failing hook is reported in runc's words" {
	cfg '.hooks.createContainer = [{path: "/bin/false"}]'
	try_create "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error running hook: createContainer hook /bin/false"* ]]
	assert_nothing_left "$ID"
}
