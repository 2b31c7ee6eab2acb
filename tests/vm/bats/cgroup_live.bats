#!/usr/bin/env bats
# The C live tests of cgroup/ (tests/unit/test_cgroup_live.c) on a pure
# cgroup v2 hierarchy with every controller: limits, enabling controllers,
# the device filter, freeze, kill, destroy. run-vm-suite.sh builds the binary.

@test "cgroup/ live unit tests pass on pure cgroup v2 with controllers" {
    [ -x "$NOOK_TEST_CGROUP_LIVE" ]
    run "$NOOK_TEST_CGROUP_LIVE"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"controllers \"cpuset cpu io memory hugetlb pids"* ]]
    [[ "$output" != *"limits not tested"* ]]
    [[ "$output" == *", 0 failed"* ]]
}
