/* Lexical path handling: joining root.path, lower layers and mount sources to
 * the bundle, and comparing destinations ("/dev/" is "/dev"). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

char *rootfs_path_clean(const char *path)
{
    size_t len = strlen(path);
    char *out = xmalloc(len + 2);
    size_t o = 0;
    const char *p = path;

    out[o++] = '/';
    while (*p) {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0 || (n == 1 && start[0] == '.'))
            continue;
        if (n == 2 && start[0] == '.' && start[1] == '.') {
            /* Back up to the previous '/', never above the root. */
            while (o > 1 && out[o - 1] != '/')
                o--;
            if (o > 1)
                o--;
            continue;
        }
        if (o > 1)
            out[o++] = '/';
        memcpy(out + o, start, n);
        o += n;
    }
    out[o] = '\0';
    return out;
}

char *rootfs_path_resolve(const char *base, const char *path)
{
    if (path[0] == '/')
        return rootfs_path_clean(path);
    char *joined = xasprintf("%s/%s", base, path);
    char *clean = rootfs_path_clean(joined);
    free(joined);
    return clean;
}

char *rootfs_path_dirname(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        strcpy(dir, "/");
    else
        *slash = '\0';
    return dir;
}

int rootfs_path_equal(const char *a, const char *b)
{
    char *ca = rootfs_path_clean(a), *cb = rootfs_path_clean(b);
    int same = strcmp(ca, cb) == 0;
    free(ca);
    free(cb);
    return same;
}
