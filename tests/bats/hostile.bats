#!/usr/bin/env bats
# Crash safety and hostile input (issue 10): nothing a kill, a full disk or a
# bad file does may strand a container, and nothing a caller passes may make
# nook hang, balloon or print garbage.

load helpers

setup() { nook_setup; }
teardown() {
	nook_teardown
	# The full-disk test's small state root.
	if mountpoint -q "$BATS_TEST_TMPDIR/smallroot" 2>/dev/null; then
		umount -l "$BATS_TEST_TMPDIR/smallroot"
	fi
}

# ---------------------------------------------------------------- config.json

# create_within SECONDS ARGS...: `create ARGS` that may not take longer; the
# runtime's output (not a container's: it would hold bats' pipes) in $output.
create_within() {
	local t=$1 err=$BATS_TEST_TMPDIR/create.err
	shift
	status=0
	timeout "$t" "$NOOK" --root "$ROOT" create "$@" </dev/null >/dev/null 2>"$err" 3>&- || status=$?
	output=$(cat "$err")
	mapfile -t lines <<<"$output"
}

@test "config.json that is a symlink to /dev/zero is refused at once" {
	nook_only "runc reads it until it runs out of memory"
	rm "$BUNDLE/config.json"
	ln -s /dev/zero "$BUNDLE/config.json"
	create_within 10 -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "nook: $ID: "*"config.json: not a regular file"* ]]
	assert_nothing_left "$ID"
}

@test "config.json that is a fifo is refused without waiting for a writer" {
	nook_only "runc blocks opening it"
	rm "$BUNDLE/config.json"
	mkfifo "$BUNDLE/config.json"
	create_within 10 -b "$BUNDLE" "$ID"
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
	create_within 10 -b "$BUNDLE" "$ID"
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

# ---------------------------------------------------------------- ids

@test "ids outside runc's rule are usage errors, shown without control characters" {
	local bad
	for bad in "a b" $'a\nb' $'\e[31mred' "é" "a/b" "." ".." "a:b" $'tab\t'; do
		create_within 10 -b "$BUNDLE" "$bad"
		expect_usage_error
		nook_only "the message format is nook's"
		[[ "${lines[0]}" == "nook: invalid container ID"* ]]
		# One error line (and the usage line), nothing raw from the id.
		[ "${#lines[@]}" -le 2 ]
		! printf '%s' "$output" | LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f-\xff]'
	done
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
}

@test "an id starting with a dot is a container like any other" {
	local id=".dot-$ID"
	cfg '.process.args = ["sleep", "30"]'
	run_detached "$id"
	run -0 nook list -q
	[[ "$output" == *"$id"* ]]
	[ "$(state_field "$id" status)" = running ]
	run -0 nook delete -f "$id"
	assert_nothing_left "$id"
}

# ---------------------------------------------------------------- killed and broken state

@test "a state dir a killed create left without state.json is listed, and delete -f removes it" {
	# What kill -9 of create leaves between making the dir and state.json:
	# the config copy and a half-written temp file.
	mkdir -p "$ROOT/$ID"
	cp "$BUNDLE/config.json" "$ROOT/$ID/config.json"
	printf '{"ociVersion": "1.0' >"$ROOT/$ID/state.json.tmp.12345"
	run -0 nook list -q
	[[ "$output" == *"$ID"* ]]
	run -0 nook list
	grep -E "^$ID +0 +stopped" <<<"$output"
	run -0 nook list --format json
	[ "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$output")" = stopped ]
	run -0 nook delete -f "$ID"
	assert_nothing_left "$ID"
	# And the id can be used again.
	create_ctr "$ID"
	[ "$(state_field "$ID" status)" = created ]
}

@test "a truncated state.json: delete -f still finds the init, the cgroup and the overlay dirs" {
	local lower=$BATS_TEST_TMPDIR/lower
	mkdir -p "$lower" "$BATS_TEST_TMPDIR/upper"
	mv "$ROOTFS"/* "$lower"/
	cfg '.root.path = "upper" | .annotations["org.nook.rootfs.lower"] = $l | .process.args = ["sleep", "100"]' \
		--arg l "$lower"
	ROOTFS=$BATS_TEST_TMPDIR/upper
	cfg '.root.path = $u' --arg u "$ROOTFS"
	run_detached "$ID"
	local pid
	pid=$(state_field "$ID" pid)
	kill -0 "$pid"
	head -c 20 "$ROOT/$ID/state.json" >"$ROOT/$ID/state.json.new"
	mv "$ROOT/$ID/state.json.new" "$ROOT/$ID/state.json"
	run -0 nook list -q
	[[ "$output" == *"$ID"* ]]
	run nook delete -f "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	# The init is gone (not a zombie either, once its parent reaped it).
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
		sleep 0.05
	done
	[ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
	[ ! -e "$BATS_TEST_TMPDIR/.nook-work-$ID" ]
	assert_nothing_left "$ID"
	create_ctr "$ID"
}

@test "start on a full disk still starts, and state says running" {
	nook_only "runc writes state.json at start"
	ROOT=$BATS_TEST_TMPDIR/smallroot
	mkdir -p "$ROOT"
	mount -t tmpfs -o size=256k tmpfs "$ROOT"
	cfg '.process.args = ["sh", "-c", "touch /started; sleep 100"]'
	create_ctr "$ID"
	# Fill the state root's filesystem.
	head -c 1M /dev/zero >"$ROOT/fill" 2>/dev/null || true
	run nook start "$ID"
	echo "$output"
	local rc=$status
	rm -f "$ROOT/fill"
	[ "$rc" -eq 0 ]
	wait_file "$ROOTFS/started" || [ -e "$ROOTFS/started" ]
	[ "$(state_field "$ID" status)" = running ]
	run nook start "$ID"
	[ "$status" -eq 1 ]
	nook delete -f "$ID"
	assert_nothing_left "$ID"
	umount "$ROOT"
}

# ---------------------------------------------------------------- processes

# gone PID: PID has exited (gone, or a zombie), within 5 s.
gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] || return 0
		sleep 0.05
	done
	echo "process $1 still runs: $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" >&2
	return 1
}

@test "a createRuntime hook and what it started die with a nook killed while it runs" {
	local dir=$BATS_TEST_TMPDIR
	# The shell stays (dash does not exec its last command): the sleep is
	# the hook's child, not the hook.
	cfg '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "echo $$ >\($d)/hook.pid; sleep 4242 & echo $! >\($d)/child.pid; wait"]}]' \
		--arg d "$dir"
	"$NOOK" --root "$ROOT" create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&- &
	local nookpid=$!
	track_bg "$nookpid"
	wait_file "$dir/child.pid"
	local hook child
	hook=$(cat "$dir/hook.pid")
	child=$(cat "$dir/child.pid")
	kill -KILL "$nookpid"
	wait "$nookpid" || true
	gone "$hook"
	gone "$child"
	run -0 nook delete -f "$ID"
	assert_nothing_left "$ID"
}

@test "a hook that times out takes what it started with it" {
	local dir=$BATS_TEST_TMPDIR
	cfg '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "sleep 4243 & echo $! >\($d)/child.pid; wait"], timeout: 1}]' \
		--arg d "$dir"
	try_create "$ID"
	[ "$status" -eq 1 ]
	gone "$(cat "$dir/child.pid")"
	assert_nothing_left "$ID"
}

@test "kill works where pidfd_open is missing" {
	command -v strace >/dev/null || skip "strace is not installed"
	cfg '.process.args = ["sleep", "100"]'
	run_detached "$ID"
	# LeakSanitizer (the ASan build) cannot run under ptrace.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	run strace -f -o /dev/null -e inject=pidfd_open:error=ENOSYS "$NOOK" --root "$ROOT" kill "$ID" KILL
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status "$ID" stopped
	run strace -f -o /dev/null -e inject=pidfd_open:error=ENOSYS "$NOOK" --root "$ROOT" delete "$ID"
	[ "$status" -eq 0 ]
	assert_nothing_left "$ID"
}

# ---------------------------------------------------------------- killed at every step

# steps LOG CMD: how many steps of CMD the --debug log LOG recorded.
steps_in() {
	grep -c "msg=\"$2 step [0-9]*:" "$1" || true
}

# killed_at CMD N ARGS...: run `nook --debug CMD ARGS` killed at its step N.
killed_at() {
	local cmd=$1 n=$2
	shift 2
	NOOK_DEBUG_KILL_AT_STEP="$cmd:$n" "$NOOK" --root "$ROOT" --debug --log /dev/null "$cmd" "$@" \
		</dev/null >/dev/null 2>&1 3>&- || return $?
}

@test "nook killed after each step of create, start and delete: delete -f leaves nothing, the id works again" {
	nook_only "the step hook is nook's"
	cfg '.process.args = ["sleep", "100"]'
	# One clean pass to count the steps (a value that names no step: log only).
	local log=$BATS_TEST_TMPDIR/steps.log
	export NOOK_DEBUG_KILL_AT_STEP=count
	"$NOOK" --root "$ROOT" --debug --log "$log" create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&-
	"$NOOK" --root "$ROOT" --debug --log "$log" start "$ID"
	"$NOOK" --root "$ROOT" --debug --log "$log" delete -f "$ID"
	unset NOOK_DEBUG_KILL_AT_STEP
	local nc ns nd
	nc=$(steps_in "$log" create)
	ns=$(steps_in "$log" start)
	nd=$(steps_in "$log" delete)
	echo "steps: create $nc, start $ns, delete $nd"
	[ "$nc" -ge 10 ]
	[ "$ns" -ge 3 ]
	[ "$nd" -ge 4 ]
	local cmd n rc
	for cmd in create start delete; do
		local count=$nc
		[ "$cmd" = start ] && count=$ns
		[ "$cmd" = delete ] && count=$nd
		for ((n = 1; n <= count; n++)); do
			rc=0
			case $cmd in
			create) killed_at create "$n" -b "$BUNDLE" "$ID" || rc=$? ;;
			start)
				create_ctr "$ID"
				killed_at start "$n" "$ID" || rc=$?
				;;
			delete)
				create_ctr "$ID"
				nook start "$ID"
				killed_at delete "$n" -f "$ID" || rc=$?
				;;
			esac
			[ "$rc" -eq 137 ] || {
				echo "$cmd was not killed at step $n (exit $rc)" >&2
				return 1
			}
			run nook delete -f "$ID"
			[ "$status" -eq 0 ] || {
				echo "after $cmd killed at step $n: delete -f: $output" >&2
				return 1
			}
			assert_nothing_left "$ID" || {
				echo "after $cmd killed at step $n" >&2
				return 1
			}
		done
	done
	# The id works again.
	create_ctr "$ID"
	run -0 nook start "$ID"
	[ "$(state_field "$ID" status)" = running ]
}
