# The checks podman and Docker share (their CLIs agree on these); the .bats
# files define `t` (the tool, with nook as its runtime) and call these.
# Each check starts its containers under the name $c and removes them.

c=it-$BATS_TEST_NUMBER

cleanup_containers() {
    tmux -S "$W/tmux.sock" kill-server 2>/dev/null || true
    t rm -f "$c" >/dev/null 2>&1 || true
}

inspect() { t inspect --format "$1" "$2"; }
logs_have() { t logs "$1" 2>&1 | grep -q "$2"; }
status_is() { [ "$(inspect '{{.State.Status}}' "$1")" = "$2" ]; }

check_run_exit_code() {
    run t run --rm "$IMG" sh -c 'echo hello; exit 42'
    expect_status 42
    expect_output_has hello
}

# A command that is not there fails the runtime's create; the tool shows
# the runtime's own error (read from its log) and exits 127, as a shell.
check_run_not_found() {
    run -127 t run --rm "$IMG" no-such-command
    expect_output_has no-such-command
    expect_output_has "executable file not found"
}

check_run_detached_ps() {
    t run -d --name "$c" "$IMG" sleep 1000
    run t ps --format '{{.Names}} {{.Status}}'
    expect_status 0
    expect_output_has "$c Up"
}

check_exec() {
    t run -d --name "$c" "$IMG" sleep 1000
    run t exec "$c" cat /proc/1/cmdline
    expect_status 0
    expect_output_has sleep
    run t exec "$c" sh -c 'exit 5'
    expect_status 5
}

check_exec_tty() {
    t run -d --name "$c" "$IMG" sleep 1000
    run with_tty "$T_CMD exec -it $c sh -c 'tty; echo cols=\$(stty size)'"
    expect_status 0
    expect_output_has /dev/pts/
    expect_output_has cols=
}

check_logs() {
    t run --name "$c" "$IMG" sh -c 'echo to-stdout; echo to-stderr >&2'
    run t logs "$c"
    expect_status 0
    expect_output_has to-stdout
    expect_output_has to-stderr
}

# stop sends SIGTERM: a process that handles it exits on its own, with its
# own status.
check_stop_term() {
    t run -d --name "$c" "$IMG" sh -c 'trap "exit 11" TERM; echo ready; while :; do sleep 0.1; done'
    wait_for logs_have "$c" ready
    t stop -t 30 "$c"
    [ "$(inspect '{{.State.ExitCode}}' "$c")" = 11 ]
}

# ...and SIGKILL after the timeout: sleep as pid 1 ignores SIGTERM.
check_stop_kill() {
    t run -d --name "$c" "$IMG" sleep 1000
    t stop -t 1 "$c"
    [ "$(inspect '{{.State.Status}}' "$c")" = exited ]
    [ "$(inspect '{{.State.ExitCode}}' "$c")" = 137 ]
}

check_kill() {
    t run -d --name "$c" "$IMG" sh -c 'trap "echo got-usr1; exit 3" USR1; echo ready; while :; do sleep 0.1; done'
    wait_for logs_have "$c" ready
    t kill -s USR1 "$c"
    wait_for status_is "$c" exited
    [ "$(inspect '{{.State.ExitCode}}' "$c")" = 3 ]
    run t logs "$c"
    expect_output_has got-usr1
}

check_pause_unpause() {
    t run -d --name "$c" "$IMG" sleep 1000
    t pause "$c"
    [ "$(inspect '{{.State.Status}}' "$c")" = paused ]
    t unpause "$c"
    [ "$(inspect '{{.State.Status}}' "$c")" = running ]
    run t exec "$c" true
    expect_status 0
}

# stats read the container's own cgroup: one process (sleep), a few MiB
# (an inherited cgroup shows the host's processes and gigabytes). One
# process once it has settled: runc's start returns before its init's
# execve, whose threads count for a moment.
stats_show_one_process() {
    output=$(t stats --no-stream --format '{{.PIDs}} {{.MemUsage}}' "$c") && [ "${output%% *}" = 1 ]
}
check_stats() {
    t run -d --name "$c" "$IMG" sleep 1000
    wait_for stats_show_one_process || { echo "stats: PIDs never 1: $output"; return 1; }
    read -r _ mem _ <<<"$output"
    case "$mem" in *KiB | *kB | *B) ;; *MiB | *MB) [ "${mem%%[.M]*}" -lt 64 ] ;; *) echo "stats: memory $mem"; return 1 ;; esac
}

check_top() {
    t run -d --name "$c" "$IMG" sleep 1000
    run t top "$c"
    expect_status 0
    expect_output_has "sleep 1000"
}

check_restart() {
    t run -d --name "$c" "$IMG" sleep 1000
    pid1=$(inspect '{{.State.Pid}}' "$c")
    t restart -t 1 "$c"
    [ "$(inspect '{{.State.Status}}' "$c")" = running ]
    pid2=$(inspect '{{.State.Pid}}' "$c")
    [ "$pid1" != "$pid2" ]
    run t exec "$c" true
    expect_status 0
}

check_rm() {
    t run -d --name "$c" "$IMG" sleep 1000
    pid=$(inspect '{{.State.Pid}}' "$c")
    t rm -f "$c"
    run t ps -a --format '{{.Names}}'
    [[ "$output" != *"$c"* ]]
    ! kill -0 "$pid" 2>/dev/null
}

check_interactive_shell() {
    tmux_shell "$c" "$T_RUN -it --rm --name $c $IMG sh; echo exit-status=\$? >$W/$c.rc; sleep 1000"
    tmux_send "$c" 'echo $((6 * 7))x'
    tmux_wait "$c" 42x
    tmux_send "$c" 'exit 7'
    wait_for test -s "$W/$c.rc"
    tmux -S "$W/tmux.sock" kill-session -t "$c"
    [ "$(cat "$W/$c.rc")" = exit-status=7 ]
}

# `tail /dev/zero` buffers one endless line and grows until the kernel's
# OOM killer, bound by the container's memory limit, kills it; the shell
# stays and says so.
check_memory_oom() {
    run t run --rm --memory 32m --memory-swap 32m "$IMG" sh -c 'tail /dev/zero; echo tail-status=$?'
    expect_status 0
    expect_output_has tail-status=137
}

# Docker also reports the OOM kill (from containerd's OOM event).
check_memory_oom_reported() {
    run t run --name "$c" --memory 32m --memory-swap 32m "$IMG" tail /dev/zero
    expect_status 137
    [ "$(inspect '{{.State.OOMKilled}}' "$c")" = true ]
}

check_read_only() {
    run t run --rm --read-only "$IMG" sh -c 'touch /x'
    [ "$status" -ne 0 ]
    expect_output_has "Read-only file system"
}

check_user() {
    run t run --rm -u 1000 "$IMG" id -u
    expect_status 0
    [ "$output" = 1000 ]
}

check_env_workdir() {
    run t run --rm -e FOO=bar -w /home/user "$IMG" sh -c 'echo "$FOO $PWD"'
    expect_status 0
    [ "$output" = "bar /home/user" ]
}

check_bind_volume() {
    mkdir -p "$W/vol-$c"
    echo from-host >"$W/vol-$c/in"
    run t run --rm -v "$W/vol-$c:/data" "$IMG" sh -c 'cat /data/in; echo from-container >/data/out'
    expect_status 0
    expect_output_has from-host
    [ "$(cat "$W/vol-$c/out")" = from-container ]
}

check_network_none() {
    run t run --rm --network none "$IMG" sh -c 'ls /sys/class/net'
    expect_status 0
    [ "$output" = lo ]
}

# The tool's default network: an eth0 with an address, and the bridge on
# the other side answers a ping.
check_default_network() {
    run t run --rm "$IMG" sh -c 'ip -o -4 addr show eth0 && ping -c 1 -W 5 $(ip route | awk "/^default/ { print \$3 }")'
    expect_status 0
    expect_output_has "inet "
    expect_output_has "1 packets received"
}

check_run_rm_repeated() {
    local i
    for ((i = 0; i < INTEG_REPEAT; i++)); do
        t run --rm "$IMG" true || { echo "run $i failed"; return 1; }
    done
    run t ps -aq
    [ -z "$output" ] || { echo "left behind: $output"; return 1; }
}

# Issue 7's limits, as the kernel sees them in the container's cgroup (one
# container with all three: a container start costs seconds in the VM).
check_limits() {
    t run -d --name "$c" --memory 64m --cpus 0.5 --pids-limit 20 "$IMG" sleep 1000
    pid=$(inspect '{{.State.Pid}}' "$c")
    expect_limits "$pid" 20
}
