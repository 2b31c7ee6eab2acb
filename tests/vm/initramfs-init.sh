#!/bin/busybox sh
# /init of the test VM's initramfs (run-in-vm.sh packs it with busybox and the
# kernel modules it needs). It mounts the host's root (9p, read-only) as the
# new root with tmpfs over the directories tests write to, the work tree
# read-write at its host path, the run directory (command, output, status),
# proc/sys/dev/cgroup2, then switches root and runs vm-init, which runs the
# command and powers off.
# Everything it needs comes from the kernel command line:
#   nookvm.worktree=PATH  the work tree's absolute path on the host
#   nookvm.cgroup=v2|v1   mount the cgroup2 hierarchy, or each v1 controller
/bin/busybox mkdir -p /proc /sys /dev /newroot /bin
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

fail() {
    echo "nook-vm: $*"
    echo o >/proc/sysrq-trigger
    sleep 60
}

for m in $(cat /modules.order); do
    insmod "/modules/$m" || fail "insmod $m"
done

worktree=
cgroup=v2
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    nookvm.worktree=*) worktree=${arg#nookvm.worktree=} ;;
    nookvm.cgroup=*) cgroup=${arg#nookvm.cgroup=} ;;
    esac
done
[ -n "$worktree" ] || fail "no nookvm.worktree= on the kernel command line"

# The 9p devices appear once virtio_pci has probed them; wait briefly.
i=0
while ! grep -q . /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "no 9p device"
    sleep 0.05
done

opts=trans=virtio,version=9p2000.L,msize=512000
# The host root is read-only, so the guest may cache it freely.
mount -t 9p -o ro,$opts,cache=loose hostroot /newroot || fail "mount host root"
for d in tmp run var/tmp var/lib var/log var/cache root mnt home srv; do
    [ -d /newroot/$d ] && { mount -t tmpfs -o mode=0755 tmpfs /newroot/$d || fail "tmpfs $d"; }
done
chmod 1777 /newroot/tmp /newroot/var/tmp
# The work tree and the run directory come after the tmpfs mounts, which may
# hide their mount points (a work tree under /root or /tmp); mkdir only works
# there, on tmpfs.
mkdir -p "/newroot$worktree" 2>/dev/null
mount -t 9p -o $opts,cache=mmap worktree "/newroot$worktree" || fail "mount work tree $worktree"
mkdir -p /newroot/run/nook-vm
mount -t 9p -o $opts,cache=none vmrun /newroot/run/nook-vm || fail "mount run directory"

mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
if [ "$cgroup" = v1 ]; then
    # A v1 host: a tmpfs with one hierarchy per controller set, no cgroup2.
    mount -t tmpfs -o mode=0755 cgroup /newroot/sys/fs/cgroup || fail "tmpfs /sys/fs/cgroup"
    for set in cpu,cpuacct net_cls,net_prio cpuset memory devices freezer blkio pids hugetlb perf_event; do
        first=${set%%,*}
        grep -q "^$first[[:space:]]" /newroot/proc/cgroups || continue
        mkdir -p "/newroot/sys/fs/cgroup/$set"
        mount -t cgroup -o "$set" cgroup "/newroot/sys/fs/cgroup/$set" || fail "mount cgroup $set"
        if [ "$set" != "$first" ]; then
            for c in $(echo "$set" | tr , ' '); do ln -s "$set" "/newroot/sys/fs/cgroup/$c"; done
        fi
    done
    mkdir -p /newroot/sys/fs/cgroup/systemd
    mount -t cgroup -o none,name=systemd cgroup /newroot/sys/fs/cgroup/systemd || fail "mount name=systemd"
else
    mount -t cgroup2 -o nsdelegate cgroup2 /newroot/sys/fs/cgroup || fail "mount cgroup2"
fi
mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/dev/mqueue
mount -t devpts -o newinstance,gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
mount -t mqueue mqueue /newroot/dev/mqueue
# devtmpfs has no /dev/fd and friends; bash process substitution needs them.
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr
ln -sf pts/ptmx /newroot/dev/ptmx 2>/dev/null || true
hostname nook-vm
ip link set lo up 2>/dev/null

exec switch_root /newroot /run/nook-vm/vm-init /run/nook-vm/status /run/nook-vm/cmd.sh
