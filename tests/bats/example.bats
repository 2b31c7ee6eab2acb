#!/usr/bin/env bats
# config.json.example at the top of the repository is a full, realistic
# config that must run as shipped.

load helpers

setup() { nook_setup; }
teardown() { nook_teardown; }

example_bundle() {
	[ -f "$REPO_DIR/config.json.example" ] || {
		echo "config.json.example is missing from $REPO_DIR" >&2
		return 1
	}
	local b=$BATS_TEST_TMPDIR/example rootpath
	mkdir -p "$b"
	cp "$REPO_DIR/config.json.example" "$b/config.json"
	rootpath=$(jq -r .root.path "$b/config.json")
	"$TESTS_DIR/lib/mkrootfs.sh" "$b/$rootpath"
	EXAMPLE=$b
}

@test "config.json.example runs and prints hello from nook" {
	example_bundle
	run nook run -b "$EXAMPLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hello from nook"* ]]
	assert_nothing_left "$ID" "$EXAMPLE"
}

@test "config.json.example is valid JSON for a Linux runtime" {
	example_bundle
	jq -e '
		(.ociVersion | startswith("1."))
		and (.process.args | length > 0)
		and .process.terminal == false
		and (.linux.namespaces | length > 0)
		and (.mounts | length > 0)' "$EXAMPLE/config.json"
}

@test "config.json.example works with create, start, state and delete" {
	example_bundle
	create_ctr -b "$EXAMPLE" "$ID"
	[ "$(state_field "$ID" status)" = created ]
	run -0 nook start "$ID"
	wait_status "$ID" stopped
	[[ "$(ctr_output "$ID")" == *"hello from nook"* ]]
	run -0 nook delete "$ID"
	assert_nothing_left "$ID" "$EXAMPLE"
}
