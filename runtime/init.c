/* The container init's side of create, then start: runs in the child nook
 * cloned, inside the new namespaces, and ends in execve of the container
 * process. Every failure goes back to nook over the sync socket as one error
 * and the child exits; nook cleans up. */
#include "create.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../security/security.h"

/* Report to nook; once create has returned nobody may be listening (a
 * plain `start`), so then say it on the container's stderr. */
static _Noreturn void fail(struct create_ctx *x, struct nook_error *err)
{
    struct nook_error ignored;
    /* After the start byte `nook start` reads exec.fifo until our execve
     * closes it: what went wrong reaches it there, and it exits 1. Only the
     * exec itself ("exec <file>: ...", from finish.c) failing is the
     * process's own failure, as a shell reports it: on its stderr, exit
     * 127/126 (crun does the same; the validation suite relies on it). */
    bool exec_failed = strncmp(err->msg, "exec ", 5) == 0;
    if (x->start_fd >= 0 && !exec_failed) {
        if (write_all(x->start_fd, err->msg, strlen(err->msg)) < 0)
            dprintf(2, "nook: %s: %s\n", x->o->id, err->msg);
    } else if (x->start_fd >= 0 || sync_send(x->sync[1], SYNC_ERROR, 0, err, -1, &ignored) < 0) {
        dprintf(2, "nook: %s: %s\n", x->o->id, err->msg);
    }
    _exit(err->code == ENOENT ? 127 : err->code == EACCES ? 126 : 1);
}

/* The next message from nook, which must be of type want. */
static int await(struct create_ctx *x, int want, pid_t *pid, struct nook_error *err)
{
    struct sync_msg m;
    int r = sync_recv(x->sync[1], &m, NULL, NULL, err);
    if (r < 0)
        return -1;
    if (r == 1)
        return nook_error_set(err, 0, "nook went away during setup");
    if (m.type != want)
        return nook_error_set(err, EPROTO, "unexpected message %d from nook", m.type);
    if (pid)
        *pid = m.pid;
    return 0;
}

static int ask(struct create_ctx *x, int type, int want, pid_t *pid, struct nook_error *err)
{
    if (sync_send(x->sync[1], type, 0, NULL, -1, err) < 0)
        return -1;
    return await(x, want, pid, err);
}

/* CVE-2019-5736: the init is a clone of nook, so until its execve
 * /proc/<pid>/exe of it is the nook binary on the host; a process of the
 * container that opens it can read it and, once nothing runs nook any more,
 * rewrite it through /proc/self/fd. A non-dumpable process's /proc files
 * (exe, fd/, mem, ...) need CAP_SYS_PTRACE in nook's own (the host's) user
 * namespace, which the container does not have. execve of the container
 * process makes it dumpable again. */
static int set_dumpable(bool on, struct nook_error *err)
{
    if (prctl(PR_SET_DUMPABLE, on ? 1 : 0, 0, 0, 0) < 0)
        return nook_error_sys(err, "make the container init %sdumpable", on ? "" : "non-");
    return 0;
}

/* Joined namespaces (slow path): setns() first, then make the new ones, the
 * user namespace before the rest so they are owned by it. A new pid
 * namespace applies to children only, so the init is forked after it. */
static int make_namespaces_after_join(struct create_ctx *x, struct nook_error *err)
{
    if (ns_join_all(&x->joins, err) < 0)
        return -1;
    int flags = ns_new_flags(x->spec) & ~CLONE_NEWTIME;
    if (flags & CLONE_NEWUSER) {
        if (unshare(CLONE_NEWUSER) < 0)
            return nook_error_sys(err, "unshare user namespace");
        /* nook writes the maps to /proc/<pid>/uid_map, which is root's while
         * we are non-dumpable: a rootless nook could not open it. Nothing
         * else is in the fresh user namespace yet (as runc does). */
        if (set_dumpable(true, err) < 0 || ask(x, SYNC_USERMAP, SYNC_USERMAP_DONE, NULL, err) < 0 ||
            set_dumpable(false, err) < 0)
            return -1;
    }
    int rest = flags & ~(CLONE_NEWUSER | CLONE_NEWPID | (x->late_cgroupns ? CLONE_NEWCGROUP : 0));
    if (nook_trace_sink_fn) {
        char ns[128];
        NOOK_TRACE("init: unshare namespaces %s", nook_trace_ns_flags((unsigned long)flags, ns, sizeof ns));
    }
    if (rest && unshare(rest) < 0)
        return nook_error_sys(err, "unshare namespaces");
    if (flags & CLONE_NEWPID) {
        if (unshare(CLONE_NEWPID) < 0)
            return nook_error_sys(err, "unshare pid namespace");
        pid_t pid = fork();
        if (pid < 0)
            return nook_error_sys(err, "fork container init");
        if (pid > 0)
            _exit(0); /* nook (our subreaper) takes the init over */
    }
    return 0;
}

/* The id to take in the new user namespace: 0, or where 0 is not mapped
 * (a rootless `sandbox --user` maps the caller to that user alone) the first
 * mapped one. */
static unsigned userns_own_id(const struct spec_idmap *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (m[i].container_id == 0)
            return 0;
    return n ? m[0].container_id : 0;
}

/* On a v1 or hybrid host a "cgroup" mount shows the container's own cgroup
 * directories, named as hosts mount them ("name=systemd" is "systemd", the
 * cgroup2 one "unified"). */
static size_t cgroup_dirs_for_mount(const struct create_ctx *x, struct rootfs_cgroup_dir *out,
                                    size_t max)
{
    size_t n = 0;
    if (!x->have_cg || x->cg.kind == CGROUP_V2)
        return 0;
    for (size_t i = 0; i < x->cg.n_v1 && n < max; i++) {
        const char *name = x->cg.v1[i].controllers;
        if (strncmp(name, "name=", 5) == 0)
            name += 5;
        out[n++] = (struct rootfs_cgroup_dir){name, x->cg.v1[i].path};
    }
    if (x->cg.path && n < max)
        out[n++] = (struct rootfs_cgroup_dir){"unified", x->cg.path};
    return n;
}

/* In a new user namespace, become its root (the process is unmapped until
 * nook wrote the maps). */
static int become_userns_root(struct create_ctx *x, struct nook_error *err)
{
    if (!x->new_userns)
        return 0;
    const struct spec *s = x->spec;
    gid_t gid = userns_own_id(s->gid_mappings, s->n_gid_mappings);
    uid_t uid = userns_own_id(s->uid_mappings, s->n_uid_mappings);
    if (setresgid(gid, gid, gid) < 0)
        return nook_error_sys(err, "setresgid %u in the user namespace", (unsigned)gid);
    /* From one non-zero uid to another: the kernel leaves the capabilities. */
    if (setresuid(uid, uid, uid) < 0)
        return nook_error_sys(err, "setresuid %u in the user namespace", (unsigned)uid);
    return 0;
}

/* A new time namespace next to a new user namespace is made here, by the
 * user namespace's root (a rootless nook may not make one outside), and
 * entered at once: nothing is in it yet, so the offsets can still be set. */
static int enter_new_time_namespace(struct create_ctx *x, struct nook_error *err)
{
    const struct spec_namespace *t = spec_find_namespace(x->spec, SPEC_NS_TIME);
    if (!x->new_userns || !t || t->path)
        return 0;
    if (ns_new_time_namespace(x->spec, err) < 0)
        return -1;
    int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open /proc/self/ns/time_for_children");
    int r = setns(fd, CLONE_NEWTIME);
    int e = errno;
    close(fd);
    if (r < 0)
        return nook_error_set(err, e, "enter the new time namespace");
    return 0;
}

/* rootfs_opts.open_source: nook opens the bind source on the host side. */
static int open_source_via_nook(void *arg, size_t i, int *tree, struct nook_error *err)
{
    struct create_ctx *x = arg;
    struct sync_msg m;
    *tree = -1;
    if (sync_send(x->sync[1], SYNC_MOUNT_SOURCE, (pid_t)i, NULL, -1, err) < 0)
        return -1;
    int r = sync_recv(x->sync[1], &m, NULL, tree, err);
    if (r < 0)
        return -1;
    if (r == 1)
        return nook_error_set(err, 0, "nook went away during setup");
    if (m.type != SYNC_MOUNT_SOURCE_FD || *tree < 0) {
        if (*tree >= 0)
            close(*tree);
        *tree = -1;
        return nook_error_set(err, EPROTO, "unexpected message %d from nook", m.type);
    }
    return 0;
}

static int run_create_hooks(struct create_ctx *x, struct nook_error *err)
{
    const struct spec *s = x->spec;
    if (s->hooks[SPEC_HOOK_PRESTART].n || s->hooks[SPEC_HOOK_CREATE_RUNTIME].n) {
        if (ask(x, SYNC_HOOKS, SYNC_HOOKS_DONE, NULL, err) < 0)
            return -1;
    }
    if (s->hooks[SPEC_HOOK_CREATE_CONTAINER].n == 0)
        return 0;
    /* They run where the init is: in the root, as runc's do. */
    if (chdir(x->plan.mountpoint) < 0)
        return nook_error_sys(err, "chdir to root %s", x->plan.mountpoint);
    return hooks_run(s, SPEC_HOOK_CREATE_CONTAINER, &x->st, err);
}

static int setup_console(struct create_ctx *x, struct nook_error *err)
{
    if (!x->spec->process.terminal)
        return 0;
    int r = console_hand_over(&x->spec->process, x->console_sock, x->sync[1], err);
    if (x->console_sock >= 0) {
        close(x->console_sock);
        x->console_sock = -1;
    }
    return r;
}

/* Block until `nook start` opens exec.fifo for reading, then tell it we are
 * going on by writing one byte. The write end stays open (close-on-exec):
 * start sees it close when the process has called execve (or the init has
 * died), so it returns, and poststart hooks run, only after startContainer
 * hooks and the execve (runtime.md). */
static int wait_for_start(struct create_ctx *x, struct nook_error *err)
{
    int fd;
    do
        fd = openat(x->dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return nook_error_sys(err, "open exec.fifo");
    /* Released: with the fifo gone the container is "running" even if the
     * `nook start` that opened it is killed now (runtime/state.c). */
    (void)unlinkat(x->dir_fd, "exec.fifo", 0);
    if (write_all(fd, "0", 1) < 0) {
        int e = errno;
        close(fd);
        return nook_error_set(err, e, "write exec.fifo");
    }
    /* Kept (close-on-exec) for an error after the start; see fail(). */
    x->start_fd = fd;
    /* The state dir is on the host: nothing of it may reach the container. */
    close(x->dir_fd);
    x->dir_fd = -1;
    return 0;
}

/* The directory prefix names, opened in the container root without going
 * through a magic link; -1 with errno set. */
static int open_dir_in_root(int rootfd, const char *prefix)
{
    struct open_how how = {
        .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long fd;
    do
        fd = syscall(SYS_openat2, rootfd, prefix, &how, sizeof how);
    while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    return (int)fd;
}

/* A missing process.cwd is created, as runc does, while we are still root
 * in the container (after pivot_root: the path is the container's). Each
 * missing component is made in its parent as resolved in the root without
 * magic links: a plain mkdir -p would follow "/proc/self/fd/N/..." (an fd of
 * nook's caller, still open) or "/proc/1/root/..." (no pid namespace) and
 * make the directory on the host (CVE-2024-21626). */
static int make_cwd(const struct spec_process *p, struct nook_error *err)
{
    /* Only whether it exists: where it leads is checked once we are in it
     * (process_enter_cwd). */
    struct stat sb;
    if (stat(p->cwd, &sb) == 0)
        return 0;
    int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return nook_error_sys(err, "open / to create process.cwd");
    char *prefix = xstrdup(p->cwd);
    int rc = 0;
    for (char *end = prefix + 1; rc == 0; end++) {
        if (*end != '/' && *end != '\0')
            continue;
        char c = *end;
        *end = '\0';
        int dir = open_dir_in_root(rootfd, prefix);
        if (dir < 0 && errno == ENOENT) {
            char *slash = strrchr(prefix, '/');
            *slash = '\0';
            int parent = open_dir_in_root(rootfd, slash == prefix ? "/" : prefix);
            *slash = '/';
            if (parent >= 0) {
                if (mkdirat(parent, slash + 1, 0755) < 0 && errno != EEXIST)
                    rc = nook_error_sys(err, "create process.cwd %s: mkdir %s", p->cwd, prefix);
                close(parent);
                if (rc == 0)
                    dir = open_dir_in_root(rootfd, prefix);
            }
        }
        if (rc == 0 && dir < 0)
            rc = nook_error_sys(err, "create process.cwd %s: %s", p->cwd, prefix);
        if (dir >= 0)
            close(dir);
        *end = c;
        if (c == '\0')
            break;
    }
    free(prefix);
    close(rootfd);
    return rc;
}

/* As runc: a command that is not in $PATH is an error of create, not one the
 * container's stderr shows after start. Looked up as the exec will
 * (process.cwd, the process's PATH); the exec looks it up again, as late as
 * possible. A path given as such ("/bin/x", "./x") is left to the exec: an
 * image may well put it in place in a createContainer or startContainer
 * hook, and the validation suite creates such containers; its failure then
 * reaches `nook start` (fail()). */
static int check_executable(const struct spec_process *p, struct nook_error *err)
{
    if (p->args.n == 0 || strchr(p->args.v[0], '/'))
        return 0;
    if (chdir(p->cwd) < 0)
        return nook_error_sys(err, "chdir to process.cwd %s", p->cwd);
    char **env = process_build_env(p, 0);
    char *file = process_find_exec(p, env, err);
    process_env_free(env);
    int rc = file ? 0 : -1;
    struct stat st;
    if (file && (stat(file, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))) {
        int e = errno;
        if (rc == 0 && stat(file, &st) == 0)
            e = S_ISREG(st.st_mode) ? EACCES : EISDIR;
        rc = nook_error_set(err, e, "exec \"%s\"", file);
    }
    free(file);
    if (chdir("/") < 0 && rc == 0)
        rc = nook_error_sys(err, "chdir to /");
    return rc;
}

static int set_personality(const struct spec *s, struct nook_error *err)
{
    if (s->has_personality && personality(s->personality) < 0)
        return nook_error_sys(err, "set linux.personality");
    return 0;
}

_Noreturn void init_main(struct create_ctx *x)
{
    struct nook_error err;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* The milestones of the init's life carry the words runc's debug log
     * uses for the same steps, which tools and runc's tests look for. */
    NOOK_TRACE("child process in init(): the container's init sets up");
    /* A nook killed during create takes the half-made init with it (in the
     * slow path this is the intermediate child; the init it forks notices
     * nook's end as EOF on the sync socket). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
        nook_error_sys(&err, "set the parent-death signal");
        fail(x, &err);
    }
    /* Our copy of the lock fd would keep the container locked after create. */
    close(x->lock_fd);
    x->lock_fd = -1;
    /* In every one of the container's cgroups before anything else (on the
     * slow path the init we fork inherits them). Then the directories' fds go: they are the host's, and one left
     * open could be process.cwd "/proc/self/fd/N", outside the root
     * (CVE-2024-21626). */
    if (x->have_cg) {
        if (cgroup_enter_self(&x->cg, !x->in_cgroup2, &err) < 0)
            fail(x, &err);
        cgroup_close_fds(&x->cg);
    }
    /* Through the host's /proc, before any namespace is joined (so nothing
     * the container controls can be mounted over it, CVE-2025-52881) and
     * while our own /proc files are still ours to write (see set_dumpable). */
    if (process_set_oom_score_adj(&x->spec->process, &err) < 0)
        fail(x, &err);
    /* Joined namespaces may hold processes that see us from now on. */
    if (x->slow_path && (set_dumpable(false, &err) < 0 || make_namespaces_after_join(x, &err) < 0))
        fail(x, &err);
    pid_t host_pid;
    if ((create_init_says_hello(x) ? ask(x, SYNC_HELLO, SYNC_GO, &host_pid, &err)
                                   : await(x, SYNC_GO, &host_pid, &err)) < 0)
        fail(x, &err);
    x->st.pid = host_pid;
    /* Now in the container's cgroups: a new cgroup namespace is rooted there. */
    if (x->late_cgroupns && unshare(CLONE_NEWCGROUP) < 0) {
        nook_error_sys(&err, "unshare cgroup namespace");
        fail(x, &err);
    }
    /* Nothing of the container exists before we report "created" (nook exec
     * needs that state) unless a namespace was joined: there we became
     * non-dumpable at once. Until here the new time namespace's offsets
     * (/proc/self/timens_offsets) were still ours to write. */
    if (become_userns_root(x, &err) < 0 || enter_new_time_namespace(x, &err) < 0 ||
        set_dumpable(false, &err) < 0)
        fail(x, &err);
    if (setsid() < 0) {
        nook_error_sys(&err, "setsid");
        fail(x, &err);
    }

    struct rootfs_opts ro = {.userns = x->new_userns || x->joined_userns,
                             .no_pivot = x->o->no_pivot,
                             .shared_mntns = !spec_find_namespace(x->spec, SPEC_NS_MOUNT)};
    struct rootfs_cgroup_dir cgdirs[32];
    ro.n_cgroups = cgroup_dirs_for_mount(x, cgdirs, sizeof cgdirs / sizeof cgdirs[0]);
    ro.cgroups = cgdirs;
    if (x->new_userns) {
        ro.open_source = open_source_via_nook;
        ro.open_source_arg = x;
    }
    if (ns_set_hostname(x->spec, &err) < 0 || ns_loopback_up(x->spec, &err) < 0 ||
        rootfs_mount(x->spec, &x->plan, &ro, &err) < 0 ||
        run_create_hooks(x, &err) < 0 || rootfs_pivot(x->spec, &x->plan, &ro, &err) < 0 ||
        (x->spec->has_process && make_cwd(&x->spec->process, &err) < 0) ||
        ns_apply_sysctl(x->spec, &err) < 0 || set_personality(x->spec, &err) < 0 ||
        process_set_rlimits(&x->spec->process, &err) < 0 || setup_console(x, &err) < 0 ||
        check_executable(&x->spec->process, &err) < 0)
        fail(x, &err);

    x->st.status = NOOK_STATUS_CREATED;
    /* Until state.json names us a killed nook leaves nothing to find us by,
     * so we die with it until then: by the parent-death signal so far, and
     * from here by the EOF it leaves on the sync socket (the signal must go
     * first: nook exits as soon as it has told us). */
    if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0) {
        nook_error_sys(&err, "clear the parent-death signal");
        fail(x, &err);
    }
    if (ask(x, SYNC_CREATED, SYNC_COMMITTED, NULL, &err) < 0)
        fail(x, &err);
    if (wait_for_start(x, &err) < 0)
        fail(x, &err);
    /* `nook start` refuses a container without a process before it opens
     * exec.fifo; only someone else opening it gets here. */
    if (!x->spec->has_process) {
        nook_error_set(&err, 0, "start: config.json has no process to run");
        fail(x, &err);
    }
    NOOK_TRACE("init: closing the pipe to signal completion: exec.fifo, close-on-exec, "
               "ends `start` at execve");
    /* startContainer hooks (run last, see finish.c) see the container
     * still "created", as in runc. */
    struct finish_opts f = {.st = &x->st, .seccomp = &x->seccomp, .keep_fds = x->o->preserve_fds,
                            .listen_fds = x->o->listen_fds, .notify_sock = x->notify_sock,
                            .start_hooks = true,
                            .under_init = spec_sandbox_wants_init(x->spec)};
    process_finish_and_exec(x->spec, &x->spec->process, &f, &err);
    fail(x, &err);
}
