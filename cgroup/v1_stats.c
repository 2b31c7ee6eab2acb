/* v1: numbers for `events` from cpuacct.*, cpu.stat, memory.*, pids.*, and
 * OOM events from an eventfd registered on memory.oom_control through
 * cgroup.event_control (cgroup-v1/memory.rst, as runc does). */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* v1 reports "no limit" as the largest page-aligned value. */
#define V1_UNLIMITED 0x7ffffffffffff000ULL

/* An absent file leaves *v alone and says so. */
static int read_opt(int dirfd, const char *file, uint64_t *v, bool *present,
                    struct nook_error *err)
{
    if (cg_read_u64(dirfd, file, v, err) < 0) {
        if (err->code == ENOENT) {
            if (present)
                *present = false;
            return 0;
        }
        return -1;
    }
    if (present)
        *present = true;
    if (*v >= V1_UNLIMITED)
        *v = UINT64_MAX;
    return 0;
}

static int cpu_stats(const struct nook_cgroup *cg, struct nook_stats *s, struct nook_error *err)
{
    const struct cgroup_v1_dir *acct = cg_v1_dir(cg, "cpuacct");
    if (acct) {
        uint64_t usage = 0, user = 0, sys = 0;
        if (read_opt(acct->fd, "cpuacct.usage", &usage, NULL, err) < 0 ||
            read_opt(acct->fd, "cpuacct.usage_user", &user, NULL, err) < 0 ||
            read_opt(acct->fd, "cpuacct.usage_sys", &sys, NULL, err) < 0)
            return nook_error_wrap(err, "%s", acct->path);
        s->cpu_usage_usec = usage / 1000;
        s->cpu_user_usec = user / 1000;
        s->cpu_system_usec = sys / 1000;
    }
    const struct cgroup_v1_dir *cpu = cg_v1_dir(cg, "cpu");
    if (cpu) {
        char *text;
        if (cg_read(cpu->fd, "cpu.stat", &text, err) < 0)
            return nook_error_wrap(err, "%s", cpu->path);
        s->cpu_nr_periods = cg_keyed(text, "nr_periods");
        s->cpu_nr_throttled = cg_keyed(text, "nr_throttled");
        s->cpu_throttled_usec = cg_keyed(text, "throttled_time") / 1000;
        free(text);
    }
    return 0;
}

static int memory_stats(const struct cgroup_v1_dir *mem, struct nook_stats *s,
                        struct nook_error *err)
{
    uint64_t memsw = 0, memsw_max = UINT64_MAX;
    bool has_memsw = false;
    char *oom;
    if (read_opt(mem->fd, "memory.usage_in_bytes", &s->memory_current, &s->has_memory, err) < 0 ||
        read_opt(mem->fd, "memory.limit_in_bytes", &s->memory_max, NULL, err) < 0 ||
        read_opt(mem->fd, "memory.max_usage_in_bytes", &s->memory_peak, NULL, err) < 0 ||
        read_opt(mem->fd, "memory.memsw.usage_in_bytes", &memsw, &has_memsw, err) < 0 ||
        read_opt(mem->fd, "memory.memsw.limit_in_bytes", &memsw_max, NULL, err) < 0 ||
        cg_read(mem->fd, "memory.oom_control", &oom, err) < 0)
        return nook_error_wrap(err, "%s", mem->path);
    /* memsw counts memory+swap; nook_stats has swap alone, as on v2. */
    if (has_memsw) {
        s->swap_current = memsw > s->memory_current ? memsw - s->memory_current : 0;
        s->swap_max = memsw_max == UINT64_MAX || s->memory_max == UINT64_MAX
                          ? UINT64_MAX
                          : memsw_max - s->memory_max;
    }
    s->memory_oom = cg_keyed(oom, "under_oom");
    s->memory_oom_kill = cg_keyed(oom, "oom_kill");
    free(oom);
    return 0;
}

int cg_v1_stats(const struct nook_cgroup *cg, struct nook_stats *s, struct nook_error *err)
{
    memset(s, 0, sizeof *s);
    if (cpu_stats(cg, s, err) < 0)
        return -1;
    const struct cgroup_v1_dir *mem = cg_v1_dir(cg, "memory");
    if (mem && memory_stats(mem, s, err) < 0)
        return -1;
    const struct cgroup_v1_dir *pids = cg_v1_dir(cg, "pids");
    if (pids && (read_opt(pids->fd, "pids.current", &s->pids_current, &s->has_pids, err) < 0 ||
                 read_opt(pids->fd, "pids.max", &s->pids_max, NULL, err) < 0))
        return nook_error_wrap(err, "%s", pids->path);
    return 0;
}

int cg_v1_oom_open(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                   struct nook_error *err)
{
    const struct cgroup_v1_dir *mem = cg_v1_dir(cg, "memory");
    if (!mem)
        return nook_error_set(err, ENOENT, "watch for OOM: the container has no memory cgroup");
    w->ctl_fd = openat(mem->fd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
    if (w->ctl_fd < 0)
        return nook_error_sys(err, "open %s/memory.oom_control", mem->path);
    w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->fd < 0) {
        nook_error_sys(err, "watch for OOM: eventfd");
        close(w->ctl_fd);
        w->ctl_fd = -1;
        return -1;
    }
    char line[32];
    snprintf(line, sizeof line, "%d %d", w->fd, w->ctl_fd);
    if (write_string_at(mem->fd, "cgroup.event_control", line, err) < 0) {
        nook_error_wrap(err, "watch for OOM in %s", mem->path);
        close(w->fd);
        close(w->ctl_fd);
        w->fd = w->ctl_fd = -1;
        return -1;
    }
    w->events = POLLIN;
    return 0;
}

int cg_v1_oom_count(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                    uint64_t *count, struct nook_error *err)
{
    /* The eventfd counts OOM events, also those the OOM killer does not
     * resolve (disableOOMKiller); it also fires once when the cgroup is
     * removed, which the failed read below tells apart. */
    uint64_t n, fired = 0;
    while (read(w->fd, &n, sizeof n) == (ssize_t)sizeof n)
        fired += n;
    const struct cgroup_v1_dir *mem = cg_v1_dir(cg, "memory");
    char *oom;
    if (!mem || cg_read(mem->fd, "memory.oom_control", &oom, err) < 0)
        return nook_error_set(err, ENOENT, "watch for OOM: the memory cgroup is gone");
    w->fired += fired;
    uint64_t kills = cg_keyed(oom, "oom_kill");
    free(oom);
    *count = kills > w->fired ? kills : w->fired;
    return 0;
}
