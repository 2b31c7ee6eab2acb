#!/bin/bash
# The integration suite: nook under podman, containerd (ctr) and Docker.
#
#   tests/integration/run.sh [podman|ctr|docker]...   (default: all three)
#
# Runs each tool's checks (tests/integration/<tool>.bats, TAP on stdout) with
# $INTEG_RUNTIME as the OCI runtime (default $NOOK, else build/nook), then
# all of them again with the reference runtime $INTEG_REFERENCE (default
# runc; empty: none), so that a check nook fails is shown to be right: it
# passes under runc. Both runs share the daemons and images; the reference
# run's checks are named "<tool> (runc): ...". Installs podman, containerd
# and docker.io when missing, without letting the packages start their
# daemons.
#
# Nothing here touches the host's state: everything runs in a private network
# and mount namespace (unshare), so bridges, iptables rules, net sysctls and
# mounts the tools make vanish with it; /run is a private tmpfs there; the
# daemons get private sockets, roots and configs under one temp dir and are
# stopped by pid; the containers' cgroups live under one parent of our own,
# /nook-it-<pid>, removed at the end.
#
# INTEG_REPEAT sets the count of the "run --rm" loop (default 50) and
# INTEG_FILTER (a bats -f regex) picks checks: the cgroup v2 VM run uses a
# subset and fewer rounds, since a container start costs seconds under TCG.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
worktree=$(cd "$here/../.." && pwd)
tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(podman ctr docker)

# abs_runtime NAME-OR-PATH: its absolute path (a name is looked up in PATH,
# a relative path taken from the work tree).
abs_runtime() {
    case "$1" in
    /*) echo "$1" ;;
    */*) echo "$worktree/$1" ;;
    *) command -v "$1" || echo "$worktree/$1" ;;
    esac
}
runtime=$(abs_runtime "${INTEG_RUNTIME:-${NOOK:-$worktree/build/nook}}")
[ -x "$runtime" ] || { echo "integration: runtime $runtime not found" >&2; exit 125; }

# --- packages -------------------------------------------------------------
# Debian's docker.io and containerd start their services from postinst; a
# policy-rc.d that refuses (exit 101) stops that. One that is already there
# is left as it is; ours is removed afterwards.
install_missing() {
    local missing=() p policy=/usr/sbin/policy-rc.d ours=0
    # By the commands, not dpkg's database: the test VM sees the host's
    # programs but not its /var/lib/dpkg.
    local need=(podman:podman containerd:containerd ctr:containerd dockerd:docker.io
                /usr/bin/docker:docker.io /bin/busybox:busybox-static jq:jq tmux:tmux ip:iproute2
                unshare:util-linux script:bsdutils)
    for p in "${need[@]}"; do
        command -v "${p%%:*}" >/dev/null || [[ " ${missing[*]} " == *" ${p#*:} "* ]] || missing+=("${p#*:}")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    echo "integration: installing ${missing[*]}" >&2
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        ours=1
    fi
    local rc=0
    { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
          --no-install-recommends "${missing[@]}" >&2; } || rc=$?
    [ "$ours" = 0 ] || rm -f "$policy"
    return $rc
}
install_missing

# runc comes with containerd (Debian's containerd depends on it).
reference=${INTEG_REFERENCE-runc}
if [ -n "$reference" ]; then
    reference=$(abs_runtime "$reference")
    [ -x "$reference" ] || { echo "integration: reference runtime $reference not found" >&2; exit 125; }
    [ "$reference" != "$runtime" ] || reference=
fi

# --- the work dir, images, configs ----------------------------------------
W=$(mktemp -d /tmp/nook-it.XXXXXX)
export INTEG_W=$W INTEG_RUNTIME=$runtime INTEG_REFERENCE=$reference
export INTEG_CGROUP_PARENT=/nook-it-$$
export INTEG_REPEAT=${INTEG_REPEAT:-50}
cleanup() {
    # What the tools left under our cgroup parent, deepest first: processes
    # that outlived the run (a conmon whose container was not removed) are
    # killed; cgroup dirs are removed with rmdir. conmon also makes plain
    # directories (with a "tasks" file) under /sys/fs/cgroup/<name> for v1
    # controllers the host does not mount; on that tmpfs, rm -r is the way.
    local d p
    # containerd's shims and podman's conmon outlive their daemons by design;
    # any still running name our private work dir in their arguments.
    for p in $(pgrep -f -- "$W/" 2>/dev/null); do
        [ "$p" != $$ ] && kill -9 "$p" 2>/dev/null || true
    done
    for d in $(find /sys/fs/cgroup -depth -type d -path "*$INTEG_CGROUP_PARENT*" 2>/dev/null); do
        if [ "$(stat -f -c %T "$d")" = tmpfs ]; then
            rm -rf "$d"
            continue
        fi
        for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        retry_rmdir "$d"
    done
    rm -rf "$W"
}
retry_rmdir() {
    for _ in $(seq 50); do rmdir "$1" 2>/dev/null && return 0; [ -d "$1" ] || return 0; sleep 0.1; done
    echo "integration: could not remove cgroup $1" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/mkimages.sh" "$W" >&2
echo "integration: images built after ${SECONDS}s" >&2

# A check that hangs fails alone instead of stalling the whole run (the
# bound is far above what any check takes on a loaded host: 50 podman runs
# took over 120 s there). Each
# result line says how long its check took (--timing), to show what is slow;
# nothing asserts on it.
export BATS_TEST_TIMEOUT=${INTEG_TEST_TIMEOUT:-900}
status=0
files=()
for t in "${tools[@]}"; do files+=("$here/$t.bats"); done
unshare --net --mount --propagation private --fork \
    "$here/private-ns.sh" bats --tap --timing ${INTEG_FILTER:+-f "$INTEG_FILTER"} "${files[@]}" || status=$?
exit $status
