#!/usr/bin/env bats
# The command line: global flags, usage errors, spec, features, logging.

load helpers

setup() { nook_setup; }
teardown() { nook_teardown; }

@test "--version prints a version and exits 0" {
	run -0 "$NOOK" --version
	[[ "$output" == *version* ]]
}

@test "nook --version names nook and its version" {
	nook_only "version string"
	run -0 "$NOOK" --version
	[[ "${lines[0]}" == "nook version "[0-9]* ]]
}

@test "--help lists the commands and exits 0" {
	run -0 "$NOOK" --help
	local c
	for c in create start run state kill delete list exec spec features ps pause resume update events; do
		[[ "$output" == *"$c"* ]] || {
			echo "--help does not mention $c" >&2
			return 1
		}
	done
}

@test "per-command --help exits 0 and names the command's flags" {
	run -0 "$NOOK" create --help
	[[ "$output" == *--bundle* ]]
	[[ "$output" == *--console-socket* ]]
	[[ "$output" == *--pid-file* ]]
	[[ "$output" == *--preserve-fds* ]]
	[[ "$output" == *--no-pivot* ]]
	run -0 "$NOOK" exec --help
	[[ "$output" == *--cwd* ]]
	[[ "$output" == *--process* ]]
}

@test "unknown command is a usage error" {
	run nook no-such-command
	expect_usage_error
}

@test "unknown global flag is a usage error" {
	run "$NOOK" --root "$ROOT" --no-such-flag list
	expect_usage_error
}

@test "unknown command flag is a usage error" {
	run nook create --no-such-flag "$ID"
	expect_usage_error
	[ ! -e "$ROOT/$ID" ]
}

@test "missing container id is a usage error" {
	local c
	for c in create start state delete kill; do
		run nook "$c"
		expect_usage_error
	done
}

@test "usage errors exit 2 with a message on stderr, not stdout" {
	nook_only "exit 2 for usage errors (runc exits 1 or 3)"
	run --separate-stderr nook create --no-such-flag "$ID"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ -n "$stderr" ]
}

@test "--root decides where state lives" {
	cfg '.process.args = ["sleep", "100"]'
	create_ctr "$ID"
	[ -d "$ROOT/$ID" ]
	run -0 nook list -q
	[ "$output" = "$ID" ]
	# Another root does not see it.
	run -0 "$NOOK" --root "$BATS_TEST_TMPDIR/other-root" list -q
	[ -z "$output" ]
}

# ------------------------------------------------------------------ spec

@test "spec writes a valid default config.json in the current directory" {
	local d=$BATS_TEST_TMPDIR/specdir
	mkdir "$d"
	cd "$d"
	run -0 "$NOOK" spec
	[ -f config.json ]
	run -0 jq -e '
		(.ociVersion | startswith("1."))
		and .process.args == ["sh"]
		and .process.terminal == true
		and .process.cwd == "/"
		and .root.path == "rootfs"
		and (.mounts | map(.destination) | index("/proc") != null)
		and (.mounts | map(.destination) | index("/dev") != null)
		and (.linux.namespaces | map(.type) | (index("pid") != null and index("mount") != null))
		and (.linux.maskedPaths | length > 0)
		and (.linux.readonlyPaths | length > 0)' config.json
}

@test "spec -b DIR writes DIR/config.json" {
	local d=$BATS_TEST_TMPDIR/specb
	mkdir "$d"
	run -0 "$NOOK" spec -b "$d"
	run -0 jq -e .ociVersion "$d/config.json"
	run -0 "$NOOK" spec --bundle "$BATS_TEST_TMPDIR"
	[ -f "$BATS_TEST_TMPDIR/config.json" ]
}

@test "spec refuses to overwrite an existing config.json" {
	echo '{"keep":1}' >"$BATS_TEST_TMPDIR/config.json"
	run ! "$NOOK" spec -b "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	run -0 jq -e '.keep == 1' "$BATS_TEST_TMPDIR/config.json"
}

@test "spec --rootless adds a user namespace with id mappings" {
	local d=$BATS_TEST_TMPDIR/rootless
	mkdir "$d"
	run -0 "$NOOK" spec --rootless -b "$d"
	run -0 jq -e '
		(.linux.namespaces | map(.type) | index("user") != null)
		and (.linux.uidMappings | length > 0)
		and (.linux.gidMappings | length > 0)
		and (.linux.uidMappings[0].size >= 1)' "$d/config.json"
}

@test "spec output runs sh: nook spec && nook run, commands from stdin" {
	local d=$BATS_TEST_TMPDIR/specrun
	mkdir "$d"
	"$TESTS_DIR/lib/mkrootfs.sh" "$d/rootfs"
	cd "$d"
	run -0 "$NOOK" spec
	# The default is an interactive terminal; tests have none.
	cfg_file config.json '.process.terminal = false'
	run -0 nook run "$ID" <<<'echo from-sh; cat /proc/1/cmdline; echo'
	[[ "$output" == *from-sh* ]]
	[[ "$output" == *sh* ]]
}

# ------------------------------------------------------------------ features

@test "features prints JSON with the OCI features keys" {
	run -0 "$NOOK" features
	echo "$output" | jq -e '
		(.ociVersionMin | startswith("1."))
		and (.ociVersionMax | startswith("1."))
		and (.hooks | type == "array")
		and (.mountOptions | type == "array")
		and (.linux.namespaces | type == "array")
		and (.linux.capabilities | type == "array")
		and (.linux.cgroup | type == "object")
		and (.linux.seccomp | type == "object")
		and (.annotations | type == "object")'
	echo "$output" | jq -e '
		(.linux.namespaces | index("pid") != null and index("mount") != null and index("user") != null)
		and (.hooks | index("prestart") != null and index("poststop") != null)
		and (.mountOptions | index("ro") != null and index("rbind") != null)'
}

@test "features lists exactly what nook supports" {
	nook_only "features content details"
	run -0 "$NOOK" features
	echo "$output" | jq -e '
		(.hooks | sort) == (["createContainer","createRuntime","poststart","poststop","prestart","startContainer"])
		and ((.linux.namespaces | sort) == (["cgroup","ipc","mount","network","pid","time","user","uts"]))
		and ([ "bind","rbind","ro","rw","nosuid","nodev","noexec","relatime","strictatime",
		       "shared","rshared","slave","rslave","private","rprivate","unbindable","runbindable" ]
		     - .mountOptions == [])
		and (.linux.capabilities | index("CAP_SYS_ADMIN") != null)
		and (.linux.cgroup.v2 == true)
		and (.linux.seccomp.enabled | type == "boolean")
		and (.ociVersionMin == "1.0.0")'
}

# ------------------------------------------------------------------ logging

@test "--log with --debug writes the log file" {
	local log=$BATS_TEST_TMPDIR/nook.log
	cfg '.process.args = ["echo", "logged"]'
	run -0 "$NOOK" --root "$ROOT" --log "$log" --debug run -b "$BUNDLE" "$ID"
	[[ "$output" == *logged* ]]
	[ -s "$log" ]
}

@test "--log-format json writes one JSON object per line" {
	local log=$BATS_TEST_TMPDIR/nook.json
	cfg '.process.args = ["true"]'
	run -0 "$NOOK" --root "$ROOT" --log "$log" --log-format json --debug run -b "$BUNDLE" "$ID"
	[ -s "$log" ]
	local line
	while IFS= read -r line; do
		echo "$line" | jq -e 'type == "object" and has("msg") and has("level")' >/dev/null || {
			echo "not a JSON log line: $line" >&2
			return 1
		}
	done <"$log"
}

@test "errors go to the --log file" {
	local log=$BATS_TEST_TMPDIR/err.log
	run ! "$NOOK" --root "$ROOT" --log "$log" --log-format json state no-such-container
	[ "$status" -eq 1 ]
	[ -s "$log" ]
	jq -e 'select(.level == "error")' "$log" >/dev/null
}

@test "--log-format rejects an unknown format" {
	run "$NOOK" --root "$ROOT" --log-format yaml list
	[ "$status" -ne 0 ]
}

# ------------------------------------------------------------------ errors

@test "an error is one line naming the container, exit 1" {
	nook_only "error line format"
	run --separate-stderr nook state no-such-container
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "nook: no-such-container: "* ]]
}
