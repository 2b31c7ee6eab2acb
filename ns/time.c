/* ns/time.c: a new time namespace with linux.timeOffsets (time_namespaces(7)). */
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#define TIMENS_OFFSETS "/proc/self/timens_offsets"

/* One line per clock the spec sets; both lines go in one write. */
static size_t format_offsets(const struct spec *spec, char *buf, size_t cap)
{
    size_t used = 0;
    if (spec->time_monotonic.set)
        used += (size_t)snprintf(buf + used, cap - used, "monotonic %" PRId64 " %" PRIu32 "\n",
                                 spec->time_monotonic.secs, spec->time_monotonic.nanosecs);
    if (spec->time_boottime.set)
        used += (size_t)snprintf(buf + used, cap - used, "boottime %" PRId64 " %" PRIu32 "\n",
                                 spec->time_boottime.secs, spec->time_boottime.nanosecs);
    return used;
}

static int write_offsets(const char *buf, size_t len, struct nook_error *err)
{
    int fd = open(TIMENS_OFFSETS, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open " TIMENS_OFFSETS);
    ssize_t n;
    do
        n = write(fd, buf, len);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != len) {
        int e = n < 0 ? errno : EIO;
        close(fd);
        return nook_error_set(err, e, "write linux.timeOffsets to " TIMENS_OFFSETS);
    }
    if (close(fd) < 0)
        return nook_error_sys(err, "close " TIMENS_OFFSETS);
    return 0;
}

int ns_new_time_namespace(const struct spec *spec, struct nook_error *err)
{
    const struct spec_namespace *ns = spec_find_namespace(spec, SPEC_NS_TIME);
    if (ns == NULL || ns->path != NULL)
        return 0;
    /* The caller stays where it is; its next children start in the new ns.
     * Offsets can be written only until a process enters it, so now. */
    if (unshare(CLONE_NEWTIME) < 0)
        return nook_error_sys(err, "unshare time namespace");
    char buf[128];
    size_t len = format_offsets(spec, buf, sizeof buf);
    if (len == 0)
        return 0;
    return write_offsets(buf, len, err);
}
