/* The cgroup interface: choosing the backend, the container's directory in
 * every hierarchy (made, recorded, opened again, joined, removed), and the
 * calls that go to the backend's ops. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct cgroup_ops *ops_for(enum cgroup_kind kind)
{
    return kind == CGROUP_V1 ? &cgroup_v1_ops
           : kind == CGROUP_HYBRID ? &cgroup_hybrid_ops
                                   : &cgroup_v2_ops;
}

static void cg_init(struct nook_cgroup *cg)
{
    memset(cg, 0, sizeof *cg);
    cg->dirfd = -1;
}

char *cgroup_needed_by(const struct spec *s)
{
    if (s->cgroups_path)
        return xstrdup("linux.cgroupsPath");
    if (!s->has_resources)
        return NULL;
    const struct spec_resources *r = &s->resources;
    if (r->unified.n > 0)
        return xasprintf("linux.resources.unified[\"%s\"]", r->unified.v[0].key);
    /* The v1 plan covers every field; a host with swap accounting lets none
     * of them fail here. */
    struct cgroup_v1_facts f = {.memsw = true, .cur_memory_limit = INT64_MAX};
    struct cgroup_writes w;
    struct nook_error ignored;
    if (cgroup_v1_plan_writes(r, &f, NULL, 0, &w, &ignored) < 0)
        return NULL;
    char *what = NULL;
    for (size_t i = 0; i < w.n && !what; i++)
        if (!w.v[i].if_present)
            what = xstrdup(w.v[i].json_path);
    cgroup_writes_free(&w);
    return what;
}

/* ---- the directories ---- */

/* One hierarchy's directory being made. */
struct target {
    const struct cgroup_mount *m;
    char *path;
    struct cg_created made;
    int fd;
    size_t procs; /* the leaf was there before, with this many processes */
};

/* A directory frozen already (by whoever made it, or a v1 freezer parent)
 * would stop the init before it reports back, and nook would wait for it
 * forever: refused, as runc does. Each hierarchy that freezes says so
 * itself: cgroup2's cgroup.freeze (the hybrid host's unified directory
 * too), the v1 freezer's freezer.state (FROZEN or FREEZING, also when
 * only a parent froze). */
static bool target_frozen(const struct target *t)
{
    if (!t->m->v2 && !cg_comma_list_has(t->m->controllers, "freezer"))
        return false;
    char *state;
    struct nook_error ignored;
    if (cg_read(t->fd, t->m->v2 ? "cgroup.freeze" : "freezer.state", &state, &ignored) < 0)
        return false; /* a cgroup2 without cgroup.freeze (before 5.2) cannot freeze */
    bool frozen = t->m->v2 ? strcmp(state, "0") != 0 : strcmp(state, "THAWED") != 0;
    free(state);
    return frozen;
}

static int make_target(struct target *t, struct nook_error *err)
{
    bool leaf_existed = false;
    int r;
    for (int attempt = 0;; attempt++) {
        r = cg_make_dirs(t->m->mountpoint, t->path, &t->made, &leaf_existed, err);
        if (r == 0 || err->code != ENOENT || attempt == 5)
            break;
        cg_remove_created(&t->made);
    }
    if (r == 0)
        r = cg_open_dir(t->path, t->m->v2, &t->fd, err);
    if (r == 0 && target_frozen(t))
        r = nook_error_set(err, 0, "linux.cgroupsPath: container's cgroup unexpectedly frozen: "
                           "%s (thaw it first)", t->path);
    if (r == 0 && leaf_existed)
        r = cg_count_procs(t->fd, t->path, &t->procs, err);
    return r;
}

/* The made directories become the cgroup (fds and paths move into cg). */
static void adopt_targets(struct nook_cgroup *cg, struct target *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].m->v2) {
            cg->path = t[i].path;
            cg->dirfd = t[i].fd;
        } else {
            cg->v1 = xrealloc(cg->v1, (cg->n_v1 + 1) * sizeof *cg->v1);
            cg->v1[cg->n_v1++] =
                (struct cgroup_v1_dir){xstrdup(t[i].m->controllers), t[i].path, t[i].fd};
        }
        t[i].path = NULL;
        t[i].fd = -1;
    }
}

static void free_targets(struct target *t, size_t n, bool remove)
{
    for (size_t i = 0; i < n; i++) {
        if (remove)
            cg_remove_created(&t[i].made);
        else
            cg_forget_created(&t[i].made);
        if (t[i].fd >= 0)
            close(t[i].fd);
        free(t[i].path);
    }
    free(t);
}

int cgroup_create_on(const struct cgroup_host *h, const struct spec *spec, const char *id,
                     struct nook_cgroup *cg, struct nook_error *err)
{
    cg_init(cg);
    const struct cgroup_ops *ops = ops_for(h->kind);
    /* Config errors and missing controllers first: nothing exists yet. */
    int r = ops->check(h, spec, err);
    struct target *t = xcalloc(h->n, sizeof *t);
    size_t n = 0;
    for (size_t i = 0; i < h->n && r == 0; i++) {
        if (h->kind == CGROUP_V2 && !h->m[i].v2)
            continue; /* a v1 name=systemd mount next to a v2 host */
        t[n] = (struct target){.m = &h->m[i], .fd = -1};
        r = cgroup_path_for(h->m[i].mountpoint, spec->cgroups_path, id, &t[n].path, err);
        if (r == 0)
            n++;
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        r = make_target(&t[i], err);
        if (t[i].procs > cg->procs_found)
            cg->procs_found = t[i].procs;
    }
    if (r == 0) {
        cg->ops = ops;
        cg->kind = h->kind;
        adopt_targets(cg, t, n);
        r = ops->setup(cg, h, err);
        if (r == 0 && spec->has_resources)
            r = ops->apply(cg, &spec->resources, err);
        if (r < 0)
            cgroup_close(cg);
    }
    free_targets(t, n, r < 0);
    return r;
}

int cgroup_create(const struct spec *spec, const char *id, struct nook_cgroup *cg,
                  struct nook_error *err)
{
    struct cgroup_host h;
    if (cgroup_host_read(&h, err) < 0) {
        cg_init(cg);
        return -1;
    }
    int r = cgroup_create_on(&h, spec, id, cg, err);
    cgroup_host_free(&h);
    return r;
}

int cgroup_plan(const struct cgroup_host *h, const struct spec *spec, const char *id,
                struct nook_cgroup *cg, struct nook_error *err)
{
    cg_init(cg);
    cg->ops = ops_for(h->kind);
    cg->kind = h->kind;
    int r = 0;
    for (size_t i = 0; i < h->n && r == 0; i++) {
        if (h->kind == CGROUP_V2 && !h->m[i].v2)
            continue;
        char *path;
        if ((r = cgroup_path_for(h->m[i].mountpoint, spec->cgroups_path, id, &path, err)) < 0)
            break;
        if (h->m[i].v2) {
            cg->path = path;
        } else {
            cg->v1 = xrealloc(cg->v1, (cg->n_v1 + 1) * sizeof *cg->v1);
            cg->v1[cg->n_v1++] = (struct cgroup_v1_dir){xstrdup(h->m[i].controllers), path, -1};
        }
    }
    if (r < 0)
        cgroup_close(cg);
    return r;
}

/* The directory that lists the container's processes: the cgroup2 one, or
 * (pure v1) the freezer's, or any. */
static const char *tracking_path(const struct nook_cgroup *cg, int *fd)
{
    if (cg->dirfd >= 0) {
        *fd = cg->dirfd;
        return cg->path;
    }
    const struct cgroup_v1_dir *d = cg_v1_dir(cg, "freezer");
    if (!d && cg->n_v1 > 0)
        d = &cg->v1[0];
    *fd = d ? d->fd : -1;
    return d ? d->path : NULL;
}

void cgroup_record(const struct nook_cgroup *cg, struct nook_state *st)
{
    free(st->cgroup_path);
    free(st->cgroup_backend);
    spec_kvlist_free(&st->cgroup_paths);
    int fd;
    const char *track = tracking_path(cg, &fd);
    st->cgroup_path = track ? xstrdup(track) : NULL;
    st->cgroup_backend = xstrdup(cgroup_kind_name(cg->kind));
    size_t n = cg->n_v1 + (cg->path ? 1 : 0), k = 0;
    st->cgroup_paths.v = xcalloc(n ? n : 1, sizeof *st->cgroup_paths.v);
    if (cg->path) {
        st->cgroup_paths.v[k].key = xstrdup("unified");
        st->cgroup_paths.v[k++].value = xstrdup(cg->path);
    }
    for (size_t i = 0; i < cg->n_v1; i++) {
        st->cgroup_paths.v[k].key = xstrdup(cg->v1[i].controllers);
        st->cgroup_paths.v[k++].value = xstrdup(cg->v1[i].path);
    }
    st->cgroup_paths.n = k;
    st->cgroup_shared = cg->procs_found > 0;
}

/* A directory that is gone (removed by hand, or half of an interrupted
 * delete) is left out; the rest still gets killed and removed. */
static int open_recorded(struct nook_cgroup *cg, const char *key, const char *path,
                         struct nook_error *err)
{
    bool v2 = strcmp(key, "unified") == 0;
    int fd;
    if (cg_open_dir(path, v2, &fd, err) < 0)
        return err->code == ENOENT ? 0 : -1;
    if (v2) {
        cg->path = xstrdup(path);
        cg->dirfd = fd;
    } else {
        cg->v1 = xrealloc(cg->v1, (cg->n_v1 + 1) * sizeof *cg->v1);
        cg->v1[cg->n_v1++] = (struct cgroup_v1_dir){xstrdup(key), xstrdup(path), fd};
    }
    return 0;
}

int cgroup_open(const struct nook_state *st, struct nook_cgroup *cg, struct nook_error *err)
{
    cg_init(cg);
    if (!st->cgroup_path)
        return nook_error_set(err, ENOENT, "the container has no cgroup of its own");
    const char *backend = st->cgroup_backend ? st->cgroup_backend : "v2";
    cg->kind = strcmp(backend, "v1") == 0       ? CGROUP_V1
               : strcmp(backend, "hybrid") == 0 ? CGROUP_HYBRID
                                                : CGROUP_V2;
    cg->ops = ops_for(cg->kind);
    int r = 0;
    if (st->cgroup_paths.n == 0)
        r = open_recorded(cg, "unified", st->cgroup_path, err);
    for (size_t i = 0; i < st->cgroup_paths.n && r == 0; i++)
        r = open_recorded(cg, st->cgroup_paths.v[i].key, st->cgroup_paths.v[i].value, err);
    if (r == 0 && !cg->path && cg->n_v1 == 0)
        r = nook_error_set(err, ENOENT, "open cgroup %s: it is gone", st->cgroup_path);
    if (r < 0)
        cgroup_close(cg);
    return r;
}

void cgroup_close_fds(struct nook_cgroup *cg)
{
    if (cg->dirfd >= 0)
        close(cg->dirfd);
    cg->dirfd = -1;
    for (size_t i = 0; i < cg->n_v1; i++) {
        if (cg->v1[i].fd >= 0)
            close(cg->v1[i].fd);
        cg->v1[i].fd = -1;
    }
}

void cgroup_close(struct nook_cgroup *cg)
{
    cgroup_close_fds(cg);
    free(cg->path);
    for (size_t i = 0; i < cg->n_v1; i++) {
        free(cg->v1[i].controllers);
        free(cg->v1[i].path);
    }
    free(cg->v1);
    const struct cgroup_ops *ops = cg->ops;
    enum cgroup_kind kind = cg->kind;
    cg_init(cg);
    cg->ops = ops;
    cg->kind = kind;
}

int cgroup_clone_fd(const struct nook_cgroup *cg)
{
    return cg->dirfd;
}

int cgroup_enter(const struct nook_cgroup *cg, pid_t pid, struct nook_error *err)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)pid);
    if (cg->dirfd >= 0 && write_string_at(cg->dirfd, "cgroup.procs", buf, err) < 0)
        return nook_error_wrap(err, "join cgroup %s", cg->path);
    for (size_t i = 0; i < cg->n_v1; i++)
        if (write_string_at(cg->v1[i].fd, "cgroup.procs", buf, err) < 0)
            return nook_error_wrap(err, "join cgroup %s", cg->v1[i].path);
    return 0;
}

int cgroup_enter_self(const struct nook_cgroup *cg, bool cgroup2_too, struct nook_error *err)
{
    /* cgroup2's cgroup.procs moves a whole process: it takes the lock. */
    if (cgroup2_too && cg->dirfd >= 0 && write_string_at(cg->dirfd, "cgroup.procs", "0", err) < 0)
        return nook_error_wrap(err, "join cgroup %s", cg->path);
    for (size_t i = 0; i < cg->n_v1; i++)
        if (write_string_at(cg->v1[i].fd, "tasks", "0", err) < 0)
            return nook_error_wrap(err, "join cgroup %s", cg->v1[i].path);
    return 0;
}

int cgroup_destroy(struct nook_cgroup *cg, struct nook_error *err)
{
    cgroup_close_fds(cg);
    int r = 0;
    struct nook_error one;
    if (cg->path && cg_remove_dir(cg->path, &one) < 0 && r == 0) {
        *err = one;
        r = -1;
    }
    /* Every hierarchy, even after a failure: leave as little as possible. */
    for (size_t i = 0; i < cg->n_v1; i++)
        if (cg_remove_dir(cg->v1[i].path, &one) < 0 && r == 0) {
            *err = one;
            r = -1;
        }
    cgroup_close(cg);
    return r;
}

void cgroup_release_shared(struct nook_cgroup *cg)
{
    cgroup_close_fds(cg);
    if (cg->path)
        cg_remove_dir_if_unused(cg->path);
    for (size_t i = 0; i < cg->n_v1; i++)
        cg_remove_dir_if_unused(cg->v1[i].path);
    cgroup_close(cg);
}

/* ---- through the backend ---- */

int cgroup_apply(const struct nook_cgroup *cg, const struct spec_resources *r,
                 struct nook_error *err)
{
    return cg->ops->apply(cg, r, err);
}

int cgroup_freeze(const struct nook_cgroup *cg, bool frozen, struct nook_error *err)
{
    return cg->ops->freeze(cg, frozen, err);
}

int cgroup_is_frozen(const struct nook_cgroup *cg, bool *frozen, struct nook_error *err)
{
    return cg->ops->is_frozen(cg, frozen, err);
}

int cgroup_kill(const struct nook_cgroup *cg, struct nook_error *err)
{
    return cg->ops->kill(cg, err);
}

int cgroup_read_stats(const struct nook_cgroup *cg, struct nook_stats *s,
                      struct nook_error *err)
{
    return cg->ops->stats(cg, s, err);
}

int cgroup_pids(const struct nook_cgroup *cg, pid_t **pids, size_t *n, struct nook_error *err)
{
    int fd;
    const char *path = tracking_path(cg, &fd);
    if (!path)
        return nook_error_set(err, ENOENT, "the container has no cgroup directory");
    return cg_tree_pids(fd, path, pids, n, err);
}

/* Like runc: freeze first so no process forks a child past the signal, then
 * thaw (unless the container was paused already: it stays paused). Without
 * a freezer (a v1 host that mounts none) the signal goes out unfrozen. */
int cgroup_signal_all(const struct nook_cgroup *cg, int sig, struct nook_error *err)
{
    if (sig == SIGKILL)
        return cgroup_kill(cg, err);
    int fd;
    const char *path = tracking_path(cg, &fd);
    if (!path)
        return nook_error_set(err, ENOENT, "the container has no cgroup directory");
    bool was_frozen = false, froze = false;
    struct nook_error probe;
    if (cg->ops->is_frozen(cg, &was_frozen, &probe) == 0 && !was_frozen) {
        if (cgroup_freeze(cg, true, err) < 0)
            return -1;
        froze = true;
    }
    int r = cg_tree_signal(fd, path, sig, err);
    if (froze) {
        struct nook_error thaw_err;
        if (cgroup_freeze(cg, false, &thaw_err) < 0 && r == 0) {
            *err = thaw_err;
            r = -1;
        }
    }
    if (r < 0)
        return nook_error_wrap(err, "signal the processes of cgroup %s", path);
    return 0;
}

int cgroup_memory_fd(const struct nook_cgroup *cg)
{
    if (cg->kind == CGROUP_V2)
        return cg->dirfd;
    const struct cgroup_v1_dir *d = cg_v1_dir(cg, "memory");
    return d ? d->fd : -1;
}

const char *cgroup_memory_path(const struct nook_cgroup *cg)
{
    if (cg->kind == CGROUP_V2)
        return cg->path;
    const struct cgroup_v1_dir *d = cg_v1_dir(cg, "memory");
    return d ? d->path : NULL;
}

int cgroup_oom_events_open(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                          struct nook_error *err)
{
    memset(w, 0, sizeof *w);
    w->fd = w->ctl_fd = -1;
    if (cg->ops->oom_open(cg, w, err) < 0)
        return -1;
    if (cg->ops->oom_count(cg, w, &w->seen, err) < 0) {
        cgroup_oom_events_close(w);
        return -1;
    }
    return 0;
}

int cgroup_oom_events_wait(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                          int timeout_ms, uint64_t *new_ooms, struct nook_error *err)
{
    struct pollfd p = {.fd = w->fd, .events = w->events};
    if (timeout_ms > 0 && poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
        return nook_error_sys(err, "wait for OOM events");
    uint64_t count;
    if (cg->ops->oom_count(cg, w, &count, err) < 0)
        return -1;
    *new_ooms = count > w->seen ? count - w->seen : 0;
    w->seen = count;
    return 0;
}

void cgroup_oom_events_close(struct cgroup_oom_events *w)
{
    if (w->fd >= 0)
        close(w->fd);
    if (w->ctl_fd >= 0)
        close(w->ctl_fd);
    w->fd = w->ctl_fd = -1;
}

/* ---- writing a plan ---- */

static bool same_controller(const struct cgroup_write *a, const struct cgroup_write *b)
{
    const char *ca = cgroup_file_controller(a->file), *cb = cgroup_file_controller(b->file);
    return ca && cb && strcmp(ca, cb) == 0;
}

int cg_write_plan(const struct nook_cgroup *cg, const struct cgroup_writes *w,
                  struct nook_error *err)
{
    for (size_t i = 0; i < w->n; i++) {
        const struct cgroup_write *x = &w->v[i];
        const char *ctl = cgroup_file_controller(x->file);
        int fd = cg->dirfd;
        const char *path = cg->path;
        if (cg->kind != CGROUP_V2) {
            const struct cgroup_v1_dir *d = ctl ? cg_v1_dir(cg, ctl) : NULL;
            if (!d && x->if_present)
                continue;
            if (!d)
                return nook_error_set(err, 0, "%s: the %s controller is not mounted on this "
                                      "host: %s", x->json_path, ctl ? ctl : x->file,
                                      cg_missing_controller_hint(ctl ? ctl : x->file, true));
            fd = d->fd;
            path = d->path;
        }
        if (x->if_present && faccessat(fd, x->file, F_OK, 0) < 0)
            continue;
        if (write_string_at(fd, x->file, x->value, err) == 0)
            continue;
        /* Whether the file is there is only asked once a write failed
         * (nearly every write goes through, most of them device rules). */
        if (faccessat(fd, x->file, F_OK, 0) < 0) {
            if (cg->kind != CGROUP_V2)
                return nook_error_set(err, 0, "%s: %s has no file %s (this kernel does not "
                                      "have it)", x->json_path, path, x->file);
            return nook_error_set(err, 0, "%s: %s has no file %s%s%s%s", x->json_path, path,
                                  x->file, ctl ? " (is the " : "", ctl ? ctl : "",
                                  ctl ? " controller enabled, does the kernel have this "
                                        "file?)" : "");
        }
        /* A pair checked against each other (cfs period/quota, rt
         * period/runtime, memory limit/memsw) may need the other order:
         * write the next one first and retry, as runc does. */
        if (err->code == EINVAL && i + 1 < w->n && same_controller(x, &w->v[i + 1]) &&
            write_string_at(fd, w->v[i + 1].file, w->v[i + 1].value, err) == 0 &&
            write_string_at(fd, x->file, x->value, err) == 0) {
            i++;
            continue;
        }
        return nook_error_wrap(err, "%s: %s", x->json_path, path);
    }
    return 0;
}
