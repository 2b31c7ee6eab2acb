/* The processes of a cgroup tree: listing, signalling, killing. */
#include "cgroup.h"
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pidv {
    pid_t *v;
    size_t n;
};

static int read_procs(int dirfd, struct pidv *p, struct nook_error *err)
{
    char *text;
    if (cg_read(dirfd, "cgroup.procs", &text, err) < 0)
        return -1;
    for (char *s = text; *s;) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s)
            break;
        p->v = xrealloc(p->v, (p->n + 1) * sizeof *p->v);
        p->v[p->n++] = (pid_t)v;
        s = end;
        while (*s == '\n')
            s++;
    }
    free(text);
    return 0;
}

/* dirfd is consumed. */
static int collect(int dirfd, const char *path, struct pidv *p, struct nook_error *err)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return nook_error_sys(err, "open %s", path);
    }
    int r = read_procs(dirfd, p, err);
    if (r < 0)
        nook_error_wrap(err, "%s", path);
    struct dirent *e;
    while (r == 0 && (e = readdir(d)) != NULL) {
        if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *child = xasprintf("%s/%s", path, e->d_name);
        int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            /* A child cgroup removed while we look is simply gone. */
            if (errno != ENOENT)
                r = nook_error_sys(err, "open %s", child);
        } else {
            r = collect(fd, child, p, err);
        }
        free(child);
    }
    closedir(d);
    return r;
}

int cgroup_pids(const struct nook_cgroup *cg, pid_t **pids, size_t *n, struct nook_error *err)
{
    struct pidv p = {NULL, 0};
    int fd = openat(cg->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s", cg->path);
    if (collect(fd, cg->path, &p, err) < 0) {
        free(p.v);
        return -1;
    }
    *pids = p.v;
    *n = p.n;
    return 0;
}

static int signal_pids(const struct nook_cgroup *cg, int sig, struct nook_error *err)
{
    pid_t *pids;
    size_t n;
    if (cgroup_pids(cg, &pids, &n, err) < 0)
        return -1;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++)
        if (kill(pids[i], sig) < 0 && errno != ESRCH)
            r = nook_error_sys(err, "signal %d to pid %d", sig, (int)pids[i]);
    free(pids);
    return r;
}

/* Like runc: freeze first so no process forks a child past the signal, then
 * thaw (unless the container was paused already: it stays paused). */
int cgroup_signal_all(const struct nook_cgroup *cg, int sig, struct nook_error *err)
{
    if (sig == SIGKILL)
        return cgroup_kill(cg, err);
    bool was_frozen = false;
    bool froze = false;
    if (faccessat(cg->dirfd, "cgroup.freeze", F_OK, 0) == 0) {
        if (cgroup_is_frozen(cg, &was_frozen, err) < 0)
            return -1;
        if (!was_frozen) {
            if (cgroup_freeze(cg, true, err) < 0)
                return -1;
            froze = true;
        }
    }
    int r = signal_pids(cg, sig, err);
    if (froze) {
        struct nook_error thaw_err;
        if (cgroup_freeze(cg, false, &thaw_err) < 0 && r == 0) {
            *err = thaw_err;
            r = -1;
        }
    }
    if (r < 0)
        return nook_error_wrap(err, "signal the processes of cgroup %s", cg->path);
    return 0;
}

int cgroup_kill(const struct nook_cgroup *cg, struct nook_error *err)
{
    if (write_string_at(cg->dirfd, "cgroup.kill", "1", err) == 0)
        return 0;
    if (err->code != ENOENT)
        return nook_error_wrap(err, "kill cgroup %s", cg->path);
    /* Before Linux 5.14: freeze, SIGKILL everything, thaw (frozen tasks die
     * on thaw; none can fork in between). */
    bool froze = cgroup_freeze(cg, true, err) == 0;
    int r = signal_pids(cg, SIGKILL, err);
    if (froze) {
        struct nook_error thaw_err;
        if (cgroup_freeze(cg, false, &thaw_err) < 0 && r == 0) {
            *err = thaw_err;
            r = -1;
        }
    }
    if (r < 0)
        return nook_error_wrap(err, "kill cgroup %s", cg->path);
    return 0;
}
