/* A recursive copy between two directory fds, for "tmpcopyup": the tmpfs a
 * read-only image gets over, say, /etc or /var/tmp starts with what the
 * image had there. Everything goes through *at() calls relative to the two
 * fds, never through a path a symlink in the image could redirect. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_file_data(int src, int dst)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(src, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (int)n;
        if (write_all(dst, buf, (size_t)n) < 0)
            return -1;
    }
}

static int copy_regular(int src_dir, int dst_dir, const char *name, const struct stat *st)
{
    int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     st->st_mode & 07777);
    if (out < 0) {
        close(in);
        return -1;
    }
    int rc = copy_file_data(in, out);
    int e = errno;
    close(in);
    if (close(out) < 0 && rc == 0)
        return -1;
    errno = e;
    return rc;
}

static int copy_symlink(int src_dir, int dst_dir, const char *name)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(src_dir, name, target, sizeof target - 1);
    if (n < 0)
        return -1;
    target[n] = '\0';
    return symlinkat(target, dst_dir, name);
}

static int copy_entry(int src, int dst, const char *name, const char *what,
                      struct nook_error *err);

static int copy_dir(int src, int dst, const char *name, const struct stat *st,
                    const char *what, struct nook_error *err)
{
    if (mkdirat(dst, name, st->st_mode & 07777) < 0)
        return nook_error_sys(err, "tmpcopyup %s: mkdir %s", what, name);
    int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0)
        return nook_error_sys(err, "tmpcopyup %s: open %s", what, name);
    int d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d < 0) {
        nook_error_sys(err, "tmpcopyup %s: open the copy of %s", what, name);
        close(s);
        return -1;
    }
    int rc = rootfs_copy_tree(s, d, what, err);
    close(s);
    close(d);
    return rc;
}

/* Owner, mode (mkdir and open applied the umask) and times of the copy. */
static int copy_metadata(int dst, const char *name, const struct stat *st)
{
    if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
    if (!S_ISLNK(st->st_mode) && fchmodat(dst, name, st->st_mode & 07777, 0) < 0)
        return -1;
    struct timespec times[2] = {st->st_atim, st->st_mtim};
    return utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW);
}

static int copy_entry(int src, int dst, const char *name, const char *what,
                      struct nook_error *err)
{
    struct stat st;
    if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return nook_error_sys(err, "tmpcopyup %s: stat %s", what, name);
    int r;
    if (S_ISDIR(st.st_mode)) {
        if (copy_dir(src, dst, name, &st, what, err) < 0)
            return -1;
        r = 0;
    } else if (S_ISREG(st.st_mode)) {
        r = copy_regular(src, dst, name, &st);
    } else if (S_ISLNK(st.st_mode)) {
        r = copy_symlink(src, dst, name);
    } else {
        r = mknodat(dst, name, st.st_mode, st.st_rdev);
    }
    if (r < 0)
        return nook_error_sys(err, "tmpcopyup %s: copy %s", what, name);
    if (copy_metadata(dst, name, &st) < 0)
        return nook_error_sys(err, "tmpcopyup %s: set owner, mode and times of %s", what, name);
    return 0;
}

int rootfs_copy_tree(int src, int dst, const char *what, struct nook_error *err)
{
    int fd = dup(src);
    if (fd < 0)
        return nook_error_sys(err, "tmpcopyup %s: dup", what);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return nook_error_sys(err, "tmpcopyup %s: read the directory", what);
    }
    /* fdopendir shares the offset with src: start from the beginning. */
    rewinddir(d);
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        rc = copy_entry(src, dst, de->d_name, what, err);
        errno = 0;
    }
    if (rc == 0 && errno != 0)
        rc = nook_error_sys(err, "tmpcopyup %s: read the directory", what);
    closedir(d);
    return rc;
}
