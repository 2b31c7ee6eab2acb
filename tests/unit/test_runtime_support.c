/* runtime/ support files: hooks, console and fd passing, process setup, log,
 * /proc reading. */
#include "unit.h"
#include "../../runtime/internal.h"
#include "../../runtime/oom.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/nook-rt-XXXXXX";

static char *slurp(const char *path)
{
    struct nook_error err;
    char *data;
    size_t len;
    if (read_file(path, &data, &len, &err) < 0)
        return NULL;
    return data;
}

static void put_file(const char *path, const char *text, mode_t mode)
{
    struct nook_error err;
    CHECK(write_file(path, text, strlen(text), mode, &err) == 0);
    CHECK(chmod(path, mode) == 0);
}

/* Run fn in a forked child: its return value (0 = all good, else the line
 * that failed) becomes the exit status. */
static int in_child(int (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn(arg));
    int status;
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    if (WIFSIGNALED(status))
        return 1000 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
#define REQUIRE(cond)                                                            \
    do {                                                                         \
        if (!(cond))                                                             \
            return __LINE__ % 250 + 1;                                           \
    } while (0)

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- hooks ------------------------------------------------------------ */

static void make_state(struct nook_state *st, size_t big_annotation)
{
    memset(st, 0, sizeof *st);
    st->oci_version = xstrdup("1.2.0");
    st->id = xstrdup("hooked");
    st->status = NOOK_STATUS_CREATED;
    st->pid = 4242;
    st->bundle = xstrdup("/bundle");
    st->rootfs = xstrdup("/bundle/rootfs");
    st->created = xstrdup("2026-11-20T12:00:00.000000000Z");
    st->annotations.n = 1;
    st->annotations.v = xcalloc(1, sizeof *st->annotations.v);
    st->annotations.v[0].key = xstrdup("org.example.key");
    if (big_annotation) {
        st->annotations.v[0].value = xmalloc(big_annotation + 1);
        memset(st->annotations.v[0].value, 'a', big_annotation);
        st->annotations.v[0].value[big_annotation] = '\0';
    } else {
        st->annotations.v[0].value = xstrdup("value");
    }
}

static void strv_set(struct spec_strv *sv, const char *const *v)
{
    size_t n = 0;
    while (v[n])
        n++;
    sv->n = n;
    sv->v = xcalloc(n + 1, sizeof *sv->v);
    for (size_t i = 0; i < n; i++)
        sv->v[i] = xstrdup(v[i]);
}

static void strv_clear(struct spec_strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    memset(sv, 0, sizeof *sv);
}

/* A spec whose hook list of `kind` is n hooks, all /bin/sh -c script[i]. */
static void set_sh_hooks(struct spec *spec, enum spec_hook_kind kind, const char *const *scripts,
                         int timeout)
{
    size_t n = 0;
    while (scripts[n])
        n++;
    spec->hooks[kind].n = n;
    spec->hooks[kind].v = xcalloc(n, sizeof *spec->hooks[kind].v);
    for (size_t i = 0; i < n; i++) {
        struct spec_hook *h = &spec->hooks[kind].v[i];
        h->path = xstrdup("/bin/sh");
        const char *args[] = {"sh", "-c", scripts[i], NULL};
        strv_set(&h->args, args);
        h->has_timeout = timeout > 0;
        h->timeout = timeout;
    }
}

static void clear_hooks(struct spec *spec)
{
    for (int k = 0; k < SPEC_HOOK_KINDS; k++) {
        for (size_t i = 0; i < spec->hooks[k].n; i++) {
            free(spec->hooks[k].v[i].path);
            strv_clear(&spec->hooks[k].v[i].args);
            strv_clear(&spec->hooks[k].v[i].env);
        }
        free(spec->hooks[k].v);
        spec->hooks[k].v = NULL;
        spec->hooks[k].n = 0;
    }
}

static void test_hook_kind_names(void)
{
    CHECK_STR(hook_kind_names[SPEC_HOOK_PRESTART], "prestart");
    CHECK_STR(hook_kind_names[SPEC_HOOK_CREATE_RUNTIME], "createRuntime");
    CHECK_STR(hook_kind_names[SPEC_HOOK_CREATE_CONTAINER], "createContainer");
    CHECK_STR(hook_kind_names[SPEC_HOOK_START_CONTAINER], "startContainer");
    CHECK_STR(hook_kind_names[SPEC_HOOK_POSTSTART], "poststart");
    CHECK_STR(hook_kind_names[SPEC_HOOK_POSTSTOP], "poststop");
}

/* The hook gets the state JSON on stdin, args[0] as argv[0] and exactly its
 * env (read back from /proc/<pid>/environ, which is what execve passed). */
static void test_hook_stdin_args_env(void)
{
    struct spec spec = {0};
    struct nook_state st;
    struct nook_error err;
    make_state(&st, 0);
    char *script = xasprintf("if [ -e /proc/$$/fd/50 ]; then echo leaked; else echo clean; fi "
                             "> %s/fds; "
                             "/usr/bin/cat > %s/stdin; "
                             "/usr/bin/tr '\\0' '\\n' < /proc/$$/environ > %s/env; "
                             "/usr/bin/tr '\\0' '\\n' < /proc/$$/cmdline > %s/cmdline",
                             tmpdir, tmpdir, tmpdir, tmpdir);
    spec.hooks[SPEC_HOOK_POSTSTART].n = 1;
    spec.hooks[SPEC_HOOK_POSTSTART].v = xcalloc(1, sizeof(struct spec_hook));
    struct spec_hook *h = &spec.hooks[SPEC_HOOK_POSTSTART].v[0];
    h->path = xstrdup("/bin/sh");
    const char *args[] = {"my-hook-name", "-c", script, NULL};
    const char *env[] = {"FOO=bar baz", "EMPTY=", NULL};
    strv_set(&h->args, args);
    strv_set(&h->env, env);

    /* An fd without O_CLOEXEC must not reach the hook. */
    int leak = open("/dev/null", O_RDONLY);
    CHECK(leak >= 0 && dup2(leak, 50) == 50);
    CHECK(hooks_run(&spec, SPEC_HOOK_POSTSTART, &st, &err) == 0);
    close(50);
    close(leak);
    char *want = spec_state_oci_json(&st);
    char *path = xasprintf("%s/stdin", tmpdir);
    char *got = slurp(path);
    CHECK(want && strstr(want, "\"hooked\"") != NULL);
    CHECK_STR(got, want);
    free(got);
    free(path);
    path = xasprintf("%s/env", tmpdir);
    got = slurp(path);
    CHECK_STR(got, "FOO=bar baz\nEMPTY=\n");
    free(got);
    free(path);
    path = xasprintf("%s/cmdline", tmpdir);
    got = slurp(path);
    CHECK(got && strncmp(got, "my-hook-name\n-c\n", 16) == 0);
    free(got);
    free(path);
    path = xasprintf("%s/fds", tmpdir);
    got = slurp(path);
    CHECK_STR(got, "clean\n");
    free(got);
    free(path);

    /* No env in the config: the hook's environment is empty. */
    strv_clear(&h->env);
    CHECK(hooks_run(&spec, SPEC_HOOK_POSTSTART, &st, &err) == 0);
    path = xasprintf("%s/env", tmpdir);
    got = slurp(path);
    CHECK_STR(got, "");
    free(got);
    free(path);

    free(want);
    free(script);
    clear_hooks(&spec);
    spec_state_free(&st);
}

/* The hook writes to nook's stdout and starts with no signal blocked even
 * when nook has some blocked (a shell would clear its mask itself, so the
 * hook here is grep). */
static void test_hook_signal_mask(void)
{
    struct spec spec = {0};
    struct nook_state st;
    struct nook_error err;
    make_state(&st, 0);
    spec.hooks[SPEC_HOOK_PRESTART].n = 1;
    spec.hooks[SPEC_HOOK_PRESTART].v = xcalloc(1, sizeof(struct spec_hook));
    struct spec_hook *h = &spec.hooks[SPEC_HOOK_PRESTART].v[0];
    h->path = xstrdup("/usr/bin/grep");
    const char *args[] = {"grep", "SigBlk", "/proc/self/status", NULL};
    strv_set(&h->args, args);

    char *path = xasprintf("%s/sigblk", tmpdir);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    fflush(stdout);
    int saved = dup(1);
    CHECK(out >= 0 && saved >= 0 && dup2(out, 1) == 1);
    sigset_t usr1, old_mask;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &usr1, &old_mask) == 0);
    CHECK(hooks_run(&spec, SPEC_HOOK_PRESTART, &st, &err) == 0);
    CHECK(sigprocmask(SIG_SETMASK, &old_mask, NULL) == 0);
    CHECK(dup2(saved, 1) == 1);
    close(saved);
    close(out);
    char *got = slurp(path);
    CHECK_STR(got, "SigBlk:\t0000000000000000\n");
    free(got);
    free(path);
    clear_hooks(&spec);
    spec_state_free(&st);
}

static void test_hook_failures(void)
{
    struct spec spec = {0};
    struct nook_state st;
    struct nook_error err;
    make_state(&st, 0);

    /* A failing hook stops the list: the second one must not run. */
    char *marker = xasprintf("%s/second-ran", tmpdir);
    char *touch = xasprintf("echo > %s", marker);
    const char *exit3[] = {"exit 3", touch, NULL};
    set_sh_hooks(&spec, SPEC_HOOK_PRESTART, exit3, 0);
    CHECK(hooks_run(&spec, SPEC_HOOK_PRESTART, &st, &err) == -1);
    CHECK_STR(err.msg, "error running hook: prestart hook /bin/sh: exited with status 3");
    CHECK(access(marker, F_OK) < 0 && errno == ENOENT);
    clear_hooks(&spec);

    const char *ok_then_touch[] = {"exit 0", touch, NULL};
    set_sh_hooks(&spec, SPEC_HOOK_PRESTART, ok_then_touch, 0);
    CHECK(hooks_run(&spec, SPEC_HOOK_PRESTART, &st, &err) == 0);
    CHECK(access(marker, F_OK) == 0);
    clear_hooks(&spec);

    const char *killed[] = {"kill -TERM $$", NULL};
    set_sh_hooks(&spec, SPEC_HOOK_POSTSTART, killed, 0);
    CHECK(hooks_run(&spec, SPEC_HOOK_POSTSTART, &st, &err) == -1);
    CHECK_STR(err.msg, "error running hook: poststart hook /bin/sh: killed by signal 15 (terminated)");
    clear_hooks(&spec);

    const char *sleeper[] = {"exec /usr/bin/sleep 5", NULL};
    set_sh_hooks(&spec, SPEC_HOOK_CREATE_RUNTIME, sleeper, 1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(hooks_run(&spec, SPEC_HOOK_CREATE_RUNTIME, &st, &err) == -1);
    double took = seconds_since(&t0);
    CHECK_STR(err.msg, "error running hook: createRuntime hook /bin/sh: timed out after 1s");
    CHECK(took >= 0.9 && took < 2.5);
    clear_hooks(&spec);

    const char *fine[] = {"exit 0", NULL};
    set_sh_hooks(&spec, SPEC_HOOK_POSTSTOP, fine, 0);
    free(spec.hooks[SPEC_HOOK_POSTSTOP].v[0].path);
    spec.hooks[SPEC_HOOK_POSTSTOP].v[0].path = xasprintf("%s/no-such-hook", tmpdir);
    CHECK(hooks_run(&spec, SPEC_HOOK_POSTSTOP, &st, &err) == -1);
    char *want = xasprintf("error running hook: poststop hook %s/no-such-hook: exec: No such file or directory", tmpdir);
    CHECK_STR(err.msg, want);
    CHECK(err.code == ENOENT);
    free(want);
    clear_hooks(&spec);

    /* No hooks of a kind: nothing runs, success. */
    CHECK(hooks_run(&spec, SPEC_HOOK_START_CONTAINER, &st, &err) == 0);

    free(touch);
    free(marker);
    spec_state_free(&st);
}

/* A state larger than a pipe buffer and hooks that never read stdin: no
 * SIGPIPE death, no stall past the timeout, and SIGPIPE is left neither
 * blocked, ignored nor pending. */
static void test_hook_unread_stdin(void)
{
    struct spec spec = {0};
    struct nook_state st;
    struct nook_error err;
    make_state(&st, 512 * 1024);

    const char *quick[] = {"exit 0", NULL};
    set_sh_hooks(&spec, SPEC_HOOK_PRESTART, quick, 0);
    CHECK(hooks_run(&spec, SPEC_HOOK_PRESTART, &st, &err) == 0);
    clear_hooks(&spec);

    const char *stall[] = {"exec /usr/bin/sleep 5", NULL};
    set_sh_hooks(&spec, SPEC_HOOK_PRESTART, stall, 1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(hooks_run(&spec, SPEC_HOOK_PRESTART, &st, &err) == -1);
    CHECK(seconds_since(&t0) < 2.5);
    CHECK_STR(err.msg, "error running hook: prestart hook /bin/sh: timed out after 1s");
    clear_hooks(&spec);

    sigset_t mask, pending;
    CHECK(sigprocmask(SIG_SETMASK, NULL, &mask) == 0);
    CHECK(sigismember(&mask, SIGPIPE) == 0);
    CHECK(sigpending(&pending) == 0);
    CHECK(sigismember(&pending, SIGPIPE) == 0);
    struct sigaction sa;
    CHECK(sigaction(SIGPIPE, NULL, &sa) == 0);
    CHECK(sa.sa_handler == SIG_DFL);
    spec_state_free(&st);
}

/* Where pidfd_open is missing (seccomp makes it ENOSYS here), hooks are
 * waited for through a SIGCHLD signalfd: timeouts and statuses still work,
 * SIGCHLD is unblocked again and the caller's handler still hears of it. */
static volatile sig_atomic_t sigchld_count;

static void on_sigchld(int sig)
{
    sigchld_count++;
}

static int hooks_without_pidfd(void *arg)
{
    struct spec spec = {0};
    struct nook_state st;
    struct nook_error err;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    REQUIRE(ctx != NULL);
    REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(pidfd_open), 0) == 0);
    REQUIRE(seccomp_load(ctx) == 0);
    seccomp_release(ctx);
    REQUIRE(syscall(SYS_pidfd_open, getpid(), 0) < 0 && errno == ENOSYS);
    struct sigaction sa = {.sa_handler = on_sigchld};
    REQUIRE(sigaction(SIGCHLD, &sa, NULL) == 0);

    make_state(&st, 0);
    const char *exit4[] = {"/usr/bin/cat > /dev/null; exit 4", NULL};
    set_sh_hooks(&spec, SPEC_HOOK_PRESTART, exit4, 0);
    sigchld_count = 0;
    REQUIRE(hooks_run(&spec, SPEC_HOOK_PRESTART, &st, &err) == -1);
    REQUIRE(strcmp(err.msg, "error running hook: prestart hook /bin/sh: exited with status 4") == 0);
    REQUIRE(sigchld_count > 0);
    clear_hooks(&spec);

    const char *stall[] = {"exec /usr/bin/sleep 5", NULL};
    set_sh_hooks(&spec, SPEC_HOOK_PRESTART, stall, 1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    REQUIRE(hooks_run(&spec, SPEC_HOOK_PRESTART, &st, &err) == -1);
    REQUIRE(seconds_since(&t0) < 2.5);
    REQUIRE(strcmp(err.msg, "error running hook: prestart hook /bin/sh: timed out after 1s") == 0);
    clear_hooks(&spec);

    sigset_t mask;
    REQUIRE(sigprocmask(SIG_SETMASK, NULL, &mask) == 0 && !sigismember(&mask, SIGCHLD));
    spec_state_free(&st);
    return 0;
}

static void test_hooks_sigchld_fallback(void)
{
    CHECK(in_child(hooks_without_pidfd, NULL) == 0);
}

/* ---- fd passing ------------------------------------------------------- */

static void test_fd_passing(void)
{
    struct nook_error err;
    int sp[2], pp[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
    CHECK(pipe2(pp, O_CLOEXEC) == 0);

    CHECK(fd_send(sp[0], pp[1], "abc", 3, &err) == 0);
    char buf[4] = {0};
    int fd = -1;
    CHECK(fd_recv(sp[1], &fd, buf, 3, &err) == 0);
    CHECK_STR(buf, "abc");
    CHECK(fd >= 0 && fd != pp[1]);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(write(fd, "x", 1) == 1);
    char c = 0;
    CHECK(read(pp[0], &c, 1) == 1 && c == 'x');
    close(fd);

    /* Empty payload: still one byte on the wire, fd arrives. */
    CHECK(fd_send(sp[0], pp[1], NULL, 0, &err) == 0);
    fd = -1;
    CHECK(fd_recv(sp[1], &fd, NULL, 0, &err) == 0);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);

    /* Data without an fd is an error, and so is a closed peer. */
    CHECK(write(sp[0], "z", 1) == 1);
    fd = 7;
    CHECK(fd_recv(sp[1], &fd, &c, 1, &err) == -1);
    CHECK_STR(err.msg, "receive fd: no fd in the message");
    CHECK(fd == -1);
    close(sp[0]);
    CHECK(fd_recv(sp[1], &fd, &c, 1, &err) == -1);
    CHECK_STR(err.msg, "receive fd: connection closed by peer");
    close(sp[1]);
    close(pp[0]);
    close(pp[1]);

    int sock;
    char longpath[200];
    memset(longpath, 'p', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    CHECK(console_socket_connect(longpath, &sock, &err) == -1);
    CHECK(err.code == ENAMETOOLONG && sock == -1);
    char *missing = xasprintf("%s/no-socket", tmpdir);
    CHECK(console_socket_connect(missing, &sock, &err) == -1);
    CHECK(err.code == ENOENT);
    free(missing);
}

/* ---- console ---------------------------------------------------------- */

/* In a private mount namespace: a tmpfs over /dev (the host's /dev is never
 * touched), a new devpts instance and /dev/ptmx pointing into it. */
static int private_dev(void)
{
    if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755") < 0 ||
        mkdir("/dev/pts", 0755) < 0 ||
        mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=620") < 0 ||
        symlink("pts/ptmx", "/dev/ptmx") < 0)
        return -1;
    return 0;
}

/* /proc/self/stat: we lead our session and `tty` is its controlling
 * terminal (read there rather than with tcgetsid, which valgrind cannot
 * follow). */
static int ctty_is(dev_t tty)
{
    char *stat = slurp("/proc/self/stat");
    char *p = stat ? strrchr(stat, ')') : NULL;
    int pgrp, session, tty_nr, ok = 0;
    if (p && sscanf(p + 1, " %*c %*d %d %d %d", &pgrp, &session, &tty_nr) == 3) {
        unsigned maj = ((unsigned)tty_nr >> 8) & 0xfff;
        unsigned min = ((unsigned)tty_nr & 0xff) | (((unsigned)tty_nr >> 12) & 0xfff00);
        ok = session == getpid() && makedev(maj, min) == tty;
    }
    free(stat);
    return ok;
}

static int console_child(void *arg)
{
    int sock = *(int *)arg;
    struct nook_error err;
    REQUIRE(private_dev() == 0);
    struct spec_process p = {.has_console_size = true, .console_height = 33,
                             .console_width = 111};
    int master;
    if (console_setup(&p, &master, &err) < 0) {
        fprintf(stderr, "console_setup: %s\n", err.msg);
        return 99;
    }
    REQUIRE(fd_send(sock, master, "m", 1, &err) == 0);
    close(master);
    /* stdin/out/err are the slave, which is our controlling terminal and is
     * what /dev/console now shows. */
    struct stat console, out;
    REQUIRE(stat("/dev/console", &console) == 0 && fstat(1, &out) == 0);
    REQUIRE(S_ISCHR(console.st_mode) && console.st_rdev == out.st_rdev);
    REQUIRE(isatty(0) && isatty(2));
    REQUIRE(ctty_is(out.st_rdev));
    REQUIRE(write(1, "hi", 2) == 2);
    /* Stay until the parent read it, so the slave is open meanwhile. */
    char c;
    REQUIRE(read(sock, &c, 1) == 1);
    return 0;
}

static void test_console_setup(void)
{
    struct nook_error err;
    int sp[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(sp[0]);
        _exit(console_child(&sp[1]));
    }
    close(sp[1]);
    int master = -1;
    char tag = 0;
    CHECK(fd_recv(sp[0], &master, &tag, 1, &err) == 0);
    CHECK(tag == 'm');
    char buf[16] = {0};
    size_t got = 0;
    while (master >= 0 && got < 2) {
        struct pollfd pfd = {.fd = master, .events = POLLIN};
        if (poll(&pfd, 1, 5000) <= 0)
            break;
        ssize_t n = read(master, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    CHECK_STR(buf, "hi");
    struct winsize ws = {0};
    CHECK(master >= 0 && ioctl(master, TIOCGWINSZ, &ws) == 0);
    CHECK(ws.ws_row == 33 && ws.ws_col == 111);
    CHECK(write(sp[0], "k", 1) == 1);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "console child status %d\n", status);
    if (master >= 0)
        close(master);
    close(sp[0]);
}

/* console_proxy in a child whose stdin/stdout are pipes, against a pty pair
 * made here: input reaches the slave, slave output reaches stdout, and the
 * proxy ends when the slave closes. */
struct proxy_fds {
    int in_r, out_w, master;
    int in_w, out_r, slave; /* the parent's ends, closed in the child */
};

static int proxy_child(void *arg)
{
    struct proxy_fds *f = arg;
    struct nook_error err;
    REQUIRE(close(f->in_w) == 0 && close(f->out_r) == 0 && close(f->slave) == 0);
    REQUIRE(dup2(f->in_r, 0) == 0 && dup2(f->out_w, 1) == 1);
    if (console_proxy(f->master, -1, &err) < 0) {
        fprintf(stderr, "console_proxy: %s\n", err.msg);
        return 99;
    }
    return 0;
}

static int open_pty_mode(int *master, int *slave, bool raw)
{
    *slave = -1;
    *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*master < 0 || grantpt(*master) < 0 || unlockpt(*master) < 0)
        return -1;
    *slave = open(ptsname(*master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    struct termios t;
    if (*slave < 0 || tcgetattr(*slave, &t) < 0)
        return -1;
    if (!raw)
        return 0;
    cfmakeraw(&t);
    return tcsetattr(*slave, TCSANOW, &t);
}

static int open_pty(int *master, int *slave)
{
    return open_pty_mode(master, slave, true);
}

static void test_console_proxy(void)
{
    int in[2], out[2], master = -1, slave = -1;
    CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
    CHECK(open_pty(&master, &slave) == 0);
    struct proxy_fds f = {in[0], out[1], master, in[1], out[0], slave};
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(proxy_child(&f));
    close(in[0]);
    close(out[1]);
    close(master);

    CHECK(write(in[1], "ping", 4) == 4);
    char buf[8] = {0};
    struct pollfd pfd = {.fd = slave, .events = POLLIN};
    CHECK(poll(&pfd, 1, 5000) == 1);
    CHECK(read(slave, buf, sizeof buf - 1) == 4);
    CHECK_STR(buf, "ping");

    CHECK(write(slave, "pong", 4) == 4);
    memset(buf, 0, sizeof buf);
    pfd.fd = out[0];
    CHECK(poll(&pfd, 1, 5000) == 1);
    CHECK(read(out[0], buf, sizeof buf - 1) == 4);
    CHECK_STR(buf, "pong");

    /* stdin EOF does not end the session; the slave hanging up does. */
    close(in[1]);
    close(slave);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(out[0]);
}

/* Our stdin a terminal: it is raw while the proxy runs (a key without
 * newline gets through) and restored after, its size is copied to the pty
 * at start and on SIGWINCH, and `stop` ends the proxy after what the
 * container wrote is flushed, with the container's terminal still open. */
struct proxy_tty_fds {
    int in_slave, out_w, master, stop_r;
    int close_in_child[4];
};

static int proxy_tty_child(void *arg)
{
    struct proxy_tty_fds *f = arg;
    struct nook_error err;
    for (int i = 0; i < 4; i++)
        REQUIRE(close(f->close_in_child[i]) == 0);
    REQUIRE(dup2(f->in_slave, 0) == 0 && dup2(f->out_w, 1) == 1);
    if (console_proxy(f->master, f->stop_r, &err) < 0) {
        fprintf(stderr, "console_proxy: %s\n", err.msg);
        return 99;
    }
    return 0;
}

static bool wait_readable(int fd, int ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, ms) == 1;
}

static bool winsize_is(int fd, unsigned short rows, unsigned short cols)
{
    struct winsize ws;
    return ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row == rows && ws.ws_col == cols;
}

static void test_console_proxy_tty(void)
{
    int in_m = -1, in_s = -1, c_m = -1, c_s = -1, out[2], stop[2];
    CHECK(open_pty_mode(&in_m, &in_s, false) == 0);
    CHECK(open_pty(&c_m, &c_s) == 0);
    CHECK(pipe2(out, O_CLOEXEC) == 0 && pipe2(stop, O_CLOEXEC) == 0);
    struct winsize ws = {.ws_row = 40, .ws_col = 100};
    CHECK(ioctl(in_s, TIOCSWINSZ, &ws) == 0);
    struct proxy_tty_fds f = {in_s, out[1], c_m, stop[0], {in_m, c_s, out[0], stop[1]}};
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(proxy_tty_child(&f));
    close(out[1]);
    close(stop[0]);
    close(c_m);

    /* No newline: only arrives if stdin is raw. */
    CHECK(write(in_m, "x", 1) == 1);
    char buf[16] = {0};
    CHECK(wait_readable(c_s, 5000) && read(c_s, buf, sizeof buf - 1) == 1);
    CHECK_STR(buf, "x");
    struct termios t;
    CHECK(tcgetattr(in_s, &t) == 0 && !(t.c_lflag & (ICANON | ECHO)));
    CHECK(winsize_is(c_s, 40, 100));

    ws.ws_row = 50;
    ws.ws_col = 120;
    CHECK(ioctl(in_s, TIOCSWINSZ, &ws) == 0);
    CHECK(kill(pid, SIGWINCH) == 0);
    bool resized = false;
    for (int i = 0; i < 200 && !resized; i++) {
        resized = winsize_is(c_s, 50, 120);
        if (!resized)
            usleep(10000);
    }
    CHECK(resized);

    /* More output than one read takes, queued while the proxy is stopped,
     * then `stop`: all of it must come out before the proxy returns. */
    int status = 0;
    CHECK(kill(pid, SIGSTOP) == 0 && waitpid(pid, &status, WUNTRACED) == pid);
    static char big[10000], back[sizeof big + 1];
    memset(big, 't', sizeof big);
    CHECK(write(c_s, big, sizeof big) == (ssize_t)sizeof big);
    CHECK(write(stop[1], "s", 1) == 1);
    usleep(100000);
    CHECK(kill(pid, SIGCONT) == 0);
    size_t got = 0;
    while (got < sizeof back && wait_readable(out[0], 5000)) {
        ssize_t n = read(out[0], back + got, sizeof back - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    CHECK(got == sizeof big && memcmp(back, big, sizeof big) == 0);
    pid_t r = 0;
    for (int i = 0; i < 500 && r == 0; i++) {
        r = waitpid(pid, &status, WNOHANG);
        if (r == 0)
            usleep(10000);
    }
    if (r == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    CHECK(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(tcgetattr(in_s, &t) == 0 && (t.c_lflag & ICANON) && (t.c_lflag & ECHO));
    close(out[0]);
    close(stop[1]);
    close(c_s);
    close(in_s);
    close(in_m);
}

/* ---- process ---------------------------------------------------------- */

static void test_build_env(void)
{
    struct spec_process p = {0};
    const char *env[] = {"A=1", "LISTEN_FDS=9", "LISTEN_PIDX=2", "LISTEN_PID=77", NULL};
    strv_set(&p.env, env);
    char **e = process_build_env(&p, 2);
    CHECK(e[0] && e[1] && e[2] && e[3] && !e[4]);
    if (e[0] && e[1] && e[2] && e[3]) {
        CHECK_STR(e[0], "A=1");
        CHECK_STR(e[1], "LISTEN_PIDX=2");
        CHECK_STR(e[2], "LISTEN_FDS=2");
        CHECK_STR(e[3], "LISTEN_PID=1");
    }
    process_env_free(e);

    e = process_build_env(&p, 0);
    for (int i = 0; i < 4; i++)
        CHECK_STR(e[i], env[i]);
    CHECK(e[4] == NULL);
    process_env_free(e);
    strv_clear(&p.env);

    e = process_build_env(&p, 0);
    CHECK(e[0] == NULL);
    process_env_free(e);
    e = process_build_env(&p, 1);
    CHECK(e[0] && e[1] && !e[2]);
    CHECK_STR(e[0], "LISTEN_FDS=1");
    process_env_free(e);
}

struct exec_case {
    const char *arg0;
    const char *path_env; /* NULL: no PATH in env */
    bool should_fail;     /* keep stderr quiet for the expected failure */
};

static int exec_child(void *arg)
{
    struct exec_case *c = arg;
    struct nook_error err;
    struct spec_process p = {0};
    const char *args[] = {c->arg0, NULL};
    strv_set(&p.args, args);
    char *env[] = {c->path_env ? (char *)c->path_env : "X=1", NULL};
    char *file = process_find_exec(&p, env, &err);
    if (file) {
        execve(file, p.args.v, env);
        nook_error_sys(&err, "exec %s", file);
        free(file);
    }
    strv_clear(&p.args);
    if (!c->should_fail)
        fprintf(stderr, "process_find_exec: %s\n", err.msg);
    return 99;
}

static void test_process_exec(void)
{
    struct nook_error err;
    /* PATH lookup skips missing dirs, a non-executable file and a directory
     * of the same name before finding the real program. */
    /* On the stack, not the heap: valgrind checks the forked children for
     * leaks too, and these pointers may live only in the parent's registers. */
    char noexec[512], dir[512], good[512];
    snprintf(noexec, sizeof noexec, "%s/noexec", tmpdir);
    snprintf(dir, sizeof dir, "%s/dir", tmpdir);
    snprintf(good, sizeof good, "%s/good", tmpdir);
    CHECK(mkdir(noexec, 0755) == 0 && mkdir(dir, 0755) == 0 && mkdir(good, 0755) == 0);
    char *f = xasprintf("%s/mytool", noexec);
    put_file(f, "#!/bin/sh\nexit 5\n", 0644);
    free(f);
    f = xasprintf("%s/mytool", dir);
    CHECK(mkdir(f, 0755) == 0);
    free(f);
    f = xasprintf("%s/mytool", good);
    put_file(f, "#!/bin/sh\nexit 7\n", 0755);
    free(f);

    struct exec_case c1 = {"true", "PATH=/nonexistent:/bin", false};
    CHECK(in_child(exec_child, &c1) == 0);
    char *path = xasprintf("PATH=/nonexistent:%s:%s:%s", noexec, dir, good);
    struct exec_case c2 = {"mytool", path, false};
    CHECK(in_child(exec_child, &c2) == 7);
    /* No PATH in the container env: the default one. */
    struct exec_case c3 = {"true", NULL, false};
    CHECK(in_child(exec_child, &c3) == 0);
    /* nook's own PATH must not be used. */
    struct exec_case c4 = {"true", "PATH=/nonexistent", true};
    CHECK(in_child(exec_child, &c4) == 99);

    /* Lookups run in-process (nothing is executed). */
    struct spec_process p = {0};
    const char *nf[] = {"no-such-program-nook", NULL};
    strv_set(&p.args, nf);
    char *env[] = {path, NULL};
    CHECK(process_find_exec(&p, env, &err) == NULL);
    CHECK_STR(err.msg, "exec \"no-such-program-nook\": executable file not found in $PATH");
    CHECK(err.code == ENOENT);
    strv_clear(&p.args);

    char *direct = xasprintf("%s/mytool", noexec);
    const char *de[] = {direct, NULL};
    strv_set(&p.args, de);
    /* A path is taken as it is: execve itself says what is wrong with it. */
    char *found = process_find_exec(&p, env, &err);
    CHECK_STR(found, direct);
    free(found);
    free(direct);
    strv_clear(&p.args);

    free(path);
}

static int cloexec_check(int use_seccomp)
{
    struct nook_error err;
    if (use_seccomp) {
        /* Make close_range look absent, as on kernels before 5.9, so the
         * /proc/self/fd walk is what runs. */
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        REQUIRE(ctx != NULL);
        REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(close_range), 0) == 0);
        REQUIRE(seccomp_load(ctx) == 0);
        seccomp_release(ctx);
        REQUIRE(syscall(SYS_close_range, 1000U, 1000U, 0) < 0 && errno == ENOSYS);
    }
    int fd = open("/dev/null", O_RDONLY);
    REQUIRE(fd >= 0);
    REQUIRE(dup2(fd, 60) == 60 && dup2(fd, 61) == 61 && dup2(fd, 90) == 90);
    REQUIRE(process_cloexec_from(61, &err) == 0);
    REQUIRE((fcntl(60, F_GETFD) & FD_CLOEXEC) == 0);
    REQUIRE((fcntl(61, F_GETFD) & FD_CLOEXEC) != 0);
    REQUIRE((fcntl(90, F_GETFD) & FD_CLOEXEC) != 0);
    REQUIRE((fcntl(0, F_GETFD) & FD_CLOEXEC) == 0);
    return 0;
}

static int cloexec_close_range(void *arg)
{
    return cloexec_check(0);
}

static int cloexec_proc_walk(void *arg)
{
    return cloexec_check(1);
}

static void test_cloexec(void)
{
    CHECK(in_child(cloexec_close_range, NULL) == 0);
    CHECK(in_child(cloexec_proc_walk, NULL) == 0);
}

static int rlimits_child(void *arg)
{
    struct nook_error err;
    /* Not RLIMIT_NOFILE/STACK/DATA: valgrind fakes those. */
    struct spec_rlimit rl[2] = {{RLIMIT_MSGQUEUE, 100, 200}, {RLIMIT_CORE, 0, UINT64_MAX}};
    struct spec_process p = {.rlimits = rl, .n_rlimits = 2};
    REQUIRE(process_set_rlimits(&p, &err) == 0);
    struct rlimit got;
    REQUIRE(getrlimit(RLIMIT_MSGQUEUE, &got) == 0 && got.rlim_cur == 100 && got.rlim_max == 200);
    REQUIRE(getrlimit(RLIMIT_CORE, &got) == 0 && got.rlim_cur == 0 &&
            got.rlim_max == RLIM_INFINITY);
    /* soft > hard */
    struct spec_rlimit bad = {RLIMIT_MSGQUEUE, 300, 10};
    p.rlimits = &bad;
    p.n_rlimits = 1;
    REQUIRE(process_set_rlimits(&p, &err) == -1);
    REQUIRE(strcmp(err.msg, "set rlimit RLIMIT_MSGQUEUE (soft 300, hard 10): Invalid argument") ==
            0);
    return 0;
}

static int oom_child(void *arg)
{
    struct nook_error err;
    struct spec_process p = {0};
    REQUIRE(write_string_at(AT_FDCWD, "/proc/self/oom_score_adj", "222", &err) == 0);
    REQUIRE(process_set_oom_score_adj(&p, &err) == 0); /* not set: no-op */
    char *before = slurp("/proc/self/oom_score_adj");
    REQUIRE(before && atoi(before) == 222);
    free(before);
    p.has_oom_score_adj = true;
    p.oom_score_adj = 123;
    int want = p.oom_score_adj;
    REQUIRE(process_set_oom_score_adj(&p, &err) == 0);
    char *after = slurp("/proc/self/oom_score_adj");
    REQUIRE(after && atoi(after) == want);
    free(after);
    p.oom_score_adj = 5000;
    REQUIRE(process_set_oom_score_adj(&p, &err) == -1 && err.code == EINVAL);

    /* A file mounted over it (in our own mount namespace) is refused. */
    char *fake = xasprintf("%s/fake_oom", tmpdir);
    REQUIRE(write_file(fake, "0", 1, 0644, &err) == 0);
    REQUIRE(unshare(CLONE_NEWNS) == 0 &&
            mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
    REQUIRE(mount(fake, "/proc/self/oom_score_adj", "none", MS_BIND, NULL) == 0);
    p.oom_score_adj = 100;
    REQUIRE(process_set_oom_score_adj(&p, &err) == -1);
    REQUIRE(strcmp(err.msg, "open /proc/self/oom_score_adj: not on procfs") == 0);
    char *content = slurp(fake);
    REQUIRE(content && strcmp(content, "0") == 0);
    free(content);
    free(fake);
    return 0;
}

static void test_rlimits_oom(void)
{
    CHECK(in_child(rlimits_child, NULL) == 0);
    CHECK(in_child(oom_child, NULL) == 0);
}

/* ---- /proc: stat fields, OOM snapshot processes gone ------------------- */

static void test_proc_gone(void)
{
    char state;
    unsigned long flags;
    unsigned long long start, start2;
    CHECK(proc_stat_fields(getpid(), &state, &flags, &start) == 0);
    CHECK(state == 'R');
    CHECK((flags & 0x4) == 0); /* PF_EXITING */
    CHECK(proc_stat_start_time(getpid(), &start2, NULL) == 0 && start2 == start);
    /* Field 9 (flags), not a neighbour: kthreadd has PF_KTHREAD. */
    char *comm = slurp("/proc/2/comm");
    if (comm && strcmp(comm, "kthreadd\n") == 0)
        CHECK(proc_stat_fields(2, &state, &flags, &start2) == 0 && (flags & 0x00200000));
    free(comm);

    struct nook_oom_proc self = {.pid = getpid(), .start_time = start};
    CHECK(!oom_proc_gone(&self));
    struct nook_oom_proc reused = {.pid = getpid(), .start_time = start + 1};
    CHECK(oom_proc_gone(&reused));
    struct nook_oom_proc unknown = {.pid = getpid(), .start_time = 0};
    CHECK(oom_proc_gone(&unknown));

    pid_t child = fork();
    CHECK(child >= 0);
    if (child < 0)
        return;
    if (child == 0)
        _exit(0);
    struct nook_oom_proc zombie = {.pid = child};
    for (int i = 0; i < 500; i++) {
        if (proc_stat_fields(child, &state, &flags, &zombie.start_time) < 0 || state == 'Z')
            break;
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
    }
    CHECK(state == 'Z');
    CHECK(oom_proc_gone(&zombie));
    CHECK(waitpid(child, NULL, 0) == child);
    CHECK(oom_proc_gone(&zombie)); /* no /proc entry, or another start time */
}

/* ---- log -------------------------------------------------------------- */

/* "YYYY-MM-DDTHH:MM:SSZ", or with --debug "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" */
static int matches_time(const char *s, const char *pat)
{
    for (size_t i = 0; pat[i]; i++) {
        if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
            return 0;
    }
    return 1;
}
static int is_utc_time(const char *s)
{
    return matches_time(s, "dddd-dd-ddTdd:dd:ddZ");
}
static int is_precise_utc_time(const char *s)
{
    return matches_time(s, "dddd-dd-ddTdd:dd:dd.ddddddZ");
}

/* Quotes, backslash, controls, UTF-8, an invalid byte and an overlong
 * encoding of '/'. */
static const char tricky[] = "a \"q\" b\\ \n\t\x01 \xc3\xa9 \xff \xe0\x80\xaf end";

static void test_log(void)
{
    char *log = xasprintf("%s/log", tmpdir);
    struct nook_globals g = {.log_path = log};

    /* --log without --debug: no debug lines, no trace sink. */
    nook_log_setup(&g);
    CHECK(nook_trace_sink_fn == NULL);
    nook_log(&g, "debug", "hidden %d", 1);
    NOOK_TRACE("hidden trace");
    nook_log(&g, "warning", "%s", tricky);
    char *text = slurp(log);
    CHECK(text && strncmp(text, "time=\"", 6) == 0 && is_utc_time(text + 6));
    if (text && strlen(text) > 27)
        CHECK_STR(text + 26,
                  "\" level=warning msg=\"a \\\"q\\\" b\\\\ \\n\\t\\x01 \xc3\xa9 \\xff "
                  "\\xe0\\x80\\xaf end\"\n");
    free(text);
    CHECK(unlink(log) == 0);

    /* --debug --log-format json: debug lines and NOOK_TRACE steps, with
     * microsecond timestamps. */
    g.log_json = true;
    g.debug = true;
    nook_log_setup(&g);
    CHECK(nook_trace_sink_fn != NULL);
    nook_log(&g, "debug", "%s", tricky);
    nook_log(&g, "error", "second");
    NOOK_TRACE("step %d", 3);
    text = slurp(log);
    const char *pre =
        "{\"level\":\"debug\",\"msg\":\"a \\\"q\\\" b\\\\ \\n\\t\\u0001 \xc3\xa9 \\ufffd "
        "\\ufffd\\ufffd\\ufffd end\","
        "\"time\":\"";
    CHECK(text && strncmp(text, pre, strlen(pre)) == 0);
    if (text && strlen(text) > strlen(pre) + 27) {
        const char *t = text + strlen(pre);
        CHECK(is_precise_utc_time(t));
        CHECK(strncmp(t + 27, "\"}\n{\"level\":\"error\",\"msg\":\"second\",\"time\":\"", 43) == 0);
        CHECK(is_precise_utc_time(t + 70) &&
              strncmp(t + 97, "\"}\n{\"level\":\"debug\",\"msg\":\"step 3\",\"time\":\"", 43) == 0);
    }
    free(text);

    /* No --log: stderr, only with --debug. */
    int saved = dup(2);
    char *errpath = xasprintf("%s/stderr", tmpdir);
    int efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(saved >= 0 && efd >= 0 && dup2(efd, 2) == 2);
    struct nook_globals quiet = {0}, loud = {.debug = true};
    nook_log_setup(&quiet);
    nook_log(&quiet, "warning", "not shown");
    nook_log(&quiet, "debug", "not shown");
    nook_log_setup(&loud);
    nook_log(&loud, "debug", "shown");
    CHECK(dup2(saved, 2) == 2);
    close(saved);
    close(efd);
    nook_log_setup(&quiet);
    CHECK(nook_trace_sink_fn == NULL);
    text = slurp(errpath);
    CHECK(text && strstr(text, "level=debug msg=\"shown\"\n") && !strstr(text, "not shown"));
    CHECK(text && strchr(text, '\n') == text + strlen(text) - 1);
    free(text);
    free(errpath);
    free(log);
}

/* An error sent over the sync socket carries its text and nothing of the
 * sender's stack after it (valgrind: sendmsg points to uninitialised bytes). */
static void test_sync_error_bytes(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    struct nook_error payload, err;
    memset(&payload, 0xAA, sizeof payload);
    nook_error_set(&payload, 0, "mount proc on /proc: why");
    CHECK(sync_send(sv[1], SYNC_ERROR, 0, &payload, -1, &err) == 0);
    struct sync_msg m;
    memset(&m, 0x55, sizeof m);
    CHECK(sync_recv(sv[0], &m, NULL, NULL, &err) == 0);
    CHECK(m.type == SYNC_ERROR);
    CHECK_STR(m.err.msg, "mount proc on /proc: why");
    size_t len = strlen(m.err.msg), dirty = 0;
    for (size_t i = len; i < sizeof m.err.msg; i++)
        dirty += m.err.msg[i] != 0;
    CHECK(dirty == 0);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_hook_kind_names();
    test_hook_stdin_args_env();
    test_hook_signal_mask();
    test_hook_failures();
    test_hook_unread_stdin();
    test_hooks_sigchld_fallback();
    test_fd_passing();
    test_console_setup();
    test_console_proxy();
    test_console_proxy_tty();
    test_build_env();
    test_process_exec();
    test_cloexec();
    test_rlimits_oom();
    test_proc_gone();
    test_log();
    test_sync_error_bytes();
    char *cmd = xasprintf("rm -rf %s", tmpdir);
    CHECK(system(cmd) == 0);
    free(cmd);
    return unit_report("test_runtime_support");
}
