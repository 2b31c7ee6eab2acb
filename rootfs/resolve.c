/* Opening and creating paths inside the container root without letting the
 * image's symlinks lead out of it. openat2(RESOLVE_IN_ROOT) (Linux 5.6)
 * resolves absolute symlinks and ".." as if the root fd were "/"; the result
 * is an O_PATH fd that mount(2) reaches through "/proc/self/fd/<n>", the way
 * runc and crun mount onto a path they resolved safely. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* How often to retry when openat2 reports EAGAIN: RESOLVE_IN_ROOT gives up
 * when a rename races with a ".." lookup; nothing else runs in the root yet,
 * so a few tries are plenty. */
#define OPENAT2_TRIES 16

static int openat2_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .mode = (flags & O_CREAT) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    for (int i = 0; i < OPENAT2_TRIES; i++) {
        long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
        if (fd >= 0)
            return (int)fd;
        if (errno != EAGAIN && errno != EINTR)
            return -1;
    }
    return -1;
}

int rootfs_open_in_root(int rootfd, const char *path, int flags)
{
    return openat2_in_root(rootfd, path, flags | O_PATH, 0);
}

/* Like mkdir -p, one component at a time: each prefix is re-resolved in the
 * root, and a missing component is made with mkdirat() in its resolved
 * parent, so a symlinked parent is followed inside the root only. */
int rootfs_mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
    int fd = rootfs_open_in_root(rootfd, path, O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT)
        return fd;

    char *prefix = xmalloc(strlen(path) + 2);
    size_t plen = 0;
    int parent = rootfs_open_in_root(rootfd, "/", O_DIRECTORY);
    const char *p = path;
    while (parent >= 0 && *p) {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0)
            break;
        prefix[plen++] = '/';
        memcpy(prefix + plen, start, n);
        plen += n;
        prefix[plen] = '\0';

        int next = rootfs_open_in_root(rootfd, prefix, O_DIRECTORY);
        if (next < 0 && errno == ENOENT) {
            char *name = xmalloc(n + 1);
            memcpy(name, start, n);
            name[n] = '\0';
            int rc = mkdirat(parent, name, mode);
            free(name);
            if (rc < 0 && errno != EEXIST)
                next = -1;
            else
                next = rootfs_open_in_root(rootfd, prefix, O_DIRECTORY);
        }
        int saved = errno;
        close(parent);
        errno = saved;
        parent = next;
    }
    free(prefix);
    return parent;
}

int rootfs_mkfile_in_root(int rootfd, const char *path, mode_t mode)
{
    int fd = rootfs_open_in_root(rootfd, path, 0);
    if (fd >= 0 || errno != ENOENT)
        return fd;

    char *clean = rootfs_path_clean(path);
    char *dir = rootfs_path_dirname(clean);
    const char *name = strrchr(clean, '/') + 1;
    int parent = rootfs_mkdir_in_root(rootfd, dir, 0755);
    if (parent >= 0) {
        /* O_EXCL|O_NOFOLLOW: a dangling symlink here is an error rather than
         * something to create through. */
        int f = openat(parent, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC,
                       mode);
        if (f >= 0 || errno == EEXIST) {
            if (f >= 0)
                close(f);
            fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        int saved = errno;
        close(parent);
        errno = saved;
    }
    free(dir);
    free(clean);
    return fd;
}

void rootfs_fd_path(int fd, char buf[ROOTFS_FD_PATH_MAX])
{
    snprintf(buf, ROOTFS_FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

long rootfs_mount_flags_of(int fd)
{
    struct statvfs sv;
    if (fstatvfs(fd, &sv) < 0)
        return -1;
    static const struct {
        unsigned long st, ms;
    } map[] = {
        {ST_RDONLY, MS_RDONLY},     {ST_NOSUID, MS_NOSUID},
        {ST_NODEV, MS_NODEV},       {ST_NOEXEC, MS_NOEXEC},
        {ST_NOATIME, MS_NOATIME},   {ST_NODIRATIME, MS_NODIRATIME},
        {ST_RELATIME, MS_RELATIME},
    };
    long flags = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (sv.f_flag & map[i].st)
            flags |= (long)map[i].ms;
    return flags;
}

int rootfs_remount_flags(int fd, unsigned long set, unsigned long clear,
                         unsigned long *out)
{
    long cur = rootfs_mount_flags_of(fd);
    if (cur < 0)
        return -1;
    unsigned long keep = (unsigned long)cur;
    /* An atime mode given now replaces the current one. */
    if ((set | clear) & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))
        keep &= ~(unsigned long)(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
    keep &= ~clear;
    *out = MS_REMOUNT | MS_BIND | keep |
           (set & ~(unsigned long)(MS_BIND | MS_REC | MS_REMOUNT | ROOTFS_PROPAGATION_FLAGS));
    return 0;
}
