#!/usr/bin/env bats
# Issue 4's acceptance tests, on a pure cgroup v2 host (the test VM: see
# tests/vm/run-in-vm.sh). Values are checked from inside the container (its
# cgroup namespace and cgroup2 mount at /sys/fs/cgroup) and from outside (the
# host path of its cgroup).

load ../../bats/helpers
# helpers.bash finds tests/ from the test file's directory, one level up.
TESTS_DIR=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
REPO_DIR=$(cd "$TESTS_DIR/.." && pwd)

setup() {
	nook_setup
	# Capabilities are not what this suite tests; the ambient set of the
	# default config needs more of security/ than cgroups do.
	cfg 'del(.process.capabilities.ambient)'
	CG2=$(cgroup2_mount)
	CG=$CG2/nook/$ID
	# The scratch disk run-in-vm.sh attaches (a real block device for io.max).
	VDA=$(cat /sys/block/vda/dev 2>/dev/null || true)
}

teardown() {
	nook_teardown
}

# No state dir and no cgroup left for this test's container (a lighter
# check than assert_nothing_left, whose process scan takes half a minute in
# a TCG VM).
assert_no_cgroup_left() {
	[ ! -e "$ROOT/$ID" ] || { echo "left behind: $ROOT/$ID" >&2; return 1; }
	[ ! -e "$CG" ] || { echo "left behind: cgroup $CG" >&2; return 1; }
	[ -z "$(find "$CG2" -name "$ID")" ] || { echo "left behind: a cgroup named $ID" >&2; return 1; }
}

# cg_file FILE: the value in the container's cgroup, seen from the host.
cg_file() {
	cat "$CG/$1"
}

# run_bg 'shell command': run the container detached with the command.
run_bg() {
	set_cmd "$1"
	run_detached "$ID"
}

@test "limits: the cgroup files hold the config's values, inside and outside" {
	[ -n "$VDA" ]
	cfg '.linux.resources.memory = {limit: 67108864, reservation: 33554432, swap: 100663296}
	   | .linux.resources.cpu = {shares: 2048, quota: 50000, period: 100000, cpus: "0", mems: "0"}
	   | .linux.resources.pids = {limit: 50}
	   | .linux.resources.blockIO = {weight: 500,
	         throttleReadBpsDevice: [{major: $maj, minor: $min, rate: 1048576}],
	         throttleWriteIOPSDevice: [{major: $maj, minor: $min, rate: 100}]}' \
		--argjson maj "${VDA%:*}" --argjson min "${VDA#*:}"
	run_bg 'cd /sys/fs/cgroup && for f in memory.max memory.low memory.swap.max cpu.weight cpu.max cpuset.cpus cpuset.mems pids.max io.max; do echo "$f=$(cat $f)"; done; echo procs=$(cat cgroup.procs | wc -l); cat /proc/self/cgroup; sleep 100'
	wait_file "$BATS_TEST_TMPDIR/$ID.out"
	sleep 0.5
	out=$(ctr_output "$ID")
	echo "$out"
	# From inside: the container's cgroup is the root of its cgroup namespace.
	[[ "$out" == *"memory.max=67108864"* ]]
	[[ "$out" == *"memory.low=33554432"* ]]
	[[ "$out" == *"memory.swap.max=33554432"* ]]
	[[ "$out" == *"cpu.weight=174"* ]]
	[[ "$out" == *"cpu.max=50000 100000"* ]]
	[[ "$out" == *"cpuset.cpus=0"* ]]
	[[ "$out" == *"pids.max=50"* ]]
	[[ "$out" == *"io.max=$VDA rbps=1048576 wbps=max riops=max wiops=100"* ]]
	[[ "$out" == *"0::/"* ]]
	# From outside: the same files at the host path.
	[ "$(cg_file memory.max)" = 67108864 ]
	[ "$(cg_file memory.low)" = 33554432 ]
	[ "$(cg_file memory.swap.max)" = 33554432 ]
	[ "$(cg_file cpu.weight)" = 174 ]
	[ "$(cg_file cpu.max)" = "50000 100000" ]
	[ "$(cg_file cpuset.cpus)" = 0 ]
	[ "$(cg_file cpuset.mems)" = 0 ]
	[ "$(cg_file pids.max)" = 50 ]
	# blkio weight 500 is io.weight 4950 (runc's conversion), or 500 with BFQ.
	if [ -e "$CG/io.bfq.weight" ]; then
		grep -q '^default 500$' "$CG/io.bfq.weight"
	else
		grep -q '^default 4950$' "$CG/io.weight"
	fi
	# Ancestors enable what is needed; the leaf enables nothing.
	[ -z "$(cg_file cgroup.subtree_control)" ]
	for c in cpuset cpu io memory pids; do
		grep -qw "$c" "$CG2/nook/cgroup.subtree_control"
	done
	! grep -qw hugetlb "$CG2/nook/cgroup.subtree_control"
}

@test "a cgroup namespace shows only the container's own subtree" {
	run_bg 'mkdir /sys/fs/cgroup/inner 2>/dev/null; ls /sys/fs/cgroup; echo; cat /proc/self/cgroup; sleep 100'
	wait_file "$BATS_TEST_TMPDIR/$ID.out"
	sleep 0.5
	out=$(ctr_output "$ID")
	echo "$out"
	[[ "$out" == *"0::/"* ]]
	[[ "$out" != *"nook"* ]]
	# The host's view: the container's init is in its cgroup.
	pid=$(state_field "$ID" pid)
	grep -qx "$pid" "$CG/cgroup.procs"
	grep -q "^0::/nook/$ID\$" "/proc/$pid/cgroup"
}

@test "a process over the memory limit is OOM-killed and events reports it" {
	cfg '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	run_bg 'sleep 3; tail /dev/zero; sleep 1'
	nook events --interval 1s "$ID" >"$BATS_TEST_TMPDIR/events" &
	events_pid=$!
	track_bg "$events_pid"
	# events ends by itself when the container stops.
	for ((i = 0; i < 300; i++)); do
		kill -0 "$events_pid" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$events_pid" 2>/dev/null
	cat "$BATS_TEST_TMPDIR/events"
	grep -qx "{\"type\":\"oom\",\"id\":\"$ID\"}" "$BATS_TEST_TMPDIR/events"
	grep -q '"type":"stats"' "$BATS_TEST_TMPDIR/events"
	grep -q '"memory":{"usage":{"limit":33554432' "$BATS_TEST_TMPDIR/events"
}

@test "a fork bomb stops at pids.limit" {
	cfg '.linux.resources.pids = {limit: 20}'
	# The bomb runs in a subshell: ash exits when fork fails. What follows
	# uses builtins only, as no fork is possible any more.
	run_bg '(while true; do sleep 100 & done) 2>/dev/null; read c </sys/fs/cgroup/pids.current; read e </sys/fs/cgroup/pids.events; echo "current=$c $e"; sleep 100'
	wait_file "$BATS_TEST_TMPDIR/$ID.out" 60
	out=$(ctr_output "$ID")
	echo "$out"
	[[ "$out" =~ current=([0-9]+)\ max\ ([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" -le 20 ]
	[ "${BASH_REMATCH[1]}" -ge 18 ]
	[ "${BASH_REMATCH[2]}" -gt 0 ]
	[ "$(cg_file pids.current)" -le 20 ]
	[ "$(cg_file pids.max)" = 20 ]
}

@test "device filter: /dev/null works, a denied device gives EPERM" {
	[ -n "$VDA" ]
	# runc's default config: devices [{allow: false, access: rwm}].
	jq -e '.linux.resources.devices[0].allow == false' "$BUNDLE/config.json"
	mknod "$ROOTFS/disk" b "${VDA%:*}" "${VDA#*:}"
	mknod "$ROOTFS/kmsg" c 1 11
	run_container 'echo x >/dev/null && echo null-ok; head -c1 /dev/zero >/dev/null && echo zero-ok
	               head -c1 /disk >/dev/null; head -c1 /kmsg >/dev/null; true'
	echo "$output"
	[[ "$output" == *null-ok* ]]
	[[ "$output" == *zero-ok* ]]
	[[ "$output" == *"/disk: Operation not permitted"* ]]
	[[ "$output" == *"/kmsg: Operation not permitted"* ]]
	# The same nodes open outside the container.
	head -c1 "$ROOTFS/disk" >/dev/null
}

@test "device filter: a rule allowing a device lets it open" {
	[ -n "$VDA" ]
	cfg '.linux.resources.devices += [{allow: true, type: "b", major: $maj, minor: $min, access: "r"}]' \
		--argjson maj "${VDA%:*}" --argjson min "${VDA#*:}"
	mknod "$ROOTFS/disk" b "${VDA%:*}" "${VDA#*:}"
	run_container 'head -c1 /disk >/dev/null && echo read-ok; echo x >/disk || echo write-denied'
	echo "$output"
	[[ "$output" == *read-ok* ]]
	[[ "$output" == *write-denied* ]]
}

@test "pause and resume: a counting process stops while paused; state says paused" {
	run_bg 'i=0; while true; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done'
	wait_file "$ROOTFS/tmp/count"
	nook pause "$ID"
	[ "$(state_field "$ID" status)" = paused ]
	[ "$(cg_file cgroup.freeze)" = 1 ]
	grep -qx 'frozen 1' "$CG/cgroup.events"
	a=$(cat "$ROOTFS/tmp/count")
	sleep 1
	b=$(cat "$ROOTFS/tmp/count")
	[ "$a" = "$b" ]
	nook resume "$ID"
	[ "$(state_field "$ID" status)" = running ]
	sleep 1
	c=$(cat "$ROOTFS/tmp/count")
	[ "$c" -gt "$b" ]
	# Resuming a running container is an error.
	run nook resume "$ID"
	[ "$status" -ne 0 ]
}

@test "update changes the limits of a running container" {
	cfg '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 40}'
	run_bg 'sleep 100'
	nook update --memory 100M --cpu-quota 20000 --cpu-period 100000 --cpu-share 512 \
		--pids-limit 30 --cpuset-cpus 1 "$ID"
	[ "$(cg_file memory.max)" = 104857600 ]
	[ "$(cg_file cpu.max)" = "20000 100000" ]
	[ "$(cg_file cpu.weight)" = 59 ]
	[ "$(cg_file pids.max)" = 30 ]
	[ "$(cg_file cpuset.cpus)" = 1 ]
	echo '{"memory": {"limit": 50331648}, "pids": {"limit": -1}}' >"$BATS_TEST_TMPDIR/r.json"
	nook update -r "$BATS_TEST_TMPDIR/r.json" "$ID"
	[ "$(cg_file memory.max)" = 50331648 ]
	[ "$(cg_file pids.max)" = max ]
	[ "$(cg_file cpu.max)" = "20000 100000" ]
}

@test "ps lists the container's processes" {
	run_bg 'sleep 100 & sleep 101 & wait'
	sleep 1
	run nook ps --format json "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	got=$(echo "$output" | jq -r '.[]' | sort -n | tr '\n' ' ')
	want=$(sort -n "$CG/cgroup.procs" | tr '\n' ' ')
	[ "$got" = "$want" ]
	[ "$(echo "$output" | jq length)" -eq 3 ]
	run nook ps "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[ "${#lines[@]}" -eq 4 ]
	[[ "$output" == *"sleep 101"* ]]
}

@test "kill --all signals every process; delete leaves no cgroup" {
	cfg '.linux.cgroupsPath = "pods/web"'
	CG=$CG2/nook/pods/web
	run_bg 'sleep 100 & sleep 100 & wait'
	sleep 1
	[ -d "$CG" ]
	[ "$(wc -l <"$CG/cgroup.procs")" -eq 3 ]
	nook kill --all "$ID" KILL
	wait_status "$ID" stopped
	nook delete "$ID"
	[ ! -e "$CG" ]
	[ ! -e "$CG2/nook/pods" ]
	[ ! -e "$CG2/nook" ]
	assert_no_cgroup_left
}

@test "delete -f of a running container removes its cgroup" {
	run_bg 'sleep 100'
	[ -d "$CG" ]
	nook delete -f "$ID"
	[ ! -e "$CG" ]
	assert_no_cgroup_left
}

@test "disableOOMKiller arms the OOM freeze on cgroup v2 (issue 8), and delete leaves nothing" {
	nook_only "OOM freeze is nook's"
	# Refused before issue 8; now it means org.nook.oom=freeze: memory.max
	# keeps the limit and a monitor (outside the cgroup) watches it.
	cfg '.linux.resources.memory = {limit: 33554432, disableOOMKiller: true}'
	run_bg 'sleep 100'
	[ "$(cat "$CG/memory.max")" = 33554432 ]
	mon=$(jq .oomMonitorPid "$ROOT/$ID/state.json")
	[ "$mon" -gt 0 ] && kill -0 "$mon"
	! grep -qx "$mon" "$CG/cgroup.procs"
	nook delete -f "$ID"
	[ ! -e "$CG" ]
	assert_no_cgroup_left
}

@test "a unified key whose file does not exist is a clear error" {
	nook_only "error text"
	cfg '.linux.resources.unified = {"memory.nosuch": "1"}'
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_one_error_line 'linux.resources.unified["memory.nosuch"]'
	assert_no_cgroup_left
}

@test "unified keys are written as given" {
	cfg '.linux.resources.unified = {"memory.high": "50331648", "pids.max": "11"}'
	run_bg 'sleep 100'
	[ "$(cg_file memory.high)" = 50331648 ]
	[ "$(cg_file pids.max)" = 11 ]
}
