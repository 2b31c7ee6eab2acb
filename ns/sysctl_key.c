/* ns/sysctl_key.c: a linux.sysctl key to its path under /proc/sys. */
#include "ns.h"

#include <stdlib.h>
#include <string.h>

/* A component that is empty, "." or ".." would let a key such as
 * "net/../kernel/core_pattern" pass as a net.* key and then write outside
 * the namespaced part of /proc/sys. */
static bool path_components_are_plain(const char *path)
{
    const char *c = path;
    for (;;) {
        size_t len = strcspn(c, "/");
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        if (c[len] == '\0')
            return true;
        c += len + 1;
    }
}

/* sysctl.d(5): when the first separator of a key is '/', '/' separates the
 * components and a '.' belongs to a name ("net/ipv4/conf/eno2.100/rp_filter");
 * otherwise '.' separates and a '/' stands for a '.' in a name
 * ("net.ipv4.conf.eno2/100.rp_filter"). runc checks keys with that rule but
 * writes them with every '.' turned into '/', which breaks names holding a
 * dot; nook uses the rule for both. */
char *ns_sysctl_path(const char *key)
{
    char *path = xstrdup(key);
    if (key[strcspn(key, "./")] != '/') {
        for (char *c = path; *c; c++) {
            if (*c == '.')
                *c = '/';
            else if (*c == '/')
                *c = '.';
        }
    }
    if (!path_components_are_plain(path)) {
        free(path);
        return NULL;
    }
    return path;
}
