/* OOM freeze on cgroup v2 (see cgroup.h, "OOM freeze").
 *
 * v2 has no memory.oom_control. With root, memory.max stays the user's limit
 * and every container process has oom_score_adj -1000 (the runtime sets it on
 * the init before exec), so the kernel's OOM killer finds no victim and the
 * faulting task retries; the `oom` counter of memory.events rises on every
 * such attempt and the monitor freezes the cgroup. Freezing on `max` or
 * `high` instead loses the race to the killer and also fires on page-cache
 * pressure alone; `oom` does neither.
 *
 * Rootless (no CAP_SYS_RESOURCE for -1000): memory.high is the user's limit
 * and memory.max that plus a margin; the trigger is the `high` counter, but
 * only when the memory that cannot be reclaimed (all but page cache) is near
 * the limit, so reading a big file never freezes. */
#include "cgroup.h"
#include "oom_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int read_keyed(int dirfd, const char *file, const char *key, uint64_t *v,
                      struct nook_error *err)
{
    char *text;
    if (cg_read(dirfd, file, &text, err) < 0)
        return -1;
    *v = cg_keyed(text, key);
    free(text);
    return 0;
}

/* A number or "max" (UINT64_MAX). */
static int read_limit(int dirfd, const char *file, uint64_t *v, struct nook_error *err)
{
    char *text;
    if (cg_read(dirfd, file, &text, err) < 0)
        return -1;
    *v = strcmp(text, "max") == 0 ? UINT64_MAX : strtoull(text, NULL, 10);
    free(text);
    return 0;
}

static int write_limit(int dirfd, const char *file, uint64_t v, struct nook_error *err)
{
    char buf[32];
    if (v == UINT64_MAX)
        snprintf(buf, sizeof buf, "max");
    else
        snprintf(buf, sizeof buf, "%" PRIu64, v);
    return write_string_at(dirfd, file, buf, err);
}

int cgroup_oom_v2_set_limit(const struct nook_cgroup *cg, bool rootless, uint64_t limit,
                            struct nook_error *err)
{
    int mem = cgroup_memory_fd(cg);
    if (!rootless)
        return write_limit(mem, "memory.max", limit, err);
    /* Raise max first so max never sits below high. */
    uint64_t max = limit == UINT64_MAX || limit > UINT64_MAX - CGROUP_OOM_ROOTLESS_MARGIN
                       ? UINT64_MAX
                       : limit + CGROUP_OOM_ROOTLESS_MARGIN;
    uint64_t old_max;
    if (read_limit(mem, "memory.max", &old_max, err) < 0)
        return -1;
    if (max >= old_max)
        return write_limit(mem, "memory.max", max, err) < 0 ||
                       write_limit(mem, "memory.high", limit, err) < 0
                   ? -1
                   : 0;
    return write_limit(mem, "memory.high", limit, err) < 0 ||
                   write_limit(mem, "memory.max", max, err) < 0
               ? -1
               : 0;
}

/* The counter the trigger follows. */
static const char *trigger_key(const struct cgroup_oom_watch *w)
{
    return w->mech == CGROUP_OOM_V2_ROOTLESS ? "high" : "oom";
}

int cg_oom_v2_open(const struct nook_cgroup *cg, struct cgroup_oom_watch *w,
                   struct nook_error *err)
{
    int mem = cgroup_memory_fd(cg);
    w->fd = openat(mem, "memory.events", O_RDONLY | O_CLOEXEC);
    if (w->fd < 0)
        return nook_error_sys(err, "open %s/memory.events (is the memory controller enabled?)",
                              cg->path);
    return read_keyed(mem, "memory.events", trigger_key(w), &w->seen, err);
}

/* Rootless: is the memory the kernel cannot drop (anon, kernel: everything
 * but page cache) within 1/8 of memory.high? */
static int unreclaimable_near_high(const struct nook_cgroup *cg, bool *near,
                                   struct nook_error *err)
{
    int mem = cgroup_memory_fd(cg);
    uint64_t high, current, file;
    if (read_limit(mem, "memory.high", &high, err) < 0 ||
        read_limit(mem, "memory.current", &current, err) < 0 ||
        read_keyed(mem, "memory.stat", "file", &file, err) < 0)
        return -1;
    uint64_t hard = current > file ? current - file : 0;
    *near = high != UINT64_MAX && hard >= high - high / 8;
    return 0;
}

int cg_oom_v2_triggered(const struct nook_cgroup *cg, struct cgroup_oom_watch *w, bool *hit,
                        struct nook_error *err)
{
    int mem = cgroup_memory_fd(cg);
    uint64_t v;
    *hit = false;
    /* Reading memory.events from the fd re-arms its POLLPRI notification. */
    char buf[512];
    if (pread(w->fd, buf, sizeof buf, 0) < 0)
        return nook_error_sys(err, "read %s/memory.events", cg->path);
    if (read_keyed(mem, "memory.events", trigger_key(w), &v, err) < 0)
        return -1;
    if (v <= w->seen)
        return 0;
    w->seen = v;
    if (w->mech == CGROUP_OOM_V2_ROOTLESS)
        return unreclaimable_near_high(cg, hit, err);
    *hit = true;
    return 0;
}

int cg_oom_v2_read(const struct nook_cgroup *cg, const struct cgroup_oom_watch *w,
                   struct nook_oom_snapshot *s, struct nook_error *err)
{
    static const char *const keys[] = {"low", "high", "max", "oom", "oom_kill", "oom_group_kill"};
    int mem = cgroup_memory_fd(cg);
    char *events, *stat;
    if (read_limit(mem, "memory.max", &s->limit, err) < 0 ||
        read_limit(mem, "memory.current", &s->usage, err) < 0)
        return -1;
    /* Rootless: the user's limit is memory.high; memory.max is the margin
     * above it that the kernel enforces. */
    if (w->mech == CGROUP_OOM_V2_ROOTLESS) {
        s->has_max = true;
        s->max = s->limit;
        if (read_limit(mem, "memory.high", &s->limit, err) < 0)
            return -1;
    }
    /* memory.peak is Linux 5.19+. */
    struct nook_error ignored;
    if (read_limit(mem, "memory.peak", &s->peak, &ignored) < 0)
        s->peak = s->usage;
    if (cg_read(mem, "memory.events", &events, err) < 0)
        return -1;
    s->n_events = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        s->events[s->n_events].key = keys[i];
        s->events[s->n_events++].value = cg_keyed(events, keys[i]);
    }
    free(events);
    if (cg_read(mem, "memory.stat", &stat, err) < 0)
        return -1;
    s->anon = cg_keyed(stat, "anon");
    s->file = cg_keyed(stat, "file");
    s->kernel = cg_keyed(stat, "kernel");
    if (s->kernel == 0) /* before 5.18: the parts */
        s->kernel = cg_keyed(stat, "kernel_stack") + cg_keyed(stat, "pagetables") +
                    cg_keyed(stat, "percpu") + cg_keyed(stat, "slab") + cg_keyed(stat, "sock");
    free(stat);
    return 0;
}
