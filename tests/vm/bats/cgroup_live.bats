#!/usr/bin/env bats
# The C live tests of cgroup/ (tests/unit/test_cgroup_live.c) in the test VM:
# on pure cgroup v2 with every controller (limits, enabling controllers, the
# device filter, freeze, kill, destroy), and on pure cgroup v1 (the v1
# backend's limits, cpuset filling, freezer, devices list, destroy in every
# hierarchy). run-vm-suite.sh builds the binary.

@test "cgroup/ live unit tests pass on the VM's cgroup host" {
    [ -x "$NOOK_TEST_CGROUP_LIVE" ]
    run "$NOOK_TEST_CGROUP_LIVE"
    echo "$output"
    [ "$status" -eq 0 ]
    if grep -q ' - cgroup2 ' /proc/self/mountinfo; then
        [[ "$output" == *"v2 host"*"controllers \"cpuset cpu io memory hugetlb pids"* ]]
        [[ "$output" != *"limits not tested"* ]]
    else
        [[ "$output" == *"test_cgroup_live: v1 host"* ]]
    fi
    [[ "$output" == *", 0 failed"* ]]
}
