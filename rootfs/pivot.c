/* rootfs_pivot: make the assembled root "/" of the container, then apply the
 * path-level restrictions that must be seen from inside it. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

/* pivot_root(".", ".") stacks the old root on top of the new one at "/"
 * (no put_old directory needed, so a read-only root works); detaching it
 * then leaves the new root alone. As runc and crun do. */
static int pivot_into(const char *root, struct nook_error *err)
{
    int rc = -1;
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0)
        return nook_error_sys(err, "open /");
    int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (newroot < 0) {
        nook_error_sys(err, "open root %s", root);
        goto out;
    }
    if (fchdir(newroot) < 0) {
        nook_error_sys(err, "chdir to root %s", root);
        goto out;
    }
    if (syscall(SYS_pivot_root, ".", ".") < 0) {
        nook_error_sys(err, "pivot_root to %s", root);
        goto out;
    }
    if (fchdir(oldroot) < 0) {
        nook_error_sys(err, "chdir to the old root");
        goto out;
    }
    /* Slave first, so detaching the old root's mounts does not propagate
     * back to the host even where "/" was shared. */
    if (rootfs_mount_change(NULL, ".", MS_SLAVE | MS_REC) < 0) {
        nook_error_sys(err, "make the old root a slave");
        goto out;
    }
    if (umount2(".", MNT_DETACH) < 0) {
        nook_error_sys(err, "detach the old root");
        goto out;
    }
    if (chdir("/") < 0) {
        nook_error_sys(err, "chdir to /");
        goto out;
    }
    rc = 0;
out:
    if (newroot >= 0)
        close(newroot);
    close(oldroot);
    return rc;
}

/* Without pivot_root the host's mounts stay in the container's mount
 * namespace, under the chroot. A whole procfs or sysfs among them is what
 * lets a process that makes a user namespace mount a fresh procfs of its own
 * ("mount -t proc" needs one fully visible): a bare /proc with the host's
 * sysrq-trigger and friends. Detach them (slave first, so the host keeps its
 * own), or cover them where that is refused, as runc does. */
static int hide_host_kernel_fs(const char *root, struct nook_error *err)
{
    struct spec_strv found;
    if (rootfs_mountinfo_full_kernel_fs(root, &found, err) < 0)
        return -1;
    int rc = 0;
    /* Deepest (latest) first: a parent detached first takes its children. */
    for (size_t i = found.n; rc == 0 && i-- > 0;) {
        const char *p = found.v[i];
        if (rootfs_mount_change(NULL, p, MS_SLAVE | MS_REC) < 0 && errno != EINVAL &&
            errno != ENOENT)
            rc = nook_error_sys(err, "--no-pivot: make %s a slave", p);
        else if (umount2(p, MNT_DETACH) < 0 && errno != ENOENT && errno != EINVAL) {
            if (mount("tmpfs", p, "tmpfs", MS_RDONLY, NULL) < 0)
                rc = nook_error_sys(err, "--no-pivot: hide the host's %s", p);
        }
    }
    for (size_t i = 0; i < found.n; i++)
        free(found.v[i]);
    free(found.v);
    return rc;
}

/* --no-pivot (e.g. a root on a ramfs, where pivot_root fails): move the root
 * over "/" and chroot into it. The old root stays reachable to a process
 * that can escape a chroot, which is why it is not the default. */
static int hide_host_kernel_fs(const char *root, struct nook_error *err);

static int move_root(const char *root, struct nook_error *err)
{
    if (hide_host_kernel_fs(root, err) < 0)
        return -1;
    if (chdir(root) < 0)
        return nook_error_sys(err, "chdir to root %s", root);
    if (rootfs_mount_change(root, "/", MS_MOVE) < 0)
        return nook_error_sys(err, "move root %s to /", root);
    if (chroot(".") < 0)
        return nook_error_sys(err, "chroot to %s", root);
    if (chdir("/") < 0)
        return nook_error_sys(err, "chdir to /");
    return 0;
}

/* Sharing nook's mount namespace: a chroot, as runc does there (a
 * pivot_root would change the root of every process of the namespace). */
static int chroot_into(const char *root, struct nook_error *err)
{
    if (chdir(root) < 0)
        return nook_error_sys(err, "chdir to root %s", root);
    if (chroot(".") < 0)
        return nook_error_sys(err, "chroot to %s", root);
    if (chdir("/") < 0)
        return nook_error_sys(err, "chdir to /");
    return 0;
}

int rootfs_pivot(const struct spec *spec, const struct rootfs_plan *plan,
                 const struct rootfs_opts *o, struct nook_error *err)
{
    if (o->shared_mntns)
        return chroot_into(plan->mountpoint, err);
    NOOK_TRACE("%s into %s", o->no_pivot ? "move root (--no-pivot)" : "pivot_root", plan->mountpoint);
    if ((o->no_pivot ? move_root : pivot_into)(plan->mountpoint, err) < 0)
        return -1;
    if (rootfs_apply_readonly_paths(spec, err) < 0)
        return -1;
    if (rootfs_apply_masked_paths(spec, err) < 0)
        return -1;
    if (spec->root.readonly && rootfs_remount_root_readonly(err) < 0)
        return -1;
    if (spec->rootfs_propagation && rootfs_mount_change(NULL, "/", spec->rootfs_propagation) < 0)
        return nook_error_sys(err, "linux.rootfsPropagation: set propagation of /");
    if (chdir("/") < 0)
        return nook_error_sys(err, "chdir to /");
    return 0;
}
