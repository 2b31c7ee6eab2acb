/* `exec`: a new process in a running container. nook joins the container's
 * pid (and time) namespace for its children, forks, and the child joins the
 * cgroup and the other namespaces (user first), then goes through the same
 * privilege drop as the init. */
#include "internal.h"
#include "oom.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../security/security.h"

static int parse_user(const char *s, struct spec_user *u, struct nook_error *err)
{
    char *end;
    unsigned long uid = strtoul(s, &end, 10);
    if (end == s || (*end && *end != ':'))
        return nook_error_set(err, 0, "exec: --user needs UID[:GID], not \"%s\"", s);
    u->uid = (uid_t)uid;
    if (*end == ':') {
        const char *g = end + 1;
        unsigned long gid = strtoul(g, &end, 10);
        if (end == g || *end)
            return nook_error_set(err, 0, "exec: --user needs UID[:GID], not \"%s\"", s);
        u->gid = (gid_t)gid;
    }
    free(u->additional_gids);
    u->additional_gids = NULL;
    u->n_additional_gids = 0;
    return 0;
}

static void strv_replace(struct spec_strv *dst, char **src, size_t n)
{
    for (size_t i = 0; i < dst->n; i++)
        free(dst->v[i]);
    free(dst->v);
    dst->v = xcalloc(n + 1, sizeof *dst->v);
    for (size_t i = 0; i < n; i++)
        dst->v[i] = xstrdup(src[i]);
    dst->n = n;
}

static void add_gids(struct spec_user *u, const gid_t *gids, size_t n)
{
    if (n == 0)
        return;
    u->additional_gids = xrealloc(u->additional_gids,
                                  (u->n_additional_gids + n) * sizeof *u->additional_gids);
    memcpy(u->additional_gids + u->n_additional_gids, gids, n * sizeof *gids);
    u->n_additional_gids += n;
}

static void strv_add_unique(struct spec_strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return;
    sv->v = xrealloc(sv->v, (sv->n + 2) * sizeof *sv->v);
    sv->v[sv->n++] = xstrdup(s);
    sv->v[sv->n] = NULL;
}

/* The exec'd process: --process FILE as it is, or the container's process
 * with the command line's changes, as runc does. */
static int build_process(const struct exec_opts *o, struct spec *spec, struct nook_error *err)
{
    struct spec_process *p = &spec->process;
    if (o->process_file) {
        struct spec_process np;
        if (spec_process_load(o->process_file, &np, err) < 0)
            return nook_error_wrap(err, "exec: --process %s", o->process_file);
        if (spec->has_process)
            spec_process_free(p);
        *p = np;
        spec->has_process = true;
    } else {
        if (!spec->has_process)
            return nook_error_set(err, 0, "exec: the container has no process to inherit from");
        strv_replace(&p->args, o->args, (size_t)o->nargs);
        p->terminal = o->tty;
    }
    if (o->tty_set)
        p->terminal = o->tty;
    if (o->cwd) {
        free(p->cwd);
        p->cwd = xstrdup(o->cwd);
    }
    for (size_t i = 0; i < o->env.n; i++) {
        p->env.v = xrealloc(p->env.v, (p->env.n + 2) * sizeof *p->env.v);
        p->env.v[p->env.n++] = xstrdup(o->env.v[i]);
        p->env.v[p->env.n] = NULL;
    }
    if (o->user && parse_user(o->user, &p->user, err) < 0)
        return -1;
    add_gids(&p->user, o->gids, o->n_gids);
    struct spec_strv *sets[] = {&p->capabilities.bounding, &p->capabilities.effective,
                                &p->capabilities.inheritable, &p->capabilities.permitted};
    for (size_t i = 0; i < o->caps.n; i++) {
        p->has_capabilities = true;
        for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++)
            strv_add_unique(sets[k], o->caps.v[i]);
    }
    if (o->no_new_privs)
        p->no_new_privileges = true;
    if (o->apparmor) {
        free(p->apparmor_profile);
        p->apparmor_profile = xstrdup(o->apparmor);
    }
    if (o->process_label) {
        free(p->selinux_label);
        p->selinux_label = xstrdup(o->process_label);
    }
    if (p->terminal && !o->console_socket && o->detach)
        return nook_error_set(err, 0, "exec: a detached process with a terminal needs --console-socket");
    return 0;
}

struct exec_ctx {
    const struct nook_globals *g;
    const struct exec_opts *o;
    struct spec *spec;
    struct container *c;
    int nsfd[SPEC_NS_TYPES]; /* the init's namespaces to join, or -1 */
    int root_fd; /* the init's root when it shares nook's mount namespace
                    (a chroot, see rootfs_pivot), or -1 */
    int sync[2];
    int console_sock;
    int notify_sock; /* connected seccomp agent, or -1 */
    struct security_seccomp_prog seccomp; /* compiled before the fork */
    struct nook_cgroup cg; /* the container's, opened before the fork */
    bool have_cg;
    int own_pid_ns, own_time_ns; /* nook's, to return to after the fork, or -1 */
    bool user_first; /* the child joins the user namespace, then forks (join_user_then_fork) */
    bool oom_hide;   /* OOM freeze armed on v2: -1000 (oom_exec.c) */
    int oom_restore_adj; /* what the process gets back when the policy ends */
};

/* The container's namespaces, from the init's /proc/<pid>/ns: only those the
 * config lists (the others are nook's own, and setns into one's own user
 * namespace fails). */
static int open_init_namespaces(struct exec_ctx *x, struct nook_error *err)
{
    static const char *const files[SPEC_NS_TYPES] = {
        [SPEC_NS_PID] = "pid", [SPEC_NS_NETWORK] = "net", [SPEC_NS_MOUNT] = "mnt",
        [SPEC_NS_IPC] = "ipc", [SPEC_NS_UTS] = "uts", [SPEC_NS_USER] = "user",
        [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time"};
    for (int t = 0; t < SPEC_NS_TYPES; t++) {
        x->nsfd[t] = -1;
        if (!spec_find_namespace(x->spec, (enum spec_ns_type)t))
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)x->c->st.pid, files[t]);
        x->nsfd[t] = open(path, O_RDONLY | O_CLOEXEC);
        if (x->nsfd[t] < 0)
            return nook_error_sys(err, "exec: open %s", path);
    }
    if (x->nsfd[SPEC_NS_MOUNT] < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/root", (int)x->c->st.pid);
        x->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (x->root_fd < 0)
            return nook_error_sys(err, "exec: open %s", path);
    }
    /* The pid is verified only now that its namespaces are held open. */
    if (!container_pid_alive(&x->c->st))
        return nook_error_set(err, 0, "exec: container is not running");
    return 0;
}

static _Noreturn void child_fail(struct exec_ctx *x, struct nook_error *err)
{
    struct nook_error ignored;
    if (sync_send(x->sync[1], SYNC_ERROR, 0, err, -1, &ignored) < 0)
        dprintf(2, "nook: %s: %s\n", x->o->id, err->msg);
    _exit(err->code == ENOENT ? 127 : err->code == EACCES ? 126 : 1);
}

static int enter_pid_and_time_for_children(struct exec_ctx *x, struct nook_error *err)
{
    if (x->nsfd[SPEC_NS_PID] >= 0 && setns(x->nsfd[SPEC_NS_PID], CLONE_NEWPID) < 0)
        return nook_error_sys(err, "exec: join pid namespace");
    if (x->nsfd[SPEC_NS_TIME] >= 0 && setns(x->nsfd[SPEC_NS_TIME], CLONE_NEWTIME) < 0)
        return nook_error_sys(err, "exec: join time namespace");
    return 0;
}

/* pid and time namespaces joined for our children stay so until undone:
 * whatever nook forks later (under ASan, LeakSanitizer's tracer at exit)
 * must be in nook's own again. */
static int open_own_namespaces(struct exec_ctx *x, struct nook_error *err)
{
    if (x->nsfd[SPEC_NS_PID] >= 0 &&
        (x->own_pid_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0)
        return nook_error_sys(err, "exec: open /proc/self/ns/pid");
    if (x->nsfd[SPEC_NS_TIME] >= 0 &&
        (x->own_time_ns = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC)) < 0)
        return nook_error_sys(err, "exec: open /proc/self/ns/time");
    return 0;
}

static int return_to_own_namespaces(struct exec_ctx *x, struct nook_error *err)
{
    if (x->own_pid_ns >= 0 && setns(x->own_pid_ns, CLONE_NEWPID) < 0)
        return nook_error_sys(err, "exec: return to nook's pid namespace");
    if (x->own_time_ns >= 0 && setns(x->own_time_ns, CLONE_NEWTIME) < 0)
        return nook_error_sys(err, "exec: return to nook's time namespace");
    return 0;
}

/* Joining the pid and time namespaces of a container with its own user
 * namespace needs CAP_SYS_ADMIN in that user namespace, which a rootless
 * nook only has once inside it: join it first, then those two for our
 * children, and fork the process that goes on. nook learns its pid from
 * the HELLO's credentials and, as its subreaper, waits for it. */
static int join_user_then_fork(struct exec_ctx *x, struct nook_error *err)
{
    if (setns(x->nsfd[SPEC_NS_USER], CLONE_NEWUSER) < 0)
        return nook_error_sys(err, "exec: join user namespace");
    close(x->nsfd[SPEC_NS_USER]);
    x->nsfd[SPEC_NS_USER] = -1;
    if (enter_pid_and_time_for_children(x, err) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return nook_error_sys(err, "exec: fork into the pid namespace");
    if (pid > 0)
        _exit(0);
    return sync_send(x->sync[1], SYNC_HELLO, 0, NULL, -1, err);
}

static int join_namespaces(struct exec_ctx *x, struct nook_error *err)
{
    static const int order[] = {SPEC_NS_USER, SPEC_NS_MOUNT, SPEC_NS_NETWORK, SPEC_NS_IPC,
                                SPEC_NS_UTS, SPEC_NS_CGROUP};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        int t = order[i];
        if (x->nsfd[t] < 0)
            continue;
        NOOK_TRACE("exec: join %s namespace", spec_ns_type_names[t]);
        if (setns(x->nsfd[t], 0) < 0)
            return nook_error_sys(err, "exec: join %s namespace", spec_ns_type_names[t]);
        close(x->nsfd[t]);
        x->nsfd[t] = -1;
    }
    return 0;
}

/* The init's chroot, for a container without a mount namespace. */
static int enter_root(struct exec_ctx *x, struct nook_error *err)
{
    if (x->root_fd < 0)
        return 0;
    if (fchdir(x->root_fd) < 0 || chroot(".") < 0)
        return nook_error_sys(err, "exec: enter the container's root");
    close(x->root_fd);
    x->root_fd = -1;
    return 0;
}

static _Noreturn void exec_child(struct exec_ctx *x, bool in_cgroup2)
{
    struct nook_error err;
    struct spec_process *p = &x->spec->process;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* In runc's words for the same step (see init_main). */
    NOOK_TRACE("child process in init(): the exec'd process sets up");
    if (x->c->lock_fd >= 0)
        close(x->c->lock_fd);
    /* Into the container's cgroups first (where the clone did not land us);
     * then their fds go: the directories are the host's, and no fd of them
     * may reach the container (a cwd of "/proc/self/fd/N", CVE-2024-21626). */
    if (x->have_cg) {
        if (cgroup_enter_self(&x->cg, !in_cgroup2, &err) < 0)
            child_fail(x, &err);
        cgroup_close_fds(&x->cg);
    }
    /* oom_score_adj through the host's /proc (CVE-2025-52881) while our
     * /proc files are still ours; then non-dumpable before any namespace of
     * the container is joined: until execve /proc/<pid>/exe of this process
     * is the nook binary, which the container must not reach
     * (CVE-2019-5736, see init.c). */
    if (process_set_oom_score_adj(p, &err) < 0 ||
        (x->oom_hide && process_write_oom_score_adj(-1000, &err) < 0))
        child_fail(x, &err);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
        nook_error_sys(&err, "exec: make the process non-dumpable");
        child_fail(x, &err);
    }
    if ((x->user_first && join_user_then_fork(x, &err) < 0) || join_namespaces(x, &err) < 0 ||
        enter_root(x, &err) < 0)
        child_fail(x, &err);
    if (p->terminal) {
        if (setsid() < 0 && errno != EPERM) {
            nook_error_sys(&err, "setsid");
            child_fail(x, &err);
        }
        if (console_hand_over(p, x->console_sock, x->sync[1], &err) < 0)
            child_fail(x, &err);
        if (x->console_sock >= 0)
            close(x->console_sock);
    }
    if (process_set_rlimits(p, &err) < 0)
        child_fail(x, &err);
    struct finish_opts f = {.st = &x->c->st, .seccomp = &x->seccomp,
                            .keep_fds = x->o->preserve_fds, .notify_sock = x->notify_sock};
    process_finish_and_exec(x->spec, p, &f, &err);
    child_fail(x, &err);
}

/* Pass signals on and wait for the process; proxy the pty if we hold it. */
static int wait_process(pid_t pid, int master, const sigset_t *set, struct nook_error *err)
{
    /* console_proxy reads SIGWINCH itself (to resize the pty). */
    sigset_t ours = *set;
    if (master >= 0)
        sigdelset(&ours, SIGWINCH);
    int sfd = signalfd(-1, &ours, SFD_CLOEXEC);
    if (sfd < 0)
        return nook_error_sys(err, "signalfd");
    int ws;
    for (;;) {
        pid_t r = waitpid(pid, &ws, WNOHANG);
        if (r == pid)
            break;
        if (master >= 0 && console_proxy(master, sfd, err) < 0) {
            close(sfd);
            return -1;
        }
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof si);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != sizeof si) {
            close(sfd);
            return nook_error_sys(err, "read signalfd");
        }
        if (si.ssi_signo != SIGCHLD && !(si.ssi_signo == SIGWINCH && master >= 0))
            kill(pid, (int)si.ssi_signo);
    }
    close(sfd);
    if (master >= 0 && console_drain(master, err) < 0)
        return -1;
    return exit_status_of(ws);
}

/* Does the hierarchy named key ("unified", "cpu,cpuacct") carry one of the
 * comma-separated controllers in want? */
static bool hierarchy_has(const char *key, const char *want, size_t want_len)
{
    for (const char *w = want; w < want + want_len;) {
        size_t n = strcspn(w, ",");
        if (n > (size_t)(want + want_len - w))
            n = (size_t)(want + want_len - w);
        for (const char *k = key; *k;) {
            size_t m = strcspn(k, ",");
            if (m == n && strncmp(k, w, n) == 0)
                return true;
            k += m + (k[m] == ',');
        }
        w += n + 1;
    }
    return false;
}

/* The sub-cgroup the --cgroup arguments give the hierarchy key: the last
 * one naming one of its controllers, or the one without controllers; ""
 * for the container's own. On a v2 host every controller is in "unified". */
static const char *sub_cgroup_for(const struct spec_strv *args, const char *key, bool v2)
{
    const char *sub = "";
    for (size_t i = 0; i < args->n; i++) {
        const char *a = args->v[i], *colon = strchr(a, ':');
        if (!colon || v2 || hierarchy_has(key, a, (size_t)(colon - a)))
            sub = colon ? colon + 1 : a;
    }
    while (*sub == '/')
        sub++;
    return sub;
}

static bool controller_known(const struct nook_state *st, const char *c, size_t n)
{
    if (n == 7 && strncmp(c, "unified", 7) == 0)
        return st->cgroup_path != NULL;
    for (size_t i = 0; i < st->cgroup_paths.n; i++)
        if (hierarchy_has(st->cgroup_paths.v[i].key, c, n))
            return true;
    return false;
}

/* runc's rules and words: CONTROLLER[,CONTROLLER]:SUB, or SUB alone for
 * every hierarchy when it is the only --cgroup; known controllers; SUB
 * below the container's cgroup (no "." or ".." in it). */
static int check_cgroup_arg(const struct nook_state *st, const char *arg, size_t n_args,
                            struct nook_error *err)
{
    const char *colon = strchr(arg, ':');
    if (!colon && n_args > 1)
        return nook_error_set(err, 0, "exec: --cgroup %s: name its controllers "
                              "(CONTROLLER[,CONTROLLER]:PATH) when there are several", arg);
    bool v2 = st->cgroup_backend && strcmp(st->cgroup_backend, "v2") == 0;
    for (const char *c = arg; colon && !v2 && c < colon;) {
        size_t n = strcspn(c, ",:");
        if (n == 0 || !controller_known(st, c, n))
            return nook_error_set(err, 0, "exec: --cgroup %s: unknown controller \"%.*s\"", arg,
                                  (int)n, c);
        c += n + (c[n] == ',');
    }
    const char *rel = colon ? colon + 1 : arg;
    for (const char *p = rel; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return nook_error_set(err, 0, "exec: --cgroup %s: %s is not a sub cgroup path (it "
                                  "must name a cgroup below the container's)", arg, rel);
        p += n;
    }
    return 0;
}

/* Checked before anything is forked: a missing directory is the error
 * joining it would give, in runc's words (Go's lower-case errno text,
 * which runc's tests look for). */
static int check_sub_cgroup(const char *path, struct nook_error *err)
{
    struct stat st;
    int e = stat(path, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (e == ENOENT || e == ENOTDIR)
        return nook_error_set(err, 0, "exec: --cgroup: adding pid to the cgroup: "
                              "%s/cgroup.procs: %s", path,
                              e == ENOENT ? "no such file or directory" : "not a directory");
    if (e)
        return nook_error_set(err, e, "exec: --cgroup: %s", path);
    return 0;
}

static char *sub_path(const char *dir, const char *sub, struct nook_error *err, int *r)
{
    if (!*sub)
        return xstrdup(dir);
    char *path = xasprintf("%s/%s", dir, sub);
    if (*r == 0)
        *r = check_sub_cgroup(path, err);
    return path;
}

/* --cgroup arguments: the state with each hierarchy's sub-cgroup appended
 * to the container's cgroup there. Fills *sub (caller frees with
 * free_sub_state). */
static int exec_cgroup_state(const struct nook_state *st, const struct spec_strv *args,
                             struct nook_state *sub, struct nook_error *err)
{
    *sub = *st;
    sub->cgroup_paths.v = NULL;
    sub->cgroup_paths.n = 0;
    sub->cgroup_path = NULL;
    for (size_t i = 0; i < args->n; i++)
        if (check_cgroup_arg(st, args->v[i], args->n, err) < 0)
            return -1;
    bool v2 = st->cgroup_backend && strcmp(st->cgroup_backend, "v2") == 0;
    int r = 0;
    /* cgroup_path is the unified directory where there is one, else
     * (pure v1) one of the v1 ones: look its hierarchy up. */
    const char *track_key = "unified";
    for (size_t i = 0; i < st->cgroup_paths.n; i++)
        if (strcmp(st->cgroup_paths.v[i].value, st->cgroup_path) == 0)
            track_key = st->cgroup_paths.v[i].key;
    sub->cgroup_path = sub_path(st->cgroup_path, sub_cgroup_for(args, track_key, v2), err, &r);
    sub->cgroup_paths.v = xcalloc(st->cgroup_paths.n + 1, sizeof *sub->cgroup_paths.v);
    for (size_t i = 0; i < st->cgroup_paths.n; i++) {
        const struct spec_kv *kv = &st->cgroup_paths.v[i];
        sub->cgroup_paths.v[i].key = xstrdup(kv->key);
        sub->cgroup_paths.v[i].value = sub_path(kv->value, sub_cgroup_for(args, kv->key, v2),
                                                err, &r);
        sub->cgroup_paths.n++;
    }
    return r;
}

static void free_sub_state(struct nook_state *sub)
{
    free(sub->cgroup_path);
    spec_kvlist_free(&sub->cgroup_paths);
}

static int run_exec(struct exec_ctx *x, const sigset_t *set, struct nook_error *err)
{
    if (open_init_namespaces(x, err) < 0)
        return -1;
    if (x->o->console_socket && console_socket_connect(x->o->console_socket, &x->console_sock, err) < 0)
        return -1;
    if (x->spec->has_seccomp && security_seccomp_uses_notify(&x->spec->seccomp) &&
        security_notify_connect(&x->spec->seccomp, &x->notify_sock, err) < 0)
        return -1;
    if (process_prepare_seccomp(x->g, x->spec, &x->seccomp, err) < 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sync) < 0)
        return nook_error_sys(err, "exec: create sync socket");
    if (x->o->cgroups.n > 0 && !x->c->st.cgroup_path)
        return nook_error_set(err, 0, "exec: --cgroup: the container has no cgroup");
    if (x->o->cgroups.n > 0) {
        struct nook_state sub;
        int r = exec_cgroup_state(&x->c->st, &x->o->cgroups, &sub, err);
        if (r == 0)
            r = cgroup_open(&sub, &x->cg, err);
        free_sub_state(&sub);
        if (r < 0)
            return -1;
    } else if (x->c->st.cgroup_path && x->c->cg) {
        /* Opened by container_load (the frozen check) under the same lock. */
        x->cg = *x->c->cg;
        free(x->c->cg);
        x->c->cg = NULL;
    } else if (x->c->st.cgroup_path && cgroup_open(&x->c->st, &x->cg, err) < 0) {
        return -1;
    }
    x->oom_hide = x->c->st.cgroup_path && oom_exec_hides(x->c, x->spec, &x->cg);
    if (x->oom_hide && oom_restore_value(&x->spec->process, &x->oom_restore_adj, err) < 0)
        return -1;
    /* Last before the fork: from here on nook's own children are born in
     * the container's pid and time namespaces, so every way out must pass
     * return_to_own_namespaces (see open_own_namespaces). */
    x->user_first = x->nsfd[SPEC_NS_USER] >= 0;
    if (x->user_first) {
        int one = 1;
        if (setsockopt(x->sync[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
            return nook_error_sys(err, "exec: set SO_PASSCRED on sync socket");
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
            return nook_error_sys(err, "exec: become child subreaper");
    } else if (open_own_namespaces(x, err) < 0) {
        return -1;
    } else if (enter_pid_and_time_for_children(x, err) < 0) {
        struct nook_error ignored;
        return_to_own_namespaces(x, &ignored);
        return -1;
    }
    x->have_cg = x->c->st.cgroup_path != NULL;
    /* --ignore-paused: the process is frozen with the rest as soon as it is
     * in the cgroup, and `resume` needs the lock to thaw it; a copy of the
     * lock in the frozen child would keep it held. */
    if (x->c->st.status == NOOK_STATUS_PAUSED) {
        close(x->c->lock_fd);
        x->c->lock_fd = -1;
    }
    bool in_cgroup = false;
    /* runc's name for joining the namespaces (see create.c). */
    NOOK_TRACE("nsexec container setup: fork the process to join the container's namespaces");
    pid_t pid = process_clone(0, x->have_cg ? cgroup_clone_fd(&x->cg) : -1, &in_cgroup);
    if (pid < 0) {
        nook_error_sys(err, "exec: fork");
        struct nook_error ignored;
        return_to_own_namespaces(x, &ignored);
        return -1;
    }
    if (pid == 0) {
        close(x->sync[0]);
        exec_child(x, in_cgroup);
    }
    if (return_to_own_namespaces(x, err) < 0) {
        kill(pid, SIGKILL);
        return -1;
    }
    close(x->sync[1]);
    x->sync[1] = -1;
    int r = 0;
    int master = -1;
    while (r == 0) {
        struct sync_msg m;
        int fd;
        pid_t sender;
        int got = sync_recv(x->sync[0], &m, &sender, &fd, err);
        if (got < 0)
            r = -1;
        else if (got == 1)
            break; /* exec'd: the socket was close-on-exec */
        else if (m.type == SYNC_HELLO && x->user_first && sender > 0) {
            /* The child forked the process and exits: reap it, then that
             * process (reparented to us) is the one to wait for. */
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            pid = sender;
        } else if (m.type == SYNC_MASTER)
            master = fd;
        else if (m.type == SYNC_ERROR)
            *err = m.err, r = -1;
    }
    if (r < 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        if (master >= 0)
            close(master);
        return -1;
    }
    /* Before the lock goes: a record for the monitor's restore (the
     * process has had -1000 since before it execed). */
    if (x->oom_hide && oom_exec_record(x->c, pid, x->oom_restore_adj, err) < 0)
        return -1;
    if (x->o->pid_file) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%d", (int)pid);
        if (write_file_atomic(x->o->pid_file, buf, (size_t)n, 0644, err) < 0)
            return nook_error_wrap(err, "write --pid-file");
    }
    /* The container lock is not held while the process runs. */
    if (x->c->lock_fd >= 0)
        close(x->c->lock_fd);
    x->c->lock_fd = -1;
    if (x->o->detach) {
        if (master >= 0)
            close(master);
        return 0;
    }
    int status = wait_process(pid, master, set, err);
    if (master >= 0)
        close(master);
    return status;
}

int runtime_exec(const struct nook_globals *g, const struct exec_opts *o, struct runtime_exit *ex,
                 struct nook_error *err)
{
    memset(ex, 0, sizeof *ex);
    sigset_t set, old;
    forwarded_signals(&set);
    if (!o->detach && sigprocmask(SIG_BLOCK, &set, &old) < 0)
        return nook_error_sys(err, "block signals");
    struct container c;
    struct spec spec;
    int r = -1;
    if (container_load(g, o->id, &c, err) < 0)
        goto out_mask;
    if (c.st.status != NOOK_STATUS_RUNNING && c.st.status != NOOK_STATUS_CREATED &&
        !(c.st.status == NOOK_STATUS_PAUSED && o->ignore_paused)) {
        if (c.st.status == NOOK_STATUS_PAUSED) /* runc's words */
            nook_error_set(err, 0, "exec: cannot exec in a paused container (use --ignore-paused)");
        else
            nook_error_set(err, 0, "exec: container is %s", nook_status_names[c.st.status]);
        goto out;
    }
    if (container_load_spec(&c, &spec, err) < 0)
        goto out;
    struct exec_ctx x = {.g = g, .o = o, .spec = &spec, .c = &c, .sync = {-1, -1}, .console_sock = -1,
                          .notify_sock = -1, .own_pid_ns = -1, .own_time_ns = -1, .root_fd = -1};
    for (int t = 0; t < SPEC_NS_TYPES; t++)
        x.nsfd[t] = -1;
    if (build_process(o, &spec, err) == 0) {
        int s = run_exec(&x, &set, err);
        if (s >= 0) {
            ex->status = s;
            r = 0;
        }
    }
    for (int t = 0; t < SPEC_NS_TYPES; t++)
        if (x.nsfd[t] >= 0)
            close(x.nsfd[t]);
    if (x.sync[0] >= 0)
        close(x.sync[0]);
    if (x.console_sock >= 0)
        close(x.console_sock);
    if (x.notify_sock >= 0)
        close(x.notify_sock);
    security_seccomp_prog_free(&x.seccomp);
    if (x.have_cg)
        cgroup_close(&x.cg);
    if (x.own_pid_ns >= 0)
        close(x.own_pid_ns);
    if (x.own_time_ns >= 0)
        close(x.own_time_ns);
    if (x.root_fd >= 0)
        close(x.root_fd);
    spec_free(&spec);
out:
    container_release(&c);
out_mask:
    if (!o->detach)
        sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}
