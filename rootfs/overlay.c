/* The overlay root: lowerdir=<layers topmost first>, upperdir=root.path,
 * workdir next to it, mounted at <state_dir>/rootfs in the container's mount
 * namespace. Volatile: upper and work live on a tmpfs mounted at
 * <state_dir>/volatile in the same namespace, so they vanish with it. */
#include "internal.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel copies at most one page of mount data. */
#define OVERLAY_DATA_MAX 4096

static int mount_volatile_tmpfs(const char *dir, struct nook_error *err)
{
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
        return nook_error_sys(err, "mount tmpfs on %s", dir);
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s", dir);
    int rc = 0;
    if (mkdirat(fd, "upper", 0755) < 0)
        rc = nook_error_sys(err, "create %s/upper", dir);
    else if (mkdirat(fd, "work", 0700) < 0)
        rc = nook_error_sys(err, "create %s/work", dir);
    close(fd);
    return rc;
}

static char *overlay_data(const struct rootfs_plan *plan, const char *upper, const char *work,
                          bool userns)
{
    size_t len = 1;
    for (size_t i = 0; i < plan->lowers.n; i++)
        len += strlen(plan->lowers.v[i]) + 1;
    char *lower = xmalloc(len);
    lower[0] = '\0';
    for (size_t i = 0; i < plan->lowers.n; i++) {
        if (i)
            strcat(lower, ":");
        strcat(lower, plan->lowers.v[i]);
    }
    /* userxattr: in a user namespace overlayfs may not use trusted.* xattrs. */
    char *data = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s%s", lower, upper, work,
                           userns ? ",userxattr" : "");
    free(lower);
    return data;
}

/* The split overlay (mount_split_overlay) as it is built. */
struct split {
    const struct rootfs_plan *plan;
    int rootfd;        /* plan->mountpoint, a tmpfs */
    char *layers;      /* where each directory's upper (volatile) and work go */
    unsigned next;     /* names of the per-directory layers */
    struct spec_strv points; /* mount points (of the host's tree, and ours) */
};

/* Something is mounted strictly below dir. */
static bool mounts_below(const struct split *sp, const char *dir)
{
    size_t n = strlen(dir);
    for (size_t i = 0; i < sp->points.n; i++) {
        const char *p = sp->points.v[i];
        if (!strcmp(dir, "/") ? strcmp(p, "/") != 0 : !strncmp(p, dir, n) && p[n] == '/')
            return true;
    }
    return false;
}

/* Our own work in progress: the root being built and its layers. */
static bool is_ours(const struct split *sp, const char *path)
{
    const struct rootfs_plan *plan = sp->plan;
    return !strcmp(path, plan->mountpoint) ||
           (plan->volatile_dir && !strcmp(path, plan->volatile_dir)) ||
           (plan->work && !strcmp(path, plan->work));
}

/* Upper and work for one directory: on the volatile tmpfs, or, with a
 * persistent upper layer, <upper>/<rel> (so the writes keep their paths)
 * and a work dir next to the others. */
static int split_layer_dirs(struct split *sp, const char *rel, char **upper, char **work,
                            struct nook_error *err)
{
    const struct rootfs_plan *plan = sp->plan;
    unsigned n = sp->next++;
    if (plan->overlay_volatile) {
        *upper = xasprintf("%s/%u.u", sp->layers, n);
        if (mkdir(*upper, 0755) < 0)
            return nook_error_sys(err, "create %s", *upper);
    } else {
        *upper = xasprintf("%s/%s", plan->upper, rel);
        if (mkdir_p(*upper, 0755, err) < 0)
            return -1;
    }
    *work = xasprintf("%s/%u.w", sp->layers, n);
    if (mkdir(*work, 0700) < 0)
        return nook_error_sys(err, "create %s", *work);
    return 0;
}

/* An overlay of the lower directory src at rel (created in the root);
 * fails, as the kernel does, when src has mounts under it. */
static int split_overlay_dir(struct split *sp, const char *src, const char *rel,
                             struct nook_error *err)
{
    char *upper = NULL, *work = NULL;
    int rc = split_layer_dirs(sp, rel, &upper, &work, err);
    char *data = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s,userxattr", src,
                           upper ? upper : "", work ? work : "");
    char *target = xasprintf("%s/%s", sp->plan->mountpoint, rel);
    if (rc == 0 && (strpbrk(src, ",:\\") || strpbrk(upper, ",:\\") ||
                    strlen(data) >= OVERLAY_DATA_MAX))
        rc = nook_error_set(err, EINVAL, "overlay of %s: path not usable in options", src);
    else if (rc == 0 && mount("overlay", target, "overlay", 0, data) < 0)
        rc = nook_error_sys(err, "mount overlay of %s", src);
    free(target);
    free(data);
    free(work);
    free(upper);
    return rc;
}

static int split_dir(struct split *sp, const char *src, const char *rel, dev_t dev,
                     struct nook_error *err);

/* One entry of a lower directory, recreated at rel in the root: a
 * directory gets an overlay of its own, or, when it has mounts under it,
 * is split further; a mount point of another filesystem is bound
 * read-only as it is (with what is mounted under it); a symlink is
 * copied; a file is bound read-only. */
static int split_entry(struct split *sp, const char *src, const char *rel, dev_t parent_dev,
                       struct nook_error *err)
{
    struct stat st;
    if (lstat(src, &st) < 0)
        return errno == ENOENT ? 0 : nook_error_sys(err, "stat %s", src);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(src, target, sizeof target - 1);
        if (n < 0)
            return nook_error_sys(err, "read link %s", src);
        target[n] = '\0';
        if (symlinkat(target, sp->rootfd, rel) < 0)
            return nook_error_sys(err, "copy link %s", src);
        return 0;
    }
    if (S_ISREG(st.st_mode)) {
        int fd = openat(sp->rootfd, rel, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0)
            return nook_error_sys(err, "create %s in the root", rel);
        close(fd);
        return rootfs_bind_onto(src, sp->rootfd, rel, false, MS_RDONLY, 0, err);
    }
    if (!S_ISDIR(st.st_mode) || is_ours(sp, src))
        return 0;
    if (mkdirat(sp->rootfd, rel, st.st_mode & 07777) < 0)
        return nook_error_sys(err, "create %s in the root", rel);
    if (st.st_dev != parent_dev)
        return rootfs_bind_onto(src, sp->rootfd, rel, true, MS_RDONLY, 0, err);
    if (!mounts_below(sp, src))
        return split_overlay_dir(sp, src, rel, err);
    return split_dir(sp, src, rel, st.st_dev, err);
}

static int split_dir(struct split *sp, const char *src, const char *rel, dev_t dev,
                     struct nook_error *err)
{
    DIR *d = opendir(src);
    if (!d)
        return nook_error_sys(err, "split overlay: open %s", src);
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *csrc = xasprintf("%s%s%s", src, strcmp(src, "/") ? "/" : "", de->d_name);
        char *crel = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
        rc = split_entry(sp, csrc, crel, dev, err);
        free(crel);
        free(csrc);
    }
    closedir(d);
    return rc;
}

/* In a user namespace the kernel refuses a lower layer with mounts under it
 * that the namespace may not uncover (the host's /proc, /dev, ... are locked
 * under its /): "failed to clone lowerpath". Then the root is a tmpfs, and
 * the lower layer is rebuilt on it from the largest directories that have
 * no mounts under them, each an overlay of its own (split_entry): writes
 * still go to an upper layer. */
static int mount_split_overlay(const struct rootfs_plan *plan, struct nook_error *err)
{
    const char *lower = plan->lowers.v[0];
    struct stat st;
    if (stat(lower, &st) < 0)
        return nook_error_sys(err, "stat %s", lower);
    if (mount("tmpfs", plan->mountpoint, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
        return nook_error_sys(err, "mount tmpfs on %s", plan->mountpoint);
    struct split sp = {.plan = plan};
    sp.layers = xasprintf("%s/split", plan->overlay_volatile ? plan->volatile_dir : plan->work);
    sp.rootfd = open(plan->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int rc;
    if (sp.rootfd < 0)
        rc = nook_error_sys(err, "open %s", plan->mountpoint);
    else if (mkdir(sp.layers, 0700) < 0)
        rc = nook_error_sys(err, "create %s", sp.layers);
    else if ((rc = rootfs_mountinfo_points(&sp.points, err)) == 0)
        rc = split_dir(&sp, lower, "", st.st_dev, err);
    if (sp.rootfd >= 0)
        close(sp.rootfd);
    for (size_t i = 0; i < sp.points.n; i++)
        free(sp.points.v[i]);
    free(sp.points.v);
    free(sp.layers);
    return rc;
}

int rootfs_mount_overlay(const struct rootfs_plan *plan, const struct rootfs_opts *o,
                         struct nook_error *err)
{
    char *upper = NULL, *work = NULL;
    if (plan->overlay_volatile) {
        if (mount_volatile_tmpfs(plan->volatile_dir, err) < 0)
            return -1;
        upper = xasprintf("%s/upper", plan->volatile_dir);
        work = xasprintf("%s/work", plan->volatile_dir);
    } else {
        upper = xstrdup(plan->upper);
        work = xstrdup(plan->work);
    }
    char *data = overlay_data(plan, upper, work, o->userns);
    int rc = 0;
    NOOK_TRACE("mount overlay on %s: data \"%s\"", plan->mountpoint, data);
    if (strlen(data) >= OVERLAY_DATA_MAX)
        rc = nook_error_set(err, 0, "mount overlay on %s: layer paths too long (%zu bytes "
                            "of options, at most %d)", plan->mountpoint, strlen(data),
                            OVERLAY_DATA_MAX - 1);
    else if (mount("overlay", plan->mountpoint, "overlay", 0, data) < 0) {
        if (errno == EINVAL && o->userns && plan->lowers.n == 1)
            rc = mount_split_overlay(plan, err);
        else
            rc = nook_error_sys(err, "mount overlay on %s (upper %s, work %s)",
                                plan->mountpoint, upper, work);
    }
    free(data);
    free(upper);
    free(work);
    return rc;
}
