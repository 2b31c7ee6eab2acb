/* OOM freeze on a cgroup v1 memory controller (pure v1 and hybrid hosts).
 *
 * memory.oom_control = 1 turns the OOM killer off for the cgroup: a task
 * that cannot charge memory sleeps in the kernel's OOM wait (state D,
 * mem_cgroup_oom_synchronize) until memory is freed or the limit raised, and
 * an eventfd registered through cgroup.event_control fires (~4 ms). The
 * freezer (cgroup.freeze of the unified hierarchy on a hybrid host, else the
 * v1 freezer) cannot freeze a task in that wait: the group stays "frozen 0"
 * / FREEZING until memory comes back. Every task that is frozen or in the
 * OOM wait makes no progress, so that counts as frozen. Writing
 * memory.oom_control = 0 lets the kernel kill one process (the fallback). */
#include "cgroup.h"
#include "oom_backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define OOM_V1_FREEZE_TIMEOUT_MS 10000
/* How long a requested freeze may be in motion before it counts as not
 * frozen (cg_oom_v1_frozen_in_oom_wait). */
#define OOM_V1_SETTLE_MS 1000

static int memory_fd(const struct nook_cgroup *cg, struct nook_error *err)
{
    int mem = cgroup_memory_fd(cg);
    if (mem < 0)
        nook_error_set(err, 0, "the container has no v1 memory cgroup");
    return mem;
}

int cg_oom_v1_open(const struct nook_cgroup *cg, struct cgroup_oom_watch *w,
                   struct nook_error *err)
{
    int mem = memory_fd(cg, err);
    if (mem < 0)
        return -1;
    if (write_string_at(mem, "memory.oom_control", "1", err) < 0)
        return nook_error_wrap(err, "turn off the OOM killer (memory.oom_control)");
    w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->fd < 0)
        return nook_error_sys(err, "eventfd");
    w->ctl_fd = openat(mem, "memory.oom_control", O_RDONLY | O_CLOEXEC);
    if (w->ctl_fd < 0)
        return nook_error_sys(err, "open memory.oom_control");
    char buf[64];
    snprintf(buf, sizeof buf, "%d %d", w->fd, w->ctl_fd);
    if (write_string_at(mem, "cgroup.event_control", buf, err) < 0)
        return nook_error_wrap(err, "register for OOM notifications");
    return 0;
}

static int under_oom(const struct nook_cgroup *cg, bool *v, struct nook_error *err)
{
    char *text;
    int mem = memory_fd(cg, err);
    if (mem < 0 || cg_read(mem, "memory.oom_control", &text, err) < 0)
        return -1;
    *v = cg_keyed(text, "under_oom") == 1;
    free(text);
    return 0;
}

int cg_oom_v1_triggered(const struct nook_cgroup *cg, struct cgroup_oom_watch *w, bool *hit,
                        struct nook_error *err)
{
    uint64_t n;
    while (read(w->fd, &n, sizeof n) == (ssize_t)sizeof n)
        ;
    return under_oom(cg, hit, err);
}

/* The state letter of /proc/<pid>/task/<tid>/stat (after the comm, which
 * may hold spaces and parentheses), or 0. */
static char thread_state(pid_t pid, const char *tid)
{
    char path[320], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%s/stat", (int)pid, tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[len > 0 ? len : 0] = '\0';
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

/* A thread that makes no progress: in the kernel's OOM wait, or frozen, or
 * on its way into the freezer. The v1 freezer (the system freezer) puts a
 * task sleeping freezably (do_wait, nanosleep, futex, pipe) straight into
 * TASK_FROZEN where it sleeps, without waking it: since Linux 6.1 /proc
 * shows it as "D" with that wait as its wchan (seen in the pure v1 VM:
 * the shell "D do_wait" next to the hog "D mem_cgroup_oom_synchronize");
 * before 6.1 it slept in __refrigerator, also "D". Any other "D" sleep
 * cannot return to user space without passing the freezer that was asked
 * for. The freezer of cgroup2 (hybrid host) traps a task in
 * do_freezer_trap/get_signal, state "S". */
static bool thread_settled(pid_t pid, const char *tid)
{
    char state = thread_state(pid, tid);
    if (state == 0 || state == 'D' || state == 'Z' || state == 'X')
        return true; /* gone, frozen or in the OOM wait, exiting */
    char wpath[320], wchan[64] = "";
    snprintf(wpath, sizeof wpath, "/proc/%d/task/%s/wchan", (int)pid, tid);
    int fd = open(wpath, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true;
    ssize_t len = read(fd, wchan, sizeof wchan - 1);
    close(fd);
    wchan[len > 0 ? len : 0] = '\0';
    return strcmp(wchan, "do_freezer_trap") == 0 || strcmp(wchan, "get_signal") == 0;
}

/* Every thread of pid makes no progress (thread_settled). */
static bool threads_settled(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return true; /* gone */
    bool settled = true;
    struct dirent *e;
    while (settled && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            settled = thread_settled(pid, e->d_name);
    closedir(d);
    return settled;
}

/* Is the freeze requested (cgroup.freeze 1 or freezer.state not THAWED)?
 * Does the freezer report it done? */
static int freeze_state(const struct nook_cgroup *cg, bool *requested, bool *done,
                        struct nook_error *err)
{
    char *text;
    if (cg->dirfd >= 0 && faccessat(cg->dirfd, "cgroup.freeze", F_OK, 0) == 0) {
        if (cg_read(cg->dirfd, "cgroup.freeze", &text, err) < 0)
            return -1;
        *requested = strcmp(text, "1") == 0;
        free(text);
        if (cg_read(cg->dirfd, "cgroup.events", &text, err) < 0)
            return -1;
        *done = strstr(text, "frozen 1") != NULL;
        free(text);
        return 0;
    }
    const struct cgroup_v1_dir *f = cg_v1_dir(cg, "freezer");
    if (!f)
        return nook_error_set(err, 0, "no freezer for the container");
    if (cg_read(f->fd, "freezer.state", &text, err) < 0)
        return -1;
    *requested = strcmp(text, "THAWED") != 0;
    *done = strcmp(text, "FROZEN") == 0;
    free(text);
    return 0;
}

/* Now: a freeze is asked for and not reported done, the cgroup is under OOM
 * and every task is frozen or in the OOM wait. */
static bool settled_in_oom_wait(const struct nook_cgroup *cg)
{
    struct nook_error err;
    bool requested, done, oom;
    if (freeze_state(cg, &requested, &done, &err) < 0 || !requested || done ||
        under_oom(cg, &oom, &err) < 0 || !oom)
        return false;
    pid_t *pids;
    size_t n;
    if (cgroup_pids(cg, &pids, &n, &err) < 0)
        return false;
    bool settled = true;
    for (size_t i = 0; i < n && settled; i++)
        settled = threads_settled(pids[i]);
    free(pids);
    return settled;
}

static void nap_2ms(void)
{
    struct timespec ts = {0, 2 * 1000000L};
    nanosleep(&ts, NULL);
}

/* A freeze asked for while tasks sleep in the OOM wait is in motion: when
 * the limit is raised or memory freed they wake, leave the wait and only
 * then reach the freezer, so for a moment neither "frozen" nor "in the OOM
 * wait" holds. Asked about a requested freeze, wait (bounded, as runc waits
 * for a requested freeze to complete) until it settles either way. */
bool cg_oom_v1_frozen_in_oom_wait(const struct nook_cgroup *cg)
{
    long deadline = cg_now_ms() + OOM_V1_SETTLE_MS;
    do {
        struct nook_error err;
        bool requested, done;
        if (freeze_state(cg, &requested, &done, &err) < 0 || !requested)
            return false;
        if (done || settled_in_oom_wait(cg))
            return true;
        nap_2ms();
    } while (cg_now_ms() < deadline);
    return false;
}

static int request_freeze(const struct nook_cgroup *cg, bool frozen, struct nook_error *err)
{
    if (cg->dirfd >= 0 && faccessat(cg->dirfd, "cgroup.freeze", F_OK, 0) == 0)
        return write_string_at(cg->dirfd, "cgroup.freeze", frozen ? "1" : "0", err);
    const struct cgroup_v1_dir *f = cg_v1_dir(cg, "freezer");
    if (!f)
        return nook_error_set(err, 0, "no freezer for the container");
    return write_string_at(f->fd, "freezer.state", frozen ? "FROZEN" : "THAWED", err);
}

int cg_oom_v1_freeze(const struct nook_cgroup *cg, struct nook_error *err)
{
    if (request_freeze(cg, true, err) < 0)
        return nook_error_wrap(err, "freeze for OOM");
    for (int waited = 0; waited < OOM_V1_FREEZE_TIMEOUT_MS; waited += 2) {
        bool requested, done;
        if (freeze_state(cg, &requested, &done, err) < 0)
            return -1;
        if (done || settled_in_oom_wait(cg))
            return 0;
        nap_2ms();
    }
    struct nook_error ignored;
    (void)request_freeze(cg, false, &ignored);
    return nook_error_set(err, ETIMEDOUT, "freeze for OOM: not frozen after %d ms (thawed "
                          "it again)", OOM_V1_FREEZE_TIMEOUT_MS);
}

int cg_oom_v1_thawed(const struct nook_cgroup *cg, bool *thawed, struct nook_error *err)
{
    bool requested, done;
    if (freeze_state(cg, &requested, &done, err) < 0)
        return -1;
    *thawed = !requested;
    return 0;
}

int cg_oom_v1_let_kernel_kill(const struct nook_cgroup *cg, struct nook_error *err)
{
    int mem = memory_fd(cg, err);
    if (mem < 0 || write_string_at(mem, "memory.oom_control", "0", err) < 0)
        return nook_error_wrap(err, "turn the OOM killer back on");
    return 0;
}

/* memory.limit_in_bytes reads PAGE_COUNTER_MAX pages (~2^63) for none. */
static uint64_t v1_limit(uint64_t v)
{
    return v >= (1ull << 62) ? UINT64_MAX : v;
}

int cg_oom_v1_read(const struct nook_cgroup *cg, struct nook_oom_snapshot *s,
                   struct nook_error *err)
{
    int mem = memory_fd(cg, err);
    uint64_t limit, failcnt;
    char *oom, *stat;
    if (mem < 0 || cg_read_u64(mem, "memory.limit_in_bytes", &limit, err) < 0 ||
        cg_read_u64(mem, "memory.usage_in_bytes", &s->usage, err) < 0 ||
        cg_read_u64(mem, "memory.max_usage_in_bytes", &s->peak, err) < 0 ||
        cg_read_u64(mem, "memory.failcnt", &failcnt, err) < 0)
        return -1;
    s->limit = v1_limit(limit);
    if (cg_read(mem, "memory.oom_control", &oom, err) < 0)
        return -1;
    s->n_events = 0;
    s->events[s->n_events++] = (struct spec_oom_counter){"failcnt", failcnt};
    s->events[s->n_events++] = (struct spec_oom_counter){"under_oom", cg_keyed(oom, "under_oom")};
    s->events[s->n_events++] = (struct spec_oom_counter){"oom_kill", cg_keyed(oom, "oom_kill")};
    free(oom);
    if (cg_read(mem, "memory.stat", &stat, err) < 0)
        return -1;
    s->anon = cg_keyed(stat, "rss");
    s->file = cg_keyed(stat, "cache");
    free(stat);
    struct nook_error ignored;
    if (cg_read_u64(mem, "memory.kmem.usage_in_bytes", &s->kernel, &ignored) < 0)
        s->kernel = 0;
    return 0;
}
