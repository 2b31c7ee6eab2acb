/* The v2 backend's side of creating a cgroup: the hierarchy must offer the
 * controllers the config needs, and every ancestor enables them in its
 * cgroup.subtree_control. */
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

/* Why a controller is missing from the hierarchy, and the fix, from
 * /proc/cgroups ("name hierarchy num_cgroups enabled"; io is "blkio" there). */
const char *cg_missing_controller_hint(const char *ctl, bool v1_host)
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
        else if (v1_host && hierarchy == 0)
            hint = "it is not mounted as a cgroup v1 hierarchy (mount it with: mkdir "
                   "/sys/fs/cgroup/NAME && mount -t cgroup -o NAME cgroup /sys/fs/cgroup/NAME)";
        else if (v1_host)
            hint = "it is mounted, but not where this mount namespace sees it";
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

void cg_needed_controllers(const struct cgroup_writes *w, struct cg_needed *nd)
{
    nd->n = 0;
    for (size_t i = 0; i < w->n; i++) {
        const char *ctl = cgroup_file_controller(w->v[i].file);
        if (!ctl || w->v[i].if_present)
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
static int check_available(const char *mount, const struct cg_needed *nd, struct nook_error *err)
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
                               cg_missing_controller_hint(nd->ctl[i], false));
    free(avail);
    return r;
}

static int enable_in(const char *dir, const struct cg_needed *nd, struct nook_error *err)
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
    struct cg_needed nd;
    cg_needed_controllers(w, &nd);
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

/* The v2 check: the plan is valid and the hierarchy has its controllers. */
int cg_v2_check(const struct cgroup_host *h, const struct spec *spec, struct nook_error *err)
{
    if (!spec->has_resources)
        return 0;
    struct cgroup_writes w;
    if (cgroup_plan_writes(&spec->resources, false, &w, err) < 0)
        return -1;
    struct cg_needed nd;
    cg_needed_controllers(&w, &nd);
    int r = check_available(h->v2->mountpoint, &nd, err);
    cgroup_writes_free(&w);
    return r;
}
