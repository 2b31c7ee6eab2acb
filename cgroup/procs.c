/* The processes of a cgroup tree (v1 or v2: both have cgroup.procs): listing
 * and signalling them. */
#include "backend.h"

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

int cg_tree_pids(int dirfd, const char *path, pid_t **pids, size_t *n, struct nook_error *err)
{
    struct pidv p = {NULL, 0};
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s", path);
    if (collect(fd, path, &p, err) < 0) {
        free(p.v);
        return -1;
    }
    *pids = p.v;
    *n = p.n;
    return 0;
}

int cg_tree_signal(int dirfd, const char *path, int sig, struct nook_error *err)
{
    pid_t *pids;
    size_t n;
    if (cg_tree_pids(dirfd, path, &pids, &n, err) < 0)
        return -1;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++)
        if (kill(pids[i], sig) < 0 && errno != ESRCH)
            r = nook_error_sys(err, "signal %d to pid %d", sig, (int)pids[i]);
    free(pids);
    return r;
}
