# Helpers shared by the tool suites (podman.bats, docker.bats, ctr.bats).
# run.sh and private-ns.sh set INTEG_W (work dir), INTEG_RUNTIME (the OCI
# runtime the checks run under), INTEG_TAG (empty for the runtime under
# test, the reference runtime's name when the suite checks itself),
# INTEG_DOCKER_RUNTIME (dockerd's name for INTEG_RUNTIME),
# INTEG_CGROUP_PARENT and INTEG_REPEAT.
bats_require_minimum_version 1.5.0 # run -N

W=$INTEG_W
R=$INTEG_RUNTIME
# A check's name: "<tool>: <check>", "<tool> (runc): <check>" under the
# reference runtime, so both runs' results tell apart in the total.
tag=${INTEG_TAG:+ ($INTEG_TAG)}
IMG=localhost/bb:latest

# wait_for CMD...: run CMD every 0.1 s until it succeeds. What is awaited
# is a condition, never a duration: the bound, $INTEG_WAIT seconds (default
# 60, far more than any condition needs even in the TCG VM under load), only
# ends a check whose condition never comes.
wait_for() {
    local deadline=$((SECONDS + ${INTEG_WAIT:-60}))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# expect_status N: bats' $status must be N; show the output if not.
expect_status() {
    if [ "$status" -ne "$1" ]; then
        echo "expected exit status $1, got $status; output:"
        echo "$output"
        return 1
    fi
}

# expect_output_has STRING
expect_output_has() {
    if [[ "$output" != *"$1"* ]]; then
        echo "expected \"$1\" in output:"
        echo "$output"
        return 1
    fi
}

# cgroup_file PID CONTROLLER V1FILE V2FILE: the content of PID's cgroup file
# for CONTROLLER as the host sees it: V1FILE in the controller's v1
# hierarchy where the host has one, else V2FILE in the unified hierarchy.
# So a check reads what the kernel enforces, not what the container shows.
cgroup_file() {
    local pid=$1 ctrl=$2 f1=$3 f2=$4 mnt path
    mnt=$(awk -v c="$ctrl" '$9 == "cgroup" { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit } }' /proc/self/mountinfo)
    if [ -n "$mnt" ]; then
        path=$(awk -F: -v c="$ctrl" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' "/proc/$pid/cgroup")
        cat "$mnt$path/$f1"
    else
        mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
        path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
        cat "$mnt$path/$f2"
    fi
}

# expect_limits PID [PIDS-MAX]: PID's cgroup has a 64 MiB memory limit, a
# CPU quota of half a CPU and, when given, PIDS-MAX as pids.max.
expect_limits() {
    local v
    v=$(cgroup_file "$1" memory memory.limit_in_bytes memory.max)
    [ "$v" = 67108864 ] || { echo "memory limit $v, want 67108864"; return 1; }
    v=$(cgroup_file "$1" cpu cpu.cfs_quota_us cpu.max)
    [ "$v" = 50000 ] || [ "$v" = "50000 100000" ] || { echo "CPU quota $v, want 50000"; return 1; }
    [ -z "${2:-}" ] || v=$(cgroup_file "$1" pids pids.max pids.max)
    [ -z "${2:-}" ] || [ "$v" = "$2" ] || { echo "pids.max $v, want $2"; return 1; }
}

# tmux_shell NAME CMD...: start CMD in a detached tmux session on a private
# socket; tmux_wait NAME TEXT waits until the pane shows TEXT.
tmux_shell() {
    local name=$1
    shift
    tmux -S "$W/tmux.sock" new-session -d -s "$name" -x 120 -y 30 "$*"
}
tmux_send() {
    tmux -S "$W/tmux.sock" send-keys -t "$1" "$2" Enter
}
pane_shows() {
    tmux -S "$W/tmux.sock" capture-pane -p -t "$1" 2>/dev/null | grep -qF -- "$2"
}
tmux_wait() {
    wait_for pane_shows "$1" "$2" && return 0
    echo "tmux pane $1 never showed \"$2\"; it shows:"
    tmux -S "$W/tmux.sock" capture-pane -p -t "$1" 2>/dev/null || true
    return 1
}

# with_tty CMD...: run CMD with a terminal on stdin/stdout (util-linux script).
with_tty() {
    script -qec "$*" /dev/null
}
