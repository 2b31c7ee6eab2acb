/* ns/sysctl.c: write linux.sysctl under the container's /proc/sys. */
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

/* The container's root could hold a plain /proc/sys tree (or a mount over
 * it) instead of procfs; a value written there would silently do nothing,
 * or land in a file the container planted. Only a real procfs file will do. */
static int check_on_procfs(int fd, const char *file, struct nook_error *err)
{
    struct statfs fs;
    if (fstatfs(fd, &fs) < 0)
        return nook_error_sys(err, "statfs %s", file);
    if (fs.f_type != PROC_SUPER_MAGIC)
        return nook_error_set(err, 0, "%s is not on procfs, refusing to write a sysctl there",
                              file);
    return 0;
}

static int write_sysctl_file(const char *file, const char *value, struct nook_error *err)
{
    int fd = open(file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return nook_error_sys(err, "open %s", file);
    if (check_on_procfs(fd, file, err) < 0) {
        close(fd);
        return -1;
    }
    /* A sysctl takes its value in one write; a short one would be a
     * different value. */
    size_t len = strlen(value);
    ssize_t n;
    do
        n = write(fd, value, len);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != len) {
        int e = n < 0 ? errno : EIO;
        close(fd);
        return nook_error_set(err, e, "write \"%s\" to %s", value, file);
    }
    if (close(fd) < 0)
        return nook_error_sys(err, "close %s", file);
    return 0;
}

static int apply_one(const char *key, const char *value, struct nook_error *err)
{
    char *path = ns_sysctl_path(key);
    if (path == NULL)
        return nook_error_set(err, 0, "linux.sysctl[\"%s\"]: not a valid sysctl name", key);
    char *file = xasprintf("/proc/sys/%s", path);
    free(path);
    int r = write_sysctl_file(file, value, err);
    free(file);
    if (r < 0)
        return nook_error_wrap(err, "linux.sysctl[\"%s\"]", key);
    return 0;
}

int ns_apply_sysctl(const struct spec *spec, struct nook_error *err)
{
    for (size_t i = 0; i < spec->sysctl.n; i++)
        if (apply_one(spec->sysctl.v[i].key, spec->sysctl.v[i].value, err) < 0)
            return -1;
    return 0;
}
