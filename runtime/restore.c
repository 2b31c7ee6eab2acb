/* `restore`: a container created as `create` makes one (state dir, records,
 * cgroup; create.c), whose processes criu rebuilds from a checkpoint
 * instead of an init being started. criu needs:
 *   - a root that is a mount point with a parent that is not overmounted:
 *     the root bound at <state dir>/criu-root;
 *   - the mount points of the bind mounts in the root, as create made them
 *     (they may have been removed since), and each external mount of the
 *     checkpoint (bind mounts, cgroup v1 binds) mapped to its source;
 *   - the init's stdio pipes, by the name descriptors.json recorded, and
 *     namespaces joined by path: given as inherited fds / joined;
 *   - to be in the container's cgroups (with cg_root) before it restores.
 * All mounting happens in a private mount namespace nook enters for the
 * restore and leaves after it, so nothing is left on the host. The
 * restored init is nook's child (rst_sibling), as a created one is. */
#include "create.h"
#include "criu.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

struct restore_ctx {
    struct create_ctx *x;
    struct created *out;
    int own_mnt_ns;     /* to go back to, or -1 */
    char *criu_root;    /* <dir>/criu-root, made */
    bool root_bound;
    struct criu_dirs d;
    struct criu_opts co;
    int extra[4];
    size_t n_extra;
};

static int read_descriptors(struct restore_ctx *r, struct nook_error *err)
{
    char *path = xasprintf("%s/" CRIU_DESCRIPTORS, r->d.images);
    char *json;
    size_t len;
    int rc = read_regular_file(path, 1 << 20, &json, &len, err);
    if (rc < 0) {
        free(path);
        return nook_error_wrap(err, "restore: read the checkpoint");
    }
    struct spec_strv fds;
    rc = spec_json_string_array_parse(json, len, &fds, err);
    free(json);
    if (rc < 0) {
        nook_error_wrap(err, "restore: %s", path);
        free(path);
        return -1;
    }
    free(path);
    /* The init's stdio pipes are nook's own stdio now (its caller's): criu
     * gives them to the restored init in their place. */
    for (size_t i = 0; i < fds.n && i < 3; i++)
        if (strncmp(fds.v[i], "pipe:", 5) == 0)
            criu_pairs_add(&r->co.inherit_fd, fds.v[i], NULL, (int)i);
    spec_strv_free(&fds);
    return 0;
}

static int add_extra_fd(struct restore_ctx *r, const char *path, const char *key,
                        struct nook_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "restore: open namespace %s", path);
    r->extra[r->n_extra] = fd;
    criu_pairs_add(&r->co.inherit_fd, key, NULL, 4 + (int)r->n_extra);
    r->n_extra++;
    return 0;
}

/* A network or pid namespace joined by path was left external at dump:
 * given back here by its key. Others joined by path are joined. */
static int add_namespaces(struct restore_ctx *r, struct nook_error *err)
{
    const struct spec *s = r->x->spec;
    for (size_t i = 0; i < s->n_namespaces; i++) {
        const struct spec_namespace *ns = &s->namespaces[i];
        if (!ns->path)
            continue;
        switch (ns->type) {
        case SPEC_NS_NETWORK:
            if (add_extra_fd(r, ns->path, CRIU_NET_NS_KEY, err) < 0)
                return -1;
            break;
        case SPEC_NS_PID:
            if (add_extra_fd(r, ns->path, CRIU_PID_NS_KEY, err) < 0)
                return -1;
            break;
        case SPEC_NS_CGROUP:
            return nook_error_set(err, 0, "linux.namespaces[%zu]: restore cannot join a cgroup "
                                  "namespace by path (criu cannot)", i);
        default:
            criu_pairs_add(&r->co.join_ns, spec_ns_type_names[ns->type], ns->path, -1);
            break;
        }
    }
    return 0;
}

/* The external mounts of the checkpoint, by mount point, to their sources:
 * the config's bind mounts, and on a v1 or hybrid host without a cgroup
 * namespace the binds of the container's cgroup directories under a
 * "cgroup" mount (named as init.c names them). */
static void add_external_mounts(struct restore_ctx *r)
{
    struct create_ctx *x = r->x;
    const struct spec *s = x->spec;
    bool cgroupns = spec_find_namespace(s, SPEC_NS_CGROUP) != NULL;
    for (size_t i = 0; i < s->n_mounts; i++) {
        const struct spec_mount *m = &s->mounts[i];
        if (m->bind && m->source) {
            char *mp = rootfs_resolved_destination(x->plan.root, m->destination);
            char *src = m->source[0] == '/' ? xstrdup(m->source)
                                            : xasprintf("%s/%s", x->plan.bundle, m->source);
            criu_pairs_add(&r->co.ext_mnt, mp, src, -1);
            free(mp);
            free(src);
        } else if (m->type && strcmp(m->type, "cgroup") == 0 && x->have_cg &&
                   x->cg.kind != CGROUP_V2 && !cgroupns) {
            for (size_t k = 0; k < x->cg.n_v1; k++) {
                const char *name = x->cg.v1[k].controllers;
                if (strncmp(name, "name=", 5) == 0)
                    name += 5;
                char *mp = xasprintf("%s/%s", m->destination, name);
                criu_pairs_add(&r->co.ext_mnt, mp, x->cg.v1[k].path, -1);
                free(mp);
            }
            if (x->cg.path) {
                char *mp = xasprintf("%s/unified", m->destination);
                criu_pairs_add(&r->co.ext_mnt, mp, x->cg.path, -1);
                free(mp);
            }
        }
    }
}

/* A private mount namespace for the restore's mounts, and the root bound
 * at criu-root in it. */
static int prepare_root(struct restore_ctx *r, struct nook_error *err)
{
    struct create_ctx *x = r->x;
    r->own_mnt_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (r->own_mnt_ns < 0)
        return nook_error_sys(err, "restore: open /proc/self/ns/mnt");
    if (unshare(CLONE_NEWNS) < 0)
        return nook_error_sys(err, "restore: new mount namespace");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return nook_error_sys(err, "restore: make / private");
    r->criu_root = xasprintf("%s/criu-root", x->dir);
    if (mkdir(r->criu_root, 0755) < 0) {
        free(r->criu_root);
        r->criu_root = NULL;
        return nook_error_sys(err, "restore: create %s/criu-root", x->dir);
    }
    if (mount(x->plan.root, r->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
        return nook_error_sys(err, "restore: bind %s on %s", x->plan.root, r->criu_root);
    r->root_bound = true;
    NOOK_TRACE("restore: root %s bound on %s", x->plan.root, r->criu_root);
    return rootfs_prepare_restore(x->spec, &x->plan, err);
}

static void leave_root(struct restore_ctx *r)
{
    if (r->root_bound && umount2(r->criu_root, MNT_DETACH) < 0)
        NOOK_TRACE("restore: unmount %s: %s", r->criu_root, strerror(errno));
    if (r->own_mnt_ns >= 0) {
        /* Back in the host's mount namespace the private one, with every
         * mount made for the restore, is gone. */
        if (setns(r->own_mnt_ns, CLONE_NEWNS) < 0)
            NOOK_TRACE("restore: return to nook's mount namespace: %s", strerror(errno));
        close(r->own_mnt_ns);
        r->own_mnt_ns = -1;
    }
    if (r->criu_root && rmdir(r->criu_root) < 0)
        NOOK_TRACE("restore: remove %s: %s", r->criu_root, strerror(errno));
    free(r->criu_root);
    r->criu_root = NULL;
}

/* criu in the container's cgroups, and (v1, hybrid) told they are the
 * roots to restore the tree's cgroups under. */
static int restore_started(void *arg, pid_t criu, struct criu_opts *o, struct nook_error *err)
{
    struct restore_ctx *r = arg;
    struct create_ctx *x = r->x;
    if (!x->have_cg)
        return 0;
    if (cgroup_enter(&x->cg, criu, err) < 0)
        return nook_error_wrap(err, "restore: move criu into the container's cgroup");
    if (x->cg.kind == CGROUP_V2)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)criu);
    FILE *f = fopen(path, "re");
    if (!f)
        return nook_error_sys(err, "restore: read %s", path);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *ctrl = strchr(line, ':');
        char *dir = ctrl ? strchr(ctrl + 1, ':') : NULL;
        if (!dir || dir == ctrl + 1)
            continue; /* "0::/..." has no controller */
        *dir++ = '\0';
        criu_pairs_add(&o->cg_root, ctrl + 1, dir, -1);
    }
    fclose(f);
    return 0;
}

static int restore_notify(void *arg, const char *script, pid_t pid, int fd,
                          struct nook_error *err)
{
    struct restore_ctx *r = arg;
    struct create_ctx *x = r->x;
    if (strcmp(script, "setup-namespaces") == 0) {
        /* The namespaces exist, nothing runs in them yet: as at create. */
        x->st.pid = pid;
        if (hooks_run(x->spec, SPEC_HOOK_PRESTART, &x->st, err) < 0 ||
            hooks_run(x->spec, SPEC_HOOK_CREATE_RUNTIME, &x->st, err) < 0)
            return -1;
    } else if (strcmp(script, "orphan-pts-master") == 0) {
        /* The restored terminal's new master: to --console-socket, or to
         * a foreground restore's proxy. */
        if (fd < 0)
            return nook_error_set(err, EPROTO, "restore: criu sent no pty master");
        if (x->console_sock >= 0) {
            int rc = fd_send(x->console_sock, fd, "/dev/ptmx", 9, err);
            close(fd);
            if (rc < 0)
                return nook_error_wrap(err, "restore: send the pty master to --console-socket");
        } else {
            if (r->out->master >= 0)
                close(r->out->master);
            r->out->master = fd;
        }
        return 0;
    } else if (strcmp(script, "post-restore") == 0) {
        r->out->init = pid;
    }
    if (fd >= 0)
        close(fd);
    return 0;
}

static int run_restore(struct restore_ctx *r, struct nook_error *err)
{
    struct create_ctx *x = r->x;
    const struct criu_cli_opts *c = x->o->restore;
    if (x->plan.overlay)
        return nook_error_set(err, 0, "restore: an overlay root (org.nook.rootfs.*) cannot be "
                              "restored");
    /* The private mount namespace first: criu mounts in its work directory
     * (the cgroup yard), which it may only if that is opened in its own
     * mount namespace. */
    if (criu_parse_cli(c, &r->co, err) < 0 || prepare_root(r, err) < 0 ||
        criu_open_dirs(c, false, &r->d, err) < 0 || read_descriptors(r, err) < 0 ||
        add_namespaces(r, err) < 0)
        return -1;
    struct criu_opts *co = &r->co;
    co->images_dir_fd = r->d.images_fd;
    co->work_dir_fd = r->d.work_fd;
    co->evasive_devices = true;
    co->log_level = 4;
    co->log_file = "restore.log";
    co->rst_sibling = true;
    co->manage_cgroups = true;
    co->notify_scripts = true;
    co->orphan_pts_master = x->spec->process.terminal;
    co->config_file = criu_config_file(x->spec);
    /* After the mount points exist: their names are resolved in the root. */
    add_external_mounts(r);
    co->root = r->criu_root;
    char *log = xasprintf("%s/restore.log", r->d.log_dir);
    struct criu_call call = {
        .type = CRIU_REQ_RESTORE,
        .opts = co,
        .extra_fds = r->extra,
        .n_extra_fds = r->n_extra,
        .log_path = log,
        .started = restore_started,
        .notify = restore_notify,
        .arg = r,
    };
    struct criu_resp resp;
    int rc = criu_run(x->g, &call, &resp, err);
    free(log);
    if (rc < 0)
        return -1;
    if (resp.restore_pid > 0)
        r->out->init = resp.restore_pid;
    if (r->out->init <= 0)
        return nook_error_set(err, EPROTO, "restore: criu did not say which process it restored");
    return 0;
}

int restore_processes(struct create_ctx *x, struct created *out, struct nook_error *err)
{
    struct restore_ctx r = {.x = x, .out = out, .own_mnt_ns = -1,
                            .d = {.images_fd = -1, .work_fd = -1},
                            .co = {.images_dir_fd = -1, .work_dir_fd = -1}};
    int rc = run_restore(&r, err);
    leave_root(&r);
    criu_close_dirs(&r.d);
    for (size_t i = 0; i < r.n_extra; i++)
        close(r.extra[i]);
    criu_pairs_free(&r.co.ext_mnt);
    criu_pairs_free(&r.co.cg_root);
    criu_pairs_free(&r.co.inherit_fd);
    criu_pairs_free(&r.co.join_ns);
    criu_pairs_free(&r.co.external);
    if (rc == 0)
        x->st.pid = out->init;
    return rc;
}
