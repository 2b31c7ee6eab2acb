/* runtime_create and runtime_run: from a spec to a created container, and
 * the foreground run (signals forwarded, pty proxied, --timeout enforced,
 * exit status, removal at the end) that `run` and `sandbox` share. */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int runtime_create(const struct nook_globals *g, struct runtime_spec *rs,
                   const struct create_opts *o, struct runtime_warnings *w,
                   struct nook_error *err)
{
    struct created cr;
    if (container_create(g, rs, o, &cr, w, err) < 0)
        return -1;
    container_release(&cr.c);
    close(cr.sync_fd);
    if (cr.master >= 0)
        close(cr.master);
    return 0;
}

/* Reap children until init is among them; returns its exit status or -1. */
static int reap(pid_t init)
{
    int status = -1, ws;
    pid_t p;
    while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
        if (p == init)
            status = exit_status_of(ws);
    return status;
}

/* --timeout: a POSIX timer that raises SIGALRM (blocked, so it arrives on
 * the signalfd with si_code SI_TIMER, unlike a SIGALRM sent to nook, which
 * is forwarded). */
struct deadline {
    timer_t timer;
    bool armed;
    int stage; /* 0: running, 1: SIGTERM sent, 2: SIGKILL sent */
};

static int deadline_arm(struct deadline *d, long ms, struct nook_error *err)
{
    struct itimerspec its = {.it_value = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}};
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    if (!d->armed) {
        struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM};
        if (timer_create(CLOCK_MONOTONIC, &ev, &d->timer) < 0)
            return nook_error_sys(err, "create --timeout timer");
        d->armed = true;
    }
    if (timer_settime(d->timer, 0, &its, NULL) < 0)
        return nook_error_sys(err, "arm --timeout timer");
    return 0;
}

/* The deadline passed: SIGTERM the init first, then, after the grace,
 * SIGKILL (which also reaches an init without a SIGTERM handler, and takes
 * the whole pid namespace with it). */
static int deadline_expired(struct deadline *d, const struct create_opts *o, pid_t init,
                            struct nook_error *err)
{
    if (d->stage == 0) {
        d->stage = 1;
        kill(init, SIGTERM);
        return deadline_arm(d, o->grace_ms, err);
    }
    d->stage = 2;
    kill(init, SIGKILL);
    return 0;
}

/* After init exited: what it wrote to the pty may still be on its way to
 * the master (the kernel moves it there asynchronously); copy it out until
 * the pty reports the hang-up, or nothing came for a while (a process outside
 * a pid namespace may hold the terminal open). */
static void drain_pty(int master)
{
    char buf[4096];
    struct pollfd p = {.fd = master, .events = POLLIN};
    while (poll(&p, 1, 200) == 1) {
        ssize_t n = read(master, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0 || write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
            return;
    }
}

/* Foreground: pass signals on, proxy the terminal, wait for init. */
static int wait_foreground(const struct created *cr, const struct create_opts *o,
                           const sigset_t *set, struct runtime_exit *ex, struct nook_error *err)
{
    /* console_proxy reads SIGWINCH itself (to resize the pty). */
    sigset_t ours = *set;
    if (cr->master >= 0)
        sigdelset(&ours, SIGWINCH);
    int sfd = signalfd(-1, &ours, SFD_CLOEXEC);
    if (sfd < 0)
        return nook_error_sys(err, "signalfd");
    struct deadline d = {.armed = false};
    int r = 0;
    if (o->timeout_ms > 0)
        r = deadline_arm(&d, o->timeout_ms, err);
    int status = r < 0 ? 0 : reap(cr->init);
    while (r == 0 && status < 0) {
        if (cr->master >= 0 && console_proxy(cr->master, sfd, err) < 0) {
            r = -1;
            break;
        }
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof si);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != sizeof si) {
            r = nook_error_sys(err, "read signalfd");
            break;
        }
        if (si.ssi_signo == SIGCHLD)
            status = reap(cr->init);
        else if (si.ssi_signo == SIGALRM && si.ssi_code == SI_TIMER && d.armed)
            r = deadline_expired(&d, o, cr->init, err);
        else if (si.ssi_signo != SIGWINCH || cr->master < 0)
            kill(cr->init, (int)si.ssi_signo);
    }
    if (d.armed)
        timer_delete(d.timer);
    close(sfd);
    if (r == 0 && cr->master >= 0)
        r = console_drain(cr->master, err);
    if (r < 0)
        return -1;
    if (cr->master >= 0)
        drain_pty(cr->master);
    ex->status = status;
    ex->timed_out = d.stage > 0;
    ex->killed = d.stage > 1;
    /* timeout(1)'s status, also when SIGKILL was needed (ex->killed says
     * so), so a script can tell a timeout from the command's own failure. */
    if (ex->timed_out)
        ex->status = 124;
    return 0;
}

/* A start that failed because init died: init's own error says why. */
static void take_init_error(int sync_fd, struct nook_error *err)
{
    struct pollfd p = {.fd = sync_fd, .events = POLLIN};
    struct sync_msg m;
    struct nook_error ignored;
    if (poll(&p, 1, 0) == 1 && sync_recv(sync_fd, &m, NULL, NULL, &ignored) == 0 &&
        m.type == SYNC_ERROR)
        *err = m.err;
}

/* After start: EOF on the sync socket means init exec'd the process; an
 * error message means it could not. */
static int wait_exec(int sync_fd, struct nook_error *err)
{
    struct sync_msg m;
    int r = sync_recv(sync_fd, &m, NULL, NULL, err);
    if (r < 0)
        return -1;
    if (r == 0 && m.type == SYNC_ERROR) {
        *err = m.err;
        return -1;
    }
    return 0;
}

static void run_poststart(const struct spec *spec, struct container *c,
                          struct runtime_warnings *w)
{
    struct nook_error hook_err;
    /* runtime.md: a failing poststart hook is only a warning. */
    if (hooks_run(spec, SPEC_HOOK_POSTSTART, &c->st, &hook_err) < 0)
        runtime_warn(w, "%s", hook_err.msg);
}

/* Kill what is left and delete; a failure here is a warning, the run's own
 * outcome being what the caller reports. */
static void remove_container(const struct nook_globals *g, const char *id,
                             const struct spec *spec, struct runtime_warnings *w)
{
    struct container c;
    struct nook_error err;
    if (container_load(g, id, &c, &err) < 0)
        return;
    int r = container_kill_all(&c, &err);
    if (r == 0)
        r = container_destroy(&c, spec, w, &err);
    if (r < 0)
        runtime_warn(w, "delete: %s", err.msg);
    container_release(&c);
}

/* Signals that came for a container that is gone now: drop them before the
 * old mask is back, or their default action would end nook. */
static void drop_pending(const sigset_t *set)
{
    struct timespec zero = {0, 0};
    while (sigtimedwait(set, NULL, &zero) > 0)
        ;
}

static int run_started(const struct nook_globals *g, struct runtime_spec *rs,
                       const struct create_opts *o, const sigset_t *set, struct created *cr,
                       struct runtime_exit *ex, struct runtime_warnings *w,
                       struct nook_error *err)
{
    /* Still locked since create: what container_load would find, but for
     * the status, which follows from facts (the init may have died). */
    struct container c = cr->c;
    memset(&cr->c, 0, sizeof cr->c);
    cr->c.lock_fd = -1;
    c.st.status = container_status(c.dir, &c.st);
    /* A restored container runs already: nothing to start. */
    if (!o->restore && (container_start(&c, err) < 0 || wait_exec(cr->sync_fd, err) < 0)) {
        take_init_error(cr->sync_fd, err);
        container_release(&c);
        remove_container(g, o->id, &rs->spec, w);
        return -1;
    }
    if (!o->restore)
        run_poststart(&rs->spec, &c, w);
    container_release(&c);
    if (o->detach)
        return 0;
    int r = wait_foreground(cr, o, set, ex, err);
    if (!o->keep || r < 0)
        remove_container(g, o->id, &rs->spec, w);
    return r;
}

int runtime_run(const struct nook_globals *g, struct runtime_spec *rs,
                const struct create_opts *o, struct runtime_exit *ex,
                struct runtime_warnings *w, struct nook_error *err)
{
    memset(ex, 0, sizeof *ex);
    sigset_t set, old;
    forwarded_signals(&set);
    if (!o->detach && sigprocmask(SIG_BLOCK, &set, &old) < 0)
        return nook_error_sys(err, "block signals");
    struct created cr;
    int r = container_create(g, rs, o, &cr, w, err);
    if (r == 0) {
        r = run_started(g, rs, o, &set, &cr, ex, w, err);
        if (cr.sync_fd >= 0)
            close(cr.sync_fd);
        if (cr.master >= 0)
            close(cr.master);
    }
    if (!o->detach) {
        drop_pending(&set);
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    return r;
}

int runtime_restore(const struct nook_globals *g, struct runtime_spec *rs,
                    const struct create_opts *o, const struct criu_cli_opts *c,
                    struct runtime_exit *ex, struct runtime_warnings *w, struct nook_error *err)
{
    struct create_opts ro = *o;
    ro.restore = c;
    ro.run = true;
    return runtime_run(g, rs, &ro, ex, w, err);
}
