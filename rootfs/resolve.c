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
/* As the kernel's limit on nested symlinks. */
#define MAX_SYMLINKS 40

/* The directories walked so far, root first; ".." pops. */
struct walk {
    int *fds;
    size_t n, cap;
};

static void walk_push(struct walk *w, int fd)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 16;
        w->fds = xrealloc(w->fds, w->cap * sizeof *w->fds);
    }
    w->fds[w->n++] = fd;
}

static void walk_pop_to(struct walk *w, size_t n)
{
    while (w->n > n)
        close(w->fds[--w->n]);
}

/* Replace *rest with target + "/" + the part of *rest after pos. */
static void splice_symlink(char **rest, size_t pos, const char *target)
{
    char *joined = xasprintf("%s/%s", target, *rest + pos);
    free(*rest);
    *rest = joined;
}

/* One step of the walk: component name in the current directory. Returns 0
 * to go on, -1 on error (errno set). */
static int walk_component(struct walk *w, const char *name, char **rest, size_t *pos,
                          int *links)
{
    if (strcmp(name, ".") == 0)
        return 0;
    if (strcmp(name, "..") == 0) {
        if (w->n > 1)
            walk_pop_to(w, w->n - 1);
        return 0;
    }
    int fd = openat(w->fds[w->n - 1], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return -1;
    }
    if (!S_ISLNK(st.st_mode)) {
        walk_push(w, fd);
        return 0;
    }
    /* A symlink: read its text (never jump through it, so magic links are
     * just text too) and walk that instead, from the root if absolute. */
    char target[4096];
    ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
    int saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    if (++*links > MAX_SYMLINKS) {
        errno = ELOOP;
        return -1;
    }
    target[n] = '\0';
    if (target[0] == '/')
        walk_pop_to(w, 1);
    splice_symlink(rest, *pos, target);
    *pos = 0;
    return 0;
}

/* The next component of path at *pos (slashes skipped), malloc'd, with
 * *pos moved past it; NULL at the end. */
static char *next_component(const char *path, size_t *pos)
{
    while (path[*pos] == '/')
        (*pos)++;
    if (!path[*pos])
        return NULL;
    size_t len = strcspn(path + *pos, "/");
    char *name = xmalloc(len + 1);
    memcpy(name, path + *pos, len);
    name[len] = '\0';
    *pos += len;
    return name;
}

int rootfs_open_in_root_walk(int rootfd, const char *path, int flags)
{
    struct walk w = {0};
    int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    walk_push(&w, fd);
    char *rest = xstrdup(path);
    size_t pos = 0;
    int links = 0, rc = 0;
    char *name;
    while (rc == 0 && (name = next_component(rest, &pos))) {
        rc = walk_component(&w, name, &rest, &pos, &links);
        free(name);
    }
    int saved = errno;
    free(rest);
    int result = -1;
    if (rc == 0) {
        struct stat st;
        if ((flags & O_DIRECTORY) && (fstat(w.fds[w.n - 1], &st) < 0 || !S_ISDIR(st.st_mode)))
            saved = ENOTDIR;
        else
            result = w.fds[--w.n];
    }
    walk_pop_to(&w, 0);
    free(w.fds);
    errno = saved;
    return result;
}

int rootfs_open_in_root(int rootfd, const char *path, int flags)
{
    /* Without openat2 (Linux < 5.6, or valgrind < 3.20 which does not know
     * the syscall), walk in userspace: same answers, a little slower. */
    static bool no_openat2;
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_PATH | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    for (int i = 0; !no_openat2 && i < OPENAT2_TRIES; i++) {
        long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
        if (fd >= 0)
            return (int)fd;
        if (errno == ENOSYS)
            no_openat2 = true;
        else if (errno != EAGAIN && errno != EINTR)
            return -1;
    }
    if (!no_openat2)
        return -1;
    return rootfs_open_in_root_walk(rootfd, path, flags);
}

/* Where creating path must happen: path with every symlink in it followed
 * as the kernel would inside the root ("/" and ".." never above it), up to
 * the first missing component; the rest is kept as written. So a dangling
 * symlink (etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf, as
 * real images ship) names the place to create its target, inside the root.
 * Only finds the place: the creating is still done with the in-root
 * helpers. NULL with errno set on error. */
static char *creation_path(int rootfd, const char *path)
{
    char *rest = xstrdup(path);
    char *out = xstrdup(""); /* "" is the root, else "/a/b" */
    size_t pos = 0;
    int links = 0;
    bool missing = false, failed = false;
    char *name;
    while (!failed && (name = next_component(rest, &pos))) {
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            char *up = strrchr(out, '/');
            if (name[1] == '.' && up)
                *up = '\0';
            free(name);
            continue;
        }
        char *next = xasprintf("%s/%s", out, name);
        free(name);
        struct stat st;
        char target[4096];
        ssize_t n = 0;
        if (!missing && fstatat(rootfd, next + 1, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            missing = errno == ENOENT;
            failed = !missing;
        } else if (!missing && S_ISLNK(st.st_mode)) {
            n = readlinkat(rootfd, next + 1, target, sizeof target - 1);
            if (n < 0 || ++links > MAX_SYMLINKS) {
                if (n >= 0)
                    errno = ELOOP;
                failed = true;
            } else {
                target[n] = '\0';
                if (target[0] == '/')
                    out[0] = '\0';
                splice_symlink(&rest, pos, target);
                pos = 0;
                free(next);
                continue;
            }
        }
        if (failed) {
            free(next);
            break;
        }
        free(out);
        out = next;
    }
    int saved = errno;
    free(rest);
    if (failed) {
        free(out);
        errno = saved;
        return NULL;
    }
    if (out[0] == '\0') {
        free(out);
        out = xstrdup("/");
    }
    return out;
}

/* Like mkdir -p, one component at a time: each prefix is re-resolved in the
 * root, and a missing component is made with mkdirat() in its resolved
 * parent, so a symlinked parent is followed inside the root only. */
static int mkdir_components(int rootfd, const char *path, mode_t mode)
{
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

/* The usual case, only the last component missing (a mount point in a
 * fresh tmpfs: /dev/pts, a cgroup directory under /sys/fs/cgroup): made in
 * its parent as resolved in the root, which is where creation_path and
 * mkdir_components would make it, in 5 syscalls instead of 3 per component
 * and 6 more. -1 with errno ENOENT or EEXIST (the parent is missing, or the
 * name is taken, say by a dangling symlink) leaves it to the general way. */
static int mkdir_last_component(int rootfd, const char *path, mode_t mode)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        errno = ENOENT;
        return -1;
    }
    char *dir = rootfs_path_dirname(path);
    int parent = rootfs_open_in_root(rootfd, dir, O_DIRECTORY);
    free(dir);
    if (parent < 0)
        return -1;
    int rc = mkdirat(parent, base, mode);
    int saved = errno;
    close(parent);
    if (rc < 0) {
        errno = saved;
        return -1;
    }
    return rootfs_open_in_root(rootfd, path, O_DIRECTORY);
}

/* A dangling symlink on the way is followed inside the root: its target is
 * created (creation_path). */
int rootfs_mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
    int fd = rootfs_open_in_root(rootfd, path, O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    fd = mkdir_last_component(rootfd, path, mode);
    if (fd >= 0 || (errno != ENOENT && errno != EEXIST))
        return fd;
    char *where = creation_path(rootfd, path);
    if (!where)
        return -1;
    fd = mkdir_components(rootfd, where, mode);
    free(where);
    if (fd < 0)
        return -1;
    close(fd);
    /* The directory path names, now that its target exists. */
    return rootfs_open_in_root(rootfd, path, O_DIRECTORY);
}

int rootfs_mkfile_in_root(int rootfd, const char *path, mode_t mode)
{
    int fd = rootfs_open_in_root(rootfd, path, 0);
    if (fd >= 0 || errno != ENOENT)
        return fd;

    char *clean = creation_path(rootfd, path);
    if (!clean)
        return -1;
    char *dir = rootfs_path_dirname(clean);
    const char *name = strrchr(clean, '/') + 1;
    int parent = rootfs_mkdir_in_root(rootfd, dir, 0755);
    if (parent >= 0) {
        /* O_EXCL|O_NOFOLLOW: never create through a symlink that appeared
         * after creation_path looked. */
        int f = openat(parent, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC,
                       mode);
        if (f >= 0 || errno == EEXIST) {
            if (f >= 0)
                close(f);
            /* Resolved again: EEXIST may be a dangling symlink (ENOENT). */
            fd = rootfs_open_in_root(rootfd, path, 0);
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
