/* Naming the container's directory in a hierarchy (the same name in every
 * hierarchy of a v1 or hybrid host). */
#include "cgroup.h"

#include <stdlib.h>
#include <string.h>

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
