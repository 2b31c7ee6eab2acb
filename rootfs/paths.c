/* After the pivot: linux.readonlyPaths, linux.maskedPaths and root.readonly.
 * "/" is the container root by now, so no lookup can leave it; the paths are
 * still opened with openat2(RESOLVE_NO_MAGICLINKS) and mounted on through
 * the fd, because without a pid namespace /proc/<pid>/root magic links in
 * the container's /proc would lead to the host. Missing paths are skipped,
 * as runc does. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The path opened in the container root; 0 with *fd -1 when it is missing. */
static int open_existing(int rootfd, const char *path, int *fd, struct nook_error *err)
{
    *fd = rootfs_open_in_root(rootfd, path, 0);
    if (*fd < 0 && errno != ENOENT)
        return nook_error_sys(err, "open %s", path);
    if (*fd >= 0 && access("/proc/self/fd", F_OK) < 0) {
        nook_error_sys(err, "%s: /proc/self/fd, needed to mount on it safely", path);
        close(*fd);
        *fd = -1;
        return -1;
    }
    return 0;
}

static int readonly_path(int rootfd, const char *path, struct nook_error *err)
{
    int fd;
    if (open_existing(rootfd, path, &fd, err) < 0)
        return -1;
    if (fd < 0)
        return 0;
    char src[ROOTFS_FD_PATH_MAX];
    rootfs_fd_path(fd, src);
    /* The path onto itself: the one fd is source and mount point. */
    int rc = rootfs_bind_onto_fd(src, fd, rootfd, path, true, MS_RDONLY, 0, err);
    close(fd);
    return rc;
}

/* The container's /dev/null, checked to be the null device. Binding
 * "/dev/null" by path would bind whatever is there: an image or a process
 * sharing /dev can make it a symlink to, say, /proc/sys/kernel/core_pattern,
 * and the masked path would become a writable window onto that file instead
 * of a mask (CVE-2025-31133). */
static int open_dev_null(int rootfd, struct nook_error *err)
{
    int fd = rootfs_open_in_root(rootfd, "/dev/null", 0);
    if (fd < 0)
        return nook_error_sys(err, "open /dev/null to mask with");
    struct stat st;
    if (fstat(fd, &st) < 0) {
        nook_error_sys(err, "stat /dev/null");
        close(fd);
        return -1;
    }
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
        close(fd);
        return nook_error_set(err, 0, "/dev/null is not the null device (char 1:3), "
                              "refusing to mask with it");
    }
    return fd;
}

/* A directory gets an empty read-only tmpfs, anything else /dev/null. */
static int mask_path(int rootfd, const char *path, struct nook_error *err)
{
    int fd;
    if (open_existing(rootfd, path, &fd, err) < 0)
        return -1;
    if (fd < 0)
        return 0;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = nook_error_sys(err, "stat %s", path);
    } else if (S_ISDIR(st.st_mode)) {
        char target[ROOTFS_FD_PATH_MAX];
        rootfs_fd_path(fd, target);
        if (mount("tmpfs", target, "tmpfs", MS_RDONLY, NULL) < 0)
            rc = nook_error_sys(err, "mount tmpfs on %s", path);
    } else {
        int null = open_dev_null(rootfd, err);
        if (null < 0) {
            rc = -1;
        } else {
            char src[ROOTFS_FD_PATH_MAX];
            rootfs_fd_path(null, src);
            rc = rootfs_bind_onto(src, rootfd, path, false, 0, 0, err);
            close(null);
        }
    }
    close(fd);
    return rc;
}

static int each_path(const struct spec_strv *paths, const char *json_name,
                     int (*fn)(int, const char *, struct nook_error *), struct nook_error *err)
{
    int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return nook_error_sys(err, "open /");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < paths->n; i++)
        if (fn(rootfd, paths->v[i], err) < 0)
            rc = nook_error_wrap(err, "linux.%s[%zu]", json_name, i);
    close(rootfd);
    return rc;
}

int rootfs_apply_readonly_paths(const struct spec *spec, struct nook_error *err)
{
    return each_path(&spec->readonly_paths, "readonlyPaths", readonly_path, err);
}

int rootfs_apply_masked_paths(const struct spec *spec, struct nook_error *err)
{
    return each_path(&spec->masked_paths, "maskedPaths", mask_path, err);
}

/* Keeps nosuid/nodev/... as they are: only the read-only bit changes. */
int rootfs_remount_root_readonly(struct nook_error *err)
{
    int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return nook_error_sys(err, "open /");
    unsigned long flags;
    int rc = 0;
    if (rootfs_remount_flags(rootfd, MS_RDONLY, 0, &flags) < 0)
        rc = nook_error_sys(err, "root.readonly: read the flags of /");
    else if (rootfs_mount_change(NULL, "/", flags) < 0)
        rc = nook_error_sys(err, "root.readonly: remount / read-only");
    close(rootfd);
    return rc;
}
