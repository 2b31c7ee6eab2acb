#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Append s to the message, cutting it at the buffer's end. */
static void msg_append(struct nook_error *err, const char *s)
{
    size_t used = strnlen(err->msg, sizeof err->msg - 1);
    size_t room = sizeof err->msg - 1 - used;
    size_t n = strnlen(s, room);
    memcpy(err->msg + used, s, n);
    err->msg[used + n] = '\0';
}

static void error_vset(struct nook_error *err, int code, const char *fmt, va_list ap)
{
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    err->code = code;
    if (code != 0) {
        msg_append(err, ": ");
        msg_append(err, strerror(code));
    }
}

int nook_error_set(struct nook_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

int nook_error_sys(struct nook_error *err, const char *fmt, ...)
{
    int code = errno;
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

int nook_error_wrap(struct nook_error *err, const char *fmt, ...)
{
    char old[NOOK_ERRMSG_MAX];
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    msg_append(err, ": ");
    msg_append(err, old);
    return -1;
}

static void oom(void)
{
    static const char m[] = "nook: out of memory\n";
    (void)!write(2, m, sizeof m - 1);
    _exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        oom();
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    char *s;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    return s;
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)n;
    }
    return (ssize_t)done;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int read_fd_all(int fd, char **out, size_t *len, struct nook_error *err)
{
    size_t cap = 4096, used = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (cap - used < 2) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            return nook_error_set(err, e, "read");
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    *out = buf;
    if (len)
        *len = used;
    return 0;
}

int read_file(const char *path, char **out, size_t *len, struct nook_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s", path);
    int r = read_fd_all(fd, out, len, err);
    close(fd);
    if (r < 0)
        return nook_error_wrap(err, "%s", path);
    return 0;
}

int read_regular_file(const char *path, size_t max, char **out, size_t *len,
                      struct nook_error *err)
{
    /* O_NONBLOCK: opening a fifo for reading must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return nook_error_set(err, e, "stat %s", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return nook_error_set(err, 0, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max) {
        close(fd);
        return nook_error_set(err, 0, "%s: too large (%lld bytes, at most %zu)", path,
                              (long long)st.st_size, max);
    }
    /* The size may change under us: read at most max + 1 bytes to see. */
    size_t cap = (size_t)st.st_size + 1, used = 0;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        if (used == cap) {
            if (cap > max)
                break;
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return nook_error_set(err, e, "read %s", path);
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    if (used > max) {
        free(buf);
        return nook_error_set(err, 0, "%s: too large (more than %zu bytes)", path, max);
    }
    buf[used] = '\0';
    *out = buf;
    if (len)
        *len = used;
    return 0;
}

int write_file(const char *path, const char *data, size_t len, mode_t mode,
               struct nook_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return nook_error_sys(err, "open %s", path);
    if (write_all(fd, data, len) < 0) {
        int e = errno;
        close(fd);
        return nook_error_set(err, e, "write %s", path);
    }
    if (close(fd) < 0)
        return nook_error_sys(err, "close %s", path);
    return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                      struct nook_error *err)
{
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    int r = write_file(tmp, data, len, mode, err);
    if (r == 0 && rename(tmp, path) < 0) {
        r = nook_error_sys(err, "rename %s to %s", tmp, path);
        unlink(tmp);
    }
    free(tmp);
    return r;
}

int write_string_at(int dirfd, const char *path, const char *s, struct nook_error *err)
{
    if (nook_trace_sink_fn) {
        char dir[4096];
        if (path[0] == '/')
            NOOK_TRACE("write %s: %s", path, s);
        else
            NOOK_TRACE("write %s/%s: %s", nook_trace_fd_path(dirfd, dir, sizeof dir), path, s);
    }
    int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s", path);
    size_t len = strlen(s);
    ssize_t n;
    do
        n = write(fd, s, len);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != len) {
        int e = n < 0 ? errno : EIO;
        close(fd);
        return nook_error_set(err, e, "write %s to %s", s, path);
    }
    if (close(fd) < 0)
        return nook_error_sys(err, "close %s", path);
    return 0;
}

int mkdir_p(const char *path, mode_t mode, struct nook_error *err)
{
    char *p = xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST) {
            int e = errno;
            nook_error_set(err, e, "mkdir %s", p);
            free(p);
            return -1;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return 0;
}
