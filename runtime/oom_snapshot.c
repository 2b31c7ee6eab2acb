/* The processes of an OOM snapshot, read from /proc while they are frozen. */
#include "oom.h"

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
