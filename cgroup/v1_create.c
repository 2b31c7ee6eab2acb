/* v1: before anything is made, the hierarchies the config's limits need must
 * be mounted; once the directories exist, cpuset's cpus and mems are filled
 * from the parent (a new v1 cpuset cgroup has none, and no task may join it). */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The host's facts for planning, read at the hierarchies' roots. */
static void host_facts(const struct cgroup_host *h, struct cgroup_v1_facts *f)
{
    memset(f, 0, sizeof *f);
    f->cur_memory_limit = INT64_MAX;
    const struct cgroup_mount *mem = cgroup_host_v1_find(h, "memory");
    if (mem) {
        char *p = xasprintf("%s/memory.memsw.limit_in_bytes", mem->mountpoint);
        f->memsw = access(p, F_OK) == 0;
        free(p);
    }
    const struct cgroup_mount *blkio = cgroup_host_v1_find(h, "blkio");
    if (blkio) {
        char *w = xasprintf("%s/blkio.weight", blkio->mountpoint);
        char *bfq = xasprintf("%s/blkio.bfq.weight", blkio->mountpoint);
        f->blkio_bfq = access(w, F_OK) < 0 && access(bfq, F_OK) == 0;
        free(w);
        free(bfq);
    }
}

int cg_v1_check(const struct cgroup_host *h, const struct spec *spec, struct nook_error *err)
{
    if (!spec->has_resources)
        return 0;
    struct cgroup_v1_facts f;
    host_facts(h, &f);
    /* One stand-in rule: the real list is made at apply; here only the
     * devices controller it needs matters. */
    static const struct spec_device_rule deny_all = {false, 'a', -1, -1, "rwm"};
    struct cgroup_writes w;
    if (cgroup_v1_plan_writes(&spec->resources, &f, &deny_all,
                              spec->resources.n_devices > 0 ? 1 : 0, &w, err) < 0)
        return -1;
    struct cg_needed nd;
    cg_needed_controllers(&w, &nd);
    int r = 0;
    for (size_t i = 0; i < nd.n && r == 0; i++)
        if (!cgroup_host_v1_find(h, nd.ctl[i]))
            r = nook_error_set(err, 0,
                               "%s: the %s controller is not available on this cgroup %s "
                               "host: %s",
                               nd.json_path[i], nd.ctl[i], cgroup_kind_name(h->kind),
                               cg_missing_controller_hint(nd.ctl[i], true));
    cgroup_writes_free(&w);
    return r;
}

/* Copy file from the parent directory when dir's is empty. */
static int fill_from_parent(const char *dir, const char *file, struct nook_error *err)
{
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s", dir);
    char *mine = NULL, *parent = NULL;
    int r = cg_read(fd, file, &mine, err);
    if (r == 0 && mine[0] == '\0') {
        int pfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
            r = nook_error_sys(err, "open %s/..", dir);
        else {
            r = cg_read(pfd, file, &parent, err);
            close(pfd);
        }
        if (r == 0)
            r = write_string_at(fd, file, parent, err);
    }
    if (r < 0)
        nook_error_wrap(err, "%s", dir);
    free(mine);
    free(parent);
    close(fd);
    return r;
}

int cg_v1_setup(const struct nook_cgroup *cg, const struct cgroup_host *h,
                struct nook_error *err)
{
    const struct cgroup_v1_dir *d = cg_v1_dir(cg, "cpuset");
    const struct cgroup_mount *m = cgroup_host_v1_find(h, "cpuset");
    if (!d || !m)
        return 0;
    /* Top down: each level copies from the one above. */
    size_t mlen = strlen(m->mountpoint);
    while (mlen > 0 && m->mountpoint[mlen - 1] == '/')
        mlen--;
    size_t len = strlen(d->path);
    for (size_t i = mlen + 1; i <= len; i++) {
        if (d->path[i] != '/' && d->path[i] != '\0')
            continue;
        char *dir = xasprintf("%.*s", (int)i, d->path);
        int r = fill_from_parent(dir, "cpuset.cpus", err);
        if (r == 0)
            r = fill_from_parent(dir, "cpuset.mems", err);
        free(dir);
        if (r < 0)
            return -1;
    }
    return 0;
}
