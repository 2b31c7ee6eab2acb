#!/usr/bin/env bats
# nook under podman (podman --runtime): tests/integration/run.sh runs this
# in a private network and mount namespace with a private containers.conf and
# storage.conf ($CONTAINERS_CONF, $CONTAINERS_STORAGE_CONF).

load lib
load dockerlike

T_CMD="podman --runtime $R"
T_RUN="$T_CMD run --cgroup-parent $INTEG_CGROUP_PARENT"
t() {
    case "$1" in
    run | create) podman --runtime "$R" "$1" --cgroup-parent "$INTEG_CGROUP_PARENT" "${@:2}" ;;
    *) podman --runtime "$R" "$@" ;;
    esac
}

setup_file() {
    podman import "$W/rootfs.tar" "$IMG" >/dev/null
}

teardown() {
    cleanup_containers
}

@test "podman: run: exit code" {
    check_run_exit_code
}

@test "podman: run -d + ps" {
    check_run_detached_ps
}

@test "podman: exec" {
    check_exec
}

@test "podman: exec -t" {
    check_exec_tty
}

@test "podman: logs" {
    check_logs
}

@test "podman: stop: SIGTERM" {
    check_stop_term
}

@test "podman: stop: SIGKILL after the timeout" {
    check_stop_kill
}

@test "podman: kill" {
    check_kill
}

@test "podman: pause / unpause" {
    check_pause_unpause
}

@test "podman: stats: the container's own usage" {
    check_stats
}

@test "podman: top" {
    check_top
}

@test "podman: restart" {
    check_restart
}

@test "podman: rm" {
    check_rm
}

@test "podman: run -it: interactive shell in tmux" {
    check_interactive_shell
}

@test "podman: --memory: OOM kill" {
    check_memory_oom
}

@test "podman: --read-only" {
    check_read_only
}

@test "podman: -u 1000" {
    check_user
}

@test "podman: env + workdir" {
    check_env_workdir
}

@test "podman: bind volume" {
    check_bind_volume
}

@test "podman: --network none" {
    check_network_none
}

@test "podman: default network" {
    check_default_network
}

@test "podman: run --rm, repeated" {
    check_run_rm_repeated
}

@test "podman: --memory limit in the container's cgroup" {
    check_limit_memory
}

@test "podman: --cpus limit in the container's cgroup" {
    check_limit_cpus
}

@test "podman: --pids-limit in the container's cgroup" {
    check_limit_pids
}
