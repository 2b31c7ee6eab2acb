/* rootfs_mount: the container's filesystem, built in its new mount namespace
 * before the createContainer hooks: propagation of "/", the root at the plan's
 * mountpoint, the config mounts, /dev. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* pivot_root(2) refuses a new root whose parent mount is shared, which it is
 * when rootfsPropagation asks for "shared"; make that parent private first
 * (runc's rootfsParentMountPrivate). */
static int make_parent_private(const char *mountpoint, struct nook_error *err)
{
    char *parent;
    if (rootfs_mountinfo_containing(mountpoint, &parent, err) < 0)
        return -1;
    int rc = 0;
    if (rootfs_mount_change(NULL, parent, MS_PRIVATE) < 0)
        rc = nook_error_sys(err, "make %s private", parent);
    free(parent);
    return rc;
}

/* Make "/" a slave (by default) so nothing we mount reaches the host, while
 * host mounts still show up, as runc's prepareRoot; or what the config asks. */
static int prepare_propagation(const struct spec *spec, const struct rootfs_plan *plan,
                               struct nook_error *err)
{
    unsigned long prop = spec->rootfs_propagation ? spec->rootfs_propagation
                                                  : (MS_SLAVE | MS_REC);
    /* An unbindable root could not be bind-mounted onto itself below; it
     * becomes unbindable at the end (rootfs_pivot), as crun does. */
    if (prop & MS_UNBINDABLE)
        prop = MS_PRIVATE | MS_REC;
    if (rootfs_mount_change(NULL, "/", prop) < 0)
        return nook_error_sys(err, "set propagation of /");
    if ((prop & MS_SHARED) && make_parent_private(plan->mountpoint, err) < 0)
        return -1;
    return 0;
}

static int mount_root(const struct rootfs_plan *plan, const struct rootfs_opts *o,
                      struct nook_error *err)
{
    NOOK_TRACE("mount root %s on %s%s", plan->root, plan->mountpoint,
               plan->overlay ? " (overlay)" : " (bind)");
    if (plan->overlay)
        return rootfs_mount_overlay(plan, o, err);
    /* A bind of the root onto itself makes it a mount point, which
     * pivot_root needs. */
    if (rootfs_mount_change(plan->root, plan->root, MS_BIND | MS_REC) < 0)
        return nook_error_sys(err, "bind-mount root %s", plan->root);
    return 0;
}

int rootfs_validate_shared_mntns(const struct spec *spec, struct nook_error *err)
{
    if (spec_find_namespace(spec, SPEC_NS_MOUNT))
        return 0;
    static const char need[] = ": needs a mount namespace in linux.namespaces";
    if (spec->masked_paths.n)
        return nook_error_set(err, 0, "linux.maskedPaths%s", need);
    if (spec->readonly_paths.n)
        return nook_error_set(err, 0, "linux.readonlyPaths%s", need);
    if (spec->root.readonly)
        return nook_error_set(err, 0, "root.readonly%s", need);
    if (spec->rootfs_propagation)
        return nook_error_set(err, 0, "linux.rootfsPropagation%s", need);
    if (spec_annotation(spec, ROOTFS_ANNOT_LOWER))
        return nook_error_set(err, 0, "annotations[\"" ROOTFS_ANNOT_LOWER "\"]%s", need);
    return 0;
}

int rootfs_mount(const struct spec *spec, const struct rootfs_plan *plan,
                 const struct rootfs_opts *o, struct nook_error *err)
{
    if (o->shared_mntns)
        return 0;
    if (prepare_propagation(spec, plan, err) < 0)
        return -1;
    if (mount_root(plan, o, err) < 0)
        return -1;
    int rootfd = open(plan->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return nook_error_sys(err, "open root %s", plan->mountpoint);
    int rc = rootfs_mount_config_mounts(spec, plan, rootfd, o, err);
    if (rc == 0)
        rc = rootfs_setup_dev(spec, rootfd, o, err);
    if (rc == 0)
        rc = rootfs_finish_config_mounts(spec, rootfd, err);
    close(rootfd);
    return rc;
}
