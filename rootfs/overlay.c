/* The overlay root: lowerdir=<layers topmost first>, upperdir=root.path,
 * workdir next to it, mounted at <state_dir>/rootfs in the container's mount
 * namespace. Volatile: upper and work live on a tmpfs mounted at
 * <state_dir>/volatile in the same namespace, so they vanish with it. */
#include "internal.h"

#include <errno.h>
#include <dirent.h>
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

/* One top-level entry of the lower layer, recreated at the same name in
 * the root (mfd): a directory gets an overlay of its own (upper and work in
 * <volatile>/split/<name>), or, when the kernel refuses that too (mounts
 * under it), a read-only recursive bind; a symlink is copied; a file is
 * bound read-only. */
static int split_entry(const char *lower, const char *name, int mfd, int sfd,
                       const struct rootfs_plan *plan, struct nook_error *err)
{
    struct stat st;
    char *src = xasprintf("%s%s%s", lower, strcmp(lower, "/") ? "/" : "", name);
    int rc = 0;
    if (lstat(src, &st) < 0) {
        rc = errno == ENOENT ? 0 : nook_error_sys(err, "stat %s", src);
    } else if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(src, target, sizeof target - 1);
        if (n < 0)
            rc = nook_error_sys(err, "read link %s", src);
        else if ((target[n] = '\0', symlinkat(target, mfd, name) < 0))
            rc = nook_error_sys(err, "copy link %s", src);
    } else if (S_ISDIR(st.st_mode)) {
        if (mkdirat(mfd, name, st.st_mode & 07777) < 0 || mkdirat(sfd, name, 0700) < 0) {
            rc = nook_error_sys(err, "create %s in the root", name);
        } else {
            char *upper = xasprintf("%s/split/%s/u", plan->volatile_dir, name);
            char *work = xasprintf("%s/split/%s/w", plan->volatile_dir, name);
            char *target = xasprintf("%s/%s", plan->mountpoint, name);
            char *data = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s,userxattr", src, upper,
                                   work);
            if (strpbrk(src, ",:\\") || mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 ||
                strlen(data) >= OVERLAY_DATA_MAX ||
                mount("overlay", target, "overlay", 0, data) < 0)
                rc = rootfs_bind_onto(src, mfd, name, true, MS_RDONLY, 0, err);
            free(data);
            free(target);
            free(work);
            free(upper);
        }
    } else if (S_ISREG(st.st_mode)) {
        int fd = openat(mfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0)
            rc = nook_error_sys(err, "create %s in the root", name);
        else {
            close(fd);
            rc = rootfs_bind_onto(src, mfd, name, false, MS_RDONLY, 0, err);
        }
    }
    free(src);
    return rc;
}

/* In a user namespace the kernel refuses a lower layer with mounts under it
 * that the namespace may not uncover (the host's /proc, /dev, ... are locked
 * under its /): "failed to clone lowerpath". Then the root is the volatile
 * tmpfs itself and each top-level entry is recreated on it (split_entry),
 * so writes still land on a tmpfs and vanish. */
static int mount_split_overlay(const struct rootfs_plan *plan, struct nook_error *err)
{
    const char *lower = plan->lowers.v[0];
    if (mount("tmpfs", plan->mountpoint, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
        return nook_error_sys(err, "mount tmpfs on %s", plan->mountpoint);
    char *split = xasprintf("%s/split", plan->volatile_dir);
    int mfd = open(plan->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int sfd = mkdir(split, 0700) == 0 ? open(split, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    int lfd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
    int rc = 0;
    if (mfd < 0 || sfd < 0 || !d) {
        rc = nook_error_sys(err, "split overlay of %s: open %s", lower,
                            mfd < 0 ? plan->mountpoint : sfd < 0 ? split : lower);
    } else {
        struct dirent *de;
        while (rc == 0 && (de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                rc = split_entry(lower, de->d_name, mfd, sfd, plan, err);
    }
    if (d)
        closedir(d);
    else if (lfd >= 0)
        close(lfd);
    if (sfd >= 0)
        close(sfd);
    if (mfd >= 0)
        close(mfd);
    free(split);
    return rc;
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
    if (strlen(data) >= OVERLAY_DATA_MAX)
        rc = nook_error_set(err, 0, "mount overlay on %s: layer paths too long (%zu bytes "
                            "of options, at most %d)", plan->mountpoint, strlen(data),
                            OVERLAY_DATA_MAX - 1);
    else if (mount("overlay", plan->mountpoint, "overlay", 0, data) < 0) {
        if (errno == EINVAL && o->userns && plan->overlay_volatile && plan->lowers.n == 1)
            rc = mount_split_overlay(plan, err);
        else
            rc = nook_error_sys(err, "mount overlay on %s (upper %s, work %s)",
                                plan->mountpoint, upper, work);
    }
    free(data);
    free(upper);
    free(work);
    return rc;
}
