/* What kind of cgroup host this is: every hierarchy mounted, from
 * /proc/self/mountinfo. */
#include "backend.h"

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

/* One mountinfo line: "id parent maj:min root mountpoint options
 * [optional...] - fstype source superoptions". */
struct mi_line {
    const char *root, *mnt, *fstype, *super;
    size_t root_len, mnt_len, fstype_len, super_len;
};

static const char *next_field(const char *line, size_t len, size_t *i, size_t *flen)
{
    while (*i < len && line[*i] == ' ')
        (*i)++;
    if (*i >= len)
        return NULL;
    const char *f = line + *i;
    while (*i < len && line[*i] != ' ')
        (*i)++;
    *flen = (size_t)(line + *i - f);
    return f;
}

/* Returns false for a line that does not have that shape. */
static bool mountinfo_fields(const char *line, size_t len, struct mi_line *m)
{
    const char *field[6];
    size_t flen[6];
    size_t i = 0;
    for (size_t nf = 0; nf < 6; nf++)
        if (!(field[nf] = next_field(line, len, &i, &flen[nf])))
            return false;
    /* Skip optional fields up to the "-" separator. */
    for (;;) {
        size_t n;
        const char *f = next_field(line, len, &i, &n);
        if (!f)
            return false;
        if (n == 1 && f[0] == '-')
            break;
    }
    size_t source_len;
    if (!(m->fstype = next_field(line, len, &i, &m->fstype_len)) ||
        !next_field(line, len, &i, &source_len))
        return false;
    m->super = next_field(line, len, &i, &m->super_len);
    if (!m->super) {
        m->super = "";
        m->super_len = 0;
    }
    m->root = field[3];
    m->root_len = flen[3];
    m->mnt = field[4];
    m->mnt_len = flen[4];
    return true;
}

static bool fstype_is(const struct mi_line *m, const char *type)
{
    return m->fstype_len == strlen(type) && memcmp(m->fstype, type, m->fstype_len) == 0;
}

/* The controllers of a v1 mount from its superoptions ("rw,cpu,cpuacct",
 * "rw,xattr,name=systemd"): everything but the mount options. */
static char *v1_controllers(const char *super, size_t len)
{
    static const char *const not_controllers[] = {"rw", "ro", "xattr", "noprefix",
                                                  "clone_children", "cpuset_v2_mode",
                                                  "favordynmods", "all", "none"};
    char *opts = xasprintf("%.*s", (int)len, super);
    char *out = xstrdup("");
    char *save;
    for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        bool skip = strncmp(o, "release_agent=", 14) == 0;
        for (size_t i = 0; i < sizeof not_controllers / sizeof not_controllers[0] && !skip; i++)
            skip = strcmp(o, not_controllers[i]) == 0;
        if (skip)
            continue;
        char *joined = xasprintf("%s%s%s", out, *out ? "," : "", o);
        free(out);
        out = joined;
    }
    free(opts);
    return out;
}

int cgroup_v2_mount_from_mountinfo(const char *mountinfo, char **mountpoint,
                                   struct nook_error *err)
{
    const char *p = mountinfo;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        struct mi_line m;
        /* A bind mount of a subtree (root other than "/") does not show the
         * whole hierarchy; the system's own mount does. */
        if (mountinfo_fields(p, len, &m) && fstype_is(&m, "cgroup2") && m.root_len == 1 &&
            m.root[0] == '/') {
            *mountpoint = unescape_octal(m.mnt, m.mnt_len);
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


/* A hierarchy mounted twice (a bind of its root elsewhere) counts once, at
 * its first mount point. */
static bool already_have(const struct cgroup_host *h, bool v2, const char *controllers)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->m[i].v2 == v2 && (v2 || strcmp(h->m[i].controllers, controllers) == 0))
            return true;
    return false;
}

int cgroup_host_from_mountinfo(const char *mountinfo, struct cgroup_host *h,
                               struct nook_error *err)
{
    memset(h, 0, sizeof *h);
    bool v1_controllers_seen = false;
    for (const char *p = mountinfo; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        struct mi_line m;
        if (mountinfo_fields(p, len, &m) && m.root_len == 1 && m.root[0] == '/' &&
            (fstype_is(&m, "cgroup2") || fstype_is(&m, "cgroup"))) {
            bool v2 = fstype_is(&m, "cgroup2");
            char *ctl = v2 ? NULL : v1_controllers(m.super, m.super_len);
            if ((ctl && !*ctl) || already_have(h, v2, ctl)) {
                free(ctl);
            } else {
                h->m = xrealloc(h->m, (h->n + 1) * sizeof *h->m);
                h->m[h->n++] = (struct cgroup_mount){unescape_octal(m.mnt, m.mnt_len), ctl, v2};
                if (ctl && strncmp(ctl, "name=", 5) != 0)
                    v1_controllers_seen = true;
            }
        }
        p += len;
        if (*p == '\n')
            p++;
    }
    for (size_t i = 0; i < h->n; i++)
        if (h->m[i].v2)
            h->v2 = &h->m[i];
    if (v1_controllers_seen)
        h->kind = h->v2 ? CGROUP_HYBRID : CGROUP_V1;
    else if (h->v2)
        h->kind = CGROUP_V2;
    else {
        cgroup_host_free(h);
        return nook_error_set(err, 0,
                              "find the cgroup hierarchies: no cgroup or cgroup2 mount in "
                              "/proc/self/mountinfo (mount one with: mount -t cgroup2 none "
                              "/sys/fs/cgroup)");
    }
    return 0;
}

int cgroup_host_read(struct cgroup_host *h, struct nook_error *err)
{
    char *text;
    size_t len;
    if (read_file("/proc/self/mountinfo", &text, &len, err) < 0)
        return nook_error_wrap(err, "find the cgroup hierarchies");
    int r = cgroup_host_from_mountinfo(text, h, err);
    free(text);
    return r;
}

void cgroup_host_free(struct cgroup_host *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->m[i].mountpoint);
        free(h->m[i].controllers);
    }
    free(h->m);
    memset(h, 0, sizeof *h);
}

const struct cgroup_mount *cgroup_host_v1_find(const struct cgroup_host *h, const char *controller)
{
    for (size_t i = 0; i < h->n; i++)
        if (!h->m[i].v2 && cg_comma_list_has(h->m[i].controllers, controller))
            return &h->m[i];
    return NULL;
}

int cgroup_host_kind(enum cgroup_kind *kind, struct nook_error *err)
{
    struct cgroup_host h;
    if (cgroup_host_read(&h, err) < 0)
        return -1;
    *kind = h.kind;
    cgroup_host_free(&h);
    return 0;
}

const char *cgroup_kind_name(enum cgroup_kind kind)
{
    return kind == CGROUP_V1 ? "v1" : kind == CGROUP_HYBRID ? "hybrid" : "v2";
}
