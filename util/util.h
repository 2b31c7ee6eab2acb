/* util: the error value every nook function passes up, and small file helpers.
 *
 * Errors are values, as in crun: a function that can fail returns -1 and fills
 * a struct nook_error; the top level prints it once as
 *   nook: <container-id>: <what was being done>: <why>
 * so nothing below the CLI prints or exits on its own. */
#ifndef NOOK_UTIL_H
#define NOOK_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NOOK_ERRMSG_MAX 1024

struct nook_error {
    int code;                    /* errno of the cause, 0 when not a syscall */
    char msg[NOOK_ERRMSG_MAX];   /* "<what was being done>: <why>" */
};

/* Set err to "<fmt...>: strerror(code)" (or just "<fmt...>" when code is 0).
 * Always returns -1 so callers can write `return nook_error_set(...)`. */
int nook_error_set(struct nook_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like nook_error_set with code = errno, read before anything else runs. */
int nook_error_sys(struct nook_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefix an existing error with more context: "<fmt...>: <old msg>". */
int nook_error_wrap(struct nook_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* malloc-or-die helpers: nook treats running out of memory as fatal. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whole-file helpers; they retry on EINTR and short reads/writes. */
int read_file(const char *path, char **out, size_t *len, struct nook_error *err);
int read_fd_all(int fd, char **out, size_t *len, struct nook_error *err);
/* Read a file nook is handed (config.json, process.json, state.json): only a
 * regular file (a symlink is followed, but a fifo, device or directory is
 * refused without blocking on it) of at most max bytes. */
int read_regular_file(const char *path, size_t max, char **out, size_t *len,
                      struct nook_error *err);
/* The same, but a pipe is read too (up to max bytes, until its writer closes
 * it): `exec --process <(...)` hands nook a process substitution, as runc
 * accepts. A fifo nobody has opened for writing is still refused at once. */
int read_regular_file_or_pipe(const char *path, size_t max, char **out, size_t *len,
                              struct nook_error *err);
int write_file(const char *path, const char *data, size_t len, mode_t mode,
               struct nook_error *err);
/* Write data to path through a temporary file and rename(2), so a reader never
 * sees a half-written file. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                      struct nook_error *err);
/* Write a string to an existing file (procfs, sysfs, cgroupfs): one write(2). */
int write_string_at(int dirfd, const char *path, const char *s, struct nook_error *err);
ssize_t write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);

/* Send len bytes over a unix socket with fd (when >= 0) attached to the
 * first byte by SCM_RIGHTS; a payload a stream socket takes only in part is
 * finished as plain data. An empty payload goes as one NUL byte, since a
 * message with ancillary data must carry data. A peer that went away is
 * EPIPE, never SIGPIPE. Returns 0, or -1 with errno (util/fdpass.c). */
int unix_send_fd(int sock, int fd, const void *data, size_t len);

/* mkdir -p with mode for every created component. */
int mkdir_p(const char *path, mode_t mode, struct nook_error *err);

/* Step tracing for --debug (util/trace.c): one line per step with its
 * arguments (a mount's source, target, flags and data, a cgroup file and what
 * was written, a namespace made or joined, a hook run), so a failure under
 * podman or Docker can be understood from the runtime log alone.
 *
 * Any folder calls NOOK_TRACE("mount %s on %s", ...); the CLI installs the
 * sink that writes the line (runtime/log.c: the --log file or stderr, in
 * runc's format). Without a sink NOOK_TRACE costs one test of a global and
 * evaluates none of its arguments, so --debug off keeps start-up fast. The
 * sink is inherited across fork/clone, so the container's init traces to the
 * same place until execve. */
typedef void nook_trace_sink(const char *msg);
extern nook_trace_sink *nook_trace_sink_fn;
void nook_trace_set_sink(nook_trace_sink *fn);
void nook_trace_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define NOOK_TRACE(...)                      \
    do {                                     \
        if (nook_trace_sink_fn)              \
            nook_trace_msg(__VA_ARGS__);     \
    } while (0)
/* The names of MS_* mount flags, "|"-separated ("0" for none), into buf. */
const char *nook_trace_mount_flags(unsigned long flags, char *buf, size_t len);
/* The names of CLONE_NEW* flags, "|"-separated ("none" for none), into buf. */
const char *nook_trace_ns_flags(unsigned long flags, char *buf, size_t len);
/* argv joined with spaces, into buf. */
const char *nook_trace_argv(char *const *argv, size_t n, char *buf, size_t len);
/* The path an fd refers to (readlink of /proc/self/fd/N), into buf. */
const char *nook_trace_fd_path(int fd, char *buf, size_t len);

/* "YYYY-MM-DDTHH:MM:SS" of t in UTC (util/utc.c), what strftime's
 * "%Y-%m-%dT%H:%M:%S" of gmtime_r(t) gives, without reading the time zone.
 * For the years 0 to 9999 (only the last four digits of others). */
#define UTC_FORMAT_LEN 20
void utc_format(time_t t, char out[UTC_FORMAT_LEN]);

/* SHA-256 (util/sha256.c): init, update any number of times, final. */
#define SHA256_LEN 32
struct sha256 {
    uint32_t h[8];
    uint64_t total;
    size_t used;
    unsigned char buf[64];
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[SHA256_LEN]);
/* The digest as 64 lower-case hex digits. */
void sha256_hex(const unsigned char digest[SHA256_LEN], char out[2 * SHA256_LEN + 1]);

#endif
