#!/bin/bash
# private-ns.sh CMD...: run.sh's inside, in the private network and mount
# namespace. Writes the tools' private configs into $INTEG_W, starts
# containerd and dockerd on private sockets and roots, runs CMD (the checks)
# under the runtime under test ($INTEG_RUNTIME) and again under the
# reference runtime ($INTEG_REFERENCE, when set), and stops the daemons by
# pid. Exits 1 when either run failed.
set -euo pipefail
W=$INTEG_W
examples=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../docs/examples" && pwd)
# Tools drop files in their working directory (conmon an "oom" marker).
cd "$W"

ip link set lo up
# Whatever the tools put in /run (netns bind mounts, shim sockets, podman's
# and docker's runtime state) lands on a tmpfs that dies with the namespace.
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/netns /run/lock
# Files some of them write outside their configured roots.
for d in /etc/docker /var/lib/containers /var/lib/containerd /var/lib/docker /var/lib/cni; do
    if [ -d "$d" ]; then mount -t tmpfs tmpfs "$d"; fi
done

# podman: private storage, network configs and tmp dir; default_ulimits
# because podman's default nofile (1048576) exceeds this host's hard limit.
# nproc too: podman raises it to the hard limit, which runc then fails to set.
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
[ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
# The runtime under test is podman's runtime as docs/examples/containers.conf
# makes nook podman's (its path replaced; podman.bats shows podman picks it),
# though the checks name their runtime with --runtime.
{
    cat <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[network]
network_config_dir = "$W/podman-networks"
CONF
    sed -e "s|/usr/bin/nook|$INTEG_RUNTIME|" -e '/^\[engine\]$/r /dev/stdin' \
        "$examples/containers.conf" <<CONF
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$W/podman-tmp"
CONF
} >"$W/containers.conf"
cat >"$W/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$W/podman-storage"
runroot = "$W/podman-run"
CONF
export CONTAINERS_CONF=$W/containers.conf CONTAINERS_STORAGE_CONF=$W/storage.conf

# containerd: private root, state and sockets; only the plugins ctr and
# dockerd use (no CRI, no /opt plugin dir).
cat >"$W/containerd.toml" <<CONF
version = 2
root = "$W/containerd-root"
state = "$W/containerd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$W/containerd.sock"
[ttrpc]
  address = "$W/containerd.sock.ttrpc"
[debug]
  address = "$W/containerd-debug.sock"
CONF
export CONTAINERD_ADDRESS=$W/containerd.sock CONTAINERD_NAMESPACE=nook-it

pids=()
stop_daemons() {
    local i
    for (( i=${#pids[@]}-1; i>=0; i-- )); do
        kill "${pids[i]}" 2>/dev/null || continue
        for _ in $(seq 100); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
        kill -9 "${pids[i]}" 2>/dev/null || true
    done
}
trap stop_daemons EXIT

wait_socket() {
    for _ in $(seq 300); do [ -S "$1" ] && return 0; sleep 0.1; done
    echo "private-ns: $2 did not start; its log:" >&2
    tail -20 "$3" >&2
    return 1
}

containerd --config "$W/containerd.toml" >"$W/containerd.log" 2>&1 &
pids+=($!)
wait_socket "$W/containerd.sock" containerd "$W/containerd.log"

# dockerd: private data and exec roots, on our containerd. The runtime
# under test is added as docs/examples/daemon.json adds nook (its path
# replaced), under that name, and made the default as the example's README
# says; the reference runtime is "it-ref". docker.bats picks one per
# container with --runtime.
sed "s|/usr/bin/nook|$INTEG_RUNTIME|" "$examples/daemon.json" |
    jq --arg ref "$INTEG_REFERENCE" --arg parent "$INTEG_CGROUP_PARENT" --arg key "$W/docker-key.json" \
        '. + {"default-runtime": "nook", "cgroup-parent": $parent, "deprecated-key-path": $key,
              "userland-proxy": false}
         | if $ref != "" then .runtimes["it-ref"] = {path: $ref} else . end' >"$W/daemon.json"
dockerd --config-file "$W/daemon.json" -H "unix://$W/docker.sock" \
    --data-root "$W/docker-data" --exec-root "$W/docker-exec" --pidfile "$W/docker.pid" \
    --containerd "$W/containerd.sock" >"$W/dockerd.log" 2>&1 &
pids+=($!)
wait_socket "$W/docker.sock" dockerd "$W/dockerd.log"
echo "integration: containerd and dockerd up after ${SECONDS}s" >&2
# docker.bats points the client at it (podman would read DOCKER_CONFIG too).
export INTEG_DOCKER_HOST=unix://$W/docker.sock

status=0
SECONDS=0
INTEG_TAG= INTEG_DOCKER_RUNTIME=nook "$@" || status=1
echo "integration: checks under $INTEG_RUNTIME took ${SECONDS}s" >&2
if [ -n "$INTEG_REFERENCE" ]; then
    SECONDS=0
    INTEG_RUNTIME=$INTEG_REFERENCE INTEG_TAG=$(basename "$INTEG_REFERENCE") INTEG_DOCKER_RUNTIME=it-ref \
        "$@" || status=1
    echo "integration: checks under $INTEG_REFERENCE took ${SECONDS}s" >&2
fi
exit $status
