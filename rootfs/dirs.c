/* Host-side directories of an overlay root: the mountpoint in the state dir,
 * the workdir next to the upper layer, the volatile tmpfs mountpoint. Made by
 * the parent before the container starts, removed at delete or after a
 * failed create. The mounts themselves live only in the container's mount
 * namespace, so on the host these are plain directories. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_dir(const char *path, mode_t mode, struct nook_error *err)
{
    if (mkdir(path, mode) == 0)
        return 0;
    struct stat st;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    return nook_error_sys(err, "create %s", path);
}

int rootfs_prepare_dirs(const struct rootfs_plan *plan, struct nook_error *err)
{
    if (!plan->overlay)
        return 0;
    if (plan->upper) {
        struct stat st;
        if (stat(plan->upper, &st) < 0)
            return nook_error_sys(err, "root.path: overlay upper layer %s", plan->upper);
        if (!S_ISDIR(st.st_mode))
            return nook_error_set(err, ENOTDIR, "root.path: overlay upper layer %s",
                                  plan->upper);
    }
    if (make_dir(plan->mountpoint, 0755, err) < 0)
        return -1;
    if (plan->work && make_dir(plan->work, 0700, err) < 0)
        return -1;
    if (plan->volatile_dir && make_dir(plan->volatile_dir, 0700, err) < 0)
        return -1;
    return 0;
}

/* rm -r of dirfd/name that never follows a symlink and never leaves the
 * filesystem it started on (dev). */
static int remove_at(int dirfd, const char *name, dev_t dev, const char *top,
                     struct nook_error *err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : nook_error_sys(err, "remove %s: stat %s", top, name);
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT
                   ? nook_error_sys(err, "remove %s: unlink %s", top, name)
                   : 0;
    if (st.st_dev != dev)
        return nook_error_set(err, EXDEV, "remove %s: %s", top, name);

    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES) {
        /* overlayfs leaves work/work with mode 000; without
         * CAP_DAC_OVERRIDE (rootless) the owner must open it up first. It
         * is a directory (checked above, not followed). */
        if (fchmodat(dirfd, name, 0700, 0) < 0)
            return nook_error_sys(err, "remove %s: chmod %s", top, name);
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0)
        return nook_error_sys(err, "remove %s: open %s", top, name);
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return nook_error_sys(err, "remove %s: open %s", top, name);
    }
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = remove_at(fd, e->d_name, dev, top, err);
        errno = 0;
    }
    if (rc == 0 && errno != 0)
        rc = nook_error_sys(err, "remove %s: read %s", top, name);
    closedir(d);
    if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        rc = nook_error_sys(err, "remove %s: rmdir %s", top, name);
    return rc;
}

static int remove_tree(const char *path, struct nook_error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : nook_error_sys(err, "remove %s", path);
    return remove_at(AT_FDCWD, path, st.st_dev, path, err);
}

/* rmdir only: if the overlay were somehow mounted here on the host, rm -r
 * would delete the container's files through it. */
static int remove_empty_dir(const char *path, struct nook_error *err)
{
    if (rmdir(path) < 0 && errno != ENOENT)
        return nook_error_sys(err, "remove %s", path);
    return 0;
}

/* Tries every directory even after a failure; reports the first error. */
int rootfs_cleanup(const struct rootfs_plan *plan, struct nook_error *err)
{
    if (!plan->overlay)
        return 0;
    struct nook_error e2;
    int rc = 0;
    if (plan->work && remove_tree(plan->work, err) < 0)
        rc = -1;
    if (plan->volatile_dir && remove_empty_dir(plan->volatile_dir, rc ? &e2 : err) < 0)
        rc = -1;
    if (remove_empty_dir(plan->mountpoint, rc ? &e2 : err) < 0)
        rc = -1;
    return rc;
}
