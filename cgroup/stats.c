/* Numbers for `events`: cpu.stat, memory.*, pids.* of the container's cgroup. */
#include "cgroup.h"
#include "internal.h"

#include <errno.h>
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

/* "key value" lines (cpu.stat, memory.events): the value of key, 0 if absent. */
static uint64_t keyed(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *line = text; *line;) {
        const char *nl = strchrnul(line, '\n');
        if (strncmp(line, key, n) == 0 && line[n] == ' ')
            return strtoull(line + n + 1, NULL, 10);
        line = *nl ? nl + 1 : nl;
    }
    return 0;
}

int cgroup_read_stats(const struct nook_cgroup *cg, struct nook_stats *s,
                      struct nook_error *err)
{
    memset(s, 0, sizeof *s);
    char *text;
    /* cpu.stat is a core file: it exists even without the cpu controller. */
    if (cg_read(cg->dirfd, "cpu.stat", &text, err) < 0)
        return nook_error_wrap(err, "%s", cg->path);
    s->cpu_usage_usec = keyed(text, "usage_usec");
    s->cpu_user_usec = keyed(text, "user_usec");
    s->cpu_system_usec = keyed(text, "system_usec");
    s->cpu_nr_periods = keyed(text, "nr_periods");
    s->cpu_nr_throttled = keyed(text, "nr_throttled");
    s->cpu_throttled_usec = keyed(text, "throttled_usec");
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
        s->memory_oom = keyed(text, "oom");
        s->memory_oom_kill = keyed(text, "oom_kill");
        free(text);
    }
    return 0;
}
