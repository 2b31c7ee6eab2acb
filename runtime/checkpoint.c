/* `checkpoint`: criu dumps the container's process tree into the image
 * directory (runtime.h, criu.h). What criu cannot know is said to it: the
 * container's root, bind mounts and cgroup bind mounts as external mounts
 * (restore binds them again from the config), a network or pid namespace
 * joined by path as external, the freezer cgroup to stop the tree with, and
 * descriptors.json records what the init's stdio were, for restore to hand
 * it the same kind again. */
#include "criu.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../rootfs/rootfs.h"

/* --parent-path: relative to the image path (criu resolves it there), and
 * an existing directory. */
static int check_parent_path(const char *images, const char *parent, struct nook_error *err)
{
    if (!parent)
        return 0;
    if (parent[0] == '/')
        return nook_error_set(err, 0, "--parent-path must be relative (to --image-path)");
    char *real = xasprintf("%s/%s", images, parent);
    struct stat st;
    int rc = 0;
    if (stat(real, &st) < 0)
        rc = nook_error_sys(err, "invalid --parent-path: %s", real);
    else if (!S_ISDIR(st.st_mode))
        rc = nook_error_set(err, ENOTDIR, "invalid --parent-path: %s", real);
    free(real);
    return rc;
}

static int parse_page_server(const char *s, struct criu_opts *o, char **addr,
                             struct nook_error *err)
{
    const char *colon = s ? strrchr(s, ':') : NULL;
    if (!s)
        return 0;
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == s || !colon[1] || *end || port <= 0 || port > 65535)
        return nook_error_set(err, 0, "--page-server needs ADDRESS:PORT, not \"%s\"", s);
    *addr = xasprintf("%.*s", (int)(colon - s), s);
    o->ps_address = *addr;
    o->ps_port = (int)port;
    return 0;
}

/* A namespace joined by path is not the container's to dump: criu leaves
 * it as external, under a key restore gives it back by. */
static int add_external_ns(const struct spec *spec, enum spec_ns_type t, const char *name,
                           const char *key, struct criu_opts *o, struct nook_error *err)
{
    const struct spec_namespace *ns = spec_find_namespace(spec, t);
    if (!ns || !ns->path)
        return 0;
    struct stat st;
    if (stat(ns->path, &st) < 0)
        return nook_error_sys(err, "namespace %s", ns->path);
    char *ext = xasprintf("%s[%llu]:%s", name, (unsigned long long)st.st_ino, key);
    criu_pairs_add(&o->external, ext, NULL, -1);
    free(ext);
    return 0;
}

static void add_ext_mount(struct criu_opts *o, const char *mountpoint)
{
    for (size_t i = 0; i < o->ext_mnt.n; i++)
        if (strcmp(o->ext_mnt.v[i].a, mountpoint) == 0)
            return;
    criu_pairs_add(&o->ext_mnt, mountpoint, mountpoint, -1);
}

/* The mount points of the container's mounts strictly under dir (field 5
 * of its mountinfo), e.g. the cgroup v1 binds under /sys/fs/cgroup. */
static void add_mounts_under(pid_t pid, const char *dir, struct criu_opts *o)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    size_t n = strlen(dir);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        char mp[PATH_MAX];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
            continue;
        if (strncmp(mp, dir, n) == 0 && mp[n] == '/')
            add_ext_mount(o, mp);
    }
    fclose(f);
}

/* Bind mounts come from outside the container: criu records them by their
 * mount point and restore maps each to its source again. */
static void add_external_mounts(const struct container *c, const struct spec *spec,
                                struct criu_opts *o)
{
    bool cgroupns = spec_find_namespace(spec, SPEC_NS_CGROUP) != NULL;
    bool v2 = c->st.cgroup_backend && strcmp(c->st.cgroup_backend, "v2") == 0;
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct spec_mount *m = &spec->mounts[i];
        if (m->bind) {
            char *mp = rootfs_resolved_destination(c->st.rootfs, m->destination);
            add_ext_mount(o, mp);
            free(mp);
        } else if (m->type && strcmp(m->type, "cgroup") == 0 && !v2 && !cgroupns) {
            /* v1 and hybrid: a tmpfs with a bind of each of the
             * container's cgroup directories. */
            add_mounts_under(c->st.pid, m->destination, o);
        }
    }
}

/* criu stops the tree with the cgroup freezer rather than ptrace. */
static const char *freezer_path(const struct nook_state *st)
{
    for (size_t i = 0; i < st->cgroup_paths.n; i++)
        if (strcmp(st->cgroup_paths.v[i].key, "freezer") == 0)
            return st->cgroup_paths.v[i].value;
    if (st->cgroup_backend && strcmp(st->cgroup_backend, "v2") == 0)
        return st->cgroup_path;
    return NULL;
}

static int write_descriptors(pid_t pid, const char *images, struct nook_error *err)
{
    char targets[3][PATH_MAX];
    const char *v[3];
    for (int fd = 0; fd < 3; fd++) {
        char link[64];
        snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, fd);
        ssize_t n = readlink(link, targets[fd], sizeof targets[fd] - 1);
        if (n < 0)
            n = 0; /* closed: nothing to hand back */
        targets[fd][n] = '\0';
        v[fd] = targets[fd];
    }
    char *json = spec_json_string_array(v, 3);
    char *path = xasprintf("%s/" CRIU_DESCRIPTORS, images);
    int rc = write_file_atomic(path, json, strlen(json), 0600, err);
    free(path);
    free(json);
    return rc;
}

static int dump(const struct nook_globals *g, const struct checkpoint_opts *o,
                struct container *c, const struct spec *spec, struct criu_dirs *d,
                struct criu_opts *co, char **ps_addr, struct nook_error *err)
{
    if (criu_parse_cli(&o->c, co, err) < 0 || parse_page_server(o->page_server, co, ps_addr, err) < 0)
        return -1;
    if (criu_open_dirs(&o->c, true, d, err) < 0 || check_parent_path(d->images, o->parent_path, err) < 0)
        return -1;
    co->images_dir_fd = d->images_fd;
    co->work_dir_fd = d->work_fd;
    co->log_level = 4;
    co->log_file = "dump.log";
    co->root = c->st.rootfs;
    co->pid = c->st.pid;
    co->manage_cgroups = true;
    co->notify_scripts = true;
    co->leave_running = o->leave_running;
    co->orphan_pts_master = true;
    co->config_file = criu_config_file(spec);
    co->freeze_cgroup = freezer_path(&c->st);
    if (o->parent_path) {
        co->parent_img = o->parent_path;
        co->track_mem = true;
    }
    if (add_external_ns(spec, SPEC_NS_NETWORK, "net", CRIU_NET_NS_KEY, co, err) < 0 ||
        add_external_ns(spec, SPEC_NS_PID, "pid", CRIU_PID_NS_KEY, co, err) < 0)
        return -1;
    if (o->pre_dump) {
        co->track_mem = true;
    } else {
        add_external_mounts(c, spec, co);
        if (write_descriptors(c->st.pid, d->images, err) < 0)
            return -1;
    }
    char *log = xasprintf("%s/dump.log", d->log_dir);
    struct criu_call call = {
        .type = o->pre_dump ? CRIU_REQ_PRE_DUMP : CRIU_REQ_DUMP,
        .opts = co,
        .log_path = log,
    };
    struct criu_resp r;
    int rc = criu_run(g, &call, &r, err);
    free(log);
    return rc;
}

int runtime_checkpoint(const struct nook_globals *g, const struct checkpoint_opts *o,
                       struct runtime_warnings *w, struct nook_error *err)
{
    struct container c;
    if (container_load(g, o->id, &c, err) < 0)
        return -1;
    int rc = 0;
    enum nook_status s = c.st.status;
    if (s != NOOK_STATUS_RUNNING && s != NOOK_STATUS_PAUSED)
        rc = nook_error_set(err, 0, "container cannot be checkpointed in %s state",
                            s == NOOK_STATUS_CREATED ? "created" : "stopped");
    struct spec spec;
    memset(&spec, 0, sizeof spec);
    bool have_spec = false;
    if (rc == 0) {
        rc = container_load_spec(&c, &spec, err);
        have_spec = rc == 0;
    }
    struct criu_dirs d = {.images_fd = -1, .work_fd = -1};
    struct criu_opts co = {.images_dir_fd = -1, .work_dir_fd = -1};
    char *ps_addr = NULL;
    if (rc == 0)
        rc = dump(g, o, &c, &spec, &d, &co, &ps_addr, err);
    /* The dump ended the container's processes: remove what is left of
     * it, as delete does. */
    if (rc == 0 && !o->leave_running && !o->pre_dump)
        rc = container_destroy(&c, &spec, w, err);
    criu_close_dirs(&d);
    criu_pairs_free(&co.ext_mnt);
    criu_pairs_free(&co.external);
    free(ps_addr);
    if (have_spec)
        spec_free(&spec);
    container_release(&c);
    return rc;
}
