/* What every backend does the same way with a cgroup directory: reading its
 * files, making it (and its parents), opening it, removing it. */
#include "backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

int cg_read(int dirfd, const char *file, char **out, struct nook_error *err)
{
    int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s", file);
    size_t len;
    int r = read_fd_all(fd, out, &len, err);
    close(fd);
    if (r < 0)
        return nook_error_wrap(err, "%s", file);
    while (len > 0 && (*out)[len - 1] == '\n')
        (*out)[--len] = '\0';
    return 0;
}

int cg_read_u64(int dirfd, const char *file, uint64_t *v, struct nook_error *err)
{
    char *text;
    if (cg_read(dirfd, file, &text, err) < 0)
        return -1;
    *v = strcmp(text, "max") == 0 ? UINT64_MAX : strtoull(text, NULL, 10);
    free(text);
    return 0;
}

uint64_t cg_keyed(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *line = text; *line;) {
        const char *nl = strchrnul(line, '\n');
        if (strncmp(line, key, n) == 0 && line[n] == ' ')
            return strtoull(line + n + 1, NULL, 10);
        line = *nl ? nl + 1 : nl;
    }
    return 0;
}

static bool list_has(const char *list, const char *word, char sep)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
        bool start = p == list || p[-1] == sep || p[-1] == '\n';
        bool end = p[n] == '\0' || p[n] == sep || p[n] == '\n';
        if (start && end)
            return true;
    }
    return false;
}

bool cg_list_has(const char *list, const char *word)
{
    return list_has(list, word, ' ');
}

bool cg_comma_list_has(const char *list, const char *word)
{
    return list_has(list, word, ',');
}

void cg_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

long cg_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The length of mount without trailing slashes ("/" counts as 0). */
static size_t mount_len(const char *mount)
{
    size_t n = strlen(mount);
    while (n > 0 && mount[n - 1] == '/')
        n--;
    return n;
}

void cg_remove_created(struct cg_created *c)
{
    while (c->n > 0) {
        char *d = c->dirs[--c->n];
        rmdir(d); /* best effort: the error being reported is the one that matters */
        free(d);
    }
}

void cg_forget_created(struct cg_created *c)
{
    while (c->n > 0)
        free(c->dirs[--c->n]);
}

/* ENOENT means a concurrent destroy just removed an emptied parent: the
 * caller retries. */
int cg_make_dirs(const char *mount, const char *path, struct cg_created *c, bool *leaf_existed,
                 struct nook_error *err)
{
    size_t mlen = mount_len(mount);
    char *dir = xstrdup(path);
    size_t len = strlen(path);
    int r = 0;
    for (size_t i = mlen + 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        dir[i] = '\0';
        if (mkdir(dir, 0755) == 0) {
            NOOK_TRACE("cgroup: created %s", dir);
            if (c->n == sizeof c->dirs / sizeof c->dirs[0]) {
                rmdir(dir);
                r = nook_error_set(err, 0, "create cgroup %s: too deep", path);
                break;
            }
            c->dirs[c->n++] = xstrdup(dir);
            /* Not fatal when it fails: the directory is then kept at destroy. */
            (void)setxattr(dir, CGROUP_CREATED_XATTR, "1", 1, 0);
        } else if (errno == EEXIST) {
            if (i == len)
                *leaf_existed = true;
        } else {
            r = nook_error_sys(err, "create cgroup %s", dir);
            break;
        }
        dir[i] = path[i];
    }
    free(dir);
    return r;
}

int cg_open_dir(const char *path, bool v2, int *fd, struct nook_error *err)
{
    *fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0)
        return nook_error_sys(err, "open cgroup %s", path);
    struct statfs sfs;
    if (fstatfs(*fd, &sfs) < 0) {
        nook_error_sys(err, "statfs %s", path);
        close(*fd);
        *fd = -1;
        return -1;
    }
    if (sfs.f_type != (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC)) {
        close(*fd);
        *fd = -1;
        return nook_error_set(err, 0, "open cgroup %s: not a cgroup %s directory", path,
                              v2 ? "v2" : "v1");
    }
    return 0;
}

int cg_count_procs(int dirfd, const char *path, size_t *n, struct nook_error *err)
{
    char *procs;
    if (cg_read(dirfd, "cgroup.procs", &procs, err) < 0)
        return nook_error_wrap(err, "%s", path);
    *n = 0;
    for (const char *p = procs; *p; p++)
        if (*p == '\n' || p[1] == '\0')
            (*n)++;
    free(procs);
    return 0;
}

/* rmdir a cgroup and the child cgroups inside it (a container with its own
 * cgroup namespace may have made some), deepest first. EBUSY right after a
 * kill: the kernel is still tearing the last tasks down; retry briefly. */
static int remove_tree(int parentfd, const char *name, const char *path, struct nook_error *err)
{
    /* Usually there is nothing in it any more: one rmdir, without listing
     * the directory (every control file of a v1 hierarchy) for children.
     * Anything else (EBUSY: children, or tasks still exiting) goes the
     * long way below. */
    if (unlinkat(parentfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
        return 0;
    int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return nook_error_sys(err, "open %s", path);
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return nook_error_sys(err, "open %s", path);
    }
    int r = 0;
    struct dirent *e;
    while (r == 0 && (e = readdir(d)) != NULL) {
        if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *child = xasprintf("%s/%s", path, e->d_name);
        r = remove_tree(dirfd(d), e->d_name, child, err);
        free(child);
    }
    if (r == 0 && faccessat(dirfd(d), "cgroup.events", F_OK, 0) == 0) {
        /* v2: a bounded wait for the last tasks to go; rmdir reports if they did not. */
        struct nook_error ignored;
        (void)cg_wait_events(dirfd(d), "populated", "0", 2000, &ignored);
    }
    closedir(d);
    if (r < 0)
        return -1;
    for (int i = 0;; i++) {
        if (unlinkat(parentfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY || i == 100)
            return nook_error_sys(err, "remove cgroup %s", path);
        cg_sleep_ms(20);
    }
}

/* Walk up from path's parent removing the directories nook created (they
 * carry the xattr) that are now empty; stop at the first other one. */
static void remove_created_parents(const char *path)
{
    char *dir = xstrdup(path);
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            break;
        *slash = '\0';
        char mark[4];
        if (getxattr(dir, CGROUP_CREATED_XATTR, mark, sizeof mark) < 0)
            break;
        if (rmdir(dir) < 0) /* EBUSY: another container's cgroup is in it */
            break;
    }
    free(dir);
}

void cg_remove_dir_if_unused(const char *path)
{
    if (rmdir(path) == 0)
        remove_created_parents(path);
}

int cg_remove_dir(const char *path, struct nook_error *err)
{
    char *parent = xstrdup(path);
    char *slash = strrchr(parent, '/');
    int r;
    if (!slash || slash == parent) {
        r = nook_error_set(err, 0, "remove cgroup %s: not a cgroup below a hierarchy", path);
    } else {
        *slash = '\0';
        int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0) {
            r = errno == ENOENT ? 0 : nook_error_sys(err, "open %s", parent);
        } else {
            r = remove_tree(pfd, slash + 1, path, err);
            close(pfd);
        }
        if (r == 0)
            remove_created_parents(path);
    }
    free(parent);
    return r;
}
