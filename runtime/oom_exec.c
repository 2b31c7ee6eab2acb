/* OOM freeze and `nook exec`. On cgroup v2 with root the freeze works only
 * because no process of the container is a victim the kernel's OOM killer
 * may take (oom_score_adj -1000): the init gets it before it execs and its
 * children inherit it, but a process `nook exec` starts descends from nook,
 * not from the init. So while the policy is armed it gets -1000 too, and
 * the oom_score_adj it would have had goes into the state directory
 * (OOM_ADJ_FILE), where the monitor looks when the policy ends (fallback
 * kill) to give it, and its children, that value back. On v1 and hybrid
 * hosts memory.oom_control holds every task of the cgroup already, and
 * rootless v2 cannot lower a score. */
#include "oom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int oom_restore_value(const struct spec_process *p, int *adj, struct nook_error *err)
{
    if (p->has_oom_score_adj) {
        *adj = p->oom_score_adj;
        return 0;
    }
    char *text;
    if (read_file("/proc/self/oom_score_adj", &text, NULL, err) < 0)
        return -1;
    *adj = atoi(text);
    free(text);
    return 0;
}

static char *in_dir(const char *dir, const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

bool oom_disarmed(const char *dir)
{
    char *path = in_dir(dir, OOM_DISARMED_FILE);
    bool gone = access(path, F_OK) == 0;
    free(path);
    return gone;
}

bool oom_exec_hides(const struct container *c, const struct spec *spec,
                    const struct nook_cgroup *cg)
{
    struct spec_oom_policy policy;
    struct nook_error ignored;
    if (spec_oom_policy(spec, &policy, &ignored) < 0)
        return false;
    bool freeze = policy.freeze;
    spec_oom_policy_free(&policy);
    enum cgroup_oom_mechanism m;
    /* The mechanism create chose by the same rule (oom_prepare). Without a
     * monitor nothing would freeze, and a process hidden from the OOM
     * killer would only make the container hang at its limit. */
    return freeze && cgroup_oom_mechanism_for(cg, geteuid() == 0, &m, &ignored) == 0 &&
           m == CGROUP_OOM_V2 && oom_monitor_alive(&c->st) && !oom_disarmed(c->dir);
}

/* The records file, open and locked (flock: the monitor's restore and an
 * exec's record do not interleave). */
static int lock_records(const char *dir, int flags, int *fd, struct nook_error *err)
{
    char *path = in_dir(dir, OOM_ADJ_FILE);
    *fd = open(path, flags | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) {
        nook_error_sys(err, "open %s", path);
        free(path);
        return -1;
    }
    free(path);
    if (flock(*fd, LOCK_EX) < 0) {
        nook_error_sys(err, "lock %s", OOM_ADJ_FILE);
        close(*fd);
        return -1;
    }
    return 0;
}

static int write_adj(pid_t pid, int adj, struct nook_error *err)
{
    char path[64], val[16];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
    snprintf(val, sizeof val, "%d", adj);
    if (write_string_at(AT_FDCWD, path, val, err) < 0 && err->code != ESRCH &&
        err->code != ENOENT)
        return -1;
    return 0;
}

int oom_exec_record(const struct container *c, pid_t pid, int adj, struct nook_error *err)
{
    unsigned long long start;
    if (proc_stat_start_time(pid, &start, NULL) < 0)
        return 0; /* already gone: nothing to give back */
    int fd;
    if (lock_records(c->dir, O_WRONLY | O_APPEND, &fd, err) < 0)
        return nook_error_wrap(err, "OOM freeze: record the exec'd process");
    char line[96];
    int n = snprintf(line, sizeof line, "%d %llu %d\n", (int)pid, start, adj);
    int r = 0;
    if (write_all(fd, line, (size_t)n) < 0)
        r = nook_error_sys(err, "OOM freeze: record the exec'd process in %s", OOM_ADJ_FILE);
    /* The policy ended while the process was set up: the monitor's restore
     * (which takes the lock after it marks the end) may have missed it. */
    else if (oom_disarmed(c->dir))
        r = write_adj(pid, adj, err);
    close(fd);
    return r;
}

/* ---- the monitor's side ---- */

struct oom_adj_record {
    pid_t pid;
    unsigned long long start;
    int adj;
};

static void load_records(int fd, struct oom_adj_record **v, size_t *n)
{
    *v = NULL;
    *n = 0;
    char buf[4096], part[96];
    size_t plen = 0;
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i] != '\n') {
                if (plen < sizeof part - 1)
                    part[plen++] = buf[i];
                continue;
            }
            part[plen] = '\0';
            plen = 0;
            struct oom_adj_record r;
            int pid;
            if (sscanf(part, "%d %llu %d", &pid, &r.start, &r.adj) != 3)
                continue;
            r.pid = pid;
            *v = xrealloc(*v, (*n + 1) * sizeof **v);
            (*v)[(*n)++] = r;
        }
    }
}

/* The value recorded for pid or its nearest recorded ancestor (an exec'd
 * process's children inherited its -1000), else dflt: the init's lineage. */
static int value_for(const struct oom_adj_record *v, size_t n, pid_t pid, int dflt)
{
    for (int hops = 0; hops < 64 && pid > 1; hops++) {
        unsigned long long start;
        if (proc_stat_start_time(pid, &start, NULL) < 0)
            break;
        for (size_t i = 0; i < n; i++)
            if (v[i].pid == pid && v[i].start == start)
                return v[i].adj;
        pid = proc_parent(pid);
    }
    return dflt;
}

void oom_restore_scores(const char *dir, const struct nook_cgroup *cg, int dflt)
{
    struct nook_error err;
    /* First the mark, then the sweep under the lock: an exec that records
     * after the sweep sees the mark and restores its process itself. */
    char *mark = in_dir(dir, OOM_DISARMED_FILE);
    int mfd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    free(mark);
    if (mfd >= 0)
        close(mfd);
    int fd;
    bool locked = lock_records(dir, O_RDONLY, &fd, &err) == 0;
    struct oom_adj_record *v = NULL;
    size_t n = 0;
    if (locked)
        load_records(fd, &v, &n);
    pid_t *pids;
    size_t n_pids;
    if (cgroup_pids(cg, &pids, &n_pids, &err) == 0) {
        for (size_t i = 0; i < n_pids; i++)
            (void)write_adj(pids[i], value_for(v, n, pids[i], dflt), &err);
        free(pids);
    }
    free(v);
    if (locked)
        close(fd);
}
