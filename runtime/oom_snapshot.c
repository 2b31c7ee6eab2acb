/* The processes of an OOM snapshot, read from /proc while they are frozen,
 * and which of them are gone since. */
#include "oom.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "VmRSS:     1234 kB" of /proc/<pid>/status, in bytes. */
static uint64_t status_kb(const char *status, const char *key)
{
    const char *p = strstr(status, key);
    return p ? strtoull(p + strlen(key), NULL, 10) * 1024 : 0;
}

static void read_proc(pid_t pid, struct nook_oom_proc *p)
{
    char path[64], *text;
    struct nook_error ignored;
    p->pid = pid;
    char state;
    unsigned long flags;
    if (proc_stat_fields(pid, &state, &flags, &p->start_time) < 0)
        p->start_time = 0; /* gone already: oom_proc_gone says so */
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    if (read_file(path, &text, NULL, &ignored) == 0) {
        text[strcspn(text, "\n")] = '\0';
        p->command = text;
    }
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (read_file(path, &text, NULL, &ignored) == 0) {
        p->rss = status_kb(text, "\nVmRSS:");
        p->anon = status_kb(text, "\nRssAnon:");
        free(text);
    }
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
    if (read_file(path, &text, NULL, &ignored) == 0) {
        p->oom_score_adj = atoi(text);
        free(text);
    }
}

/* The kernel's PF_EXITING (include/linux/sched.h): do_exit() has begun. */
#define PROC_FLAG_EXITING 0x4ul

/* Whether the "KEY:\t<hex mask>" line of /proc/<pid>/status has sig. */
static bool status_has_signal(const char *status, const char *key, int sig)
{
    const char *p = strstr(status, key);
    return p && (strtoull(p + strlen(key), NULL, 16) >> (sig - 1) & 1);
}

bool oom_proc_gone(const struct nook_oom_proc *p)
{
    char state;
    unsigned long flags;
    unsigned long long start;
    if (p->start_time == 0 || proc_stat_fields(p->pid, &state, &flags, &start) < 0 ||
        start != p->start_time || state == 'Z' || state == 'X' || (flags & PROC_FLAG_EXITING))
        return true;
    char path[64], *status;
    struct nook_error ignored;
    snprintf(path, sizeof path, "/proc/%d/status", (int)p->pid);
    if (read_file(path, &status, NULL, &ignored) < 0)
        return true;
    bool killed = status_has_signal(status, "\nSigPnd:", SIGKILL) ||
                  status_has_signal(status, "\nShdPnd:", SIGKILL);
    free(status);
    return killed;
}

void oom_snapshot_processes(const pid_t *pids, size_t n, struct nook_oom_snapshot *s)
{
    s->procs = n ? xcalloc(n, sizeof *s->procs) : NULL;
    s->n_procs = n;
    for (size_t i = 0; i < n; i++)
        read_proc(pids[i], &s->procs[i]);
}

void oom_snapshot_free(struct nook_oom_snapshot *s)
{
    for (size_t i = 0; i < s->n_procs; i++)
        free(s->procs[i].command);
    free(s->procs);
    free(s->frozen_at);
    free(s->deadline);
    memset(s, 0, sizeof *s);
}
