#!/usr/bin/env bats
# Hooks: each kind runs when and where runtime.md says, with the state JSON on
# stdin; a failing prestart/createRuntime/createContainer hook fails create
# and leaves nothing behind.

load helpers

setup() {
	nook_setup
	# The log lives in the rootfs: hooks running on the host write it through
	# $ROOTFS, startContainer (whose path resolves in the container) through
	# /hooklog. Each hook appends its kind and saves its stdin.
	HOOKLOG=$ROOTFS/hooklog
	HOSTHOOK=$BATS_TEST_TMPDIR/hook.sh
	cat >"$HOSTHOOK" <<-'EOF'
		#!/bin/sh
		# args: hook.sh KIND; env: DIR (where to write)
		echo "$1" >> "$DIR/hooklog"
		cat > "$DIR/$1.json"
		echo "$1 args=$* env=$HOOK_ENV" > "$DIR/$1.info"
	EOF
	chmod +x "$HOSTHOOK"
	cp "$HOSTHOOK" "$ROOTFS/hook.sh"
}
teardown() { nook_teardown; }

# hook KIND [PATH [DIR]]: a hooks.KIND entry running the recording script.
hook_json() {
	local kind=$1 path=${2:-$HOSTHOOK} dir=${3:-$ROOTFS}
	jq -n -c --arg k "$kind" --arg p "$path" --arg d "$dir" \
		'{path: $p, args: ["hook.sh", $k], env: ["DIR=\($d)", "HOOK_ENV=set", "PATH=/bin:/usr/bin"], timeout: 10}'
}

all_hooks() {
	cfg '.hooks = {
		prestart: [$pre], createRuntime: [$cr], createContainer: [$cc],
		startContainer: [$sc], poststart: [$ps], poststop: [$pst]}' \
		--argjson pre "$(hook_json prestart)" \
		--argjson cr "$(hook_json createRuntime)" \
		--argjson cc "$(hook_json createContainer)" \
		--argjson sc "$(hook_json startContainer /hook.sh /)" \
		--argjson ps "$(hook_json poststart)" \
		--argjson pst "$(hook_json poststop)"
}

@test "create runs prestart, createRuntime, createContainer in order; delete runs poststop" {
	all_hooks
	set_cmd 'echo process >> /hooklog; sleep 100'
	create_ctr "$ID"
	[ "$(head -n 3 "$HOOKLOG")" = "$(printf '%s\n' prestart createRuntime createContainer)" ]
	! grep -q -e startContainer -e process -e poststop "$HOOKLOG"
	run -0 nook start "$ID"
	wait_file "$ROOTFS/startContainer.json"
	grep -qx startContainer "$HOOKLOG"
	[ ! -e "$ROOTFS/poststop.json" ]
	# The process writes its line after start returns: wait for it.
	for ((i = 0; i < 250; i++)); do grep -qx process "$HOOKLOG" && break; sleep 0.02; done
	run -0 nook delete -f "$ID"
	[ "$(tail -n 1 "$HOOKLOG")" = poststop ]
	[ "$(grep -c . "$HOOKLOG")" -eq 7 ]
}

@test "every hook kind runs, in order, at its step" {
	# runc 1.1 runs poststart hooks during create (runc 1.2 fixed that);
	# runtime.md has them after start, as nook does.
	nook_only "poststart after start (runc 1.1 runs it at create)"
	all_hooks
	set_cmd 'echo process >> /hooklog; sleep 100'
	create_ctr "$ID"
	[ "$(cat "$HOOKLOG")" = "$(printf '%s\n' prestart createRuntime createContainer)" ]
	run -0 nook start "$ID"
	wait_file "$ROOTFS/poststart.json"
	# startContainer runs before the process; poststart after start; the
	# process may write its line before or after poststart runs.
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c . "$HOOKLOG")" -ge 6 ] && break
		sleep 0.02
	done
	run -0 cat "$HOOKLOG"
	[ "${lines[3]}" = startContainer ]
	[ "$(sed -n '5,6p' "$HOOKLOG" | sort | tr '\n' ' ')" = "poststart process " ]
	[ ! -e "$ROOTFS/poststop.json" ]
	run -0 nook kill "$ID" KILL
	wait_status "$ID" stopped
	run -0 nook delete "$ID"
	[ "$(tail -n 1 "$HOOKLOG")" = poststop ]
	[ "$(wc -l <"$HOOKLOG")" -eq 7 ]
}

@test "hooks get the state JSON on stdin" {
	all_hooks
	cfg '.process.args = ["sleep", "100"]'
	create_ctr "$ID"
	local pid
	pid=$(state_field "$ID" pid)
	run -0 nook start "$ID"
	wait_file "$ROOTFS/poststart.json"
	run -0 nook delete -f "$ID"
	local k
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		jq -e --arg id "$ID" --arg b "$BUNDLE" \
			'(.ociVersion | startswith("1.")) and .id == $id and .bundle == $b and (.status | type == "string")' \
			"$ROOTFS/$k.json" >/dev/null || {
			echo "$k: bad state on stdin: $(cat "$ROOTFS/$k.json")" >&2
			return 1
		}
	done
	# runc 1.1 tells createContainer and startContainer hooks pid 1 (the
	# pid inside the container); runtime.md's pid is the host's, as nook
	# gives it.
	local kinds="prestart createRuntime createContainer startContainer poststart"
	! is_runc || kinds="prestart createRuntime poststart"
	for k in $kinds; do
		[ "$(jq .pid "$ROOTFS/$k.json")" = "$pid" ] || {
			echo "$k: pid $(jq .pid "$ROOTFS/$k.json"), container pid $pid" >&2
			return 1
		}
	done
	[ "$(jq -r .status "$ROOTFS/poststop.json")" = stopped ]
	# runc 1.1 runs poststart during create, so it says "created" there.
	is_runc || [ "$(jq -r .status "$ROOTFS/poststart.json")" = running ]
}

@test "hook state status values follow runtime.md" {
	# runc 1.1 reports "running" to poststart and "stopped" to poststop like
	# runtime.md, but "creating" to the hooks of steps 3-5; crun and the
	# runtime-tools validation (hooks_stdin) say "created", as runtime.md.
	nook_only "hook status values"
	all_hooks
	cfg '.process.args = ["sleep", "100"]'
	create_ctr "$ID"
	run -0 nook start "$ID"
	wait_file "$ROOTFS/poststart.json"
	run -0 nook delete -f "$ID"
	# "created": after step 2 of the lifecycle (the environment exists).
	[ "$(jq -r .status "$ROOTFS/prestart.json")" = created ]
	[ "$(jq -r .status "$ROOTFS/createRuntime.json")" = created ]
	[ "$(jq -r .status "$ROOTFS/createContainer.json")" = created ]
	# runtime.md: "running" means the user program has been executed; the
	# startContainer hooks run before that.
	[ "$(jq -r .status "$ROOTFS/startContainer.json")" = created ]
}

@test "hooks get their args and env" {
	cfg '.hooks.prestart = [$h]' --argjson h "$(hook_json prestart)"
	create_ctr "$ID"
	[ "$(cat "$ROOTFS/prestart.info")" = "prestart args=prestart env=set" ]
}

@test "createRuntime runs in the runtime namespace, createContainer in the container's" {
	local probe=$BATS_TEST_TMPDIR/probe.sh
	cat >"$probe" <<-EOF
		#!/bin/sh
		readlink /proc/self/ns/mnt > "$BATS_TEST_TMPDIR/\$1.mnt"
		readlink /proc/self/ns/uts > "$BATS_TEST_TMPDIR/\$1.uts"
	EOF
	chmod +x "$probe"
	cfg '.hooks = {createRuntime: [{path: $p, args: ["probe", "createRuntime"]}],
	               createContainer: [{path: $p, args: ["probe", "createContainer"]}]}
	     | .process.args = ["sleep", "100"]' --arg p "$probe"
	create_ctr "$ID"
	local pid
	pid=$(state_field "$ID" pid)
	[ "$(cat "$BATS_TEST_TMPDIR/createRuntime.mnt")" = "$(ns_link self mnt)" ]
	[ "$(cat "$BATS_TEST_TMPDIR/createContainer.mnt")" = "$(ns_link "$pid" mnt)" ]
	[ "$(cat "$BATS_TEST_TMPDIR/createContainer.uts")" = "$(ns_link "$pid" uts)" ]
}

failing_hook_leaves_nothing() {
	local kind=$1
	cfg ".hooks.$kind = [{path: \"/bin/false\"}]"
	try_create "$ID"
	[ "$status" -eq 1 ] || {
		echo "$kind: create exited $status: $output" >&2
		return 1
	}
	assert_nothing_left "$ID"
}

@test "a failing prestart hook fails create and leaves nothing" {
	failing_hook_leaves_nothing prestart
}

@test "a failing createRuntime hook fails create and leaves nothing" {
	failing_hook_leaves_nothing createRuntime
}

@test "a failing createContainer hook fails create and leaves nothing" {
	failing_hook_leaves_nothing createContainer
}

@test "a failing hook fails run too, and poststop hooks still run" {
	cfg '.hooks.prestart = [{path: "/bin/false"}] | .hooks.poststop = [$h]' \
		--argjson h "$(hook_json poststop)"
	run nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ]
	assert_nothing_left "$ID"
}

@test "a missing hook program fails create and leaves nothing" {
	cfg '.hooks.prestart = [{path: "/no/such/hook"}]'
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_nothing_left "$ID"
}

@test "a hook that exceeds its timeout is killed and fails create" {
	# A duration no other process on the host runs with, to find the hook by.
	local secs=30.$$$RANDOM
	cfg '.hooks.prestart = [{path: "/bin/sleep", args: ["sleep", $s], timeout: 1}]' --arg s "$secs"
	local t0=$SECONDS
	try_create "$ID"
	[ "$status" -eq 1 ]
	[ $((SECONDS - t0)) -lt 10 ]
	assert_nothing_left "$ID"
	# The hook was killed, not left running.
	local p
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" != "sleep $secs " ] || {
			echo "hook still running: ${p#/proc/}" >&2
			return 1
		}
	done
}

@test "a failing poststart hook does not stop the container" {
	# runtime.md: a poststart failure is logged, the lifecycle continues.
	# runc 1.1 instead fails `start` and kills the container.
	nook_only "poststart failure is a warning (runc 1.1 fails start)"
	cfg '.hooks.poststart = [{path: "/bin/false"}] | .process.args = ["sleep", "100"]'
	create_ctr "$ID"
	run nook start "$ID"
	[ "$(state_field "$ID" status)" = running ]
}

@test "a failing poststop hook does not stop delete" {
	cfg '.hooks.poststop = [{path: "/bin/false"}] | .process.args = ["true"]'
	run_detached "$ID"
	wait_status "$ID" stopped
	run nook delete "$ID"
	run ! nook state "$ID"
	assert_nothing_left "$ID"
}
