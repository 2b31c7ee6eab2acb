/* The sandbox's pid 1: a minimal init between the pid namespace and CMD
 * (as bubblewrap has). The kernel shields a namespace's pid 1 from every
 * signal it has no handler for, so a CMD that is pid 1 ignores SIGTERM and
 * SIGINT, cannot kill -9 itself, and leaves the orphans reparented to it
 * unreaped. Here the init, with every credential, capability, filter, cwd
 * and fd CMD has (it forks at the very end of the setup, just before the
 * execve), forks CMD as pid 2, passes each signal it gets on to CMD, reaps
 * every child and exits with CMD's status (128+N after signal N), which
 * takes the rest of the namespace with it.
 *
 * After the fork the init only blocks signals, closes fds, waits for
 * signals, reaps, kills and exits (rt_sigprocmask, close_range or close,
 * rt_sigtimedwait, wait4, kill, exit_group: all in the default seccomp
 * profile), allocates nothing and prints nothing. */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* The init keeps no fd: a pipe CMD writes to ends with CMD, and the sync
 * socket and exec.fifo close when CMD execs (nook waits for that). */
static void close_all_fds(void)
{
    if (syscall(SYS_close_range, 0U, ~0U, 0U) == 0)
        return;
    struct rlimit rl;
    rlim_t max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                     ? rl.rlim_cur
                     : 1024;
    for (rlim_t fd = 0; fd < max; fd++)
        (void)close((int)fd); /* EBADF for most: nothing to do */
}

/* Reap every child that has ended; returns CMD's exit status once it is
 * among them, else -1. */
static int reap_children(pid_t cmd)
{
    int ws;
    pid_t p;
    while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
        if (p == cmd)
            return exit_status_of(ws);
    return -1;
}

/* Where a --seccomp profile forbids waiting for signals: only reap, until
 * CMD ends (exit 255 if even that is forbidden, rather than spin). */
static _Noreturn void reap_only(pid_t cmd)
{
    for (;;) {
        int ws;
        pid_t p = waitpid(-1, &ws, 0);
        if (p == cmd)
            _exit(exit_status_of(ws));
        if (p < 0 && errno != EINTR)
            _exit(255);
    }
}

static _Noreturn void init_loop(pid_t cmd, const sigset_t *all)
{
    close_all_fds();
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(all, &si);
        if (sig < 0 && errno != EINTR) /* EINTR: a stop and continue */
            reap_only(cmd);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            (void)kill(cmd, sig); /* ESRCH: CMD ended, its SIGCHLD is pending */
            continue;
        }
        int status = reap_children(cmd);
        if (status >= 0)
            _exit(status);
    }
}

/* CMD's side: its own process group (so a signal from the terminal reaches
 * it once, not also through the init), the terminal's foreground group when
 * it has one, the signal mask the setup left, then execve. */
static int exec_cmd(const char *file, char *const argv[], char *const env[], bool terminal,
                    const sigset_t *old, struct nook_error *err)
{
    if (setpgid(0, 0) < 0)
        return nook_error_sys(err, "setpgid for the sandbox command");
    /* SIGTTOU (blocked here) would stop a background group doing this. */
    if (terminal && tcsetpgrp(STDIN_FILENO, getpgrp()) < 0)
        return nook_error_sys(err, "make the sandbox command the terminal's foreground");
    if (sigprocmask(SIG_SETMASK, old, NULL) < 0)
        return nook_error_sys(err, "restore the signal mask");
    execve(file, argv, env);
    return nook_error_sys(err, "exec %s", file);
}

int process_exec_under_init(const char *file, char *const argv[], char *const env[],
                            bool terminal, struct nook_error *err)
{
    sigset_t all, old;
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, &old) < 0)
        return nook_error_sys(err, "block signals in the sandbox init");
    pid_t cmd = fork();
    if (cmd < 0) {
        int e = errno;
        (void)sigprocmask(SIG_SETMASK, &old, NULL);
        return nook_error_set(err, e, "fork the sandbox command");
    }
    if (cmd == 0)
        return exec_cmd(file, argv, env, terminal, &old, err);
    init_loop(cmd, &all);
}
