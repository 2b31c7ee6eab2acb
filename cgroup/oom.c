/* OOM freeze: the kernel mechanism behind one interface; the per-hierarchy
 * details are in oom_v2.c (and the v1 one in oom_v1.c). */
#include "cgroup.h"
#include "oom_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const cgroup_oom_mechanism_names[CGROUP_OOM_MECHANISMS] = {
    [CGROUP_OOM_V2] = "cgroup v2",
    [CGROUP_OOM_V2_ROOTLESS] = "cgroup v2 rootless",
    [CGROUP_OOM_V1] = "cgroup v1",
};

int cgroup_oom_mechanism_for(const struct nook_cgroup *cg, bool privileged,
                             enum cgroup_oom_mechanism *m, struct nook_error *err)
{
    int mem = cgroup_memory_fd(cg);
    if (cg->kind == CGROUP_V2 && mem >= 0 && faccessat(mem, "memory.events", F_OK, 0) == 0) {
        *m = privileged ? CGROUP_OOM_V2 : CGROUP_OOM_V2_ROOTLESS;
        return 0;
    }
    if (cg->kind != CGROUP_V2 && mem >= 0 &&
        faccessat(mem, "memory.oom_control", F_OK, 0) == 0) {
        *m = CGROUP_OOM_V1;
        return 0;
    }
    return nook_error_set(err, 0, "OOM freeze needs the memory controller in the container's "
                          "cgroup %s, which has none", cg->path);
}

int cgroup_oom_open(const struct nook_cgroup *cg, enum cgroup_oom_mechanism m,
                    struct cgroup_oom_watch *w, struct nook_error *err)
{
    memset(w, 0, sizeof *w);
    w->mech = m;
    w->fd = w->ctl_fd = -1;
    int r = m == CGROUP_OOM_V1 ? cg_oom_v1_open(cg, w, err) : cg_oom_v2_open(cg, w, err);
    if (r < 0) {
        cgroup_oom_close(w);
        return nook_error_wrap(err, "watch for OOM");
    }
    return 0;
}

int cgroup_oom_triggered(const struct nook_cgroup *cg, struct cgroup_oom_watch *w, bool *hit,
                         struct nook_error *err)
{
    if (w->mech == CGROUP_OOM_V1)
        return cg_oom_v1_triggered(cg, w, hit, err);
    return cg_oom_v2_triggered(cg, w, hit, err);
}

int cgroup_oom_freeze(const struct nook_cgroup *cg, struct cgroup_oom_watch *w,
                      struct nook_error *err)
{
    if (w->mech == CGROUP_OOM_V1)
        return cg_oom_v1_freeze(cg, err);
    return cgroup_freeze(cg, true, err);
}

int cgroup_oom_thawed(const struct nook_cgroup *cg, const struct cgroup_oom_watch *w,
                      bool *thawed, struct nook_error *err)
{
    if (w->mech == CGROUP_OOM_V1)
        return cg_oom_v1_thawed(cg, thawed, err);
    char *text;
    if (cg_read(cg->dirfd, "cgroup.freeze", &text, err) < 0)
        return -1;
    *thawed = strcmp(text, "0") == 0;
    free(text);
    return 0;
}

int cgroup_oom_let_kernel_kill(const struct nook_cgroup *cg, const struct cgroup_oom_watch *w,
                               struct nook_error *err)
{
    return w->mech == CGROUP_OOM_V1 ? cg_oom_v1_let_kernel_kill(cg, err) : 0;
}

int cgroup_oom_read(const struct nook_cgroup *cg, const struct cgroup_oom_watch *w,
                    struct nook_oom_snapshot *s, struct nook_error *err)
{
    s->mechanism = cgroup_oom_mechanism_names[w->mech];
    int r = w->mech == CGROUP_OOM_V1 ? cg_oom_v1_read(cg, s, err) : cg_oom_v2_read(cg, w, s, err);
    if (r < 0)
        return nook_error_wrap(err, "read the memory numbers of %s", cgroup_memory_path(cg));
    return 0;
}

void cgroup_oom_close(struct cgroup_oom_watch *w)
{
    if (w->fd >= 0)
        close(w->fd);
    if (w->ctl_fd >= 0)
        close(w->ctl_fd);
    w->fd = w->ctl_fd = -1;
}

/* Whether /proc/cgroups binds memory to a v1 hierarchy (hierarchy id != 0). */
static bool memory_on_v1(void)
{
    char *text;
    struct nook_error ignored;
    if (read_file("/proc/cgroups", &text, NULL, &ignored) < 0)
        return false;
    bool v1 = false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        unsigned hierarchy, num, enabled;
        if (sscanf(line, "%63s %u %u %u", name, &hierarchy, &num, &enabled) == 4 &&
            strcmp(name, "memory") == 0)
            v1 = hierarchy != 0 && enabled;
    }
    free(text);
    return v1;
}

/* The caller's cgroup v2 path, from /proc/self/cgroup's "0::" line. */
static char *own_v2_cgroup(void)
{
    char *text, *own = NULL;
    struct nook_error ignored;
    if (read_file("/proc/self/cgroup", &text, NULL, &ignored) < 0)
        return NULL;
    for (char *line = strtok(text, "\n"); line && !own; line = strtok(NULL, "\n"))
        if (strncmp(line, "0::/", 4) == 0)
            own = xstrdup(line + 3);
    free(text);
    return own;
}

/* See cgroup_oom_support.delegated: where an unprivileged caller's
 * containers can have a memory limit, as runc takes a delegated subtree:
 * the parent of the caller's own cgroup (the caller's is a leaf with
 * processes, which may not enable controllers for children), owned by the
 * caller, with the memory controller (it can enable it for its children). */
static char *caller_delegated(int mount_fd)
{
    char *own = own_v2_cgroup();
    if (!own)
        return NULL;
    char *slash = strrchr(own, '/');
    if (slash == own) {
        free(own); /* the caller is in the root's child: the root is not its */
        return NULL;
    }
    *slash = '\0';
    char *rel = own + 1, *controllers;
    struct nook_error ignored;
    int dir = openat(mount_fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
    bool ok = dir >= 0 && faccessat(dir, ".", W_OK, AT_EACCESS) == 0 &&
              faccessat(dir, "cgroup.procs", W_OK, AT_EACCESS) == 0 &&
              faccessat(dir, "cgroup.subtree_control", W_OK, AT_EACCESS) == 0;
    if (ok && cg_read(dir, "cgroup.controllers", &controllers, &ignored) == 0) {
        ok = cg_list_has(controllers, "memory");
        free(controllers);
    } else {
        ok = false;
    }
    if (dir >= 0)
        close(dir);
    char *r = ok ? xasprintf("/%s", rel) : NULL;
    free(own);
    return r;
}

void cgroup_oom_host_support(struct cgroup_oom_support *s)
{
    memset(s, 0, sizeof *s);
    char *mount, *controllers = NULL;
    struct nook_error ignored;
    if (cgroup_v2_mount(&mount, &ignored) == 0) {
        int fd = open(mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0 && cg_read(fd, "cgroup.controllers", &controllers, &ignored) == 0) {
            s->v2 = cg_list_has(controllers, "memory");
            free(controllers);
        }
        if (fd >= 0 && s->v2 && geteuid() != 0)
            s->delegated = caller_delegated(fd);
        if (fd >= 0)
            close(fd);
        free(mount);
    }
    s->v1 = memory_on_v1();
    s->summary = s->v2 && s->v1 ? "memory controller on cgroup v1 and v2"
                 : s->v2        ? "memory controller on cgroup v2"
                 : s->v1        ? "memory controller on cgroup v1 (hybrid or v1 host)"
                                : "no memory controller";
}
