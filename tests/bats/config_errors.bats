#!/usr/bin/env bats
# Malformed config.json (nook only: the message format is nook's). Each case
# is a jq mutation of a valid config and the JSON path the error must name.
# Every case must give exactly one line "nook: <id>: ...<path>...", exit 1,
# and leave nothing behind (no state dir, process, mount or cgroup).

load helpers

setup() {
	nook_setup
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/valid.json"
}
teardown() { nook_teardown; }

# Cases: "jq mutation|expected field path". Index-sensitive cases rebuild the
# array they test so they do not depend on the default config's layout.
CASES=(
	'.ociVersion = "2.0.0"|ociVersion'
	'.ociVersion = "0.9"|ociVersion'
	'del(.ociVersion)|ociVersion'
	'.ociVersion = 1|ociVersion'
	'.process.args = []|process.args'
	'del(.process.args)|process.args'
	'.process.args = "sh"|process.args'
	'.process.args = ["sh", 1]|process.args[1]'
	'del(.process.cwd)|process.cwd'
	'.process.cwd = "relative/dir"|process.cwd'
	'.process.cwd = 5|process.cwd'
	'.process.env = "PATH=/bin"|process.env'
	'.process.env = ["PATH=/bin", 7]|process.env[1]'
	'.process.terminal = "yes"|process.terminal'
	'.process.user.uid = "root"|process.user.uid'
	'.process.user.uid = -1|process.user.uid'
	'.process.user.gid = 1.5|process.user.gid'
	'del(.process.user.uid)|process.user.uid'
	'.process.user.additionalGids = [1, "wheel"]|process.user.additionalGids[1]'
	'.process.user.umask = "022"|process.user.umask'
	'.process.rlimits = [{type: "RLIMIT_BOGUS", soft: 1, hard: 1}]|process.rlimits[0].type'
	'.process.rlimits = [{type: "RLIMIT_NOFILE", soft: "many", hard: 1}]|process.rlimits[0].soft'
	'.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1}]|process.rlimits[0].hard'
	'.process.oomScoreAdj = "high"|process.oomScoreAdj'
	'.process.consoleSize = {height: "tall", width: 80}|process.consoleSize.height'
	'.process.capabilities.bounding = ["CAP_CHOWN", "CAP_BOGUS"]|process.capabilities.bounding[1]'
	'.process.noNewPrivileges = "yes"|process.noNewPrivileges'
	'.process = "sh"|process'
	'.root = "rootfs"|root'
	'del(.root.path)|root.path'
	'.root.path = 5|root.path'
	'.root.readonly = "yes"|root.readonly'
	'.hostname = 7|hostname'
	'.domainname = []|domainname'
	'.mounts = {}|mounts'
	'.mounts = [{destination: "/proc", type: "proc", source: "proc"}, {destination: "relative", type: "tmpfs", source: "tmpfs"}]|mounts[1].destination'
	'.mounts = [{type: "tmpfs", source: "tmpfs"}]|mounts[0].destination'
	'.mounts = [{destination: "/x", type: "tmpfs", source: "tmpfs", options: "ro"}]|mounts[0].options'
	'.mounts = [{destination: "/x", type: "tmpfs", source: "tmpfs", options: ["ro", 3]}]|mounts[0].options[1]'
	'.mounts = [{destination: "/x", type: 5, source: "tmpfs"}]|mounts[0].type'
	'.linux = []|linux'
	'.linux.namespaces = [{type: "pid"}, {type: "mount"}, {type: "foo"}]|linux.namespaces[2].type'
	'.linux.namespaces = [{type: "pid"}, {}]|linux.namespaces[1].type'
	'.linux.namespaces = [{type: "pid"}, {type: "mount"}, {type: "pid"}]|linux.namespaces[2]'
	'.linux.namespaces = [{type: "mount"}, {type: "network", path: 3}]|linux.namespaces[1].path'
	'.linux.namespaces = "pid"|linux.namespaces'
	'.linux.uidMappings = [{containerID: 0, hostID: 1000}]|linux.uidMappings[0].size'
	'.linux.gidMappings = [{containerID: "0", hostID: 1000, size: 1}]|linux.gidMappings[0].containerID'
	'.linux.devices = [{path: "/dev/x", type: "q", major: 1, minor: 1}]|linux.devices[0].type'
	'.linux.devices = [{path: "dev/x", type: "c", major: 1, minor: 1}]|linux.devices[0].path'
	'.linux.devices = [{path: "/dev/x", type: "c", minor: 1}]|linux.devices[0].major'
	'.linux.rootfsPropagation = "sideways"|linux.rootfsPropagation'
	'.linux.maskedPaths = "/proc/kcore"|linux.maskedPaths'
	'.linux.readonlyPaths = ["/proc/sys", 3]|linux.readonlyPaths[1]'
	'.linux.sysctl = {"net.ipv4.ip_forward": 1}|linux.sysctl'
	'.linux.cgroupsPath = 5|linux.cgroupsPath'
	'.linux.resources = {memory: {limit: "lots"}}|linux.resources.memory.limit'
	'.linux.resources = {pids: {limit: "x"}}|linux.resources.pids.limit'
	'.linux.seccomp = {defaultAction: "SCMP_ACT_BOGUS"}|linux.seccomp.defaultAction'
	'.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["read"], action: "NOPE"}]}|linux.seccomp.syscalls[0].action'
	'.linux.personality = {domain: "LINUX_BOGUS"}|linux.personality.domain'
	'.linux.timeOffsets = {monotonic: {secs: "x"}}|linux.timeOffsets.monotonic.secs'
	'.hooks = []|hooks'
	'.hooks.prestart = [{args: ["x"]}]|hooks.prestart[0].path'
	'.hooks.poststart = [{path: "/bin/true", timeout: "soon"}]|hooks.poststart[0].timeout'
	'.hooks.createRuntime = [{path: "/bin/true"}, {path: "/bin/true", timeout: 0}]|hooks.createRuntime[1].timeout'
	'.hooks.startContainer = [{path: "relative/hook"}]|hooks.startContainer[0].path'
	'.hooks.poststop = [{path: "/bin/true", env: [1]}]|hooks.poststop[0].env[0]'
	'.annotations = {"a": 1}|annotations'
	'.annotations = ["a"]|annotations'
)

@test "malformed config.json: $((${#CASES[@]})) cases, one line naming the field, exit 1, nothing left" {
	nook_only "config error messages name the JSON field"
	local i=0 c mutation field failures=0
	for c in "${CASES[@]}"; do
		i=$((i + 1))
		mutation=${c%|*}
		field=${c##*|}
		ID=$(new_id "cfg$i")
		jq "$mutation" "$BATS_TEST_TMPDIR/valid.json" >"$BUNDLE/config.json" || {
			echo "case $i: bad jq mutation: $mutation" >&2
			failures=$((failures + 1))
			continue
		}
		try_create "$ID"
		if [ "$status" -ne 1 ]; then
			echo "case $i ($mutation): exit $status, want 1; output: $output" >&2
			failures=$((failures + 1))
		elif ! assert_one_error_line "$field"; then
			echo "  ^ case $i: $mutation" >&2
			failures=$((failures + 1))
		fi
		if ! assert_nothing_left "$ID"; then
			echo "  ^ case $i: $mutation" >&2
			failures=$((failures + 1))
			nook delete -f "$ID" >/dev/null 2>&1 || true
		fi
	done
	echo "$failures of $i cases failed" >&2
	[ "$i" -ge 30 ]
	[ "$failures" -eq 0 ]
}

@test "config.json that is not JSON: one line, exit 1, nothing left" {
	nook_only "config error messages name the JSON field"
	local bad
	for bad in '{' '' '[]' '"string"' '{"ociVersion": "1.0.2", }'; do
		printf '%s' "$bad" >"$BUNDLE/config.json"
		try_create "$ID"
		[ "$status" -eq 1 ] || {
			echo "config '$bad': exit $status: $output" >&2
			return 1
		}
		assert_one_error_line "config.json"
		assert_nothing_left "$ID"
	done
}

@test "a missing config.json: one line, exit 1, nothing left" {
	nook_only "config error messages name the JSON field"
	rm "$BUNDLE/config.json"
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_one_error_line "config.json"
	assert_nothing_left "$ID"
}

@test "a missing bundle directory or rootfs: one line, exit 1, nothing left" {
	nook_only "config error messages name the JSON field"
	try_detached create -b "$BATS_TEST_TMPDIR/no-such-bundle" "$ID"
	[ "$status" -eq 1 ]
	assert_one_error_line "no-such-bundle"
	assert_nothing_left "$ID"
	rm -rf "$ROOTFS"
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_one_error_line "rootfs"
	assert_nothing_left "$ID"
}

@test "unknown fields are ignored" {
	cfg '.someFutureField = {"x": 1} | .process.futureKnob = true | .linux.notYet = [1, 2]
	   | .mounts[0].unknownMountField = "ok" | .process.args = ["echo", "accepted"]'
	run -0 nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$output" = accepted ]
}

@test "runtime errors during create name what failed and leave nothing" {
	nook_only "config error messages name the JSON field"
	# A mount whose source does not exist fails in the container's init: the
	# parent reports init's error as one line and cleans up.
	add_mount /data bind "$BATS_TEST_TMPDIR/no-such-source" '["bind"]'
	try_create "$ID"
	[ "$status" -eq 1 ]
	assert_one_error_line "no-such-source"
	assert_nothing_left "$ID"
	# A program that does not exist fails at start or create, cleanly.
	cp "$BATS_TEST_TMPDIR/valid.json" "$BUNDLE/config.json"
	cfg '.process.args = ["/no/such/program"]'
	run nook run -b "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"/no/such/program"* ]]
}
