/* ns/idmap.c: uid_map, setgroups and gid_map of a child's new user ns. */
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "<container> <host> <size>\n" per mapping. The kernel takes a map in one
 * write(2) only: a second write to the file fails with EPERM. */
static char *format_id_map(const struct spec_idmap *m, size_t n)
{
    /* Three u32 (10 digits each), two spaces and a newline per line. */
    size_t cap = n * 34 + 1, used = 0;
    char *buf = xmalloc(cap);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%u %u %u\n", m[i].container_id,
                                 m[i].host_id, m[i].size);
    return buf;
}

static int write_proc_pid_file(pid_t pid, const char *name, const char *data,
                               struct nook_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s for pid %d", name, (int)pid);
    size_t len = strlen(data);
    ssize_t n;
    do
        n = write(fd, data, len);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != len) {
        int e = n < 0 ? errno : EIO;
        close(fd);
        return nook_error_set(err, e, "write %s for pid %d", name, (int)pid);
    }
    if (close(fd) < 0)
        return nook_error_sys(err, "close %s for pid %d", name, (int)pid);
    return 0;
}

static int write_id_map(pid_t pid, const char *name, const struct spec_idmap *m, size_t n,
                        struct nook_error *err)
{
    if (n == 0)
        return 0;
    char *map = format_id_map(m, n);
    int r = write_proc_pid_file(pid, name, map, err);
    free(map);
    return r;
}

int ns_write_id_maps(pid_t pid, const struct spec *spec, struct nook_error *err)
{
    if (write_id_map(pid, "uid_map", spec->uid_mappings, spec->n_uid_mappings, err) < 0)
        return -1;
    /* Without CAP_SETGID over the parent user ns (rootless), the kernel
     * takes gid_map only once setgroups is denied, so that a user cannot
     * drop a supplementary group used to deny it access. Root keeps
     * setgroups, which the container's process needs for additionalGids. */
    if (spec->n_gid_mappings > 0 && geteuid() != 0 &&
        write_proc_pid_file(pid, "setgroups", "deny", err) < 0)
        return -1;
    return write_id_map(pid, "gid_map", spec->gid_mappings, spec->n_gid_mappings, err);
}
