/* What criu restore needs of the root before it rebuilds the container's
 * mount namespace from a checkpoint: mount points as create made them, and
 * the names of bind mounts as the container's mountinfo shows them. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int open_root(const char *root, struct nook_error *err)
{
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        nook_error_sys(err, "open root %s", root);
    return fd;
}

char *rootfs_resolved_destination(const char *root, const char *dest)
{
    struct nook_error ignored;
    int rootfd = open_root(root, &ignored);
    if (rootfd < 0)
        return xstrdup(dest);
    char *out = NULL;
    int fd = rootfs_open_in_root(rootfd, dest, 0);
    char rootpath[PATH_MAX], path[PATH_MAX], link[ROOTFS_FD_PATH_MAX];
    ssize_t rn = -1, n = -1;
    if (fd >= 0) {
        rootfs_fd_path(rootfd, link);
        rn = readlink(link, rootpath, sizeof rootpath - 1);
        rootfs_fd_path(fd, link);
        n = readlink(link, path, sizeof path - 1);
        close(fd);
    }
    close(rootfd);
    if (rn > 0 && n > 0) {
        rootpath[rn] = path[n] = '\0';
        size_t len = (size_t)rn;
        if (strcmp(rootpath, "/") == 0)
            len = 0;
        if (strncmp(path, rootpath, len) == 0 && (path[len] == '/' || path[len] == '\0'))
            out = xstrdup(path[len] ? path + len : "/");
    }
    return out ? out : rootfs_path_clean(dest);
}

/* dest lies under the destination of a tmpfs in the spec. */
static bool under_tmpfs(const struct spec *spec, const char *dest)
{
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct spec_mount *m = &spec->mounts[i];
        if (!m->type || strcmp(m->type, "tmpfs") != 0)
            continue;
        size_t n = strlen(m->destination);
        if (strncmp(dest, m->destination, n) == 0 && dest[n] == '/')
            return true;
    }
    return false;
}

int rootfs_prepare_restore(const struct spec *spec, const struct rootfs_plan *plan,
                           struct nook_error *err)
{
    int rootfd = open_root(plan->root, err);
    if (rootfd < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < spec->n_mounts && rc == 0; i++) {
        const struct spec_mount *m = &spec->mounts[i];
        if (under_tmpfs(spec, m->destination))
            continue;
        if (!m->bind) {
            int fd = rootfs_mkdir_in_root(rootfd, m->destination, 0755);
            if (fd < 0 && errno != ENOTDIR)
                rc = nook_error_sys(err, "mounts[%zu]: create mount point %s", i, m->destination);
            if (fd >= 0)
                close(fd);
            continue;
        }
        if (!m->source)
            continue;
        char *src = rootfs_path_resolve(plan->bundle, m->source);
        struct stat st;
        if (stat(src, &st) < 0) {
            rc = nook_error_sys(err, "mounts[%zu]: bind source %s", i, src);
        } else {
            int fd = S_ISDIR(st.st_mode) ? rootfs_mkdir_in_root(rootfd, m->destination, 0755)
                                         : rootfs_mkfile_in_root(rootfd, m->destination, 0644);
            if (fd < 0)
                rc = nook_error_sys(err, "mounts[%zu]: create mount point %s", i,
                                    m->destination);
            else {
                close(fd);
                /* Bound now (in the caller's private mount namespace) so
                 * that the mount points of mounts nested in it are made in
                 * its source, as at create. */
                rc = rootfs_bind_onto(src, rootfd, m->destination, (m->flags & MS_REC) != 0, 0, 0,
                                      err);
                if (rc < 0)
                    nook_error_wrap(err, "mounts[%zu]", i);
            }
        }
        free(src);
    }
    close(rootfd);
    return rc;
}
