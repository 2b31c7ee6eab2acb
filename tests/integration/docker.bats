#!/usr/bin/env bats
# nook under Docker: tests/integration/private-ns.sh starts dockerd on a
# private socket ($DOCKER_HOST) with the runtime under test as its default
# runtime and /usr/bin/docker (Debian's client, matching the daemon) talks to it.

load lib
load dockerlike

export DOCKER_HOST=$INTEG_DOCKER_HOST DOCKER_CONFIG=$W/docker-client
T_CMD=/usr/bin/docker
T_RUN="$T_CMD run"
t() { /usr/bin/docker "$@"; }

setup_file() {
    /usr/bin/docker import "$W/rootfs.tar" "$IMG" >/dev/null
}

teardown() {
    cleanup_containers
}

@test "docker: run: exit code" {
    check_run_exit_code
}

@test "docker: run -d + ps" {
    check_run_detached_ps
}

@test "docker: exec" {
    check_exec
}

@test "docker: exec -t" {
    check_exec_tty
}

@test "docker: logs" {
    check_logs
}

@test "docker: stop: SIGTERM" {
    check_stop_term
}

@test "docker: stop: SIGKILL after the timeout" {
    check_stop_kill
}

@test "docker: kill" {
    check_kill
}

@test "docker: pause / unpause" {
    check_pause_unpause
}

@test "docker: stats: the container's own usage" {
    check_stats
}

@test "docker: top" {
    check_top
}

@test "docker: restart" {
    check_restart
}

@test "docker: rm" {
    check_rm
}

@test "docker: run -it: interactive shell in tmux" {
    check_interactive_shell
}

@test "docker: --memory: OOM kill" {
    check_memory_oom
    check_memory_oom_reported
}

@test "docker: --read-only" {
    check_read_only
}

@test "docker: -u 1000" {
    check_user
}

@test "docker: env + workdir" {
    check_env_workdir
}

@test "docker: bind volume" {
    check_bind_volume
}

@test "docker: --network none" {
    check_network_none
}

@test "docker: default network" {
    check_default_network
}

@test "docker: run --rm, repeated" {
    check_run_rm_repeated
}

@test "docker: --memory limit in the container's cgroup" {
    check_limit_memory
}

@test "docker: --cpus limit in the container's cgroup" {
    check_limit_cpus
}

@test "docker: --pids-limit in the container's cgroup" {
    check_limit_pids
}
