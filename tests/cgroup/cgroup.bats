#!/usr/bin/env bats
# The cgroup behaviour suite, the same on every kind of host: natively on the
# CI machine (hybrid: v1 controllers + a cgroup2 without controllers), in the
# pure v2 VM and in the pure v1 VM (tests/vm/run-vm-suite.sh v2|v1). What the
# backend writes is read back from the host's side through the paths
# state.json records, and checked against the hierarchies in mountinfo.
#
# Every cgroup is the container's own (/nook/<id> in each hierarchy), made
# and removed by nook; nothing else is written.

load ../bats/helpers
TESTS_DIR=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() {
	nook_setup
	cfg 'del(.process.capabilities.ambient)'
}

teardown() {
	nook_teardown
}

# v2, v1 or hybrid, as nook records it.
backend() {
	jq -r .cgroupBackend "$ROOT/$ID/state.json"
}

# cg_dir CONTROLLER: the container's directory holding CONTROLLER's files
# ("unified" for the cgroup2 one), from state.json.
cg_dir() {
	local want=$1
	if [ "$(backend)" = v2 ]; then want=unified; fi
	jq -r --arg c "$want" '.cgroupPaths | to_entries[]
	       | select(.key == $c or (.key | split(",") | index($c))) | .value' \
		"$ROOT/$ID/state.json" | head -n1
}

# cg_file CONTROLLER FILE
cg_file() {
	cat "$(cg_dir "$1")/$2"
}

# Every directory named after this container in any cgroup hierarchy.
cgroups_named_id() {
	local m
	for m in $(cgroup_mounts); do
		find "$m" -maxdepth 3 -name "$ID" 2>/dev/null
	done
}

assert_no_cgroup_left() {
	[ ! -e "$ROOT/$ID" ] || { echo "left behind: $ROOT/$ID" >&2; return 1; }
	local left
	left=$(cgroups_named_id)
	[ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
}

run_bg() {
	set_cmd "$1"
	run_detached "$ID"
}

@test "cgroup: limits land in the backend's files, one cgroup per hierarchy" {
	cfg '.linux.resources.memory = {limit: 67108864, reservation: 33554432}
	   | .linux.resources.cpu = {shares: 2048, quota: 50000, period: 100000, cpus: "0"}
	   | .linux.resources.pids = {limit: 50}'
	run_bg 'sleep 100'
	b=$(backend)
	echo "backend: $b"
	case "$b" in
	v2)
		[ "$(cg_file memory memory.max)" = 67108864 ]
		[ "$(cg_file memory memory.low)" = 33554432 ]
		[ "$(cg_file cpu cpu.weight)" = 174 ]
		[ "$(cg_file cpu cpu.max)" = "50000 100000" ]
		;;
	v1 | hybrid)
		[ "$(cg_file memory memory.limit_in_bytes)" = 67108864 ]
		[ "$(cg_file memory memory.soft_limit_in_bytes)" = 33554432 ]
		[ "$(cg_file cpu cpu.shares)" = 2048 ]
		[ "$(cg_file cpu cpu.cfs_quota_us)" = 50000 ]
		[ "$(cg_file cpu cpu.cfs_period_us)" = 100000 ]
		;;
	*) false ;;
	esac
	[ "$(cg_file cpuset cpuset.cpus)" = 0 ]
	[ "$(cg_file pids pids.max)" = 50 ]
	# The same name in every hierarchy of the host, and the init is in each:
	# /proc/PID/cgroup (what docker stats and containerd read) points there.
	pid=$(state_field "$ID" pid)
	cat "/proc/$pid/cgroup"
	n=0
	while IFS=: read -r _ ctl path; do
		[ "$path" = "/nook/$ID" ] || { echo "not the container's: $ctl:$path" >&2; false; }
		n=$((n + 1))
	done <"/proc/$pid/cgroup"
	[ "$n" -eq "$(jq '.cgroupPaths | length' "$ROOT/$ID/state.json")" ]
	[ "$n" -eq "$(cgroup_mounts | wc -l)" ] || [ "$b" = v2 ]
	# exec'd processes join every hierarchy too.
	run nook exec "$ID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[ "$(nook exec "$ID" cat /proc/1/cgroup)" = "$output" ]
}

@test "cgroup: values that mean unset need no controller and write nothing" {
	cfg '.linux.resources.pids = {limit: 0} | .linux.resources.cpu = {shares: 0}
	   | .linux.resources.memory = {limit: 0}'
	run_bg 'sleep 100'
	# No limit: "max", or (v2) no pids.max at all, the controller not enabled.
	unlimited() {
		local f
		f="$(cg_dir pids)/pids.max"
		[ ! -e "$f" ] || [ "$(cat "$f")" = max ]
	}
	unlimited
	cfg '.linux.resources.pids = {limit: -1}'
	nook delete -f "$ID"
	run_bg 'sleep 100'
	unlimited
}

@test "cgroup: pause and resume freeze the container; state says paused" {
	# The counter is renamed into place: a plain `echo >` truncates first,
	# and a read (or the freeze) between truncate and write saw it empty.
	run_bg 'i=0; while true; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done'
	wait_file "$ROOTFS/tmp/count"
	nook pause "$ID"
	[ "$(state_field "$ID" status)" = paused ]
	case "$(backend)" in
	v1) [ "$(cg_file freezer freezer.state)" = FROZEN ] ;;
	*) [ "$(cat "$(jq -r .cgroupPaths.unified "$ROOT/$ID/state.json")/cgroup.freeze")" = 1 ] ;;
	esac
	a=$(cat "$ROOTFS/tmp/count")
	sleep 1
	[ "$(cat "$ROOTFS/tmp/count")" = "$a" ]
	nook resume "$ID"
	[ "$(state_field "$ID" status)" = running ]
	sleep 1
	[ "$(cat "$ROOTFS/tmp/count")" -gt "$a" ]
}

@test "cgroup: a process over the memory limit is OOM-killed and events reports it" {
	cfg '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	run_bg 'sleep 2; tail /dev/zero; sleep 1'
	nook events --interval 1s "$ID" >"$BATS_TEST_TMPDIR/events" &
	events_pid=$!
	track_bg "$events_pid"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$events_pid" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$events_pid" 2>/dev/null
	cat "$BATS_TEST_TMPDIR/events"
	grep -qx "{\"type\":\"oom\",\"id\":\"$ID\"}" "$BATS_TEST_TMPDIR/events"
	grep -q '"memory":{"usage":{"limit":33554432' "$BATS_TEST_TMPDIR/events"
}

@test "cgroup: update changes the limits of a running container" {
	cfg '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 40}'
	run_bg 'sleep 100'
	nook update --memory 100M --cpu-quota 20000 --cpu-period 100000 --cpu-share 512 \
		--pids-limit 30 "$ID"
	[ "$(cg_file pids pids.max)" = 30 ]
	case "$(backend)" in
	v2)
		[ "$(cg_file memory memory.max)" = 104857600 ]
		[ "$(cg_file cpu cpu.max)" = "20000 100000" ]
		;;
	*)
		[ "$(cg_file memory memory.limit_in_bytes)" = 104857600 ]
		[ "$(cg_file cpu cpu.cfs_quota_us)" = 20000 ]
		[ "$(cg_file cpu cpu.shares)" = 512 ]
		;;
	esac
	echo '{"pids": {"limit": -1}}' | nook update -r - "$ID"
	[ "$(cg_file pids pids.max)" = max ]
	nook events --stats "$ID" | jq -e '.data.memory.usage.limit == 104857600'
}

@test "cgroup: ps lists the processes; kill --all reaches all of them" {
	run_bg 'sleep 100 & sleep 101 & wait'
	sleep 1
	run nook ps --format json "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 3 ]
	[ "$(echo "$output" | jq -r '.[]' | sort -n | tr '\n' ' ')" = \
	  "$(sort -n "$(cg_dir pids)/cgroup.procs" | tr '\n' ' ')" ]
	nook kill --all "$ID" KILL
	wait_status "$ID" stopped
	nook delete "$ID"
	assert_no_cgroup_left
}

@test "cgroup: delete -f of a running container leaves no cgroup in any hierarchy" {
	cfg '.linux.cgroupsPath = $p' --arg p "pods-$ID/web"
	run_bg 'sleep 100 & sleep 100 & wait'
	dirs=$(jq -r '.cgroupPaths[]' "$ROOT/$ID/state.json")
	[ -n "$dirs" ]
	for d in $dirs; do [ -d "$d" ]; done
	nook delete -f "$ID"
	for d in $dirs; do
		[ ! -e "$d" ] || { echo "left: $d" >&2; false; }
		# The parent nook made for it is gone too.
		[ ! -e "$(dirname "$d")" ] || { echo "left: $(dirname "$d")" >&2; false; }
	done
	assert_no_cgroup_left
}

@test "cgroup: a limit the host cannot apply names the field and leaves nothing" {
	nook_only "error text"
	kind=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; print $(i + 1) }' \
		/proc/self/mountinfo | grep -c '^cgroup$' || true)
	if [ "$kind" -eq 0 ]; then
		# v2: a unified file the kernel does not have.
		cfg '.linux.resources.unified = {"memory.nosuch": "1"}'
		field='linux.resources.unified["memory.nosuch"]'
	else
		# v1 and hybrid: v2 files cannot be written.
		cfg '.linux.resources.unified = {"memory.high": "1"}'
		field='linux.resources.unified["memory.high"]'
	fi
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_one_error_line "$field"
	assert_no_cgroup_left
	# A controller the v1 host does not mount: the field, the controller, the fix.
	if [ "$kind" -gt 0 ] && ! grep -q ' - cgroup cgroup .*hugetlb' /proc/self/mountinfo; then
		cfg 'del(.linux.resources.unified) | .linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 2097152}]'
		try_create "$ID"
		[ "$status" -eq 1 ]
		assert_one_error_line "linux.resources.hugepageLimits[0]"
		[[ "$output" == *"the hugetlb controller is not available"* ]]
		[[ "$output" == *"mount -t cgroup"* ]]
		assert_no_cgroup_left
	fi
}

@test "cgroup: inside the container /sys/fs/cgroup shows only its own cgroups" {
	add_namespace cgroup
	cfg '.linux.resources.pids = {limit: 33}'
	run_bg 'cat /proc/self/cgroup; echo; ls /sys/fs/cgroup /sys/fs/cgroup/memory 2>&1; echo; cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; touch /sys/fs/cgroup/x 2>&1; sleep 100'
	wait_file "$BATS_TEST_TMPDIR/$ID.out"
	sleep 0.5
	out=$(ctr_output "$ID")
	echo "$out"
	# Its own cgroup is the root of what it sees, in every hierarchy.
	[[ "$out" != *"nook"* ]]
	[[ "$out" != *"$ID"* ]]
	while IFS=: read -r _ _ path; do
		[ "$path" = / ]
	done < <(echo "$out" | sed -n '1,/^$/p' | grep :)
	# Its limit, where a v1 host (a tmpfs with a directory per hierarchy,
	# as runc) or a v2 host (the cgroup2 mount) shows it; read-only.
	grep -qx 33 <<<"$out"
	[[ "$out" == *"Read-only file system"* ]]
	if [ "$(backend)" != v2 ]; then
		grep -qx memory <<<"$out"
		grep -qx pids <<<"$out"
		grep -qx memory.limit_in_bytes <<<"$out"
	fi
}

# has_controller NAME: the container's cgroups include NAME's hierarchy.
has_controller() {
	if [ "$(backend)" = v2 ]; then
		grep -qw "$1" "$(cg_dir "$1")/../cgroup.subtree_control" 2>/dev/null ||
			grep -qw "$1" "$(cg_dir "$1")/cgroup.controllers"
	else
		[ -n "$(cg_dir "$1")" ]
	fi
}

@test "cgroup: device rules: /dev/null works, a denied device gives EPERM" {
	# runc's default config: devices [{allow: false, access: rwm}]; v1 gets
	# devices.deny "a" and the rules, v2 an eBPF filter.
	jq -e '.linux.resources.devices[0].allow == false' "$BUNDLE/config.json"
	mknod "$ROOTFS/kmsg" c 1 11
	run_container 'echo x >/dev/null && echo null-ok; head -c1 /dev/zero >/dev/null && echo zero-ok
	               head -c1 /kmsg >/dev/null; true'
	echo "$output"
	[[ "$output" == *null-ok* ]]
	[[ "$output" == *zero-ok* ]]
	[[ "$output" == *"/kmsg: Operation not permitted"* ]]
}

@test "cgroup: a linux.devices node is only as usable as the device rules make it, as runc" {
	# runc's dev.bats "device cgroup deny": the node exists, the rules deny
	# it. A major no driver has (240, local/experimental): the device cgroup
	# answers open() first (EPERM), a driver would only answer after (ENXIO).
	grep -q '^240 ' /proc/devices && skip "char major 240 has a driver here"
	cfg '.linux.devices = [{path: "/dev/nk-test", type: "c", major: 240, minor: 7}]'
	run_container '[ -c /dev/nk-test ] && echo node-there; head -c1 /dev/nk-test >/dev/null; true'
	echo "$output"
	[[ "$output" == *node-there* ]]
	[[ "$output" == *"/dev/nk-test: Operation not permitted"* ]]
	# An allow rule for it (what podman and Docker add with the node) lets
	# open() reach the (missing) driver.
	cfg '.linux.resources.devices += [{allow: true, type: "c", major: 240, minor: 7, access: "r"}]'
	run_container 'head -c1 /dev/nk-test >/dev/null; true'
	echo "$output"
	[[ "$output" == *"/dev/nk-test: No such device or address"* ]]
}

@test "cgroup: device access strings are read as runc reads them (\"rra\" is \"r\")" {
	grep -q '^240 ' /proc/devices && skip "char major 240 has a driver here"
	# runc's update.bats writes "rwa": repeats and other letters are ignored.
	cfg '.linux.devices = [{path: "/dev/nk-test", type: "c", major: 240, minor: 7}]
	   | .linux.resources.devices += [{allow: true, type: "c", major: 240, minor: 7, access: "rra"}]'
	run_container 'head -c1 /dev/nk-test >/dev/null; echo x >/dev/nk-test; true'
	echo "$output"
	# read: allowed, so open() reaches the (missing) driver; write: denied.
	[[ "$output" == *"/dev/nk-test: No such device or address"* ]]
	[[ "$output" == *"/dev/nk-test: Operation not permitted"* ]]
}

@test "cgroup: block IO throttling and hugetlb land where the host has them" {
	dev=$(cat /sys/block/vda/dev 2>/dev/null || true)
	[ -n "$dev" ] || skip "no /dev/vda here"
	cfg '.linux.resources.blockIO = {throttleReadBpsDevice: [{major: $maj, minor: $min, rate: 1048576}]}' \
		--argjson maj "${dev%:*}" --argjson min "${dev#*:}"
	run_bg 'sleep 100'
	case "$(backend)" in
	v2) grep -q "^$dev rbps=1048576 " "$(cg_dir io)/io.max" ;;
	*) grep -qx "$dev 1048576" "$(cg_dir blkio)/blkio.throttle.read_bps_device" ;;
	esac
	if has_controller hugetlb && [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
		nook delete -f "$ID"
		cfg 'del(.linux.resources.blockIO) | .linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
		run_bg 'sleep 100'
		case "$(backend)" in
		v2) [ "$(cg_file hugetlb hugetlb.2MB.max)" = 4194304 ] ;;
		*) [ "$(cg_file hugetlb hugetlb.2MB.limit_in_bytes)" = 4194304 ] ;;
		esac
	fi
}

@test "cgroup: v1 co-mounted net_cls,net_prio get classID and priorities" {
	grep -q ' - cgroup cgroup .*net_cls' /proc/self/mountinfo || skip "no v1 net_cls hierarchy here"
	cfg '.linux.resources.network = {classID: 1048577, priorities: [{name: "lo", priority: 5}]}'
	run_bg 'sleep 100'
	[ "$(cg_file net_cls net_cls.classid)" = 1048577 ]
	grep -qx "lo 5" "$(cg_dir net_prio)/net_prio.ifpriomap"
	# One directory serves both controllers.
	[ "$(cg_dir net_cls)" = "$(cg_dir net_prio)" ]
}

@test "cgroup: kernel memory limits are accepted and ignored, with a debug line" {
	nook_only "debug log text"
	cfg '.linux.resources.memory = {limit: 67108864, kernel: 1048576, kernelTCP: 1048576}'
	set_cmd true
	run "$NOOK" --root "$ROOT" --debug --log "$BATS_TEST_TMPDIR/log" run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	grep -q 'level=debug msg="linux.resources.memory.kernel: ignored' "$BATS_TEST_TMPDIR/log"
	# A foreground run removes the container, its cgroups with it.
	assert_no_cgroup_left
}

@test "cgroup: update takes options after the id, as runc" {
	cfg '.linux.resources.pids = {limit: 40}'
	run_bg 'sleep 100'
	nook update "$ID" --pids-limit 25
	[ "$(cg_file pids pids.max)" = 25 ]
}

@test "cgroup: a pre-existing frozen cgroup is refused before the init starts" {
	nook_only "error text"
	# A cgroup of this test's own, frozen, named by cgroupsPath.
	cfg '.linux.cgroupsPath = $p' --arg p "/nook-frz-$ID/c"
	if grep -q ' - cgroup2 ' /proc/self/mountinfo; then
		mine=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
		              if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo)/nook-frz-$ID
		mkdir -p "$mine/c"
		echo 1 >"$mine/c/cgroup.freeze"
	else
		mine=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
		              if ($(i + 1) == "cgroup" && $(i + 3) ~ /freezer/) { print $5; exit } }' \
			/proc/self/mountinfo)/nook-frz-$ID
		mkdir -p "$mine/c"
		echo FROZEN >"$mine/c/freezer.state"
	fi
	run timeout 20 "$NOOK" --root "$ROOT" create -b "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	assert_one_error_line "linux.cgroupsPath"
	[[ "$output" == *"container's cgroup unexpectedly frozen"* ]]
	# Ours stays (nook did not make it); nothing of nook's is left.
	[ -d "$mine/c" ]
	rmdir "$mine/c" "$mine"
	[ -z "$(for m in $(cgroup_mounts); do ls -d "$m/nook-frz-$ID" 2>/dev/null; done)" ]
	[ ! -e "$ROOT/$ID" ]
}

@test "cgroup: a cgroup frozen through the v1 freezer is refused too (hybrid and v1 hosts)" {
	nook_only "error text"
	# On a hybrid host the unified hierarchy freezes containers, but a v1
	# freezer directory frozen by someone else stops the init as well.
	freezer=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
	                 if ($(i + 1) == "cgroup" && $(i + 3) ~ /freezer/) { print $5; exit } }' \
		/proc/self/mountinfo)
	[ -n "$freezer" ] || skip "no v1 freezer hierarchy on this host"
	cfg '.linux.cgroupsPath = $p' --arg p "/nook-frz1-$ID"
	mkdir "$freezer/nook-frz1-$ID"
	echo FROZEN >"$freezer/nook-frz1-$ID/freezer.state"
	# Into a file, not a pipe: an init stuck frozen would hold a pipe open.
	status=0
	timeout 20 "$NOOK" --root "$ROOT" create -b "$BUNDLE" "$ID" </dev/null \
		>"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
	echo THAWED >"$freezer/nook-frz1-$ID/freezer.state"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	mapfile -t lines <<<"$output"
	echo "$output"
	[ "$status" -eq 1 ]
	assert_one_error_line "linux.cgroupsPath"
	[[ "$output" == *"container's cgroup unexpectedly frozen: $freezer/nook-frz1-$ID"* ]]
	# Ours stays (nook did not make it); nothing of nook's is left.
	rmdir "$freezer/nook-frz1-$ID"
	[ -z "$(for m in $(cgroup_mounts); do ls -d "$m/nook-frz1-$ID" 2>/dev/null; done)" ]
	[ ! -e "$ROOT/$ID" ]
}

@test "cgroup: a cgroup that already has processes is shared with a warning, as runc 1.1" {
	cfg '.linux.cgroupsPath = $p' --arg p "/nook-shared-$ID"
	run_bg 'sleep 100'
	first=$(state_field "$ID" pid)
	# A second container in the same cgroup: warned about, not refused.
	try_detached run -d -b "$BUNDLE" "$ID-b"
	[ "$status" -eq 0 ]
	[[ "$output" == *"container's cgroup is not empty: 1 process(es) found"* ]]
	second=$(state_field "$ID-b" pid)
	grep -qx "$second" "$(cg_dir pids)/cgroup.procs"
	# Deleting the second one kills only its own processes and leaves the
	# cgroup to the first.
	nook delete -f "$ID-b"
	state=$(awk '/^State:/ { print $2 }' "/proc/$second/status" 2>/dev/null || true)
	[ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
	kill -0 "$first"
	grep -qx "$first" "$(cg_dir pids)/cgroup.procs"
	nook delete -f "$ID"
	assert_no_cgroup_left
	[ -z "$(for m in $(cgroup_mounts); do ls -d "$m/nook-shared-$ID" 2>/dev/null; done)" ]
}
