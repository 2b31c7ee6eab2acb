/* The OOM-freeze monitor: one small process per container that opted in
 * (org.nook.oom=freeze or disableOOMKiller). create forks it; it outlives
 * create, is neither the init's parent nor in the container's cgroup (so it
 * is not charged for the container's memory nor frozen with it) and keeps
 * its memory locked, so it still runs when the container's memory is gone.
 *
 * It waits for the kernel's sign of an OOM incident (cgroup/oom*.c), freezes
 * the cgroup, writes the snapshot (oom.json) and an oom-frozen event line
 * (oom-events), runs the handler program, and then waits for a decision:
 * someone thaws the cgroup (`nook resume`, after `update --memory` or killing
 * processes), kills it all, or the timeout passes and the fallback runs.
 * Each ends in an oom-resolved line; a thaw re-arms it for the next
 * incident. `nook resume` asks for the resolution (SIGUSR1) before it thaws,
 * while what was killed can still be told from what merely finished after
 * the thaw. It exits when the cgroup is empty. */
#include "oom.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

char *oom_rfc3339_ms(long long epoch_ms)
{
    char buf[UTC_FORMAT_LEN];
    utc_format((time_t)(epoch_ms / 1000), buf);
    return xasprintf("%s.%03lldZ", buf, epoch_ms % 1000);
}

/* ---- create's side ---- */

int oom_prepare(const struct spec *spec, const struct nook_cgroup *cg, pid_t init,
                enum cgroup_oom_mechanism *mech, int *restore_adj, struct nook_error *err)
{
    if (cgroup_oom_mechanism_for(cg, geteuid() == 0, mech, err) < 0)
        return nook_error_wrap(err, "annotations[\"org.nook.oom\"]: freeze");
    if (oom_restore_value(&spec->process, restore_adj, err) < 0)
        return -1;
    if (*mech == CGROUP_OOM_V2_ROOTLESS)
        return cgroup_oom_v2_set_limit(cg, true, (uint64_t)spec->resources.memory.limit, err);
    if (*mech == CGROUP_OOM_V1)
        return 0; /* memory.oom_control = 1 (the monitor) stops the OOM killer */
    /* The init is still nook's code and not yet in its own user namespace's
     * hands: -1000 needs CAP_SYS_RESOURCE, which we have and it may not. */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)init);
    if (write_string_at(AT_FDCWD, path, "-1000", err) < 0)
        return nook_error_wrap(err, "OOM freeze: hide the container from the OOM killer");
    return 0;
}

/* ---- the monitor process ---- */

/* DECIDED: the incident is resolved, the cgroup not yet thawed; it re-arms
 * once thawed (no new incident while the decision's thaw is pending). */
enum phase { ARMED, FROZEN, DECIDED, DISARMED };

struct monitor {
    const struct oom_monitor_args *a;
    struct cgroup_oom_watch w;
    int events_fd; /* cgroup.events: populated, frozen */
    int feed_fd;   /* oom-events, O_APPEND */
    int sig_fd;    /* signalfd for SIGUSR1: resolve now (oom_monitor_resolve_frozen) */
    char *nook_exe;
    enum phase phase;
    int incident;
    struct nook_oom_snapshot snap; /* of the current incident */
    long long frozen_at, deadline; /* monotonic ms; deadline 0: none */
    pid_t handler;
};

static char *in_dir(const struct monitor *m, const char *name)
{
    return xasprintf("%s/%s", m->a->dir, name);
}

/* Keep only the fds in keep (and 0-2); create may hold the container's lock,
 * the caller's pipes and sockets. */
static void close_other_fds(const int *keep, size_t n)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int self = dirfd(d);
    int *close_v = NULL;
    size_t n_close = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || fd < 3 || fd == self)
            continue;
        bool kept = false;
        for (size_t i = 0; i < n; i++)
            kept |= keep[i] == fd;
        if (!kept) {
            close_v = xrealloc(close_v, (n_close + 1) * sizeof *close_v);
            close_v[n_close++] = (int)fd;
        }
    }
    closedir(d);
    for (size_t i = 0; i < n_close; i++)
        close(close_v[i]);
    free(close_v);
}

static void detach_from_caller(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    (void)!setsid();
    (void)!chdir("/");
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        for (int fd = 0; fd < 3; fd++)
            if (fd != null)
                dup2(null, fd);
        if (null > 2)
            close(null);
    }
    prctl(PR_SET_NAME, "nook-oom");
    /* Locked as faulted in (MCL_ONFAULT): no pre-faulting of large sparse
     * mappings. A rootless nook may lack the memlock budget: then the
     * monitor runs unlocked, which only matters under host memory
     * pressure. */
    (void)!mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT);
}

static void feed_write(struct monitor *m, char *line)
{
    size_t n = strlen(line);
    line = xrealloc(line, n + 2);
    line[n] = '\n';
    line[n + 1] = '\0';
    (void)!write_all(m->feed_fd, line, n + 1);
    free(line);
}

/* Whether the "key value" line of cgroup.events says value. */
static bool events_say(struct monitor *m, const char *key, const char *value)
{
    char buf[512];
    ssize_t n = pread(m->events_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char want[64];
    snprintf(want, sizeof want, "%s %s\n", key, value);
    return strstr(buf, want) != NULL;
}

/* Someone thawed the cgroup (`nook resume`). */
static bool thawed(struct monitor *m)
{
    bool t;
    struct nook_error err;
    return cgroup_oom_thawed(m->a->cg, &m->w, &t, &err) == 0 && t;
}

/* Whether the container's cgroup still has processes: cgroup.events where
 * there is a cgroup2 directory, else its pid list (pure v1). */
static bool populated(struct monitor *m)
{
    if (m->events_fd >= 0)
        return !events_say(m, "populated", "0");
    pid_t *pids;
    size_t n;
    struct nook_error err;
    if (cgroup_pids(m->a->cg, &pids, &n, &err) < 0)
        return false;
    free(pids);
    return n > 0;
}

static void run_handler(struct monitor *m, const char *snapshot)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return;
    /* The whole snapshot fits in the pipe, so a handler that reads nothing
     * cannot block the monitor. */
    size_t len = strlen(snapshot);
    if (len > 65536)
        (void)!fcntl(p[1], F_SETPIPE_SZ, (int)(len < (1u << 20) ? len : (1u << 20)));
    pid_t pid = fork();
    if (pid == 0) {
        char *log = in_dir(m, OOM_HANDLER_LOG);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (dup2(p[0], 0) < 0 || out < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) /* exec keeps the mask */
            _exit(127);
        setenv("NOOK_CONTAINER_ID", m->a->id, 1);
        setenv("NOOK_ROOT", m->a->root, 1);
        if (m->nook_exe)
            setenv("NOOK", m->nook_exe, 1);
        char *argv[] = {m->a->policy->handler, (char *)m->a->id, NULL};
        execve(argv[0], argv, environ);
        dprintf(2, "nook-oom: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(p[0]);
    if (pid > 0) {
        m->handler = pid;
        (void)!fcntl(p[1], F_SETFL, O_NONBLOCK);
        (void)!write_all(p[1], snapshot, len);
    }
    close(p[1]);
}

static void reap_handler(struct monitor *m)
{
    if (m->handler > 0 && waitpid(m->handler, NULL, WNOHANG) == m->handler)
        m->handler = 0;
}

static void freeze_for_oom(struct monitor *m)
{
    struct nook_error err;
    if (cgroup_oom_freeze(m->a->cg, &m->w, &err) < 0)
        return; /* could not freeze in time (thawed again): stay armed */
    m->incident++;
    m->frozen_at = now_ms();
    oom_snapshot_free(&m->snap);
    struct nook_oom_snapshot *s = &m->snap;
    s->incident = m->incident;
    s->frozen_at = oom_rfc3339_ms(wall_ms());
    s->fallback = m->a->policy->fallback;
    m->deadline = 0;
    if (m->a->policy->timeout_ms > 0) {
        m->deadline = m->frozen_at + m->a->policy->timeout_ms;
        s->deadline = oom_rfc3339_ms(wall_ms() + m->a->policy->timeout_ms);
    }
    pid_t *pids = NULL;
    size_t n = 0;
    if (cgroup_oom_read(m->a->cg, &m->w, s, &err) == 0 &&
        cgroup_pids(m->a->cg, &pids, &n, &err) == 0)
        oom_snapshot_processes(pids, n, s);
    free(pids);
    char *json = spec_oom_snapshot_json(s);
    char *path = in_dir(m, OOM_SNAPSHOT_FILE);
    (void)write_file_atomic(path, json, strlen(json), 0644, &err);
    free(path);
    feed_write(m, spec_event_oom_frozen_json(m->a->id, s));
    m->phase = FROZEN;
    if (m->a->policy->handler)
        run_handler(m, json);
    free(json);
}

static void resolve(struct monitor *m, const char *action, const char *fallback)
{
    struct nook_oom_snapshot now;
    memset(&now, 0, sizeof now);
    struct nook_error err;
    now.limit = m->snap.limit;
    if (cgroup_oom_read(m->a->cg, &m->w, &now, &err) < 0)
        now.limit = m->snap.limit;
    pid_t *killed = xcalloc(m->snap.n_procs + 1, sizeof *killed);
    size_t n_killed = 0;
    for (size_t i = 0; i < m->snap.n_procs; i++)
        if (oom_proc_gone(&m->snap.procs[i]))
            killed[n_killed++] = m->snap.procs[i].pid;
    if (!action)
        action = now.limit > m->snap.limit ? "raise" : n_killed > 0 ? "kill" : "resume";
    struct nook_oom_resolution r = {
        .incident = m->incident,
        .action = action,
        .fallback = fallback,
        .limit_before = m->snap.limit,
        .limit_after = now.limit,
        .killed = killed,
        .n_killed = n_killed,
        .frozen_ms = (long)(now_ms() - m->frozen_at),
    };
    feed_write(m, spec_event_oom_resolved_json(m->a->id, &r));
    free(killed);
    oom_snapshot_free(&now);
    /* Last: `nook resume` waits for the snapshot to go. */
    char *path = in_dir(m, OOM_SNAPSHOT_FILE);
    unlink(path);
    free(path);
    m->phase = DECIDED;
}

/* After the thaw that ends an incident: watch for the next one. */
static void rearm(struct monitor *m)
{
    m->phase = ARMED;
    /* What the counters did while frozen and thawing is this incident's. */
    bool ignored;
    struct nook_error err;
    (void)cgroup_oom_triggered(m->a->cg, &m->w, &ignored, &err);
}

static void timeout_fallback(struct monitor *m)
{
    struct nook_error err;
    const char *name = spec_oom_fallback_names[m->a->policy->fallback];
    switch (m->a->policy->fallback) {
    case SPEC_OOM_FALLBACK_KILL:
        /* The processes get back the oom_score_adj they would have had,
         * so the kernel's OOM killer applies. */
        if (m->w.mech == CGROUP_OOM_V2)
            oom_restore_scores(m->a->dir, m->a->cg, m->a->restore_adj);
        (void)cgroup_oom_let_kernel_kill(m->a->cg, &m->w, &err);
        resolve(m, "timeout", name);
        m->phase = DISARMED;
        (void)cgroup_freeze(m->a->cg, false, &err);
        break;
    case SPEC_OOM_FALLBACK_KILL_ALL:
        resolve(m, "timeout", name);
        m->phase = DISARMED;
        (void)cgroup_kill(m->a->cg, &err);
        break;
    case SPEC_OOM_FALLBACK_THAW:
    case SPEC_OOM_FALLBACKS:
        resolve(m, "timeout", name);
        (void)cgroup_freeze(m->a->cg, false, &err);
        rearm(m);
        break;
    }
}

/* Whether SIGUSR1 came (reading them all). */
static bool asked_to_resolve(struct monitor *m, short revents)
{
    struct signalfd_siginfo si;
    bool asked = false;
    if (revents & POLLIN)
        while (read(m->sig_fd, &si, sizeof si) == (ssize_t)sizeof si)
            asked = true;
    return asked;
}

static _Noreturn void monitor_loop(struct monitor *m)
{
    for (;;) {
        reap_handler(m);
        int timeout = -1;
        if (m->phase == FROZEN && m->deadline > 0) {
            long long left = m->deadline - now_ms();
            timeout = left < 0 ? 0 : (int)left;
        }
        /* A handler to reap, or no cgroup.events to say "populated 0". */
        if ((m->handler > 0 || m->events_fd < 0) && (timeout < 0 || timeout > 1000))
            timeout = 1000;
        struct pollfd p[3] = {{.fd = m->w.fd, .events = POLLIN | POLLPRI},
                              {.fd = m->events_fd, .events = POLLPRI},
                              {.fd = m->sig_fd, .events = POLLIN}};
        if (poll(p, 3, timeout) < 0 && errno != EINTR)
            _exit(1);
        bool asked = asked_to_resolve(m, p[2].revents);
        if (!populated(m)) {
            if (m->phase == FROZEN)
                resolve(m, "kill-all", NULL);
            _exit(0);
        }
        bool hit = false;
        struct nook_error err;
        if (cgroup_oom_triggered(m->a->cg, &m->w, &hit, &err) < 0)
            hit = false;
        if (m->phase == ARMED && hit)
            freeze_for_oom(m);
        else if (m->phase == FROZEN && (asked || thawed(m)))
            resolve(m, NULL, NULL);
        else if (m->phase == FROZEN && m->deadline > 0 && now_ms() >= m->deadline)
            timeout_fallback(m);
        if (m->phase == DECIDED && thawed(m))
            rearm(m);
    }
}

/* SIGUSR1 blocked and readable from the returned fd, or -1 (errno). */
static int signalfd_for_usr1(void)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &usr1, NULL) < 0)
        return -1;
    return signalfd(-1, &usr1, SFD_CLOEXEC | SFD_NONBLOCK);
}

struct ready_msg {
    pid_t pid;
    struct nook_error err; /* err.msg[0] == 0: watching */
};

static _Noreturn void monitor_main(const struct oom_monitor_args *a, int ready)
{
    struct monitor m;
    memset(&m, 0, sizeof m);
    m.a = a;
    m.events_fd = m.feed_fd = m.sig_fd = -1;
    struct ready_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.pid = getpid();
    int keep[16] = {ready, a->cg->dirfd};
    size_t n_keep = 2;
    for (size_t i = 0; i < a->cg->n_v1 && n_keep < 16; i++)
        keep[n_keep++] = a->cg->v1[i].fd;
    close_other_fds(keep, n_keep);
    detach_from_caller();
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        m.nook_exe = xstrdup(exe);
    }
    char *feed = in_dir(&m, OOM_EVENTS_FILE);
    m.feed_fd = open(feed, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    free(feed);
    /* Before create hears we watch: from then on `nook resume` may send
     * SIGUSR1, whose default action would end the monitor. */
    if ((m.sig_fd = signalfd_for_usr1()) < 0)
        nook_error_sys(&msg.err, "OOM monitor: signalfd for SIGUSR1");
    else if (m.feed_fd < 0)
        nook_error_sys(&msg.err, "OOM monitor: create %s", OOM_EVENTS_FILE);
    else if (a->cg->dirfd >= 0 &&
             (m.events_fd = openat(a->cg->dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC)) < 0)
        nook_error_sys(&msg.err, "OOM monitor: open %s/cgroup.events", a->cg->path);
    else if (cgroup_oom_open(a->cg, a->mech, &m.w, &msg.err) < 0)
        nook_error_wrap(&msg.err, "OOM monitor");
    (void)!write_all(ready, &msg, sizeof msg);
    close(ready);
    if (msg.err.msg[0])
        _exit(1);
    monitor_loop(&m);
}

int oom_monitor_start(const struct oom_monitor_args *a, pid_t *pid,
                      unsigned long long *start_time, struct nook_error *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return nook_error_sys(err, "OOM monitor: pipe");
    pid_t mid = fork();
    if (mid == 0) {
        close(p[0]);
        pid_t mon = fork();
        if (mon == 0)
            monitor_main(a, p[1]);
        _exit(mon < 0 ? 1 : 0);
    }
    close(p[1]);
    if (mid < 0) {
        close(p[0]);
        return nook_error_sys(err, "OOM monitor: fork");
    }
    while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
        ;
    struct ready_msg msg;
    ssize_t n = read_all(p[0], &msg, sizeof msg);
    close(p[0]);
    if (n != (ssize_t)sizeof msg)
        return nook_error_set(err, 0, "OOM monitor: exited before it watched the cgroup");
    if (msg.err.msg[0]) {
        *err = msg.err;
        return -1;
    }
    *pid = msg.pid;
    if (proc_stat_start_time(msg.pid, start_time, NULL) < 0)
        return nook_error_set(err, 0, "OOM monitor: exited before it watched the cgroup");
    return 0;
}

/* ---- what the CLI asks of it ---- */

bool oom_monitor_alive(const struct nook_state *st)
{
    unsigned long long start;
    char s;
    return st->oom_monitor_pid > 0 &&
           proc_stat_start_time(st->oom_monitor_pid, &start, &s) == 0 &&
           start == st->oom_monitor_start_time && s != 'Z' && s != 'X';
}

void oom_monitor_stop(const struct nook_state *st)
{
    if (oom_monitor_alive(st))
        kill(st->oom_monitor_pid, SIGKILL);
}

/* Until oom.json is gone (the monitor ended the incident), the monitor is
 * gone, or tries * 10 ms passed. */
static void wait_snapshot_gone(const struct container *c, int tries)
{
    char *path = xasprintf("%s/%s", c->dir, OOM_SNAPSHOT_FILE);
    for (int i = 0; i < tries && oom_monitor_alive(&c->st) && access(path, F_OK) == 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    free(path);
}

/* The monitor takes SIGUSR1 (has it blocked, for its signalfd): one that
 * did not, say of an older nook, would die of it. */
static bool monitor_takes_usr1(pid_t pid)
{
    char path[64], *status;
    struct nook_error ignored;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (read_file(path, &status, NULL, &ignored) < 0)
        return false;
    const char *p = strstr(status, "\nSigBlk:");
    bool takes = p && (strtoull(p + strlen("\nSigBlk:"), NULL, 16) >> (SIGUSR1 - 1) & 1);
    free(status);
    return takes;
}

void oom_monitor_resolve_frozen(const struct container *c)
{
    char *path = xasprintf("%s/%s", c->dir, OOM_SNAPSHOT_FILE);
    bool frozen_for_oom = access(path, F_OK) == 0;
    free(path);
    if (frozen_for_oom && oom_monitor_alive(&c->st) && monitor_takes_usr1(c->st.oom_monitor_pid) &&
        kill(c->st.oom_monitor_pid, SIGUSR1) == 0)
        wait_snapshot_gone(c, 500); /* it answers in ms; a stuck one is not waited for */
}

void oom_monitor_wait_rearmed(const struct container *c)
{
    wait_snapshot_gone(c, 200);
}
