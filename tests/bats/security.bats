#!/usr/bin/env bats
# What the container process gives up, seen from inside: capability sets,
# no_new_privileges, seccomp (errno, kill, args, notify) – issue 3,
# acceptance point 1. Expected values are computed here from capability
# numbers and errno values, never taken from the runtime.

load helpers

setup() { nook_setup; }
teardown() { nook_teardown; }

# Capability numbers (linux/capability.h).
CAP_CHOWN=0
CAP_KILL=5
CAP_NET_BIND_SERVICE=10
CAP_AUDIT_WRITE=29

# errnos no busybox command here would get by itself, so seeing one proves
# the filter answered: ENETDOWN (100) and EDQUOT (122).
ENETDOWN=100
ENETDOWN_MSG="Network is down"
EDQUOT=122
EDQUOT_MSG="Disk quota exceeded"

# cap_mask N...: the 16-hex-digit mask /proc/self/status shows for caps N...
cap_mask() {
	local m=0 c
	for c in "$@"; do
		m=$((m | (1 << c)))
	done
	printf '%016x\n' "$m"
}

# set_caps BOUNDING EFFECTIVE PERMITTED INHERITABLE AMBIENT: each a JSON
# array of capability names.
set_caps() {
	cfg '.process.capabilities = {bounding: $b, effective: $e, permitted: $p,
	                              inheritable: $i, ambient: $a}' \
		--argjson b "$1" --argjson e "$2" --argjson p "$3" --argjson i "$4" --argjson a "$5"
}

# status_field NAME: the value of "NAME:" in $output (a /proc/PID/status).
status_field() {
	awk -v k="$1:" '$1 == k { print $2 }' <<<"$output"
}

# expect_field NAME VALUE: $output (a /proc/PID/status) has NAME: VALUE.
expect_field() {
	local got
	got=$(status_field "$1")
	[ "$got" = "$2" ] || {
		echo "$1: got \"$got\", want \"$2\"; status was:" >&2
		echo "$output" >&2
		return 1
	}
}

# expect_caps BND EFF PRM INH AMB: masks as cap_mask prints them.
expect_caps() {
	expect_field CapBnd "$1"
	expect_field CapEff "$2"
	expect_field CapPrm "$3"
	expect_field CapInh "$4"
	expect_field CapAmb "$5"
}

# Commands whose stdout and stderr lines are checked in order start with
# `exec 2>&1`: a runtime may copy the two through separate pipes (runc does
# for a non-root user), which would reorder them.

# seccomp PROFILE-JSON: this test's linux.seccomp.
seccomp() {
	cfg '.linux.seccomp = $p' --argjson p "$1"
}

# A profile that allows everything but answers mkdir with RULE (a jq object
# merged into the rule). busybox's mkdir calls mkdir(2) on x86_64 and
# mkdirat(2) where there is no mkdir, so both are named.
mkdir_profile() {
	jq -n --argjson r "$1" '{defaultAction: "SCMP_ACT_ALLOW",
		architectures: [],
		syscalls: [{names: ["mkdir", "mkdirat"]} + $r]}'
}

# ---------------------------------------------------------------- capabilities

@test "caps: root gets exactly the configured sets" {
	# For uid 0 the kernel makes permitted = bounding | inheritable at
	# execve and effective = permitted, so a config that is consistent with
	# that (E = P = B, I within B) must be seen unchanged.
	local all='["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]'
	set_caps "$all" "$all" "$all" '["CAP_KILL", "CAP_NET_BIND_SERVICE"]' '["CAP_NET_BIND_SERVICE"]'
	run_container 'id -u; grep ^Cap /proc/self/status'
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	[ "${lines[0]}" = 0 ]
	local b
	b=$(cap_mask $CAP_CHOWN $CAP_KILL $CAP_NET_BIND_SERVICE $CAP_AUDIT_WRITE)
	expect_caps "$b" "$b" "$b" \
		"$(cap_mask $CAP_KILL $CAP_NET_BIND_SERVICE)" \
		"$(cap_mask $CAP_NET_BIND_SERVICE)"
}

@test "caps: root with no capabilities object has none at all" {
	cfg 'del(.process.capabilities)'
	run_container 'grep ^Cap /proc/self/status'
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	local z
	z=$(cap_mask)
	expect_caps "$z" "$z" "$z" "$z" "$z"
}

@test "caps: a non-root user keeps exactly the ambient set asked for" {
	# Ambient caps must also be permitted and inheritable; across execve a
	# non-root process without file caps gets P = E = ambient.
	local amb='["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]'
	set_caps '["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]' \
		"$amb" "$amb" "$amb" "$amb"
	cfg '.process.user = {uid: 1000, gid: 1000}'
	run_container 'id -u; grep ^Cap /proc/self/status'
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	[ "${lines[0]}" = 1000 ]
	local a
	a=$(cap_mask $CAP_CHOWN $CAP_NET_BIND_SERVICE)
	expect_caps "$(cap_mask $CAP_CHOWN $CAP_KILL $CAP_NET_BIND_SERVICE $CAP_AUDIT_WRITE)" \
		"$a" "$a" "$a" "$a"
	# And usable: only CAP_CHOWN lets uid 1000 give a file to root.
	run_container 'touch /tmp/f && chown 0:0 /tmp/f && stat -c %u:%g /tmp/f'
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	[ "$output" = 0:0 ]
}

@test "caps: a non-root user without ambient caps has none effective" {
	local some='["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]'
	set_caps '["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]' "$some" "$some" \
		'["CAP_CHOWN"]' '[]'
	cfg '.process.user = {uid: 1000, gid: 1000}'
	run_container 'id -u; grep ^Cap /proc/self/status'
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	[ "${lines[0]}" = 1000 ]
	local z
	z=$(cap_mask)
	expect_caps "$(cap_mask $CAP_CHOWN $CAP_KILL $CAP_NET_BIND_SERVICE)" \
		"$z" "$z" "$(cap_mask $CAP_CHOWN)" "$z"
	run_container 'touch /tmp/f && chown 0:0 /tmp/f'
	[ "$status" -eq 1 ]
	[ "$output" = "chown: /tmp/f: Operation not permitted" ]
}

@test "caps: one outside nook's own bounding set is left out with a warning, not a failure" {
	# config.md: a capability that cannot be granted "MUST be logged as a
	# warning"; runtimes "SHOULD NOT fail" (a restricted host). runc 1.1 and
	# crun 1.8 fail create with EPERM.
	nook_only "runc 1.1 fails create"
	local want='["CAP_CHOWN", "CAP_SYS_NICE"]'
	set_caps "$want" "$want" "$want" '[]' '[]'
	set_cmd 'grep ^Cap /proc/self/status'
	run setpriv --bounding-set -sys_nice "$NOOK" --root "$ROOT" run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	[[ "$output" == *"warning: process.capabilities: CAP_SYS_NICE not in nook's bounding set"* ]] || {
		echo "no warning naming CAP_SYS_NICE: $output" >&2
		return 1
	}
	local c z
	c=$(cap_mask $CAP_CHOWN)
	z=$(cap_mask)
	expect_caps "$c" "$c" "$c" "$z" "$z"
}

@test "caps: an unknown capability name is a config error naming the field" {
	nook_only "config error messages name the JSON field"
	cfg '.process.capabilities.effective += ["CAP_NO_SUCH_THING"]'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	expect_error_status
	assert_one_error_line "process.capabilities.effective[3]"
	[[ "$output" == *CAP_NO_SUCH_THING* ]]
	assert_nothing_left "$ID"
}

@test "exec applies the process' own capabilities and noNewPrivileges" {
	local amb='["CAP_KILL", "CAP_NET_BIND_SERVICE"]'
	set_caps "$amb" "$amb" "$amb" "$amb" "$amb"
	cfg '.process.args = ["sleep", "1000"] | .process.noNewPrivileges = true'
	run_detached "$ID"
	local pj=$BATS_TEST_TMPDIR/process.json
	# Other caps than init's, another user, and no no_new_privs.
	jq -n '{terminal: false, user: {uid: 1000, gid: 1000}, cwd: "/",
		args: ["grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status"],
		env: ["PATH=/bin:/usr/bin"], noNewPrivileges: false,
		capabilities: {bounding: ["CAP_CHOWN", "CAP_AUDIT_WRITE", "CAP_KILL"],
			effective: ["CAP_CHOWN", "CAP_AUDIT_WRITE"],
			permitted: ["CAP_CHOWN", "CAP_AUDIT_WRITE"],
			inheritable: ["CAP_CHOWN", "CAP_AUDIT_WRITE"],
			ambient: ["CAP_CHOWN", "CAP_AUDIT_WRITE"]}}' >"$pj"
	run -0 nook exec --process "$pj" "$ID"
	local e
	e=$(cap_mask $CAP_CHOWN $CAP_AUDIT_WRITE)
	expect_caps "$(cap_mask $CAP_CHOWN $CAP_AUDIT_WRITE $CAP_KILL)" "$e" "$e" "$e" "$e"
	expect_field NoNewPrivs 0
	# And the other way round: a root process.json with fewer caps and
	# no_new_privs, while the init keeps its own.
	jq '.user = {uid: 0, gid: 0} | .noNewPrivileges = true |
	    .capabilities = {bounding: ["CAP_CHOWN"], effective: ["CAP_CHOWN"],
	                     permitted: ["CAP_CHOWN"], inheritable: [], ambient: []}' \
		"$pj" >"$pj.new" && mv "$pj.new" "$pj"
	run -0 nook exec --process "$pj" "$ID"
	local c z
	c=$(cap_mask $CAP_CHOWN)
	z=$(cap_mask)
	expect_caps "$c" "$c" "$c" "$z" "$z"
	expect_field NoNewPrivs 1
	output=$(cat "/proc/$(state_field "$ID" pid)/status")
	local a
	a=$(cap_mask $CAP_KILL $CAP_NET_BIND_SERVICE)
	expect_caps "$a" "$a" "$a" "$a" "$a"
}

# ---------------------------------------------------------------- no_new_privs

@test "noNewPrivileges true sets NoNewPrivs, false leaves it clear" {
	cfg '.process.noNewPrivileges = true'
	run_container 'grep ^NoNewPrivs /proc/self/status'
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	expect_field NoNewPrivs 1
	cfg '.process.noNewPrivileges = false'
	run_container 'grep ^NoNewPrivs /proc/self/status'
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	expect_field NoNewPrivs 0
	# The same for a non-root user (seccomp is then loaded before the uid
	# change, and must not set no_new_privs on the way).
	cfg '.process.user = {uid: 1000, gid: 1000}'
	run_container 'grep ^NoNewPrivs /proc/self/status'
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	expect_field NoNewPrivs 0
}

# ---------------------------------------------------------------- seccomp

@test "seccomp: SCMP_ACT_ERRNO returns exactly errnoRet" {
	seccomp "$(mkdir_profile "{\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": $ENETDOWN}")"
	run_container 'exec 2>&1; grep ^Seccomp: /proc/self/status; mkdir /tmp/x; echo "rc=$?"; ls -d /tmp/x'
	echo "$output"
	[ "$status" -ne 0 ] # ls: /tmp/x does not exist
	[ "${lines[0]}" = "Seccomp:	2" ]
	[ "${lines[1]}" = "mkdir: can't create directory '/tmp/x': $ENETDOWN_MSG" ]
	[ "${lines[2]}" = "rc=1" ]
	# Without errnoRet the errno is EPERM.
	seccomp "$(mkdir_profile '{"action": "SCMP_ACT_ERRNO"}')"
	run_container 'mkdir /tmp/x'
	[ "$status" -eq 1 ]
	[ "$output" = "mkdir: can't create directory '/tmp/x': Operation not permitted" ]
	# And without the rule mkdir works: the filter, not the setup, denied it.
	seccomp "$(mkdir_profile '{"action": "SCMP_ACT_ALLOW"}')"
	run_container 'mkdir /tmp/x && ls -d /tmp/x'
	[ "$status" -eq 0 ]
	[ "$output" = /tmp/x ]
}

# The syscall names `nook spec`'s profile allows unconditionally, from this
# bundle's config (nook) or from the nook build next to the tests (runc,
# whose `runc spec` has no profile).
allowed_names() {
	local conf=$BUNDLE/config.json
	if ! jq -e .linux.seccomp "$conf" >/dev/null; then
		local nb=$REPO_DIR/${BUILD:-build}/nook dir=$BATS_TEST_TMPDIR/nook-spec
		[ -x "$nb" ] || skip "no nook build at $nb to take the default profile from"
		mkdir -p "$dir"
		"$nb" spec -b "$dir"
		conf=$dir/config.json
	fi
	jq -c '[.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_ALLOW" and
		(.args // []) == [] and (.includes // {}) == {} and (.excludes // {}) == {}) |
		.names[]] | unique' "$conf"
}

@test "seccomp: defaultErrnoRet answers syscalls without a rule" {
	# Everything the default profile allows (plus clone, which it allows
	# with arg conditions), except mkdir: mkdir gets the default action's
	# errno.
	local allow
	allow=$(allowed_names)
	jq -e 'index("mkdir") and index("execve")' <<<"$allow" >/dev/null
	seccomp "$(jq -n --argjson a "$allow" --argjson n "$EDQUOT" \
		'{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: $n,
		  syscalls: [{names: ($a + ["clone", "clone3"] - ["mkdir", "mkdirat"]),
		              action: "SCMP_ACT_ALLOW"}]}')"
	run_container 'exec 2>&1; mkdir /tmp/x; echo "rc=$?"; echo ok >/tmp/y; cat /tmp/y'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "mkdir: can't create directory '/tmp/x': $EDQUOT_MSG" ]
	[ "${lines[1]}" = "rc=1" ]
	[ "${lines[2]}" = ok ]
	[ ! -e "$ROOTFS/tmp/x" ]
	# Without defaultErrnoRet the default ERRNO action returns EPERM.
	cfg 'del(.linux.seccomp.defaultErrnoRet)'
	run_container 'mkdir /tmp/x'
	[ "$status" -eq 1 ]
	[ "$output" = "mkdir: can't create directory '/tmp/x': Operation not permitted" ]
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills the process with SIGSYS" {
	seccomp "$(mkdir_profile '{"action": "SCMP_ACT_KILL_PROCESS"}')"
	cfg '.process.args = ["mkdir", "/tmp/x"]'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -eq $((128 + 31)) ] # SIGSYS
	[ ! -e "$ROOTFS/tmp/x" ]
	# A shell sees its child killed by SIGSYS and goes on.
	# (/bin/busybox by path: ash would run a bare "mkdir" in-process.)
	cfg '.process.args = ["sh", "-c", "/bin/busybox mkdir /tmp/x; echo status=$?"]'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "status=159" ]
}

@test "seccomp: args rule with SCMP_CMP_MASKED_EQ" {
	# openat(2) flags (arg 2) masked with O_CREAT|O_EXCL equal to O_CREAT:
	# creating without O_EXCL is denied, O_EXCL creation and plain opens are
	# not. value is the mask and valueTwo the datum; swapping them would
	# match nothing.
	local O_CREAT=64 O_EXCL=128
	seccomp "$(jq -n --argjson m $((O_CREAT | O_EXCL)) --argjson d $O_CREAT --argjson n "$ENETDOWN" \
		'{defaultAction: "SCMP_ACT_ALLOW",
		  syscalls: [
		    {names: ["openat"], action: "SCMP_ACT_ERRNO", errnoRet: $n,
		     args: [{index: 2, value: $m, valueTwo: $d, op: "SCMP_CMP_MASKED_EQ"}]},
		    {names: ["open"], action: "SCMP_ACT_ERRNO", errnoRet: $n,
		     args: [{index: 1, value: $m, valueTwo: $d, op: "SCMP_CMP_MASKED_EQ"}]}]}')"
	run_container 'exec 2>&1; echo a >/tmp/plain; echo "plain=$?"
		set -C; echo b >/tmp/excl; echo "excl=$?"; cat /tmp/excl; head -1 /etc/passwd'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"can't create /tmp/plain: $ENETDOWN_MSG" ]]
	[ "${lines[1]}" = "plain=1" ]
	[ "${lines[2]}" = "excl=0" ]
	[ "${lines[3]}" = b ]
	[[ "${lines[4]}" == root:* ]]
	[ ! -e "$ROOTFS/tmp/plain" ]
}

@test "seccomp: an unknown syscall name is skipped, the rest of the rule applies" {
	seccomp "$(jq -n --argjson n "$ENETDOWN" '{defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["nook_no_such_syscall", "mkdir", "mkdirat"],
		            action: "SCMP_ACT_ERRNO", errnoRet: $n}]}')"
	run_container 'mkdir /tmp/x'
	[ "$status" -eq 1 ]
	[ "$output" = "mkdir: can't create directory '/tmp/x': $ENETDOWN_MSG" ]
}

@test "seccomp: an unknown action is a config error naming the field" {
	nook_only "config error messages name the JSON field"
	seccomp "$(mkdir_profile '{"action": "SCMP_ACT_NO_SUCH_ACTION"}')"
	run nook run -b "$BUNDLE" "$ID" </dev/null
	expect_error_status
	assert_one_error_line "linux.seccomp.syscalls[0].action"
	[[ "$output" == *SCMP_ACT_NO_SUCH_ACTION* ]]
	assert_nothing_left "$ID"
	seccomp '{"defaultAction": "SCMP_ACT_NOPE"}'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	expect_error_status
	assert_one_error_line "linux.seccomp.defaultAction"
	assert_nothing_left "$ID"
}

@test "seccomp: loads without noNewPrivileges and without CAP_SYS_ADMIN in the caps" {
	seccomp "$(mkdir_profile "{\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": $ENETDOWN}")"
	local caps='["CAP_KILL"]'
	set_caps "$caps" "$caps" "$caps" '[]' '[]'
	cfg '.process.noNewPrivileges = false'
	run_container 'exec 2>&1; grep -E "^(NoNewPrivs|Seccomp|CapEff):" /proc/self/status; mkdir /tmp/x'
	echo "$output"
	[ "$status" -eq 1 ]
	expect_field NoNewPrivs 0
	expect_field Seccomp 2
	expect_field CapEff "$(cap_mask $CAP_KILL)"
	[ "${lines[-1]}" = "mkdir: can't create directory '/tmp/x': $ENETDOWN_MSG" ]
	# The same for a non-root user.
	cfg '.process.user = {uid: 1000, gid: 1000}'
	run_container 'exec 2>&1; id -u; mkdir /tmp/y'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = "mkdir: can't create directory '/tmp/y': $ENETDOWN_MSG" ]
}

# ---------------------------------------------------------------- seccomp notify

agent_bin() {
	local cand
	for cand in "$(dirname "$NOOK")/helpers/seccomp-agent" \
		"$REPO_DIR/${BUILD:-build}/helpers/seccomp-agent"; do
		if [ -x "$cand" ]; then
			echo "$cand"
			return 0
		fi
	done
	echo "no seccomp-agent next to $NOOK or in $REPO_DIR/${BUILD:-build}/helpers" >&2
	return 1
}

# start_agent NAME REPLY: an agent listening at $AGENT_SOCK, writing the
# state to $BATS_TEST_TMPDIR/NAME.state and the notified calls to NAME.calls;
# returns once it listens. Its pid is in $AGENT_PID. It takes one
# connection and removes the socket then, so the next agent can listen on
# the same path.
start_agent() {
	local bin d=$BATS_TEST_TMPDIR
	bin=$(agent_bin)
	AGENT_SOCK=$d/agent.sock
	"$bin" -s "$AGENT_SOCK" -o "$d/$1.state" -l "$d/$1.calls" -r "$2" \
		>"$d/$1.log" 2>&1 3>&- &
	AGENT_PID=$!
	track_bg "$AGENT_PID"
	wait_exists "$AGENT_SOCK"
}

# wait_agent PID: the agent ends (no process uses its filter any more) with
# status 0 within 5 s.
wait_agent() {
	local i
	for ((i = 0; i < 250; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.02
	done
	kill -0 "$1" 2>/dev/null && {
		echo "seccomp agent $1 still running" >&2
		return 1
	}
	wait "$1"
}

# notify_profile SOCKET METADATA: mkdir/mkdirat go to the agent.
notify_profile() {
	jq -n --arg s "$1" --arg m "$2" '{defaultAction: "SCMP_ACT_ALLOW",
		listenerPath: $s, listenerMetadata: $m,
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}'
}

# expect_agent_state NAME: NAME.state is the seccomp state runtime-spec
# describes, for this container and bundle, with metadata "meta-$NAME".
expect_agent_state() {
	local f=$BATS_TEST_TMPDIR/$1.state
	wait_file "$f"
	cat "$f"
	jq -e --arg id "$ID" --arg b "$BUNDLE" --arg m "meta-$1" '
		(.ociVersion | type == "string" and length > 0) and
		.fds == ["seccompFd"] and
		.metadata == $m and
		(.pid | type == "number" and . > 0) and
		.state.id == $id and
		.state.bundle == $b and
		(.state.pid | type == "number" and . > 0)' "$f"
}

@test "seccomp notify: the agent gets the state and its errno answer applies" {
	start_agent a "errno:$ENETDOWN"
	seccomp "$(notify_profile "$AGENT_SOCK" meta-a)"
	run_container 'exec 2>&1; mkdir /tmp/x; echo "rc=$?"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "mkdir: can't create directory '/tmp/x': $ENETDOWN_MSG" ]
	[ "${lines[1]}" = "rc=1" ]
	[ ! -e "$ROOTFS/tmp/x" ]
	expect_agent_state a
	[ "$(cat "$BATS_TEST_TMPDIR/a.calls")" = mkdir ]
	# Once the container is gone no process uses the filter: the agent ends.
	wait_agent "$AGENT_PID"
}

@test "seccomp notify: a continue answer lets the syscall run" {
	start_agent a continue
	seccomp "$(notify_profile "$AGENT_SOCK" meta-a)"
	run_container 'mkdir /tmp/x && ls -d /tmp/x'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = /tmp/x ]
	expect_agent_state a
	[ "$(cat "$BATS_TEST_TMPDIR/a.calls")" = mkdir ]
	wait_agent "$AGENT_PID"
}

@test "seccomp notify: exec gets its own filter and connects to the agent again" {
	# The agent takes one connection: one for the init, a second for exec,
	# on the same listenerPath.
	start_agent init "errno:$ENETDOWN"
	local init_agent=$AGENT_PID
	seccomp "$(notify_profile "$AGENT_SOCK" meta)"
	cfg '.process.args = ["sleep", "1000"]'
	run_detached "$ID"
	wait_file "$BATS_TEST_TMPDIR/init.state"
	jq -e --arg id "$ID" '.state.id == $id and .metadata == "meta"' "$BATS_TEST_TMPDIR/init.state"

	start_agent exec "errno:$EDQUOT"
	run nook exec "$ID" sh -c 'exec 2>&1; grep ^Seccomp_filters: /proc/self/status; mkdir /tmp/y'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "Seccomp_filters:	1" ]
	[ "${lines[1]}" = "mkdir: can't create directory '/tmp/y': $EDQUOT_MSG" ]
	wait_file "$BATS_TEST_TMPDIR/exec.state"
	cat "$BATS_TEST_TMPDIR/exec.state"
	jq -e --arg id "$ID" --arg b "$BUNDLE" '.fds == ["seccompFd"] and .metadata == "meta" and
		.state.id == $id and .state.bundle == $b and .pid > 0' "$BATS_TEST_TMPDIR/exec.state"
	[ "$(cat "$BATS_TEST_TMPDIR/exec.calls")" = mkdir ]
	# The init's agent saw nothing of the exec'd process.
	[ ! -e "$BATS_TEST_TMPDIR/init.calls" ]
	# The exec'd process is gone: its agent ends; the init's lives on.
	wait_agent "$AGENT_PID"
	kill -0 "$init_agent"
}

# ---------------------------------------------------------------- features

@test "features lists the seccomp actions, operators, archs and flags" {
	run -0 nook features
	local f=$output
	jq -e '.linux.seccomp.enabled == true' <<<"$f"
	jq -e '.linux.seccomp.actions | sort == ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",
		"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
		"SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"]' <<<"$f"
	jq -e '.linux.seccomp.operators | sort == ["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
		"SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"]' <<<"$f"
	local native
	case "$(uname -m)" in
	x86_64) native='["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]' ;;
	aarch64) native='["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]' ;;
	*) native='[]' ;;
	esac
	jq -e --argjson n "$native" '.linux.seccomp.archs as $a |
		($n - $a) == [] and ($a | length) == ($a | unique | length)' <<<"$f"
	# Every supported flag is a known one; this kernel (>= 4.17) has LOG
	# and SPEC_ALLOW. (runc 1.1 lists no flags.)
	is_runc && return 0
	jq -e '.linux.seccomp as $s |
		($s.supportedFlags - $s.knownFlags) == [] and
		(["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"] - $s.supportedFlags) == []' \
		<<<"$f"
}
