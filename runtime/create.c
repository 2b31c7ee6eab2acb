/* `create`, nook's side: everything up to a container init that waits on
 * exec.fifo. See docs/ARCHITECTURE.md ("create") for the sequence; the
 * init's side is init.c. */
#include "create.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../security/security.h"
#include "oom.h"

static char *now_rfc3339(void)
{
    struct timespec ts;
    char buf[UTC_FORMAT_LEN];
    clock_gettime(CLOCK_REALTIME, &ts);
    utc_format(ts.tv_sec, buf);
    return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

static void copy_annotations(struct spec_kvlist *dst, const struct spec_kvlist *src)
{
    dst->n = src->n;
    dst->v = src->n ? xcalloc(src->n, sizeof *dst->v) : NULL;
    for (size_t i = 0; i < src->n; i++) {
        dst->v[i].key = xstrdup(src->v[i].key);
        dst->v[i].value = xstrdup(src->v[i].value);
    }
}

/* <root>/<id>: mkdir is atomic, so of two creates of one id exactly one gets
 * past here. The directory is locked at once until create returns. */
static int make_state_dir(struct create_ctx *x, struct nook_error *err)
{
    if (mkdir_p(x->g->root, 0700, err) < 0)
        return nook_error_wrap(err, "create state root");
    char *dir = xasprintf("%s/%s", x->g->root, x->o->id);
    if (mkdir(dir, 0711) < 0) {
        int e = errno;
        free(dir);
        if (e == EEXIST)
            return nook_error_set(err, 0, "create: a container with this id already exists");
        return nook_error_set(err, e, "create state directory in %s", x->g->root);
    }
    x->dir = dir;
    x->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (x->lock_fd < 0 || flock(x->lock_fd, LOCK_EX) < 0)
        return nook_error_sys(err, "lock state directory %s", dir);
    x->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (x->dir_fd < 0)
        return nook_error_sys(err, "open state directory %s", dir);
    return 0;
}

static int write_in_dir(struct create_ctx *x, const char *name, const char *data, size_t len,
                        struct nook_error *err)
{
    char *path = xasprintf("%s/%s", x->dir, name);
    int r = write_file_atomic(path, data, len, 0600, err);
    free(path);
    return r;
}

static int save_state(struct create_ctx *x, struct nook_error *err)
{
    char *json = spec_state_file_json(&x->st);
    int r = write_in_dir(x, "state.json", json, strlen(json), err);
    free(json);
    return r;
}

/* Running without a cgroup of its own (create_cgroup): the planned one
 * is not the container's. */
static void forget_cgroup(struct nook_state *st)
{
    free(st->cgroup_path);
    free(st->cgroup_backend);
    spec_kvlist_free(&st->cgroup_paths);
    st->cgroup_path = st->cgroup_backend = NULL;
}

/* resources.json: what create is about to make (cgroup, overlay dirs), in
 * state.json's format, written once before any of it exists and never
 * rewritten. A nook killed at any later point, or a state.json lost or
 * corrupted since, leaves delete -f this to find and remove everything by
 * (runtime/state.c). */
static int record_resources(struct create_ctx *x, struct nook_error *err)
{
    struct spec_kvlist annotations = x->st.annotations;
    x->st.annotations = (struct spec_kvlist){NULL, 0};
    char *json = spec_state_file_json(&x->st);
    x->st.annotations = annotations;
    int r = write_in_dir(x, "resources.json", json, strlen(json), err);
    free(json);
    return r;
}

static void fill_state(struct create_ctx *x)
{
    struct nook_state *st = &x->st;
    st->oci_version = xstrdup(x->spec->oci_version);
    st->id = xstrdup(x->o->id);
    st->status = NOOK_STATUS_CREATING;
    st->bundle = xstrdup(x->bundle);
    copy_annotations(&st->annotations, &x->spec->annotations);
    st->rootfs = xstrdup(x->plan.overlay ? x->plan.mountpoint : x->plan.root);
    st->created = now_rfc3339();
    st->owner = geteuid();
    /* What create_cgroup() will make, before it exists (cgroup_open of a
     * recorded directory that was never made skips it). */
    struct nook_cgroup planned;
    struct nook_error ignored;
    x->have_host = cgroup_host_read(&x->host, &ignored) == 0;
    if (x->have_host && cgroup_plan(&x->host, x->spec, x->o->id, &planned, &ignored) == 0) {
        cgroup_record(&planned, st);
        cgroup_close(&planned);
    }
    st->overlay = x->plan.overlay;
    st->overlay_volatile = x->plan.overlay_volatile;
    st->overlay_work = x->plan.work ? xstrdup(x->plan.work) : NULL;
}

/* The host id that container id 0 maps to (the id itself without a map). */
static unsigned host_root_id(const struct spec_idmap *m, size_t n, unsigned own)
{
    for (size_t i = 0; i < n; i++)
        if (m[i].container_id == 0)
            return m[i].host_id;
    return own;
}

/* The init opens exec.fifo as the container's root, which in a user
 * namespace is another host uid: the fifo belongs to it (as in runc). */
static int make_exec_fifo(struct create_ctx *x, struct nook_error *err)
{
    if (mkfifoat(x->dir_fd, "exec.fifo", 0600) < 0)
        return nook_error_sys(err, "create %s/exec.fifo", x->dir);
    const struct spec *s = x->spec;
    uid_t uid = host_root_id(s->uid_mappings, s->n_uid_mappings, geteuid());
    gid_t gid = host_root_id(s->gid_mappings, s->n_gid_mappings, getegid());
    if ((uid != geteuid() || gid != getegid()) &&
        fchownat(x->dir_fd, "exec.fifo", uid, gid, 0) < 0)
        return nook_error_sys(err, "chown %s/exec.fifo", x->dir);
    return 0;
}

/* The pid and time namespaces given by path, and a new time namespace, are
 * entered for our children only; we go back to our own right after clone so
 * the hooks nook runs stay in the runtime's namespaces. */
static int enter_namespaces_for_child(struct create_ctx *x, struct nook_error *err)
{
    const struct spec_namespace *t = spec_find_namespace(x->spec, SPEC_NS_TIME);
    /* With a new user namespace the init makes the new time namespace
     * (init.c), owned by that user namespace: nook itself may not (rootless). */
    if (t && !t->path && x->new_userns)
        t = NULL;
    if (x->joins.fd[SPEC_NS_PID] >= 0) {
        x->own_pid_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (x->own_pid_ns < 0)
            return nook_error_sys(err, "open /proc/self/ns/pid");
    }
    if (t) {
        x->own_time_ns = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
        if (x->own_time_ns < 0)
            return nook_error_sys(err, "open /proc/self/ns/time");
    }
    if (ns_enter_for_children(&x->joins, err) < 0)
        return -1;
    if (t && !t->path && ns_new_time_namespace(x->spec, err) < 0)
        return -1;
    return 0;
}

static int restore_own_namespaces(struct create_ctx *x, struct nook_error *err)
{
    if (x->own_pid_ns >= 0 && setns(x->own_pid_ns, CLONE_NEWPID) < 0)
        return nook_error_sys(err, "return to nook's pid namespace");
    if (x->own_time_ns >= 0 && setns(x->own_time_ns, CLONE_NEWTIME) < 0)
        return nook_error_sys(err, "return to nook's time namespace");
    return 0;
}

static int start_child(struct create_ctx *x, struct nook_error *err)
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sync) < 0)
        return nook_error_sys(err, "create sync socket");
    int one = 1;
    if (setsockopt(x->sync[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
        return nook_error_sys(err, "set SO_PASSCRED on sync socket");
    /* When the child must setns() first it may fork the real init, which is
     * then our grandchild: be its subreaper so a foreground run can reap it. */
    if (x->slow_path && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return nook_error_sys(err, "become child subreaper");
    if (enter_namespaces_for_child(x, err) < 0)
        return -1;
    unsigned long flags = x->slow_path ? 0 : (unsigned long)ns_new_flags(x->spec) & ~(unsigned long)CLONE_NEWTIME;
    /* A cgroup namespace is rooted where its creator is: where the clone
     * cannot land in all of the container's cgroups (v1, hybrid), the init
     * makes it once it has joined the rest (cgroup_enter_self). */
    x->late_cgroupns = x->have_cg && (x->cg.n_v1 > 0 || cgroup_clone_fd(&x->cg) < 0) &&
                       (ns_new_flags(x->spec) & CLONE_NEWCGROUP);
    if (x->late_cgroupns)
        flags &= ~(unsigned long)CLONE_NEWCGROUP;
    bool in_cgroup = false;
    int cgroup_fd = x->have_cg ? cgroup_clone_fd(&x->cg) : -1;
    if (nook_trace_sink_fn) {
        char ns[128];
        /* runc's debug log names its namespace setup "nsexec": tools and
         * tests that read runc's log find the same step in ours. */
        NOOK_TRACE("nsexec container setup: clone init: new namespaces %s%s",
                   nook_trace_ns_flags(flags, ns, sizeof ns),
                   cgroup_fd >= 0 ? ", into its cgroup" : "");
    }
    pid_t pid = process_clone(flags, cgroup_fd, &in_cgroup);
    if (pid == 0) {
        close(x->sync[0]);
        x->in_cgroup2 = in_cgroup;
        init_main(x);
    }
    if (pid < 0)
        return nook_error_sys(err, "clone container process");
    x->child = pid;
    close(x->sync[1]);
    x->sync[1] = -1;
    /* The init joins the rest of its cgroups itself, before its hello. */
    return restore_own_namespaces(x, err);
}

static int reply(struct create_ctx *x, int type, pid_t pid, struct nook_error *err)
{
    return sync_send(x->sync[0], type, pid, NULL, -1, err);
}

/* In a child forked for it: enter the init's mount namespace (still a copy
 * of ours) with nook's credentials and take a detached copy of the bind
 * source there: the init attaches it (move_mount) although its own root
 * may not enter the directories on the way. Sent over sock with errno as
 * data when it failed. */
static _Noreturn void mount_source_helper(pid_t init, const char *src, bool recursive, int sock)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)init);
    int e = 0, tree = -1;
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNS) < 0)
        e = errno;
    if (e == 0) {
        tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                            (recursive ? AT_RECURSIVE : 0));
        if (tree < 0)
            e = errno;
    }
    struct nook_error ignored;
    if (tree >= 0)
        _exit(fd_send(sock, tree, &e, sizeof e, &ignored) < 0 ? 1 : 0);
    _exit(write_all(sock, &e, sizeof e) < 0 ? 1 : 0);
}

static int open_mount_source(struct create_ctx *x, pid_t index, int *tree, struct nook_error *err)
{
    *tree = -1;
    if (index < 0 || (size_t)index >= x->spec->n_mounts || !x->spec->mounts[index].bind ||
        !x->spec->mounts[index].source)
        return nook_error_set(err, EPROTO, "bind source of mounts[%d]: no such bind mount",
                              (int)index);
    const struct spec_mount *m = &x->spec->mounts[index];
    char *src = m->source[0] == '/' ? xstrdup(m->source)
                                    : xasprintf("%s/%s", x->plan.bundle, m->source);
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
        free(src);
        return nook_error_sys(err, "mounts[%d]: socketpair", (int)index);
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(sp[0]);
        mount_source_helper(x->st.pid, src, (m->flags & MS_REC) != 0, sp[1]);
    }
    close(sp[1]);
    int rc = 0, e = 0;
    if (pid < 0)
        rc = nook_error_sys(err, "mounts[%d]: fork", (int)index);
    else if (fd_recv(sp[0], tree, &e, sizeof e, err) < 0) {
        /* No fd: the helper only wrote why. */
        rc = nook_error_set(err, e ? e : EACCES, "mounts[%d]: open bind source %s on the host "
                            "side", (int)index, src);
    }
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    close(sp[0]);
    free(src);
    return rc;
}

/* Serve the init's requests until it says it is created (or fails). */
static int serve_child(struct create_ctx *x, struct created *out, struct nook_error *err)
{
    for (;;) {
        struct sync_msg m;
        pid_t sender;
        int fd;
        int r = sync_recv(x->sync[0], &m, &sender, &fd, err);
        if (r < 0)
            return -1;
        if (r == 1)
            return nook_error_set(err, 0, "container init exited during setup");
        switch (m.type) {
        case SYNC_HELLO:
            out->init = sender;
            x->st.pid = sender;
            if (x->oom.freeze && oom_prepare(x->spec, &x->cg, sender, &x->oom_mech,
                                             &x->oom_restore_adj, err) < 0)
                return -1;
            if (x->new_userns && !x->slow_path && ns_write_id_maps(sender, x->spec, err) < 0)
                return -1;
            if (reply(x, SYNC_GO, sender, err) < 0)
                return -1;
            break;
        case SYNC_USERMAP:
            if (ns_write_id_maps(sender, x->spec, err) < 0 ||
                reply(x, SYNC_USERMAP_DONE, 0, err) < 0)
                return -1;
            break;
        case SYNC_HOOKS:
            if (hooks_run(x->spec, SPEC_HOOK_PRESTART, &x->st, err) < 0 ||
                hooks_run(x->spec, SPEC_HOOK_CREATE_RUNTIME, &x->st, err) < 0)
                return -1;
            if (reply(x, SYNC_HOOKS_DONE, 0, err) < 0)
                return -1;
            break;
        case SYNC_MOUNT_SOURCE: {
            int tree;
            if (open_mount_source(x, m.pid, &tree, err) < 0)
                return -1;
            r = sync_send(x->sync[0], SYNC_MOUNT_SOURCE_FD, 0, NULL, tree, err);
            close(tree);
            if (r < 0)
                return -1;
            break;
        }
        case SYNC_MASTER:
            if (fd < 0)
                return nook_error_set(err, EPROTO, "receive pty master: no fd");
            out->master = fd;
            break;
        case SYNC_CREATED:
            return 0;
        case SYNC_ERROR:
            *err = m.err;
            return -1;
        default:
            if (fd >= 0)
                close(fd);
            return nook_error_set(err, EPROTO, "unexpected message %d from container", m.type);
        }
    }
}

static int write_pid_file(const char *path, pid_t pid, struct nook_error *err)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", (int)pid);
    return write_file_atomic(path, buf, (size_t)n, 0644, err);
}

/* Undo a failed create: kill what runs, then remove what was made, in the
 * reverse order. Errors here are secondary to the one being reported. */
static void abort_create(struct create_ctx *x, struct created *out)
{
    struct nook_error ignored;
    oom_monitor_stop(&x->st);
    /* A shared cgroup holds others' processes: the init's own go below. */
    if (x->have_cg && x->cg.procs_found == 0)
        cgroup_kill(&x->cg, &ignored);
    if (x->child > 0) {
        kill(x->child, SIGKILL);
        while (waitpid(x->child, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (out->init > 0 && out->init != x->child) {
        kill(out->init, SIGKILL);
        while (waitpid(out->init, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (out->master >= 0)
        close(out->master);
    out->master = -1;
    if (x->have_cg)
        cgroup_destroy(&x->cg, &ignored);
    x->have_cg = false;
    if (x->plan_dirs)
        rootfs_cleanup(&x->plan, &ignored);
    if (x->dir)
        remove_tree(x->dir, &ignored);
}

static void free_ctx(struct create_ctx *x)
{
    if (x->sync[0] >= 0)
        close(x->sync[0]);
    if (x->sync[1] >= 0)
        close(x->sync[1]);
    if (x->console_sock >= 0)
        close(x->console_sock);
    if (x->notify_sock >= 0)
        close(x->notify_sock);
    security_seccomp_prog_free(&x->seccomp);
    if (x->own_pid_ns >= 0)
        close(x->own_pid_ns);
    if (x->own_time_ns >= 0)
        close(x->own_time_ns);
    if (x->dir_fd >= 0)
        close(x->dir_fd);
    if (x->lock_fd >= 0)
        close(x->lock_fd);
    ns_close_joins(&x->joins);
    if (x->have_cg)
        cgroup_close(&x->cg);
    if (x->have_host)
        cgroup_host_free(&x->host);
    rootfs_plan_free(&x->plan);
    spec_state_free(&x->st);
    spec_oom_policy_free(&x->oom);
    free(x->dir);
}

/* An unprivileged user may not create cgroups where none was delegated to
 * it. As runc does rootless without systemd, a container that asks for no
 * limits and no cgroupsPath then runs in nook's own cgroup (`kill --all`
 * and `delete` reach its processes through its pid namespace instead). */
static int create_cgroup(struct create_ctx *x, struct nook_error *err)
{
    /* The hierarchies the plan was made from (fill_state), so what is
     * made is what resources.json recorded. */
    int made = x->have_host ? cgroup_create_on(&x->host, x->spec, x->o->id, &x->cg, err)
                            : cgroup_create(x->spec, x->o->id, &x->cg, err);
    if (made == 0) {
        x->have_cg = true;
        /* runc 1.1 words (a warning there, an error from runc 1.2 on). */
        if (x->cg.procs_found > 0)
            runtime_warn(x->warnings, "container's cgroup is not empty: %zu process(es) found; "
                         "it is shared with them, so nook never kills or removes it as a whole",
                         x->cg.procs_found);
        /* Kernel memory limits are gone (Linux 5.16; deprecated before): as
         * runc, accepted and ignored on every backend. */
        const struct spec_resources *r = &x->spec->resources;
        if (x->spec->has_resources && (r->memory.has_kernel || r->memory.has_kernel_tcp))
            nook_log(x->g, "debug", "linux.resources.memory.kernel%s: ignored (the kernel has "
                     "no kernel memory limits)", r->memory.has_kernel ? "" : "TCP");
        return 0;
    }
    bool denied = err->code == EACCES || err->code == EPERM || err->code == EROFS;
    char *needed = cgroup_needed_by(x->spec);
    if (x->o->best_effort_limits && (denied || needed)) {
        /* sandbox --best-effort: a limit that cannot be had is a warning. */
        runtime_warn(x->warnings, "%s not enforced: %s", needed ? needed : "a cgroup",
                     err->msg);
        free(needed);
        memset(err, 0, sizeof *err);
        return 0;
    }
    if (!denied) {
        free(needed);
        return -1;
    }
    if (!needed) {
        nook_log(x->g, "debug", "running without a cgroup of its own: %s", err->msg);
        /* Handled: main must not print it when a foreground run exits 1. */
        memset(err, 0, sizeof *err);
        return 0;
    }
    nook_error_wrap(err, "%s needs a cgroup for the container, and uid %u may not create "
                    "one (delegate a cgroup subtree to it, or run as root)",
                    needed, (unsigned)geteuid());
    free(needed);
    return -1;
}

/* Without CAP_SETUID/CAP_SETGID over its user namespace (rootless) nook may
 * only map its own euid/egid, one id, as the kernel allows; say so before
 * anything is made instead of failing on the uid_map write. nook does not
 * call newuidmap/newgidmap. */
static int check_own_id_map(const char *json_path, const struct spec_idmap *m, size_t n,
                            unsigned own, struct nook_error *err)
{
    if (n == 0 || (n == 1 && m[0].size == 1 && m[0].host_id == own))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (m[i].host_id != own || m[i].size != 1)
            return nook_error_set(err, 0,
                                  "%s[%zu]: mapping host ids other than your own (%u) needs "
                                  "root (nook does not use newuidmap/newgidmap)",
                                  json_path, i, own);
    return nook_error_set(err, 0, "%s: mapping your id (%u) more than once needs root",
                          json_path, own);
}

/* What only root can do, checked up front with an error naming it: new
 * namespaces without a new user namespace, and id maps beyond one's own. */
static int check_privileges(const struct spec *s, struct nook_error *err)
{
    if (geteuid() == 0)
        return 0;
    const struct spec_namespace *u = spec_find_namespace(s, SPEC_NS_USER);
    if (!u && ns_new_flags(s) != 0)
        return nook_error_set(err, 0, "linux.namespaces: new namespaces without a new user "
                              "namespace need root (`nook spec --rootless` writes a config "
                              "with one)");
    if (!u || u->path)
        return 0;
    if (check_own_id_map("linux.uidMappings", s->uid_mappings, s->n_uid_mappings, geteuid(),
                         err) < 0)
        return -1;
    return check_own_id_map("linux.gidMappings", s->gid_mappings, s->n_gid_mappings,
                            getegid(), err);
}

static int check_options(const struct create_ctx *x, struct nook_error *err)
{
    const struct spec *s = x->spec;
    /* config.md: process is REQUIRED only "when start is called"; a
     * container created without one waits until deleted (start refuses). */
    if (!s->has_process && x->o->run)
        return nook_error_set(err, 0, "process: required to run a container");
    if (rootfs_validate_shared_mntns(s, err) < 0)
        return -1;
    if (s->process.terminal && !x->o->console_socket && (!x->o->run || x->o->detach))
        return nook_error_set(err, 0, "process.terminal: a detached container needs --console-socket");
    if (!s->process.terminal && x->o->console_socket)
        return nook_error_set(err, 0, "--console-socket given but process.terminal is false");
    return 0;
}

/* Capabilities outside nook's own bounding set (a restricted host) are left
 * out with a warning, as config.md asks, instead of failing create. In a
 * user namespace (new or joined) the init's bounding set is full again. */
static void warn_ungrantable_caps(struct create_ctx *x)
{
    const struct spec *s = x->spec;
    char names[512];
    if (!s->has_process || spec_find_namespace(s, SPEC_NS_USER))
        return;
    size_t n = security_caps_ungrantable(&s->process, names, sizeof names);
    if (n)
        runtime_warn(x->warnings, "process.capabilities: %s not in nook's bounding set, "
                     "the container does not get %s", names, n == 1 ? "it" : "them");
}

/* org.nook.oom=freeze stops the container at its memory limit: it needs one. */
static int check_oom_policy(struct create_ctx *x, struct nook_error *err)
{
    if (spec_oom_policy(x->spec, &x->oom, err) < 0)
        return -1;
    const struct spec *s = x->spec;
    if (x->oom.freeze && !(s->has_resources && s->resources.memory.has_limit &&
                           s->resources.memory.limit > 0))
        return nook_error_set(err, 0, "annotations[\"org.nook.oom\"]: freeze needs a memory "
                              "limit (linux.resources.memory.limit)");
    return 0;
}

/* The freeze watches the container's own cgroup: an OOM at a tighter
 * ancestor's limit is the kernel's to handle (cgroup_oom_tighter_ancestor).
 * Only worth a warning: the freeze still works up to that limit. */
static void warn_tighter_ancestor(struct create_ctx *x)
{
    struct cgroup_oom_ancestor a;
    struct nook_error ignored;
    if (!x->have_cg || cgroup_oom_tighter_ancestor(&x->cg, &a, &ignored) < 0 || !a.path)
        return;
    runtime_warn(x->warnings, "annotations[\"org.nook.oom\"]: freeze: the ancestor cgroup %s has "
                 "%s %llu, below the container's %llu: the freeze does not catch an OOM at "
                 "that limit", a.path, a.file,
                 (unsigned long long)a.limit, (unsigned long long)a.own_limit);
    free(a.path);
}

/* The OOM monitor, once the init exists and waits on exec.fifo. */
static int start_oom_monitor(struct create_ctx *x, struct nook_error *err)
{
    struct oom_monitor_args a = {
        .id = x->o->id,
        .dir = x->dir,
        .root = x->g->root,
        .cg = &x->cg,
        .mech = x->oom_mech,
        .policy = &x->oom,
        .restore_adj = x->oom_restore_adj,
    };
    return oom_monitor_start(&a, &x->st.oom_monitor_pid, &x->st.oom_monitor_start_time, err);
}

/* restore: criu instead of an init; the container is running once its
 * state is written. */
static int finish_restore(struct create_ctx *x, struct created *out, struct nook_error *err)
{
    if (x->o->console_socket && console_socket_connect(x->o->console_socket, &x->console_sock, err) < 0)
        return -1;
    if (restore_processes(x, out, err) < 0)
        return -1;
    runtime_step(x->g, "restore", "processes restored");
    unsigned long long start;
    if (proc_stat_start_time(out->init, &start, NULL) < 0)
        return nook_error_set(err, 0, "restored init exited at once");
    x->st.pid = out->init;
    x->st.pid_start_time = start;
    x->st.status = NOOK_STATUS_RUNNING;
    if (save_state(x, err) < 0)
        return -1;
    runtime_step(x->g, "restore", "state.json written");
    if (x->o->pid_file && write_pid_file(x->o->pid_file, out->init, err) < 0)
        return nook_error_wrap(err, "write --pid-file");
    return 0;
}

static int do_create(struct create_ctx *x, struct created *out, struct nook_error *err)
{
    if (!runtime_id_valid(x->o->id))
        return nook_error_set(err, 0, "invalid container id (letters, digits and \"_+-.\" only)");
    if (check_options(x, err) < 0 || check_oom_policy(x, err) < 0 ||
        ns_validate(x->spec, err) < 0 ||
        check_privileges(x->spec, err) < 0 || security_validate(x->spec, err) < 0)
        return -1;
    warn_ungrantable_caps(x);
    const struct nook_globals *g = x->g;
    if (make_state_dir(x, err) < 0)
        return -1;
    runtime_step(g, "create", "state directory made and locked");
    if (write_in_dir(x, "config.json", x->config_json, x->config_len, err) < 0)
        return -1;
    runtime_step(g, "create", "config.json stored");
    /* A spec built in memory has no bundle: its state dir stands in. */
    x->bundle = x->rs->bundle ? x->rs->bundle : x->dir;
    if (rootfs_plan(x->spec, x->bundle, x->dir, x->o->id, &x->plan, err) < 0)
        return -1;
    fill_state(x);
    if (record_resources(x, err) < 0)
        return -1;
    runtime_step(g, "create", "resources recorded");
    if (rootfs_prepare_dirs(&x->plan, err) < 0)
        return -1;
    x->plan_dirs = true;
    runtime_step(g, "create", "rootfs directories made");
    if (create_cgroup(x, err) < 0)
        return -1;
    if (x->have_cg)
        cgroup_record(&x->cg, &x->st);
    else
        forget_cgroup(&x->st);
    runtime_step(g, "create", "cgroup made");
    if (x->o->restore)
        return finish_restore(x, out, err);
    if (make_exec_fifo(x, err) < 0)
        return -1;
    runtime_step(g, "create", "exec.fifo made");
    if (x->o->console_socket && console_socket_connect(x->o->console_socket, &x->console_sock, err) < 0)
        return -1;
    if (x->spec->has_seccomp && security_seccomp_uses_notify(&x->spec->seccomp) &&
        security_notify_connect(&x->spec->seccomp, &x->notify_sock, err) < 0)
        return -1;
    if (process_prepare_seccomp(x->g, x->spec, &x->seccomp, err) < 0)
        return -1;
    if (ns_open_joins(x->spec, &x->joins, err) < 0)
        return -1;
    x->slow_path = ns_joins_need_child_setns(&x->joins);
    const struct spec_namespace *u = spec_find_namespace(x->spec, SPEC_NS_USER);
    x->new_userns = u && !u->path;
    x->joined_userns = u && u->path;
    if (start_child(x, err) < 0)
        return -1;
    if (!create_init_says_hello(x)) {
        out->init = x->st.pid = x->child;
        if (reply(x, SYNC_GO, x->child, err) < 0)
            return -1;
    }
    runtime_step(g, "create", "init cloned");
    if (serve_child(x, out, err) < 0)
        return -1;
    runtime_step(g, "create", "init set up");
    if (x->slow_path && out->init != x->child) {
        /* The intermediate child exits once it has forked the init. */
        while (waitpid(x->child, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    x->child = 0;
    unsigned long long start;
    if (proc_stat_start_time(out->init, &start, NULL) < 0)
        return nook_error_set(err, 0, "container init exited during setup");
    x->st.pid = out->init;
    x->st.pid_start_time = start;
    x->st.status = NOOK_STATUS_CREATED;
    if (x->oom.freeze) {
        warn_tighter_ancestor(x);
        if (start_oom_monitor(x, err) < 0)
            return -1;
    }
    if (save_state(x, err) < 0)
        return -1;
    runtime_step(g, "create", "state.json written");
    /* Only now that state.json names it may the init outlive us. */
    if (reply(x, SYNC_COMMITTED, 0, err) < 0)
        return -1;
    runtime_step(g, "create", "init told it is recorded");
    if (x->o->pid_file && write_pid_file(x->o->pid_file, out->init, err) < 0)
        return nook_error_wrap(err, "write --pid-file");
    runtime_step(g, "create", "pid file written");
    return 0;
}

/* run: hand the locked container over (struct created's c). */
static void keep_for_run(struct create_ctx *x, struct created *out)
{
    struct container *c = &out->c;
    c->g = x->g;
    c->id = xstrdup(x->o->id);
    c->dir = x->dir;
    c->lock_fd = x->lock_fd;
    c->st = x->st;
    c->recorded = true;
    x->dir = NULL;
    x->lock_fd = -1;
    memset(&x->st, 0, sizeof x->st);
}

int container_create(const struct nook_globals *g, struct runtime_spec *rs,
                     const struct create_opts *o, struct created *out,
                     struct runtime_warnings *w, struct nook_error *err)
{
    struct create_ctx x;
    memset(&x, 0, sizeof x);
    x.g = g;
    x.o = o;
    x.warnings = w;
    x.rs = rs;
    x.spec = &rs->spec;
    x.config_json = rs->json;
    x.config_len = rs->len;
    x.lock_fd = x.dir_fd = x.start_fd = x.console_sock = x.notify_sock = x.own_pid_ns = x.own_time_ns = -1;
    x.sync[0] = x.sync[1] = -1;
    for (int i = 0; i < SPEC_NS_TYPES; i++)
        x.joins.fd[i] = -1;
    memset(out, 0, sizeof *out);
    out->master = -1;
    out->sync_fd = -1;
    out->c.lock_fd = -1;

    int r = do_create(&x, out, err);
    if (r < 0) {
        abort_create(&x, out);
    } else {
        out->sync_fd = x.sync[0];
        x.sync[0] = -1;
        if (o->run)
            keep_for_run(&x, out);
    }
    free_ctx(&x);
    return r;
}
