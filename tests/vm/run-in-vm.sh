#!/bin/bash
# Run a command inside a throwaway qemu VM with a pure cgroup v2 (default) or
# a pure cgroup v1 host.
#
#   tests/vm/run-in-vm.sh [-k v2|v1] [-e VAR=VALUE]... [-t TIMEOUT_SECONDS] CMD [ARG...]
#
# The VM boots the Debian kernel installed on the host (/boot/vmlinuz-*, with
# its /lib/modules) under TCG (KVM guests hang on the CI machine). v2: with
# cgroup_no_v1=all every controller is on the one cgroup2 hierarchy. v1: no
# cgroup2 is mounted; the guest's /init mounts each v1 controller itself
# under a tmpfs at /sys/fs/cgroup (cpu,cpuacct and net_cls,net_prio
# co-mounted, as systemd does), the layout of a RHEL 7 / Ubuntu 20.04 host.
# The guest sees:
#   - the host's / read-only (9p), with tmpfs on /tmp /run /var/lib ...: the
#     host's tools, libraries and bats are all there;
#   - the work tree (this repository) read-write at its host path;
#   - /dev/vda, a small scratch virtio disk (a real block device for io.max).
# CMD runs as root in the host's current directory with PATH, TMPDIR=/tmp,
# NOOK (when set) and every -e variable. Its stdout+stderr are written to a
# file on a shared directory (the serial console mangles output) and printed
# here after the VM powers off; this script exits with CMD's exit status, or
# 124 on timeout, 125 when the VM could not run it.
#
# Environment: NOOK_VM_KERNEL (kernel version, default: newest in /boot with
# modules), NOOK_VM_MEM (MiB, 2048), NOOK_VM_CPUS (2), NOOK_VM_KEEP=1 (keep the
# run directory), NOOK_VM_CONSOLE=1 (print the serial console afterwards).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
worktree=$(cd "$here/../.." && pwd)
timeout_s=1200
envs=()
kind=v2
while [ $# -gt 0 ]; do
    case "$1" in
    -e) envs+=("$2"); shift 2 ;;
    -k) kind=$2; shift 2 ;;
    -t) timeout_s=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "run-in-vm: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: run-in-vm.sh [-k v2|v1] [-e VAR=VALUE]... [-t SECONDS] CMD [ARG...]" >&2; exit 2; }
case "$kind" in v1 | v2) ;; *) echo "run-in-vm: -k takes v1 or v2, not $kind" >&2; exit 2 ;; esac

die() { echo "run-in-vm: $*" >&2; exit 125; }

for tool in qemu-system-x86_64 cpio cc; do
    command -v "$tool" >/dev/null || die "$tool not found (make vm-deps installs qemu and the kernel)"
done
[ -x /bin/busybox ] || die "/bin/busybox not found (apt-get install busybox-static)"

# The kernel: the newest /boot/vmlinuz-* whose modules are installed.
kver=${NOOK_VM_KERNEL:-}
if [ -z "$kver" ]; then
    for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r); do
        if [ -f "/lib/modules/$k/modules.dep" ]; then kver=$k; break; fi
    done
fi
[ -n "$kver" ] && [ -f "/boot/vmlinuz-$kver" ] || die "no /boot/vmlinuz-* with /lib/modules (apt-get install linux-image-amd64)"
moddir=/lib/modules/$kver

run=$(mktemp -d "${TMPDIR:-/tmp}/nook-vm.XXXXXX")
qemu_pid=
cleanup() {
    if [ -n "$qemu_pid" ]; then kill "$qemu_pid" 2>/dev/null || true; fi
    if [ "${NOOK_VM_KEEP:-0}" = 1 ]; then
        echo "run-in-vm: kept $run" >&2
    else
        rm -rf "$run"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the initramfs: busybox, /init, the modules for virtio, 9p and the disk ---
initrd_dir=$run/initramfs
mkdir -p "$initrd_dir/bin" "$initrd_dir/modules" "$initrd_dir/dev"
cp /bin/busybox "$initrd_dir/bin/busybox"
cp "$here/initramfs-init.sh" "$initrd_dir/init"
chmod 755 "$initrd_dir/init"
# The kernel opens /dev/console before /init runs (root can create the node;
# otherwise /init reopens it from devtmpfs).
mknod "$initrd_dir/dev/console" c 5 1 2>/dev/null || true

# Modules in dependency order (depth first over modules.dep); built-in ones
# are simply absent from modules.dep and skipped.
declare -A seen=()
order=()
add_module() {
    local name=$1 line path dep
    line=$(grep -E "(^|/)${name}\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" || true)
    [ -n "$line" ] || return 0
    path=${line%%:*}
    [ -z "${seen[$path]:-}" ] || return 0
    seen[$path]=1
    for dep in ${line#*:}; do
        dep=$(basename "$dep"); dep=${dep%%.ko*}
        add_module "$dep"
    done
    order+=("$path")
}
for m in virtio_pci 9pnet_virtio 9p virtio_blk overlay; do add_module "$m"; done
: >"$initrd_dir/modules.order"
for path in "${order[@]}"; do
    name=$(basename "$path"); name=${name%%.ko*}.ko
    case "$path" in
    *.ko.xz) xz -dc "$moddir/$path" >"$initrd_dir/modules/$name" ;;
    *.ko.zst) zstd -qdc "$moddir/$path" >"$initrd_dir/modules/$name" ;;
    *.ko.gz) gzip -dc "$moddir/$path" >"$initrd_dir/modules/$name" ;;
    *) cp "$moddir/$path" "$initrd_dir/modules/$name" ;;
    esac
    echo "$name" >>"$initrd_dir/modules.order"
done
(cd "$initrd_dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$run/initrd.gz"

# --- the run directory the guest sees at /run/nook-vm ---
share=$run/share
mkdir -p "$share"
cc -O2 -Wall -Wextra -Werror -o "$share/vm-init" "$here/vm-init.c"
{
    echo '#!/bin/bash'
    echo 'exec >/run/nook-vm/output 2>&1'
    printf 'export PATH=%q TMPDIR=/tmp HOME=/root LANG=C.UTF-8\n' "$PATH"
    [ -z "${NOOK:-}" ] || printf 'export NOOK=%q\n' "$NOOK"
    for e in "${envs[@]}"; do printf 'export %q\n' "$e"; done
    printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
    printf 'exec'; printf ' %q' "$@"; echo
} >"$share/cmd.sh"
chmod 755 "$share/cmd.sh"
truncate -s 64M "$run/disk.img"

# --- boot ---
append="console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init"
if [ "$kind" = v2 ]; then
    append+=" cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"
fi
append+=" nookvm.cgroup=$kind"
append+=" mitigations=off tsc=reliable no_timer_check nookvm.worktree=$worktree"
fs_opts="security_model=none,multidevs=remap"
start=$(date +%s.%N)
qemu-system-x86_64 \
    -accel tcg -cpu max -machine pc -nodefaults -no-user-config -display none \
    -m "${NOOK_VM_MEM:-2048}" -smp "${NOOK_VM_CPUS:-2}" -no-reboot \
    -kernel "/boot/vmlinuz-$kver" -initrd "$run/initrd.gz" -append "$append" \
    -serial "file:$run/console.log" -monitor none \
    -fsdev "local,id=hostroot,path=/,readonly=on,$fs_opts" \
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
    -fsdev "local,id=worktree,path=$worktree,$fs_opts" \
    -device virtio-9p-pci,fsdev=worktree,mount_tag=worktree \
    -fsdev "local,id=vmrun,path=$share,$fs_opts" \
    -device virtio-9p-pci,fsdev=vmrun,mount_tag=vmrun \
    -drive "file=$run/disk.img,format=raw,if=virtio,cache=unsafe" \
    </dev/null &
qemu_pid=$!

timed_out=0
deadline=$(( $(date +%s) + timeout_s ))
while kill -0 "$qemu_pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        timed_out=1
        kill "$qemu_pid" 2>/dev/null || true
        break
    fi
    sleep 0.2
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
elapsed=$(echo "$(date +%s.%N) - $start" | bc)

[ ! -f "$share/output" ] || cat "$share/output"
if [ "${NOOK_VM_CONSOLE:-0}" = 1 ]; then
    echo "--- serial console ---" >&2
    cat "$run/console.log" >&2
fi
if [ "$timed_out" = 1 ]; then
    echo "run-in-vm: timed out after ${timeout_s}s (console log follows)" >&2
    tail -n 40 "$run/console.log" >&2
    exit 124
fi
if [ ! -f "$share/status" ]; then
    echo "run-in-vm: the VM did not run the command (console log follows)" >&2
    tail -n 40 "$run/console.log" >&2
    exit 125
fi
printf 'run-in-vm: VM ran for %.1fs (kernel %s)\n' "$elapsed" "$kver" >&2
exit "$(cat "$share/status")"
