/* /dev: when the config mounts a fresh filesystem (a tmpfs) at /dev, fill it
 * as runc does: the default nodes, /dev/ptmx -> pts/ptmx, the fd/stdio links
 * and /dev/core. linux.devices are made unless /dev is a bind mount of some
 * host directory (whose nodes we must not replace). In a user namespace
 * mknod is not allowed: bind the host's node onto an empty file instead. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct node {
    const char *path; /* absolute, in the container (and, for binds, the host) */
    mode_t type;      /* S_IFCHR, S_IFBLK, S_IFIFO */
    dev_t rdev;
    mode_t perm;
    uid_t uid;
    gid_t gid;
};

static const struct {
    const char *path;
    unsigned major, minor;
} default_devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const struct {
    const char *name, *target;
} default_links[] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

/* Create the node in its (resolved) parent dir, replacing what is there. */
static int make_node_at(int parent, const char *name, const struct node *n, bool bind,
                        int rootfd, struct nook_error *err)
{
    if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
        return nook_error_sys(err, "create %s: remove the old one", n->path);
    if (bind) {
        int f = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                       0);
        if (f < 0)
            return nook_error_sys(err, "create %s", n->path);
        close(f);
        return rootfs_bind_onto(n->path, rootfd, n->path, false, 0, 0, err);
    }
    if (mknodat(parent, name, n->type | n->perm, n->rdev) < 0)
        return nook_error_sys(err, "create %s", n->path);
    /* mknod applied the umask; the config's mode is meant exactly. */
    if (fchmodat(parent, name, n->perm, 0) < 0)
        return nook_error_sys(err, "chmod %s", n->path);
    if (fchownat(parent, name, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return nook_error_sys(err, "chown %s", n->path);
    return 0;
}

static int make_node(int rootfd, const struct node *n, bool userns, struct nook_error *err)
{
    char *clean = rootfs_path_clean(n->path);
    char *dir = rootfs_path_dirname(clean);
    const char *name = strrchr(clean, '/') + 1;
    int rc;
    int parent = rootfs_mkdir_in_root(rootfd, dir, 0755);
    if (parent < 0) {
        rc = nook_error_sys(err, "create %s", dir);
    } else if (*name == '\0') {
        rc = nook_error_set(err, 0, "create %s: not a file path", n->path);
        close(parent);
    } else {
        bool bind = userns && n->type != S_IFIFO;
        rc = make_node_at(parent, name, n, bind, rootfd, err);
        close(parent);
    }
    free(dir);
    free(clean);
    return rc;
}

static bool listed_in_config(const struct spec *spec, const char *path)
{
    for (size_t i = 0; i < spec->n_devices; i++)
        if (rootfs_path_equal(spec->devices[i].path, path))
            return true;
    return false;
}

/* The defaults the config does not define itself (linux.devices wins). */
static int make_default_devices(const struct spec *spec, int rootfd, bool userns,
                                struct nook_error *err)
{
    for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++) {
        if (listed_in_config(spec, default_devices[i].path))
            continue;
        struct node n = {
            .path = default_devices[i].path,
            .type = S_IFCHR,
            .rdev = makedev(default_devices[i].major, default_devices[i].minor),
            .perm = 0666,
        };
        if (make_node(rootfd, &n, userns, err) < 0)
            return -1;
    }
    return 0;
}

static int make_link(int devfd, const char *name, const char *target, bool replace,
                     struct nook_error *err)
{
    if (replace && unlinkat(devfd, name, 0) < 0 && errno != ENOENT)
        return nook_error_sys(err, "create /dev/%s: remove the old one", name);
    if (symlinkat(target, devfd, name) < 0 && errno != EEXIST)
        return nook_error_sys(err, "create /dev/%s -> %s", name, target);
    return 0;
}

static int make_default_links(int rootfd, struct nook_error *err)
{
    int devfd = rootfs_open_in_root(rootfd, "/dev", O_DIRECTORY);
    if (devfd < 0)
        return nook_error_sys(err, "open /dev");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof default_links / sizeof default_links[0]; i++)
        rc = make_link(devfd, default_links[i].name, default_links[i].target, false, err);
    /* Only where the host kernel has it, as runc. */
    if (rc == 0 && access("/proc/kcore", F_OK) == 0)
        rc = make_link(devfd, "core", "/proc/kcore", false, err);
    /* The ptmx of the container's own devpts instance, never a host node. */
    if (rc == 0)
        rc = make_link(devfd, "ptmx", "pts/ptmx", true, err);
    close(devfd);
    return rc;
}

static mode_t device_type(char t)
{
    switch (t) {
    case 'b':
        return S_IFBLK;
    case 'p':
        return S_IFIFO;
    default: /* 'c', 'u' */
        return S_IFCHR;
    }
}

static int make_config_devices(const struct spec *spec, int rootfd, bool userns,
                               struct nook_error *err)
{
    for (size_t i = 0; i < spec->n_devices; i++) {
        const struct spec_device *d = &spec->devices[i];
        struct node n = {
            .path = d->path,
            .type = device_type(d->type),
            .rdev = d->type == 'p' ? 0 : makedev((unsigned)d->major, (unsigned)d->minor),
            .perm = d->has_file_mode ? (d->file_mode & 07777) : 0666,
            .uid = d->has_uid ? d->uid : 0,
            .gid = d->has_gid ? d->gid : 0,
        };
        if (make_node(rootfd, &n, userns, err) < 0)
            return nook_error_wrap(err, "linux.devices[%zu]", i);
    }
    return 0;
}

int rootfs_setup_dev(const struct spec *spec, int rootfd, const struct rootfs_opts *o,
                     struct nook_error *err)
{
    const struct spec_mount *dev = NULL;
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (rootfs_path_equal(spec->mounts[i].destination, "/dev"))
            dev = &spec->mounts[i];
    if (dev && dev->bind)
        return 0;
    if (dev) {
        if (make_default_devices(spec, rootfd, o->userns, err) < 0)
            return -1;
        if (make_default_links(rootfd, err) < 0)
            return -1;
        /* The console's mount point, made while /dev may still be written
         * (a read-only /dev turns read-only before the console exists). */
        if (spec->process.terminal) {
            int fd = rootfs_mkfile_in_root(rootfd, "/dev/console", 0600);
            if (fd < 0)
                return nook_error_sys(err, "create /dev/console");
            close(fd);
        }
    }
    return make_config_devices(spec, rootfd, o->userns, err);
}
