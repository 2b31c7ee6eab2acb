/* OOM freeze: an ancestor with a tighter memory limit than the container's.
 * The kernel counts an OOM on the cgroup whose limit was hit and handles it
 * there (v2: that cgroup's memory.events and the OOM killer over its
 * subtree; v1: its own memory.oom_control decides), while the freeze watches
 * the container's cgroup only: an OOM at a lower limit above it is never
 * frozen. Read once at create, and only when the policy is armed. */
#include "cgroup.h"
#include "backend.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* v1 reads PAGE_COUNTER_MAX pages (~2^63) for no limit, v2 "max". */
static int read_limit(int dirfd, const char *file, uint64_t *v, struct nook_error *err)
{
    if (cg_read_u64(dirfd, file, v, err) < 0)
        return -1;
    if (*v >= (1ull << 62))
        *v = UINT64_MAX;
    return 0;
}

/* v1: a parent with memory.use_hierarchy 0 is not charged for its
 * children, nor is anything above it. The file is gone (always
 * hierarchical) on newer kernels. */
static bool charges_children(int dirfd)
{
    uint64_t v;
    struct nook_error ignored;
    return faccessat(dirfd, "memory.use_hierarchy", F_OK, 0) < 0 ||
           cg_read_u64(dirfd, "memory.use_hierarchy", &v, &ignored) < 0 || v != 0;
}

int cgroup_oom_tighter_ancestor(const struct nook_cgroup *cg, struct cgroup_oom_ancestor *a,
                                struct nook_error *err)
{
    memset(a, 0, sizeof *a);
    bool v2 = cg->kind == CGROUP_V2;
    a->file = v2 ? "memory.max" : "memory.limit_in_bytes";
    const char *own = cgroup_memory_path(cg);
    int mem = cgroup_memory_fd(cg);
    if (!own || mem < 0)
        return nook_error_set(err, 0, "the container has no memory cgroup");
    if (read_limit(mem, a->file, &a->own_limit, err) < 0)
        return -1;
    char *dir = xstrdup(own);
    int r = 0;
    for (char *slash; r == 0 && (slash = strrchr(dir, '/')) != NULL && slash != dir;) {
        *slash = '\0';
        int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            r = nook_error_sys(err, "open %s", dir);
            break;
        }
        /* Above the hierarchy's root (v2: the root cgroup has no
         * memory.max), or not charged for the container. */
        bool counts = faccessat(fd, a->file, F_OK, 0) == 0 && (v2 || charges_children(fd));
        uint64_t limit = UINT64_MAX;
        if (counts && read_limit(fd, a->file, &limit, err) < 0)
            r = -1;
        close(fd);
        if (!counts)
            break;
        if (r == 0 && limit < a->own_limit && (!a->path || limit < a->limit)) {
            free(a->path);
            a->path = xstrdup(dir);
            a->limit = limit;
        }
    }
    free(dir);
    if (r < 0) {
        free(a->path);
        a->path = NULL;
    }
    return r;
}
