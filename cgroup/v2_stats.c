/* v2: numbers for `events` (cpu.stat, memory.*, pids.*) and OOM kills from
 * memory.events. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A single-value file: a number or "max". Absent file: *present = false. */
static int read_value(int dirfd, const char *file, uint64_t *v, bool *present,
                      struct nook_error *err)
{
    char *text;
    if (cg_read(dirfd, file, &text, err) < 0) {
        if (err->code == ENOENT) {
            *present = false;
            return 0;
        }
        return -1;
    }
    *present = true;
    *v = strcmp(text, "max") == 0 ? UINT64_MAX : strtoull(text, NULL, 10);
    free(text);
    return 0;
}

int cg_v2_stats(const struct nook_cgroup *cg, struct nook_stats *s, struct nook_error *err)
{
    memset(s, 0, sizeof *s);
    char *text;
    /* cpu.stat is a core file: it exists even without the cpu controller. */
    if (cg_read(cg->dirfd, "cpu.stat", &text, err) < 0)
        return nook_error_wrap(err, "%s", cg->path);
    s->cpu_usage_usec = cg_keyed(text, "usage_usec");
    s->cpu_user_usec = cg_keyed(text, "user_usec");
    s->cpu_system_usec = cg_keyed(text, "system_usec");
    s->cpu_nr_periods = cg_keyed(text, "nr_periods");
    s->cpu_nr_throttled = cg_keyed(text, "nr_throttled");
    s->cpu_throttled_usec = cg_keyed(text, "throttled_usec");
    free(text);

    bool present, ignored;
    if (read_value(cg->dirfd, "memory.current", &s->memory_current, &s->has_memory, err) < 0 ||
        read_value(cg->dirfd, "memory.max", &s->memory_max, &ignored, err) < 0 ||
        read_value(cg->dirfd, "memory.peak", &s->memory_peak, &ignored, err) < 0 ||
        read_value(cg->dirfd, "memory.swap.current", &s->swap_current, &ignored, err) < 0 ||
        read_value(cg->dirfd, "memory.swap.max", &s->swap_max, &ignored, err) < 0 ||
        read_value(cg->dirfd, "pids.current", &s->pids_current, &s->has_pids, err) < 0 ||
        read_value(cg->dirfd, "pids.max", &s->pids_max, &present, err) < 0)
        return nook_error_wrap(err, "%s", cg->path);
    if (s->has_memory) {
        if (cg_read(cg->dirfd, "memory.events", &text, err) < 0)
            return nook_error_wrap(err, "%s", cg->path);
        s->memory_oom = cg_keyed(text, "oom");
        s->memory_oom_kill = cg_keyed(text, "oom_kill");
        free(text);
    }
    return 0;
}

int cg_v2_oom_open(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                   struct nook_error *err)
{
    w->fd = openat(cg->dirfd, "memory.events", O_RDONLY | O_CLOEXEC);
    if (w->fd < 0)
        return nook_error_sys(err, "open %s/memory.events", cg->path);
    w->events = POLLPRI;
    return 0;
}

int cg_v2_oom_count(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                    uint64_t *count, struct nook_error *err)
{
    /* Reading the file from the start also re-arms POLLPRI. */
    char buf[512];
    ssize_t n = pread(w->fd, buf, sizeof buf - 1, 0);
    if (n < 0)
        return nook_error_sys(err, "read %s/memory.events", cg->path);
    buf[n] = '\0';
    *count = cg_keyed(buf, "oom_kill");
    return 0;
}
