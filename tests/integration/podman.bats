#!/usr/bin/env bats
# nook under podman (podman --runtime): tests/integration/run.sh runs this
# in a private network and mount namespace with a private containers.conf and
# storage.conf ($CONTAINERS_CONF, $CONTAINERS_STORAGE_CONF).

load lib

TOOL=podman$tag
load dockerlike

T_CMD="podman --runtime $R"
T_RUN="$T_CMD run --cgroup-parent $INTEG_CGROUP_PARENT"
# rm -t 0: podman's rm -f of a running container is a stop, which waits
# 10 s before its SIGKILL for a pid 1 that ignores SIGTERM (sleep);
# Docker's rm -f kills at once.
t() {
    case "$1" in
    run | create) $T_CMD "$1" --cgroup-parent "$INTEG_CGROUP_PARENT" "${@:2}" ;;
    rm) $T_CMD rm -t 0 "${@:2}" ;;
    *) $T_CMD "$@" ;;
    esac
}

setup_file() {
    podman import "$W/rootfs.tar" "$IMG" >/dev/null
}

teardown() {
    cleanup_containers
}

# private-ns.sh configured the runtime under test as docs/examples/
# containers.conf configures nook: without --runtime podman runs it.
@test "$TOOL: the runtime podman runs" {
    run -0 podman ${INTEG_TAG:+--runtime "$R"} info --format '{{.Host.OCIRuntime.Path}}'
    [ "$output" = "$R" ]
}

@test "$TOOL: run: exit code" {
    check_run_exit_code
}

@test "$TOOL: run: command not found" {
    check_run_not_found
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
