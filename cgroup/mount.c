/* Finding the cgroup v2 hierarchy and naming the container's directory in it. */
#include "cgroup.h"

#include <stdlib.h>
#include <string.h>

/* mountinfo escapes space, tab, newline and backslash in paths as \ooo. */
static char *unescape_octal(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 3 < len &&
            s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
            s[i + 3] >= '0' && s[i + 3] <= '7') {
            out[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* Split one mountinfo line into fields: "id parent maj:min root mountpoint
 * options [optional...] - fstype source superoptions". Returns false for a
 * line that does not have that shape. */
static bool mountinfo_fields(const char *line, size_t len, const char **root, size_t *root_len,
                             const char **mnt, size_t *mnt_len, const char **fstype,
                             size_t *fstype_len)
{
    const char *field[6];
    size_t flen[6];
    size_t i = 0, nf = 0;
    while (nf < 6) {
        while (i < len && line[i] == ' ')
            i++;
        if (i >= len)
            return false;
        field[nf] = line + i;
        while (i < len && line[i] != ' ')
            i++;
        flen[nf] = (size_t)(line + i - field[nf]);
        nf++;
    }
    /* Skip optional fields up to the "-" separator. */
    for (;;) {
        while (i < len && line[i] == ' ')
            i++;
        if (i >= len)
            return false;
        const char *f = line + i;
        while (i < len && line[i] != ' ')
            i++;
        if (line + i - f == 1 && f[0] == '-')
            break;
    }
    while (i < len && line[i] == ' ')
        i++;
    if (i >= len)
        return false;
    *fstype = line + i;
    while (i < len && line[i] != ' ')
        i++;
    *fstype_len = (size_t)(line + i - *fstype);
    *root = field[3];
    *root_len = flen[3];
    *mnt = field[4];
    *mnt_len = flen[4];
    return true;
}

int cgroup_v2_mount_from_mountinfo(const char *mountinfo, char **mountpoint,
                                   struct nook_error *err)
{
    const char *p = mountinfo;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *root, *mnt, *fstype;
        size_t root_len, mnt_len, fstype_len;
        /* A bind mount of a subtree (root other than "/") does not show the
         * whole hierarchy; the system's own mount does. */
        if (mountinfo_fields(p, len, &root, &root_len, &mnt, &mnt_len, &fstype, &fstype_len) &&
            fstype_len == 7 && memcmp(fstype, "cgroup2", 7) == 0 && root_len == 1 &&
            root[0] == '/') {
            *mountpoint = unescape_octal(mnt, mnt_len);
            return 0;
        }
        p += len;
        if (*p == '\n')
            p++;
    }
    return nook_error_set(err, 0,
                          "find the cgroup v2 hierarchy: no cgroup2 mount in /proc/self/mountinfo "
                          "(mount it with: mount -t cgroup2 none /sys/fs/cgroup)");
}

int cgroup_v2_mount(char **mountpoint, struct nook_error *err)
{
    char *text;
    size_t len;
    if (read_file("/proc/self/mountinfo", &text, &len, err) < 0)
        return nook_error_wrap(err, "find the cgroup v2 hierarchy");
    int r = cgroup_v2_mount_from_mountinfo(text, mountpoint, err);
    free(text);
    return r;
}

/* Append the components of rel (any number of '/' between them) to buf,
 * refusing "." and "..", which would let a config name a cgroup outside. */
static int append_components(char **buf, const char *rel, const char *cgroups_path,
                             struct nook_error *err)
{
    const char *p = rel;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return nook_error_set(err, 0,
                                  "linux.cgroupsPath: \"%s\" must not contain \".\" or \"..\"",
                                  cgroups_path);
        char *next = xasprintf("%s/%.*s", *buf, (int)n, p);
        free(*buf);
        *buf = next;
        p = end;
    }
    return 0;
}

int cgroup_path_for(const char *mount, const char *cgroups_path, const char *id,
                    char **path, struct nook_error *err)
{
    char *buf = xstrdup(mount);
    size_t mlen = strlen(buf);
    while (mlen > 1 && buf[mlen - 1] == '/')
        buf[--mlen] = '\0';
    if (mlen == 1)
        buf[0] = '\0'; /* a hierarchy mounted at "/" */
    int r;
    if (!cgroups_path || !*cgroups_path) {
        if (!id || !*id || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
            free(buf);
            return nook_error_set(err, 0, "cgroup for container \"%s\": invalid id",
                                  id ? id : "");
        }
        char *p = xasprintf("%s/nook/%s", buf, id);
        free(buf);
        *path = p;
        return 0;
    }
    if (cgroups_path[0] == '/') {
        r = append_components(&buf, cgroups_path, cgroups_path, err);
    } else {
        char *nook = xasprintf("%s/nook", buf);
        free(buf);
        buf = nook;
        r = append_components(&buf, cgroups_path, cgroups_path, err);
    }
    if (r == 0 && strlen(buf) <= mlen) {
        r = nook_error_set(err, 0,
                           "linux.cgroupsPath: \"%s\" names the root of the cgroup hierarchy",
                           cgroups_path);
    }
    if (r < 0) {
        free(buf);
        return -1;
    }
    *path = buf;
    return 0;
}
