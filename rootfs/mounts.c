/* The config's mounts, in order, inside the new root. Each destination is
 * created and resolved with the helpers in resolve.c (never through a symlink
 * out of the root) and mounted on through /proc/self/fd/<n>. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Flags that make sense on the first mount(2) call; propagation and the bind
 * bits are separate calls. */
#define FIRST_MOUNT_FLAGS(f) \
    ((f) & ~(unsigned long)(MS_BIND | MS_REC | MS_REMOUNT | ROOTFS_PROPAGATION_FLAGS))

/* In a user namespace the kernel locks the flags a mount had where it came
 * from (ro, nosuid, nodev, noexec): a remount may add them, never clear
 * them. A refused remount that asked for that says which flag. */
static int remount_error(int fd, const char *dest, unsigned long clear, struct nook_error *err)
{
    int e = errno;
    static const struct {
        unsigned long flag;
        const char *name;
    } locked[] = {{MS_RDONLY, "ro"}, {MS_NOSUID, "nosuid"}, {MS_NODEV, "nodev"},
                  {MS_NOEXEC, "noexec"}};
    long cur = rootfs_mount_flags_of(fd);
    for (size_t i = 0; e == EPERM && cur >= 0 && i < sizeof locked / sizeof locked[0]; i++)
        if ((unsigned long)cur & clear & locked[i].flag)
            return nook_error_set(err, e, "remount %s: its source is mounted %s, which only root "
                                  "may clear (in a user namespace the flag is locked)",
                                  dest, locked[i].name);
    return nook_error_set(err, e, "remount %s with its options", dest);
}

int rootfs_bind_onto(const char *src, int rootfd, const char *dest, bool recursive,
                     unsigned long set, unsigned long clear, struct nook_error *err)
{
    char target[ROOTFS_FD_PATH_MAX];
    int fd = rootfs_open_in_root(rootfd, dest, 0);
    if (fd < 0)
        return nook_error_sys(err, "open mount point %s", dest);
    rootfs_fd_path(fd, target);
    int rc = rootfs_mount_change(src, target, MS_BIND | (recursive ? MS_REC : 0));
    int saved = errno;
    close(fd);
    if (rc < 0)
        return nook_error_set(err, saved, "bind-mount %s on %s", src, dest);
    if (FIRST_MOUNT_FLAGS(set) == 0 && clear == 0)
        return 0;

    /* A bind mount ignores MS_RDONLY and friends: they only apply with a
     * remount of the new mount, which the path now reaches (the fd above
     * was the directory underneath it). */
    fd = rootfs_open_in_root(rootfd, dest, 0);
    if (fd < 0)
        return nook_error_sys(err, "open mount point %s", dest);
    rootfs_fd_path(fd, target);
    unsigned long flags;
    if (rootfs_remount_flags(fd, set, clear, &flags) < 0)
        rc = nook_error_sys(err, "remount %s: read its flags", dest);
    else if (rootfs_mount_change(NULL, target, flags) < 0)
        rc = remount_error(fd, dest, clear, err);
    close(fd);
    return rc;
}

static int mount_bind(const struct spec_mount *m, const struct rootfs_plan *plan, int rootfd,
                      struct nook_error *err)
{
    if (m->source == NULL)
        return nook_error_set(err, 0, "bind-mount on %s: no source", m->destination);
    char *src = rootfs_path_resolve(plan->bundle, m->source);
    struct stat st;
    int rc = 0;
    if (stat(src, &st) < 0) {
        rc = nook_error_sys(err, "bind-mount %s on %s", src, m->destination);
    } else {
        /* The mount point must be of the source's kind: a file over a file. */
        int fd = S_ISDIR(st.st_mode) ? rootfs_mkdir_in_root(rootfd, m->destination, 0755)
                                     : rootfs_mkfile_in_root(rootfd, m->destination, 0644);
        if (fd < 0)
            rc = nook_error_sys(err, "create mount point %s", m->destination);
        else {
            close(fd);
            rc = rootfs_bind_onto(src, rootfd, m->destination, (m->flags & MS_REC) != 0,
                                  m->flags, m->clear_flags, err);
        }
    }
    free(src);
    return rc;
}

static bool has_option(const char *data, const char *opt, bool prefix)
{
    size_t n = strlen(opt);
    for (const char *p = data; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (strncmp(p, opt, n) == 0 && (prefix ? len >= n : len == n))
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static void append_option(char **data, const char *opt)
{
    char *joined = xasprintf("%s%s%s", *data, **data ? "," : "", opt);
    free(*data);
    *data = joined;
}

/* devpts: a private instance (newinstance) whose ptmx anyone may open
 * (/dev/ptmx is a symlink to it), unless the config says otherwise. */
static char *devpts_data(const char *data)
{
    char *out = xstrdup(data ? data : "");
    if (!has_option(out, "newinstance", false))
        append_option(&out, "newinstance");
    if (!has_option(out, "ptmxmode=", true))
        append_option(&out, "ptmxmode=0666");
    return out;
}

static int mount_fs(const char *source, int rootfd, const char *dest, const char *type,
                    unsigned long flags, const char *data, struct nook_error *err)
{
    char target[ROOTFS_FD_PATH_MAX];
    int fd = rootfs_mkdir_in_root(rootfd, dest, 0755);
    if (fd < 0)
        return nook_error_sys(err, "create mount point %s", dest);
    rootfs_fd_path(fd, target);
    int rc = mount(source, target, type, FIRST_MOUNT_FLAGS(flags), data);
    int saved = errno;
    close(fd);
    if (rc < 0)
        return nook_error_set(err, saved, "mount %s on %s", type, dest);
    return 0;
}

/* "cgroup" or "cgroup2": with the container's v1 cgroups (a v1 or hybrid
 * host) a "cgroup" mount shows them (above); otherwise a config's "cgroup"
 * (what runc's default config says) is the v2 hierarchy whenever the host
 * has one mounted anywhere; a host without one gets a read-only empty tmpfs
 * so the path exists. In a user namespace without its own cgroup namespace
 * the kernel refuses the mount; as runc, bind the host's hierarchy then. */
/* Links for co-mounted controllers: "cpu" and "cpuacct" -> "cpu,cpuacct". */
static int link_comounted(int dirfd, const char *name, const char *dest, struct nook_error *err)
{
    if (!strchr(name, ','))
        return 0;
    char *names = xstrdup(name);
    int rc = 0;
    char *save;
    for (char *c = strtok_r(names, ",", &save); c && rc == 0; c = strtok_r(NULL, ",", &save))
        if (symlinkat(name, dirfd, c) < 0 && errno != EEXIST)
            rc = nook_error_sys(err, "link %s/%s to %s", dest, c, name);
    free(names);
    return rc;
}

/* A v1 or hybrid host: what runc shows there for a "cgroup" mount, a tmpfs
 * holding a bind of each of the container's own cgroup directories (so the
 * container sees its cgroups, and nothing above them), with the mount's
 * flags (read-only in the default config) on the binds and the tmpfs. */
static int mount_cgroup_v1(const struct spec_mount *m, int rootfd, const struct rootfs_opts *o,
                           struct nook_error *err)
{
    unsigned long flags = m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (mount_fs("tmpfs", rootfd, m->destination, "tmpfs", flags & ~(unsigned long)MS_RDONLY,
                 "mode=0755", err) < 0)
        return -1;
    int dirfd = rootfs_open_in_root(rootfd, m->destination, 0);
    if (dirfd < 0)
        return nook_error_sys(err, "open mount point %s", m->destination);
    int rc = 0;
    for (size_t i = 0; i < o->n_cgroups && rc == 0; i++) {
        char *dest = xasprintf("%s/%s", m->destination, o->cgroups[i].name);
        int fd = rootfs_mkdir_in_root(rootfd, dest, 0755);
        if (fd < 0)
            rc = nook_error_sys(err, "create mount point %s", dest);
        else
            close(fd);
        if (rc == 0)
            rc = rootfs_bind_onto(o->cgroups[i].host_path, rootfd, dest, false, flags, 0, err);
        if (rc == 0)
            rc = link_comounted(dirfd, o->cgroups[i].name, m->destination, err);
        free(dest);
    }
    if (rc == 0 && (flags & MS_RDONLY)) {
        char target[ROOTFS_FD_PATH_MAX];
        rootfs_fd_path(dirfd, target);
        /* dirfd is the tmpfs's root: remount it (the mount, not the binds). */
        unsigned long ro;
        if (rootfs_remount_flags(dirfd, MS_RDONLY, 0, &ro) < 0)
            rc = nook_error_sys(err, "remount %s: read its flags", m->destination);
        else if (rootfs_mount_change(NULL, target, ro) < 0)
            rc = remount_error(dirfd, m->destination, 0, err);
    }
    close(dirfd);
    return rc;
}

static int mount_cgroup(const struct spec_mount *m, int rootfd, const struct rootfs_opts *o,
                        struct nook_error *err)
{
    if (strcmp(m->type, "cgroup") == 0 && o->n_cgroups > 0)
        return mount_cgroup_v1(m, rootfd, o, err);
    char *host_v2;
    if (rootfs_mountinfo_find_fstype("cgroup2", &host_v2, err) < 0)
        return -1;
    bool v1_name = strcmp(m->type, "cgroup") == 0;
    int rc;
    if (host_v2 == NULL && v1_name)
        return mount_fs("tmpfs", rootfd, m->destination, "tmpfs", m->flags | MS_RDONLY,
                        "mode=0755", err);
    rc = mount_fs(m->source ? m->source : "cgroup2", rootfd, m->destination, "cgroup2",
                  m->flags, v1_name ? NULL : m->data, err);
    if (rc < 0 && err->code == EPERM && o->userns && host_v2)
        rc = rootfs_bind_onto(host_v2, rootfd, m->destination, true, m->flags,
                              m->clear_flags, err);
    free(host_v2);
    return rc;
}

static int mount_other(const struct spec_mount *m, int rootfd, const struct rootfs_opts *o,
                       struct nook_error *err)
{
    const char *type = m->type;
    const char *source = m->source ? m->source : type;
    if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0)
        return mount_cgroup(m, rootfd, o, err);
    if (strcmp(type, "devpts") == 0) {
        char *data = devpts_data(m->data);
        int rc = mount_fs(source, rootfd, m->destination, type, m->flags, data, err);
        free(data);
        return rc;
    }
    int rc = mount_fs(source, rootfd, m->destination, type, m->flags, m->data, err);
    /* sysfs needs a network namespace owned by the user namespace; as runc
     * does rootless, show the host's /sys instead. */
    if (rc < 0 && err->code == EPERM && o->userns && strcmp(type, "sysfs") == 0)
        rc = rootfs_bind_onto("/sys", rootfd, m->destination, true, m->flags | MS_NOSUID |
                              MS_NODEV | MS_NOEXEC, m->clear_flags, err);
    return rc;
}

static int set_propagation(int rootfd, const char *dest, unsigned long propagation,
                           struct nook_error *err)
{
    char target[ROOTFS_FD_PATH_MAX];
    int fd = rootfs_open_in_root(rootfd, dest, 0);
    if (fd < 0)
        return nook_error_sys(err, "open mount point %s", dest);
    rootfs_fd_path(fd, target);
    int rc = rootfs_mount_change(NULL, target, propagation);
    int saved = errno;
    close(fd);
    return rc < 0 ? nook_error_set(err, saved, "set propagation of %s", dest) : 0;
}

static int mount_one(const struct spec_mount *m, const struct rootfs_plan *plan, int rootfd,
                     const struct rootfs_opts *o, struct nook_error *err)
{
    int rc;
    if (nook_trace_sink_fn) {
        char f[256];
        NOOK_TRACE("mount %s on %s: type %s, flags %s, data \"%s\"", m->source ? m->source : "(none)",
                   m->destination, m->bind ? "bind" : m->type ? m->type : "(none)",
                   nook_trace_mount_flags(m->flags | m->propagation, f, sizeof f),
                   m->data ? m->data : "");
    }
    if (m->bind)
        rc = mount_bind(m, plan, rootfd, err);
    else if (m->type == NULL)
        rc = nook_error_set(err, 0, "mount on %s: no type and not a bind mount",
                            m->destination);
    else
        rc = mount_other(m, rootfd, o, err);
    if (rc == 0 && m->propagation)
        rc = set_propagation(rootfd, m->destination, m->propagation, err);
    return rc;
}

int rootfs_mount_config_mounts(const struct spec *spec, const struct rootfs_plan *plan,
                               int rootfd, const struct rootfs_opts *o,
                               struct nook_error *err)
{
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (mount_one(&spec->mounts[i], plan, rootfd, o, err) < 0)
            return nook_error_wrap(err, "mounts[%zu]", i);
    return 0;
}
