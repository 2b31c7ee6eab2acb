/* The container's cgroup directory: creating it (with its controllers),
 * opening it again, joining it, removing it. */
#include "cgroup.h"
#include "internal.h"

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

bool cg_list_has(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
        bool start = p == list || p[-1] == ' ' || p[-1] == '\n';
        bool end = p[n] == '\0' || p[n] == ' ' || p[n] == '\n';
        if (start && end)
            return true;
    }
    return false;
}

/* Why a controller is missing from the hierarchy, and the fix, from
 * /proc/cgroups ("name hierarchy num_cgroups enabled"; io is "blkio" there). */
static const char *missing_controller_hint(const char *ctl)
{
    const char *name = strcmp(ctl, "io") == 0 ? "blkio" : ctl;
    char *text;
    size_t len;
    struct nook_error ignored;
    if (read_file("/proc/cgroups", &text, &len, &ignored) < 0)
        return "boot with systemd.unified_cgroup_hierarchy=1 or cgroup_no_v1=all";
    const char *hint = "this kernel does not have it";
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char sub[64];
        unsigned hierarchy, num, enabled;
        if (sscanf(line, "%63s %u %u %u", sub, &hierarchy, &num, &enabled) != 4 ||
            strcmp(sub, name) != 0)
            continue;
        if (!enabled)
            hint = "it is disabled on the kernel command line (remove cgroup_disable=)";
        else if (hierarchy != 0)
            hint = "it is bound to a cgroup v1 hierarchy; boot with "
                   "systemd.unified_cgroup_hierarchy=1 or cgroup_no_v1=all";
        else
            hint = "the parent of this cgroup namespace does not delegate it; enable it in "
                   "the ancestors' cgroup.subtree_control";
        break;
    }
    free(text);
    return hint;
}

/* The controllers the writes need, each with the first JSON path needing it. */
struct needed {
    const char *ctl[16];
    const char *json_path[16];
    size_t n;
};

static void needed_controllers(const struct cgroup_writes *w, struct needed *nd)
{
    nd->n = 0;
    for (size_t i = 0; i < w->n; i++) {
        const char *ctl = cgroup_file_controller(w->v[i].file);
        if (!ctl)
            continue;
        size_t j = 0;
        while (j < nd->n && strcmp(nd->ctl[j], ctl) != 0)
            j++;
        if (j == nd->n && nd->n < sizeof nd->ctl / sizeof nd->ctl[0]) {
            nd->ctl[nd->n] = ctl;
            nd->json_path[nd->n] = w->v[i].json_path;
            nd->n++;
        }
    }
}

/* Checked before anything is created: the hierarchy itself must offer every
 * controller the config needs. */
static int check_available(const char *mount, const struct needed *nd, struct nook_error *err)
{
    if (nd->n == 0)
        return 0;
    int dirfd = open(mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return nook_error_sys(err, "open %s", mount);
    char *avail;
    int r = cg_read(dirfd, "cgroup.controllers", &avail, err);
    close(dirfd);
    if (r < 0)
        return nook_error_wrap(err, "%s", mount);
    for (size_t i = 0; i < nd->n && r == 0; i++)
        if (!cg_list_has(avail, nd->ctl[i]))
            r = nook_error_set(err, 0,
                               "%s: the %s controller is not available in the cgroup v2 "
                               "hierarchy at %s (cgroup.controllers: \"%s\"); %s",
                               nd->json_path[i], nd->ctl[i], mount, avail,
                               missing_controller_hint(nd->ctl[i]));
    free(avail);
    return r;
}

static int enable_in(const char *dir, const struct needed *nd, struct nook_error *err)
{
    int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return nook_error_sys(err, "open %s", dir);
    char *enabled = NULL, *avail = NULL;
    int r = cg_read(dirfd, "cgroup.subtree_control", &enabled, err);
    if (r < 0)
        nook_error_wrap(err, "%s", dir);
    for (size_t i = 0; i < nd->n && r == 0; i++) {
        if (cg_list_has(enabled, nd->ctl[i]))
            continue;
        if (!avail && (r = cg_read(dirfd, "cgroup.controllers", &avail, err)) < 0) {
            nook_error_wrap(err, "%s", dir);
            break;
        }
        if (!cg_list_has(avail, nd->ctl[i])) {
            r = nook_error_set(err, 0,
                               "%s: the %s controller is not available in %s "
                               "(cgroup.controllers: \"%s\"); enable it in its parent's "
                               "cgroup.subtree_control",
                               nd->json_path[i], nd->ctl[i], dir, avail);
            break;
        }
        char *plus = xasprintf("+%s", nd->ctl[i]);
        r = write_string_at(dirfd, "cgroup.subtree_control", plus, err);
        free(plus);
        if (r < 0)
            nook_error_wrap(err, "%s: enable the %s controller in %s", nd->json_path[i],
                            nd->ctl[i], dir);
    }
    free(enabled);
    free(avail);
    close(dirfd);
    return r;
}

/* The length of mount without trailing slashes ("/" counts as 0). */
static size_t mount_len(const char *mount)
{
    size_t n = strlen(mount);
    while (n > 0 && mount[n - 1] == '/')
        n--;
    return n;
}

int cg_enable_controllers(const char *mount, const char *path, const struct cgroup_writes *w,
                          struct nook_error *err)
{
    struct needed nd;
    needed_controllers(w, &nd);
    if (nd.n == 0)
        return 0;
    size_t mlen = mount_len(mount);
    if (strncmp(path, mount, mlen) != 0 || path[mlen] != '/')
        return nook_error_set(err, 0, "cgroup %s is not in the cgroup v2 hierarchy at %s", path,
                              mount);
    if (check_available(mount, &nd, err) < 0)
        return -1;
    /* Every ancestor from the hierarchy's root down to the parent; the leaf
     * itself enables nothing (it holds the processes). */
    size_t end = (size_t)(strrchr(path, '/') - path);
    for (size_t i = mlen; i <= end; i++) {
        if (path[i] != '/' || (i > mlen && path[i - 1] == '/'))
            continue;
        char *dir = i == 0 ? xstrdup("/") : xasprintf("%.*s", (int)i, path);
        int r = enable_in(dir, &nd, err);
        free(dir);
        if (r < 0)
            return -1;
    }
    return 0;
}

/* ---- creating and removing directories ---- */

struct created {
    char *dirs[64]; /* outermost first */
    size_t n;
};

static void remove_created(struct created *c)
{
    while (c->n > 0) {
        char *d = c->dirs[--c->n];
        rmdir(d); /* best effort: the error being reported is the one that matters */
        free(d);
    }
}

static void forget_created(struct created *c)
{
    while (c->n > 0)
        free(c->dirs[--c->n]);
}

/* mkdir every missing component below mount; ENOENT means a concurrent
 * destroy just removed an emptied parent: the caller retries. */
static int make_dirs(const char *mount, const char *path, struct created *c, bool *leaf_existed,
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

static int open_dir(const char *path, int *fd, struct nook_error *err)
{
    *fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0)
        return nook_error_sys(err, "open cgroup %s", path);
    struct statfs sfs;
    if (fstatfs(*fd, &sfs) < 0) {
        nook_error_sys(err, "statfs %s", path);
        close(*fd);
        return -1;
    }
    if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
        close(*fd);
        return nook_error_set(err, 0, "open cgroup %s: not a cgroup v2 directory", path);
    }
    return 0;
}

/* An existing cgroup named by linux.cgroupsPath may be joined only when no
 * process runs in it (it would then be shared with another container). */
static int check_empty(int dirfd, const char *path, struct nook_error *err)
{
    char *procs;
    if (cg_read(dirfd, "cgroup.procs", &procs, err) < 0)
        return nook_error_wrap(err, "%s", path);
    bool empty = procs[0] == '\0';
    free(procs);
    if (!empty)
        return nook_error_set(err, 0, "linux.cgroupsPath: cgroup %s already has processes",
                              path);
    return 0;
}

int cgroup_create(const struct spec *spec, const char *id, struct nook_cgroup *cg,
                  struct nook_error *err)
{
    cg->path = NULL;
    cg->dirfd = -1;
    /* Config errors and missing controllers first: nothing exists yet. */
    struct cgroup_writes w = {NULL, 0};
    if (spec->has_resources && cgroup_plan_writes(&spec->resources, false, &w, err) < 0)
        return -1;
    struct needed nd;
    needed_controllers(&w, &nd);
    char *mount = NULL, *path = NULL;
    int r = cgroup_v2_mount(&mount, err);
    if (r == 0)
        r = cgroup_path_for(mount, spec->cgroups_path, id, &path, err);
    if (r == 0)
        r = check_available(mount, &nd, err);
    cgroup_writes_free(&w);
    if (r < 0)
        goto out;

    struct created c = {.n = 0};
    bool leaf_existed = false;
    for (int attempt = 0;; attempt++) {
        r = make_dirs(mount, path, &c, &leaf_existed, err);
        if (r == 0 || err->code != ENOENT || attempt == 5)
            break;
        remove_created(&c);
    }
    if (r == 0)
        r = open_dir(path, &cg->dirfd, err);
    if (r == 0 && leaf_existed)
        r = check_empty(cg->dirfd, path, err);
    cg->path = path;
    if (r == 0 && spec->has_resources)
        r = cg_apply_resources(cg, &spec->resources, spec->devices, spec->n_devices, err);
    if (r < 0) {
        if (cg->dirfd >= 0)
            close(cg->dirfd);
        cg->dirfd = -1;
        cg->path = NULL;
        remove_created(&c);
        goto out;
    }
    forget_created(&c);
    path = NULL;
out:
    free(path);
    free(mount);
    return r;
}

int cgroup_open(const char *path, struct nook_cgroup *cg, struct nook_error *err)
{
    cg->path = NULL;
    if (open_dir(path, &cg->dirfd, err) < 0) {
        cg->dirfd = -1;
        return -1;
    }
    cg->path = xstrdup(path);
    return 0;
}

void cgroup_close(struct nook_cgroup *cg)
{
    if (cg->dirfd >= 0)
        close(cg->dirfd);
    cg->dirfd = -1;
    free(cg->path);
    cg->path = NULL;
}

int cgroup_enter(const struct nook_cgroup *cg, pid_t pid, struct nook_error *err)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)pid);
    if (write_string_at(cg->dirfd, "cgroup.procs", buf, err) < 0)
        return nook_error_wrap(err, "join cgroup %s", cg->path);
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* rmdir a cgroup and the child cgroups inside it (a container with its own
 * cgroup namespace may have made some), deepest first. EBUSY right after a
 * kill: the kernel is still tearing the last tasks down; retry briefly. */
static int remove_tree(int parentfd, const char *name, const char *path, struct nook_error *err)
{
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
    if (r == 0) {
        /* A bounded wait for the last tasks to go; rmdir reports if they did not. */
        struct nook_error ignored;
        (void)cg_wait_events(dirfd(d), "populated", "0", 2000, &ignored);
    }
    closedir(d);
    if (r < 0)
        return -1;
    for (int i = 0;; i++) {
        if (unlinkat(parentfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY || i == 50)
            return nook_error_sys(err, "remove cgroup %s", path);
        sleep_ms(20);
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

int cgroup_destroy(struct nook_cgroup *cg, struct nook_error *err)
{
    char *path = cg->path;
    cg->path = NULL;
    if (cg->dirfd >= 0)
        close(cg->dirfd);
    cg->dirfd = -1;
    if (!path)
        return 0;
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
    free(path);
    return r;
}
