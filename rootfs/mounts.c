/* The config's mounts, in order, inside the new root. Each destination is
 * created and resolved with the helpers in resolve.c (never through a symlink
 * out of the root) and mounted on through /proc/self/fd/<n>. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
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

/* A bind mount ignores MS_RDONLY and friends: they only apply with a
 * remount of the new mount at dest, which the path now reaches. */
static int remount_onto(int rootfd, const char *dest, unsigned long set, unsigned long clear,
                        struct nook_error *err)
{
    if (FIRST_MOUNT_FLAGS(set) == 0 && clear == 0)
        return 0;
    char target[ROOTFS_FD_PATH_MAX];
    int fd = rootfs_open_in_root(rootfd, dest, 0);
    if (fd < 0)
        return nook_error_sys(err, "open mount point %s", dest);
    rootfs_fd_path(fd, target);
    unsigned long flags;
    int rc = 0;
    if (rootfs_remount_flags(fd, set, clear, &flags) < 0)
        rc = nook_error_sys(err, "remount %s: read its flags", dest);
    else if (rootfs_mount_change(NULL, target, flags) < 0)
        rc = remount_error(fd, dest, clear, err);
    close(fd);
    return rc;
}

/* The remount after the bind must look dest up again, to reach the new
 * mount. */
int rootfs_bind_onto_fd(const char *src, int fd, int rootfd, const char *dest, bool recursive,
                        unsigned long set, unsigned long clear, struct nook_error *err)
{
    char target[ROOTFS_FD_PATH_MAX];
    rootfs_fd_path(fd, target);
    if (rootfs_mount_change(src, target, MS_BIND | (recursive ? MS_REC : 0)) < 0)
        return nook_error_sys(err, "bind-mount %s on %s", src, dest);
    return remount_onto(rootfd, dest, set, clear, err);
}

int rootfs_bind_onto(const char *src, int rootfd, const char *dest, bool recursive,
                     unsigned long set, unsigned long clear, struct nook_error *err)
{
    int fd = rootfs_open_in_root(rootfd, dest, 0);
    if (fd < 0)
        return nook_error_sys(err, "open mount point %s", dest);
    int rc = rootfs_bind_onto_fd(src, fd, rootfd, dest, recursive, set, clear, err);
    close(fd);
    return rc;
}

/* Attach a detached copy of the source (from o->open_source) at the
 * already-created mount point dest, then apply the flags as for a bind. */
static int attach_tree(int tree, int rootfd, const char *dest, unsigned long set,
                       unsigned long clear, struct nook_error *err)
{
    int fd = rootfs_open_in_root(rootfd, dest, 0);
    if (fd < 0)
        return nook_error_sys(err, "open mount point %s", dest);
    int rc = move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int e = errno;
    close(fd);
    if (rc < 0)
        return nook_error_set(err, e, "attach the bind source on %s", dest);
    return remount_onto(rootfd, dest, set, clear, err);
}

static int mount_bind(const struct spec_mount *m, size_t i, const struct rootfs_plan *plan,
                      int rootfd, const struct rootfs_opts *o, struct nook_error *err)
{
    if (m->source == NULL)
        return nook_error_set(err, 0, "bind-mount on %s: no source", m->destination);
    char *src = rootfs_path_resolve(plan->bundle, m->source);
    struct stat st;
    int rc = 0, tree = -1;
    /* In a user namespace the container's root may not reach a source nook
     * can (a directory only the host's root may enter): nook opens it on
     * the host side, as runc does with its mount fds. */
    if (stat(src, &st) < 0 && errno == EACCES && o->open_source) {
        if (o->open_source(o->open_source_arg, i, &tree, err) < 0) {
            free(src);
            return -1;
        }
        if (fstat(tree, &st) < 0)
            rc = nook_error_sys(err, "bind-mount %s on %s: stat", src, m->destination);
    } else if (stat(src, &st) < 0) {
        rc = nook_error_sys(err, "bind-mount %s on %s", src, m->destination);
    }
    if (rc == 0) {
        /* The mount point must be of the source's kind: a file over a file. */
        int fd = S_ISDIR(st.st_mode) ? rootfs_mkdir_in_root(rootfd, m->destination, 0755)
                                     : rootfs_mkfile_in_root(rootfd, m->destination, 0644);
        if (fd < 0)
            rc = nook_error_sys(err, "create mount point %s", m->destination);
        else {
            rc = tree >= 0 ? attach_tree(tree, rootfd, m->destination, m->flags, m->clear_flags,
                                         err)
                           : rootfs_bind_onto_fd(src, fd, rootfd, m->destination,
                                                 (m->flags & MS_REC) != 0, m->flags,
                                                 m->clear_flags, err);
            close(fd);
        }
    }
    if (tree >= 0)
        close(tree);
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
 * the kernel refuses the mount (EPERM or EBUSY); as runc, bind the host's
 * hierarchy then. */
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

/* flags (ro, nosuid, nodev, noexec) on the mount at dirfd and on every
 * mount below it in one mount_setattr(AT_RECURSIVE) (Linux 5.12): what a
 * remount of each one with these flags added gives (the binds keep the
 * host's other flags, the atime mode stays). 1 when the kernel lacks the
 * call: the caller remounts them one by one. */
static int add_flags_below(int dirfd, unsigned long flags, const char *dest,
                           struct nook_error *err)
{
    struct mount_attr attr = {
        .attr_set = ((flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0) |
                    ((flags & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0) |
                    ((flags & MS_NODEV) ? MOUNT_ATTR_NODEV : 0) |
                    ((flags & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0),
    };
    if (mount_setattr(dirfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0)
        return 0;
    if (errno == ENOSYS)
        return 1;
    return nook_error_sys(err, "set the options of %s and the cgroups in it", dest);
}

/* A v1 or hybrid host: what runc shows there for a "cgroup" mount, a tmpfs
 * holding a bind of each of the container's own cgroup directories (so the
 * container sees its cgroups, and nothing above them), with the mount's
 * flags (read-only in the default config) on the binds and the tmpfs: set
 * on all of them at once at the end, instead of a remount of each of the
 * ~10 binds and of the tmpfs. */
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
        if (fd < 0) {
            rc = nook_error_sys(err, "create mount point %s", dest);
        } else {
            rc = rootfs_bind_onto_fd(o->cgroups[i].host_path, fd, rootfd, dest, false, 0, 0,
                                     err);
            close(fd);
        }
        if (rc == 0)
            rc = link_comounted(dirfd, o->cgroups[i].name, m->destination, err);
        free(dest);
    }
    if (rc < 0 || flags == 0 || (rc = add_flags_below(dirfd, flags, m->destination, err)) <= 0) {
        close(dirfd);
        return rc;
    }
    /* Without mount_setattr: a remount of each bind, then of the tmpfs. */
    rc = 0;
    for (size_t i = 0; i < o->n_cgroups && rc == 0; i++) {
        char *dest = xasprintf("%s/%s", m->destination, o->cgroups[i].name);
        rc = remount_onto(rootfd, dest, flags, 0, err);
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
    /* EBUSY: the host's cgroup2 superblock belongs to another user
     * namespace than the one mounting (the kernel's sget); runc falls back
     * on both. */
    if (rc < 0 && (err->code == EPERM || err->code == EBUSY) && o->userns && host_v2)
        rc = rootfs_bind_onto(host_v2, rootfd, m->destination, true, m->flags,
                              m->clear_flags, err);
    free(host_v2);
    return rc;
}

static int remount_read_only(int rootfd, const char *dest, struct nook_error *err);

/* "tmpcopyup" (podman --read-only): the tmpfs starts with what the image
 * has at the destination, read through a directory fd taken before the
 * tmpfs covers it. */
static int mount_tmpfs_copyup(const struct spec_mount *m, const char *source, int rootfd,
                              struct nook_error *err)
{
    int dir = rootfs_mkdir_in_root(rootfd, m->destination, 0755);
    if (dir < 0)
        return nook_error_sys(err, "create mount point %s", m->destination);
    int below = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(dir);
    if (below < 0)
        return nook_error_sys(err, "tmpcopyup: open %s", m->destination);
    int rc = mount_fs(source, rootfd, m->destination, "tmpfs", m->flags & ~(unsigned long)MS_RDONLY,
                      m->data, err);
    int top = -1;
    if (rc == 0) {
        int path = rootfs_open_in_root(rootfd, m->destination, O_DIRECTORY);
        top = path < 0 ? -1 : openat(path, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (path >= 0)
            close(path);
        if (top < 0)
            rc = nook_error_sys(err, "tmpcopyup: open the tmpfs on %s", m->destination);
    }
    if (rc == 0)
        rc = rootfs_copy_tree(below, top, m->destination, err);
    if (top >= 0)
        close(top);
    close(below);
    /* Read-only only once the copy is in. */
    if (rc == 0 && (m->flags & MS_RDONLY))
        rc = remount_read_only(rootfd, m->destination, err);
    return rc;
}

/* proc and sysfs over a symlink or a file would put the kernel's files
 * wherever the image points (CVE-2019-19921); like runc, they need a real
 * directory (or nothing yet) at their destination. */
static int check_ordinary_directory(const struct spec_mount *m, int rootfd,
                                    struct nook_error *err)
{
    char *dir = rootfs_path_dirname(m->destination);
    int parent = rootfs_open_in_root(rootfd, dir, O_DIRECTORY);
    free(dir);
    if (parent < 0)
        return errno == ENOENT ? 0 : nook_error_sys(err, "open the parent of %s", m->destination);
    const char *base = strrchr(m->destination, '/') + 1;
    struct stat st;
    int r = fstatat(parent, *base ? base : ".", &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
    int e = errno;
    close(parent);
    if (r < 0)
        return e == ENOENT ? 0 : nook_error_set(err, e, "stat %s", m->destination);
    if (!S_ISDIR(st.st_mode))
        return nook_error_set(err, 0, "filesystem \"%s\" must be mounted on ordinary directory "
                              "(%s is not one)", m->type, m->destination);
    return 0;
}

static int mount_other(const struct spec_mount *m, int rootfd, const struct rootfs_opts *o,
                       struct nook_error *err)
{
    const char *type = m->type;
    const char *source = m->source ? m->source : type;
    if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0)
        return mount_cgroup(m, rootfd, o, err);
    if ((strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0) &&
        check_ordinary_directory(m, rootfd, err) < 0)
        return -1;
    if (strcmp(type, "tmpfs") == 0 && m->tmpcopyup)
        return mount_tmpfs_copyup(m, source, rootfd, err);
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

static int mount_one(const struct spec_mount *m, size_t i, const struct rootfs_plan *plan,
                     int rootfd, const struct rootfs_opts *o, struct nook_error *err)
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
        rc = mount_bind(m, i, plan, rootfd, o, err);
    else if (m->type == NULL)
        rc = nook_error_set(err, 0, "mount on %s: no type and not a bind mount",
                            m->destination);
    else
        rc = mount_other(m, rootfd, o, err);
    if (rc == 0 && m->propagation)
        rc = set_propagation(rootfd, m->destination, m->propagation, err);
    return rc;
}

/* A path strictly below dir (both clean and absolute). */
static bool is_below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return path[1] != '\0';
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* A read-only mount with later mounts below it (or /dev, which nook fills
 * with nodes and links) could not take their mount points: it is made
 * writable and turned read-only once everything below it exists, as runc
 * does for a read-only /dev. */
static bool read_only_later(const struct spec *spec, size_t i)
{
    const struct spec_mount *m = &spec->mounts[i];
    if (!(m->flags & MS_RDONLY))
        return false;
    if (strcmp(m->destination, "/dev") == 0)
        return true;
    for (size_t j = i + 1; j < spec->n_mounts; j++)
        if (is_below(spec->mounts[j].destination, m->destination))
            return true;
    return false;
}

static int remount_read_only(int rootfd, const char *dest, struct nook_error *err)
{
    int fd = rootfs_open_in_root(rootfd, dest, 0);
    if (fd < 0)
        return nook_error_sys(err, "open mount point %s", dest);
    char target[ROOTFS_FD_PATH_MAX];
    rootfs_fd_path(fd, target);
    unsigned long flags;
    int rc = 0;
    if (rootfs_remount_flags(fd, MS_RDONLY, 0, &flags) < 0)
        rc = nook_error_sys(err, "remount %s read-only: read its flags", dest);
    else if (rootfs_mount_change(NULL, target, flags) < 0)
        rc = nook_error_sys(err, "remount %s read-only", dest);
    close(fd);
    return rc;
}

/* "rro", "rnosuid", ...: mount_setattr(2) (Linux 5.12) on the mount and
 * every mount below it; plain MS_REMOUNT only ever changes one mount. */
static int set_recursive_attrs(int rootfd, const struct spec_mount *m, struct nook_error *err)
{
    struct mount_attr attr = {.attr_set = m->rec_attr_set, .attr_clr = m->rec_attr_clear};
    /* The atime modes are one field: setting one clears the others. */
    if (attr.attr_set & MOUNT_ATTR__ATIME)
        attr.attr_clr |= MOUNT_ATTR__ATIME;
    int fd = rootfs_open_in_root(rootfd, m->destination, 0);
    if (fd < 0)
        return nook_error_sys(err, "open mount point %s", m->destination);
    int rc = 0;
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        rc = nook_error_sys(err, "set recursive mount options of %s", m->destination);
    close(fd);
    return rc;
}

int rootfs_mount_config_mounts(const struct spec *spec, const struct rootfs_plan *plan,
                               int rootfd, const struct rootfs_opts *o,
                               struct nook_error *err)
{
    for (size_t i = 0; i < spec->n_mounts; i++) {
        struct spec_mount m = spec->mounts[i];
        if (read_only_later(spec, i))
            m.flags &= ~(unsigned long)MS_RDONLY;
        if (mount_one(&m, i, plan, rootfd, o, err) < 0)
            return nook_error_wrap(err, "mounts[%zu]", i);
    }
    return 0;
}

int rootfs_finish_config_mounts(const struct spec *spec, int rootfd, struct nook_error *err)
{
    /* Innermost first: a parent made read-only (recursively or not) no
     * longer lets a submount's flags be changed through it. */
    for (size_t i = spec->n_mounts; i-- > 0;) {
        const struct spec_mount *m = &spec->mounts[i];
        if (read_only_later(spec, i) && remount_read_only(rootfd, m->destination, err) < 0)
            return nook_error_wrap(err, "mounts[%zu]", i);
        if ((m->rec_attr_set || m->rec_attr_clear) && set_recursive_attrs(rootfd, m, err) < 0)
            return nook_error_wrap(err, "mounts[%zu]", i);
    }
    return 0;
}
