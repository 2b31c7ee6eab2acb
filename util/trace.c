/* Step tracing for --debug: see util.h. The message is formatted here and
 * handed to the sink the CLI installed; formatting only happens when a sink
 * is set (NOOK_TRACE tests it first). */
#include "util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

nook_trace_sink *nook_trace_sink_fn;

void nook_trace_set_sink(nook_trace_sink *fn)
{
    nook_trace_sink_fn = fn;
}

void nook_trace_msg(const char *fmt, ...)
{
    if (!nook_trace_sink_fn)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    nook_trace_sink_fn(buf);
}

/* Join names of the set bits of flags (from a table) with "|". */
static const char *flag_names(unsigned long flags, const unsigned long *bits,
                              const char *const *names, size_t n, const char *none,
                              char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!(flags & bits[i]))
            continue;
        flags &= ~bits[i];
        int k = snprintf(buf + used, len - used, "%s%s", used ? "|" : "", names[i]);
        if (k < 0 || (size_t)k >= len - used) {
            buf[used] = '\0'; /* whole names only */
            return buf;
        }
        used += (size_t)k;
    }
    if (flags)
        snprintf(buf + used, len - used, "%s%#lx", used ? "|" : "", flags);
    else if (used == 0)
        snprintf(buf, len, "%s", none);
    return buf;
}

const char *nook_trace_mount_flags(unsigned long flags, char *buf, size_t len)
{
    static const unsigned long bits[] = {
        MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_SYNCHRONOUS, MS_REMOUNT, MS_MANDLOCK,
        MS_DIRSYNC, MS_NOSYMFOLLOW, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_MOVE, MS_REC,
        MS_SILENT, MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_RELATIME, MS_STRICTATIME,
        MS_LAZYTIME};
    static const char *const names[] = {
        "MS_RDONLY", "MS_NOSUID", "MS_NODEV", "MS_NOEXEC", "MS_SYNCHRONOUS", "MS_REMOUNT",
        "MS_MANDLOCK", "MS_DIRSYNC", "MS_NOSYMFOLLOW", "MS_NOATIME", "MS_NODIRATIME", "MS_BIND",
        "MS_MOVE", "MS_REC", "MS_SILENT", "MS_UNBINDABLE", "MS_PRIVATE", "MS_SLAVE", "MS_SHARED",
        "MS_RELATIME", "MS_STRICTATIME", "MS_LAZYTIME"};
    return flag_names(flags, bits, names, sizeof bits / sizeof bits[0], "0", buf, len);
}

const char *nook_trace_ns_flags(unsigned long flags, char *buf, size_t len)
{
    static const unsigned long bits[] = {CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNS, CLONE_NEWNET,
                                         CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME};
    static const char *const names[] = {"user", "pid", "mount", "network", "ipc", "uts",
                                        "cgroup", "time"};
    return flag_names(flags, bits, names, sizeof bits / sizeof bits[0], "none", buf, len);
}

const char *nook_trace_argv(char *const *argv, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && argv[i]; i++) {
        int k = snprintf(buf + used, len - used, "%s%s", i ? " " : "", argv[i]);
        if (k < 0 || (size_t)k >= len - used) {
            buf[used] = '\0';
            break;
        }
        used += (size_t)k;
    }
    return buf;
}

const char *nook_trace_fd_path(int fd, char *buf, size_t len)
{
    if (fd == AT_FDCWD)
        return snprintf(buf, len, "."), buf;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, len - 1);
    if (n < 0)
        snprintf(buf, len, "fd %d", fd);
    else
        buf[n] = '\0';
    return buf;
}
