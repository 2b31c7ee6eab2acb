/* The overlay root: lowerdir=<layers topmost first>, upperdir=root.path,
 * workdir next to it, mounted at <state_dir>/rootfs in the container's mount
 * namespace. Volatile: upper and work live on a tmpfs mounted at
 * <state_dir>/volatile in the same namespace, so they vanish with it. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel copies at most one page of mount data. */
#define OVERLAY_DATA_MAX 4096

static int mount_volatile_tmpfs(const char *dir, struct nook_error *err)
{
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
        return nook_error_sys(err, "mount tmpfs on %s", dir);
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s", dir);
    int rc = 0;
    if (mkdirat(fd, "upper", 0755) < 0)
        rc = nook_error_sys(err, "create %s/upper", dir);
    else if (mkdirat(fd, "work", 0700) < 0)
        rc = nook_error_sys(err, "create %s/work", dir);
    close(fd);
    return rc;
}

static char *overlay_data(const struct rootfs_plan *plan, const char *upper, const char *work,
                          bool userns)
{
    size_t len = 1;
    for (size_t i = 0; i < plan->lowers.n; i++)
        len += strlen(plan->lowers.v[i]) + 1;
    char *lower = xmalloc(len);
    lower[0] = '\0';
    for (size_t i = 0; i < plan->lowers.n; i++) {
        if (i)
            strcat(lower, ":");
        strcat(lower, plan->lowers.v[i]);
    }
    /* userxattr: in a user namespace overlayfs may not use trusted.* xattrs. */
    char *data = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s%s", lower, upper, work,
                           userns ? ",userxattr" : "");
    free(lower);
    return data;
}

int rootfs_mount_overlay(const struct rootfs_plan *plan, const struct rootfs_opts *o,
                         struct nook_error *err)
{
    char *upper = NULL, *work = NULL;
    if (plan->overlay_volatile) {
        if (mount_volatile_tmpfs(plan->volatile_dir, err) < 0)
            return -1;
        upper = xasprintf("%s/upper", plan->volatile_dir);
        work = xasprintf("%s/work", plan->volatile_dir);
    } else {
        upper = xstrdup(plan->upper);
        work = xstrdup(plan->work);
    }
    char *data = overlay_data(plan, upper, work, o->userns);
    int rc = 0;
    NOOK_TRACE("mount overlay on %s: data \"%s\"", plan->mountpoint, data);
    if (strlen(data) >= OVERLAY_DATA_MAX)
        rc = nook_error_set(err, 0, "mount overlay on %s: layer paths too long (%zu bytes "
                            "of options, at most %d)", plan->mountpoint, strlen(data),
                            OVERLAY_DATA_MAX - 1);
    else if (mount("overlay", plan->mountpoint, "overlay", 0, data) < 0)
        rc = nook_error_sys(err, "mount overlay on %s (upper %s, work %s)", plan->mountpoint,
                            upper, work);
    free(data);
    free(upper);
    free(work);
    return rc;
}
