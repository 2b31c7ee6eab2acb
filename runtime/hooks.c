/* OCI hooks (runtime-spec config.md, "POSIX-platform Hooks"): each hook is an
 * executable run with its own args and env, the container's state JSON on
 * stdin, and an optional timeout in seconds after which it is killed. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *const hook_kind_names[SPEC_HOOK_KINDS] = {
    [SPEC_HOOK_PRESTART] = "prestart",
    [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
    [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
    [SPEC_HOOK_START_CONTAINER] = "startContainer",
    [SPEC_HOOK_POSTSTART] = "poststart",
    [SPEC_HOOK_POSTSTOP] = "poststop",
};

/* In the forked child: stdin from the pipe, a clean signal mask (the caller
 * may block signals it reads from a signalfd), no fds of nook's leaking into
 * the hook, then exec. On failure the errno goes up the exec-error pipe. */
static void __attribute__((noreturn))
hook_child(const struct spec_hook *h, const char *bundle, int stdin_fd, int errfd,
           pid_t keeper)
{
    sigset_t none;
    sigemptyset(&none);
    struct nook_error ignored = {.code = 0};
    int rc;
    /* It leads a process group of its own (the keeper kills it), and dies
     * with its keeper (the parent-death signal survives execve; getppid
     * covers a keeper gone before the prctl). */
    if (setpgid(0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
        getppid() != keeper)
        _exit(127);
    if (stdin_fd == STDIN_FILENO)
        rc = fcntl(stdin_fd, F_SETFD, 0);
    else
        rc = dup2(stdin_fd, STDIN_FILENO);
    if (rc >= 0)
        rc = sigprocmask(SIG_SETMASK, &none, NULL);
    if (rc >= 0)
        rc = process_cloexec_from(STDERR_FILENO + 1, &ignored);
    /* Hooks run in the bundle, as runc runs them; a hook run inside the
     * container after pivot_root cannot see it and keeps "/". */
    if (rc >= 0 && bundle && chdir(bundle) < 0 && chdir("/") < 0)
        rc = -1;
    if (rc >= 0) {
        /* args[0] is argv[0]; without args the path stands in, as runc. */
        char *default_argv[] = {h->path, NULL};
        char *empty_env[] = {NULL};
        execve(h->path, h->args.n ? h->args.v : default_argv,
               h->env.n ? h->env.v : empty_env);
    }
    int e = rc < 0 && ignored.code ? ignored.code : errno;
    (void)!write(errfd, &e, sizeof e);
    _exit(127);
}

/* Between nook and the hook: a child of the runner (nook, or the init for
 * the hooks it runs) that runs the hook in a process group of its own and
 * kills that whole group once the hook exits, once the runner gives up on
 * it (SIGTERM: timeout, error) or once the runner dies (its parent-death
 * signal), so nothing a hook starts outlives the process that ran it, even
 * a runner killed with SIGKILL. It exits as the hook did. */
static void __attribute__((noreturn))
hook_keeper(const struct spec_hook *h, const char *bundle, const int in[2], const int ex[2],
            pid_t runner, char *what)
{
    /* The runner's message text is of no use here; freed, so this fork,
     * which ends in _exit rather than execve, holds nothing it cannot
     * reach (valgrind counts it lost otherwise). */
    free(what);
    /* Only the hook's ends: the runner's would keep the hook from ever
     * seeing EOF on its stdin. */
    close(in[1]);
    close(ex[0]);
    int stdin_fd = in[0], errfd = ex[1];
    sigset_t wait_set;
    sigemptyset(&wait_set);
    sigaddset(&wait_set, SIGCHLD);
    sigaddset(&wait_set, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &wait_set, NULL) < 0 ||
        prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != runner)
        _exit(127);
    pid_t self = getpid();
    pid_t hook = fork();
    if (hook == 0)
        hook_child(h, bundle, stdin_fd, errfd, self);
    if (hook < 0) {
        int e = errno;
        (void)!write(errfd, &e, sizeof e);
        _exit(127);
    }
    /* Also here, so the group exists before any kill of it below. */
    (void)setpgid(hook, hook);
    close(stdin_fd);
    close(errfd);
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&wait_set, &si);
        if (sig == SIGTERM)
            break;
        /* WNOWAIT: while the hook is an unreaped zombie its pid cannot be
         * reused, so the kill of its group below hits no one else's. */
        siginfo_t ws;
        ws.si_pid = 0;
        if (sig == SIGCHLD && waitid(P_PID, (id_t)hook, &ws, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            ws.si_pid == hook)
            break;
    }
    kill(-hook, SIGKILL);
    kill(hook, SIGKILL);
    int status = 0;
    while (waitpid(hook, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status))
        _exit(WEXITSTATUS(status));
    int term = WTERMSIG(status);
    sigset_t just;
    sigemptyset(&just);
    sigaddset(&just, term);
    signal(term, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &just, NULL);
    raise(term);
    _exit(128 + term);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The keeper kills the hook's process group, then exits. */
static void kill_and_reap(pid_t keeper)
{
    int status;
    kill(keeper, SIGTERM);
    while (waitpid(keeper, &status, 0) < 0 && errno == EINTR)
        ;
}

/* Waiting for one child with a timeout, without busy polling and without
 * taking over SIGCHLD: a pidfd (5.3+) becomes readable when the child exits.
 * Where pidfd_open is missing (older kernels, valgrind) a signalfd for
 * SIGCHLD does the same job; any SIGCHLD it swallowed is raised again at the
 * end so the caller still hears about its own children. */
struct child_watch {
    pid_t pid;
    int fd;
    bool via_sigchld, sigchld_seen;
    sigset_t old_mask;
};

static int watch_start(struct child_watch *w, pid_t pid, struct nook_error *err)
{
    w->pid = pid;
    w->via_sigchld = w->sigchld_seen = false;
    w->fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (w->fd >= 0)
        return 0;
    if (errno != ENOSYS)
        return nook_error_sys(err, "pidfd_open");
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &w->old_mask) < 0)
        return nook_error_sys(err, "block SIGCHLD");
    w->fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (w->fd < 0) {
        nook_error_sys(err, "signalfd");
        sigprocmask(SIG_SETMASK, &w->old_mask, NULL);
        return -1;
    }
    w->via_sigchld = true;
    return 0;
}

/* 1 when the child has exited (and is reaped, status filled), 0 when not
 * yet, -1 on error. Called once up front (an exit before SIGCHLD was
 * blocked sent no signal we could see) and whenever fd is readable. */
static int watch_check(struct child_watch *w, int *status)
{
    if (w->via_sigchld) {
        struct signalfd_siginfo si;
        while (read(w->fd, &si, sizeof si) == (ssize_t)sizeof si)
            w->sigchld_seen = true;
    }
    pid_t r;
    do
        r = waitpid(w->pid, status, WNOHANG);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -1 : r == w->pid;
}

static void watch_end(struct child_watch *w)
{
    close(w->fd);
    if (w->via_sigchld) {
        if (w->sigchld_seen)
            kill(getpid(), SIGCHLD);
        sigprocmask(SIG_SETMASK, &w->old_mask, NULL);
    }
}

/* What a hook run came to while we fed it and waited for it. */
enum hook_wait { HOOK_EXITED, HOOK_TIMED_OUT, HOOK_WAIT_FAILED };

/* Feed json to the hook's stdin (non-blocking, so a hook that never reads
 * cannot stall us past its timeout) while waiting for it to exit; poll()
 * sleeps until one of them is ready or the deadline passes. */
static enum hook_wait feed_and_wait(struct child_watch *w, int *status, int wfd,
                                    const char *json, int timeout_s, const char *what,
                                    struct nook_error *err)
{
    size_t len = strlen(json), off = 0;
    long long deadline = timeout_s > 0 ? now_ms() + (long long)timeout_s * 1000 : 0;
    enum hook_wait result = HOOK_WAIT_FAILED;
    int done;
    if (fcntl(wfd, F_SETFL, O_NONBLOCK) < 0) {
        nook_error_sys(err, "%s: set stdin pipe non-blocking", what);
        goto out;
    }
    for (;;) {
        int tmo = -1;
        if (deadline) {
            long long left = deadline - now_ms();
            if (left <= 0) {
                result = HOOK_TIMED_OUT;
                goto out;
            }
            tmo = left > 1000000 ? 1000000 : (int)left;
        }
        struct pollfd pfd[2] = {{.fd = w->fd, .events = POLLIN},
                                {.fd = wfd, .events = POLLOUT}};
        int r = poll(pfd, wfd >= 0 ? 2 : 1, tmo);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            nook_error_sys(err, "%s: poll", what);
            goto out;
        }
        if (r == 0)
            continue; /* the deadline check above reports it */
        if (wfd >= 0 && pfd[1].revents) {
            ssize_t n = off < len ? write(wfd, json + off, len - off) : 0;
            if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EPIPE) {
                nook_error_sys(err, "%s: write state to stdin", what);
                goto out;
            }
            if (n > 0)
                off += (size_t)n;
            /* Done, or EPIPE: a hook need not read its stdin. */
            if (off == len || (n < 0 && errno == EPIPE)) {
                close(wfd);
                wfd = -1;
            }
        }
        if (pfd[0].revents) {
            if ((done = watch_check(w, status)) < 0) {
                nook_error_sys(err, "%s: wait", what);
                goto out;
            }
            if (done) {
                result = HOOK_EXITED;
                goto out;
            }
        }
    }
out:
    if (wfd >= 0)
        close(wfd);
    return result;
}

/* feed_and_wait with SIGPIPE blocked, so writing to a hook that closed its
 * stdin gives EPIPE instead of killing nook. The SIGPIPE this raises is
 * taken off the pending set before the mask is restored (nook never leaves
 * SIGPIPE ignored or blocked: the container inherits both). */
static enum hook_wait feed_and_wait_nosigpipe(struct child_watch *w, int *status, int wfd,
                                              const char *json, int timeout_s,
                                              const char *what, struct nook_error *err)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    if (sigprocmask(SIG_BLOCK, &pipe_set, &old) < 0) {
        close(wfd);
        nook_error_sys(err, "%s: block SIGPIPE", what);
        return HOOK_WAIT_FAILED;
    }
    enum hook_wait r = feed_and_wait(w, status, wfd, json, timeout_s, what, err);
    if (!was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}

/* "bad system call" for SIGSYS: strsignal's words in lower case, as runc
 * (Go) prints a signal; scripts and runc's tests look for them. */
static const char *signal_words(int sig)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "%s", strsignal(sig));
    if (buf[0] >= 'A' && buf[0] <= 'Z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

static int hook_run_one(const char *kind, const struct spec_hook *h, const char *bundle, const char *json,
                        struct nook_error *err)
{
    /* runc's wording ("error running hook"), which scripts and runc's tests
     * look for. */
    char *what = xasprintf("error running hook: %s hook %s", kind, h->path);
    int in[2], ex[2];
    int rc = -1;
    if (pipe2(in, O_CLOEXEC) < 0) {
        nook_error_sys(err, "%s: pipe", what);
        goto out_what;
    }
    if (pipe2(ex, O_CLOEXEC) < 0) {
        nook_error_sys(err, "%s: pipe", what);
        close(in[0]);
        close(in[1]);
        goto out_what;
    }
    pid_t self = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        nook_error_sys(err, "%s: fork", what);
        close(in[0]);
        close(in[1]);
        close(ex[0]);
        close(ex[1]);
        goto out_what;
    }
    if (pid == 0)
        hook_keeper(h, bundle, in, ex, self, what);
    if (nook_trace_sink_fn) {
        char args[1024];
        NOOK_TRACE("%s: run (pid %d) with args [%s], %zu env, timeout %ds", what, (int)pid,
                   nook_trace_argv(h->args.v, h->args.n, args, sizeof args), h->env.n,
                   h->has_timeout ? h->timeout : 0);
    }
    close(in[0]);
    close(ex[1]);

    struct child_watch w;
    if (watch_start(&w, pid, err) < 0) {
        nook_error_wrap(err, "%s", what);
        close(in[1]);
        kill_and_reap(pid);
        goto out_ex;
    }
    int status = 0;
    int timeout = h->has_timeout ? h->timeout : 0;
    int done = watch_check(&w, &status);
    enum hook_wait wr = done > 0 ? HOOK_EXITED : HOOK_WAIT_FAILED;
    if (done < 0) {
        nook_error_sys(err, "%s: wait", what);
        close(in[1]);
    } else if (done == 0) {
        wr = feed_and_wait_nosigpipe(&w, &status, in[1], json, timeout, what, err);
    } else {
        close(in[1]); /* exited before we wrote anything */
    }
    if (wr != HOOK_EXITED) {
        kill_and_reap(pid);
        if (wr == HOOK_TIMED_OUT)
            nook_error_set(err, 0, "%s: timed out after %ds", what, timeout);
    }
    watch_end(&w);
    if (wr != HOOK_EXITED)
        goto out_ex;

    int exec_errno;
    ssize_t n;
    do
        n = read(ex[0], &exec_errno, sizeof exec_errno);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof exec_errno)
        nook_error_set(err, exec_errno, "%s: exec", what);
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        nook_error_set(err, 0, "%s: exited with status %d", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        nook_error_set(err, 0, "%s: killed by signal %d (%s)", what, WTERMSIG(status),
                       signal_words(WTERMSIG(status)));
    else
        rc = 0;
    NOOK_TRACE("%s: %s", what, rc == 0 ? "done" : err->msg);
out_ex:
    close(ex[0]);
out_what:
    free(what);
    return rc;
}

int hooks_run(const struct spec *spec, enum spec_hook_kind kind, const struct nook_state *st,
              struct nook_error *err)
{
    const struct spec_hook_list *list = &spec->hooks[kind];
    if (list->n == 0)
        return 0;
    /* runtime.md: "created" is the state after step 2 of the lifecycle (the
     * environment exists); prestart, createRuntime and createContainer are
     * steps 3 to 5, so they are told "created" while nook's own state file
     * still says "creating" until create returns. */
    struct nook_state told = *st;
    if (kind == SPEC_HOOK_PRESTART || kind == SPEC_HOOK_CREATE_RUNTIME ||
        kind == SPEC_HOOK_CREATE_CONTAINER)
        told.status = NOOK_STATUS_CREATED;
    char *json = spec_state_oci_json(&told);
    if (!json)
        return nook_error_set(err, 0, "%s hooks: encode the container state",
                              hook_kind_names[kind]);
    /* runtime.md: a failing poststart or poststop hook is a warning and the
     * remaining hooks still run; any other failure stops the list. */
    bool keep_going = kind == SPEC_HOOK_POSTSTART || kind == SPEC_HOOK_POSTSTOP;
    /* As runc: createContainer hooks run in the container's root (the init
     * is there, before pivot_root); the others in the bundle. */
    const char *cwd = kind == SPEC_HOOK_CREATE_CONTAINER ? NULL : st->bundle;
    int rc = 0;
    for (size_t i = 0; i < list->n && (rc == 0 || keep_going); i++) {
        struct nook_error one;
        if (hook_run_one(hook_kind_names[kind], &list->v[i], cwd, json, &one) < 0 &&
            rc == 0) {
            *err = one;
            rc = -1;
        }
    }
    free(json);
    return rc;
}
