#!/usr/bin/env bats
# nook under Docker: tests/integration/private-ns.sh starts dockerd on a
# private socket ($DOCKER_HOST) with the runtime under test and the
# reference runtime added (daemon.json "runtimes"); each container names its
# runtime with --runtime, and /usr/bin/docker (Debian's client, matching the
# daemon) talks to it.

load lib

TOOL=docker$tag
load dockerlike

export DOCKER_HOST=$INTEG_DOCKER_HOST DOCKER_CONFIG=$W/docker-client
T_CMD=/usr/bin/docker
T_RUN="$T_CMD run --runtime $INTEG_DOCKER_RUNTIME"
t() {
    case "$1" in
    run | create) /usr/bin/docker "$1" --runtime "$INTEG_DOCKER_RUNTIME" "${@:2}" ;;
    *) /usr/bin/docker "$@" ;;
    esac
}

setup_file() {
    /usr/bin/docker import "$W/rootfs.tar" "$IMG" >/dev/null
}

teardown() {
    cleanup_containers
}

@test "$TOOL: the runtime dockerd runs" {
    run -0 t info --format "{{(index .Runtimes \"$INTEG_DOCKER_RUNTIME\").Path}}"
    [ "$output" = "$R" ]
}

@test "$TOOL: run: exit code" {
    check_run_exit_code
}

@test "$TOOL: run: command not found" {
    check_run_not_found
    # containerd's shim took it from the runtime's --log-format json log:
    # without an error line there it says only "... exit status 1".
    [[ "$output" != *"exit status"* ]]
}

@test "$TOOL: run -d + ps" {
    check_run_detached_ps
}

@test "$TOOL: exec" {
    check_exec
}

@test "$TOOL: exec -t" {
    check_exec_tty
}

@test "$TOOL: logs" {
    check_logs
}

@test "$TOOL: stop: SIGTERM" {
    check_stop_term
}

@test "$TOOL: stop: SIGKILL after the timeout" {
    check_stop_kill
}

@test "$TOOL: kill" {
    check_kill
}

@test "$TOOL: pause / unpause" {
    check_pause_unpause
}

@test "$TOOL: stats: the container's own usage" {
    check_stats
}

@test "$TOOL: top" {
    check_top
}

@test "$TOOL: restart" {
    check_restart
}

@test "$TOOL: rm" {
    check_rm
}

@test "$TOOL: run -it: interactive shell in tmux" {
    check_interactive_shell
}

@test "$TOOL: --memory: OOM kill" {
    check_memory_oom
    check_memory_oom_reported
}

@test "$TOOL: --read-only" {
    check_read_only
}

@test "$TOOL: -u 1000" {
    check_user
}

@test "$TOOL: env + workdir" {
    check_env_workdir
}

@test "$TOOL: bind volume" {
    check_bind_volume
}

@test "$TOOL: --network none" {
    check_network_none
}

@test "$TOOL: default network" {
    check_default_network
}

@test "$TOOL: run --rm, repeated" {
    check_run_rm_repeated
}

@test "$TOOL: --memory, --cpus, --pids-limit in the container's cgroup" {
    check_limits
}
