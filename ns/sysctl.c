/* ns/sysctl.c: write linux.sysctl under the container's /proc/sys. */
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

/* The inode number of the root of every procfs instance. */
#define PROC_ROOT_INO 1

/* CVE-2025-52881: by the time sysctls are written the container's /proc
 * holds mounts the config (or a process sharing the mount namespace) put
 * there: a tmpfs, a plain file or another procfs file over
 * /proc/sys/<key> takes the value to a file nothing reads, or to another
 * sysctl (kernel.core_pattern). So the keys are resolved in a private,
 * detached copy of the /proc mount (open_tree OPEN_TREE_CLONE): procfs
 * alone, nothing mounted on or under it, not even the read-only /proc/sys
 * of readonlyPaths. Where the kernel (or valgrind) has no open_tree, the
 * container's /proc itself, where any mount on the way is then refused. */
static int open_procfs_root(struct nook_error *err)
{
    int fd = open_tree(AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                              AT_SYMLINK_NOFOLLOW);
    if (fd < 0 && errno != ENOSYS && errno != EPERM && errno != EINVAL)
        return nook_error_sys(err, "clone the /proc mount");
    if (fd < 0)
        fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open /proc");
    struct statfs fs;
    struct stat st;
    if (fstatfs(fd, &fs) < 0 || fstat(fd, &st) < 0) {
        nook_error_sys(err, "stat /proc");
        close(fd);
        return -1;
    }
    if (fs.f_type != PROC_SUPER_MAGIC || st.st_ino != PROC_ROOT_INO) {
        close(fd);
        return nook_error_set(err, 0, "/proc is not a procfs mount, refusing to write sysctls "
                              "there");
    }
    return fd;
}

/* The mount id of fd, to tell a file of the procfs mount from one mounted
 * over it where openat2 cannot say so. */
static int mount_id_of(int fd, uint64_t *id)
{
    struct statx stx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
        return -1;
    if (!(stx.stx_mask & STATX_MNT_ID)) {
        errno = ENOSYS;
        return -1;
    }
    *id = stx.stx_mnt_id;
    return 0;
}

/* Without openat2 (Linux < 5.6, valgrind): the file opened without
 * following a final symlink must be on the very mount of procfd. */
static int open_beneath_fallback(int procfd, const char *rel)
{
    int fd = openat(procfd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    uint64_t root_id, file_id;
    if (mount_id_of(procfd, &root_id) < 0 || mount_id_of(fd, &file_id) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (root_id != file_id) {
        close(fd);
        errno = EXDEV;
        return -1;
    }
    return fd;
}

/* rel under procfd, for writing, following no symlink and crossing no
 * mount. EXDEV: something is mounted on the way. */
static int open_beneath(int procfd, const char *rel)
{
    struct open_how how = {
        .flags = O_WRONLY | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
                   RESOLVE_NO_XDEV,
    };
    long fd;
    do
        fd = syscall(SYS_openat2, procfd, rel, &how, sizeof how);
    while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    if (fd < 0 && errno == ENOSYS)
        return open_beneath_fallback(procfd, rel);
    return (int)fd;
}

static int write_sysctl_file(int procfd, const char *rel, const char *value,
                             struct nook_error *err)
{
    int fd = open_beneath(procfd, rel);
    if (fd < 0 && errno == EXDEV)
        return nook_error_set(err, EXDEV, "/proc/%s has something mounted over it, refusing "
                              "to write a sysctl there", rel);
    if (fd < 0)
        return nook_error_sys(err, "open /proc/%s", rel);
    struct statfs fs;
    if (fstatfs(fd, &fs) < 0) {
        int e = errno;
        close(fd);
        return nook_error_set(err, e, "statfs /proc/%s", rel);
    }
    if (fs.f_type != PROC_SUPER_MAGIC) {
        close(fd);
        return nook_error_set(err, 0, "/proc/%s is not on procfs, refusing to write a sysctl "
                              "there", rel);
    }
    /* A sysctl takes its value in one write; a short one would be a
     * different value. */
    size_t len = strlen(value);
    ssize_t n;
    do
        n = write(fd, value, len);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != len) {
        int e = n < 0 ? errno : EIO;
        close(fd);
        return nook_error_set(err, e, "write \"%s\" to /proc/%s", value, rel);
    }
    if (close(fd) < 0)
        return nook_error_sys(err, "close /proc/%s", rel);
    return 0;
}

static int apply_one(int procfd, const char *key, const char *value, struct nook_error *err)
{
    char *path = ns_sysctl_path(key);
    if (path == NULL)
        return nook_error_set(err, 0, "linux.sysctl[\"%s\"]: not a valid sysctl name", key);
    char *rel = xasprintf("sys/%s", path);
    free(path);
    int r = write_sysctl_file(procfd, rel, value, err);
    free(rel);
    if (r < 0)
        return nook_error_wrap(err, "linux.sysctl[\"%s\"]", key);
    return 0;
}

int ns_apply_sysctl(const struct spec *spec, struct nook_error *err)
{
    if (spec->sysctl.n == 0)
        return 0;
    int procfd = open_procfs_root(err);
    if (procfd < 0)
        return nook_error_wrap(err, "linux.sysctl");
    int r = 0;
    for (size_t i = 0; r == 0 && i < spec->sysctl.n; i++)
        r = apply_one(procfd, spec->sysctl.v[i].key, spec->sysctl.v[i].value, err);
    close(procfd);
    return r;
}
