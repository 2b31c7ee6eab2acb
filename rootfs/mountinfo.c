/* Reading /proc/self/mountinfo (proc(5)): which mount holds a path, where a
 * filesystem type is mounted. Fields: id parent major:minor root mountpoint
 * options [optional...] - fstype source superoptions. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Mount points escape space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

struct mountinfo_line {
    char *root;       /* the mount's root within its filesystem */
    char *mountpoint; /* unescaped, points into the line */
    char *fstype;
};

/* Split one line in place; 0 when it has the expected shape. */
static int parse_line(char *line, struct mountinfo_line *out)
{
    char *save = NULL;
    char *f = strtok_r(line, " ", &save);
    for (int i = 0; f && i < 3; i++)
        f = strtok_r(NULL, " ", &save);
    if (f == NULL)
        return -1;
    out->root = f;
    if ((f = strtok_r(NULL, " ", &save)) == NULL)
        return -1;
    out->mountpoint = f;
    while ((f = strtok_r(NULL, " ", &save)) != NULL && strcmp(f, "-") != 0)
        ;
    if (f == NULL || (out->fstype = strtok_r(NULL, " ", &save)) == NULL)
        return -1;
    unescape_octal(out->root);
    unescape_octal(out->mountpoint);
    return 0;
}

/* Call fn for each line; stops when fn returns non-zero. */
static int each_mount(int (*fn)(const struct mountinfo_line *, void *), void *arg,
                      struct nook_error *err)
{
    char *data;
    size_t len;
    if (read_file("/proc/self/mountinfo", &data, &len, err) < 0)
        return -1;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct mountinfo_line ml;
        if (parse_line(line, &ml) == 0 && fn(&ml, arg))
            break;
    }
    free(data);
    return 0;
}

struct find_fstype {
    const char *fstype;
    char *found;
};

static int match_fstype(const struct mountinfo_line *ml, void *arg)
{
    struct find_fstype *f = arg;
    if (strcmp(ml->fstype, f->fstype) != 0)
        return 0;
    f->found = xstrdup(ml->mountpoint);
    return 1;
}

int rootfs_mountinfo_find_fstype(const char *fstype, char **out, struct nook_error *err)
{
    struct find_fstype f = {fstype, NULL};
    if (each_mount(match_fstype, &f, err) < 0)
        return -1;
    *out = f.found;
    return 0;
}

struct find_containing {
    const char *path;
    size_t best_len;
    char *best;
};

static int match_containing(const struct mountinfo_line *ml, void *arg)
{
    struct find_containing *f = arg;
    size_t n = strlen(ml->mountpoint);
    bool prefix = strcmp(ml->mountpoint, "/") == 0 ||
                  (strncmp(f->path, ml->mountpoint, n) == 0 &&
                   (f->path[n] == '/' || f->path[n] == '\0'));
    /* ">=": of mounts stacked on one point, later lines are on top. */
    if (prefix && (f->best == NULL || n >= f->best_len)) {
        free(f->best);
        f->best = xstrdup(ml->mountpoint);
        f->best_len = n;
    }
    return 0;
}

int rootfs_mountinfo_containing(const char *path, char **out, struct nook_error *err)
{
    struct find_containing f = {path, 0, NULL};
    if (each_mount(match_containing, &f, err) < 0)
        return -1;
    *out = f.best ? f.best : xstrdup("/");
    return 0;
}

struct full_kernel_fs {
    const char *except_under;
    struct spec_strv found;
};

static int match_full_kernel_fs(const struct mountinfo_line *ml, void *arg)
{
    struct full_kernel_fs *f = arg;
    size_t n = strlen(f->except_under);
    if (strcmp(ml->root, "/") != 0 ||
        (strcmp(ml->fstype, "proc") != 0 && strcmp(ml->fstype, "sysfs") != 0))
        return 0;
    if (strncmp(ml->mountpoint, f->except_under, n) == 0 &&
        (ml->mountpoint[n] == '/' || ml->mountpoint[n] == '\0'))
        return 0;
    f->found.v = xrealloc(f->found.v, (f->found.n + 2) * sizeof *f->found.v);
    f->found.v[f->found.n++] = xstrdup(ml->mountpoint);
    f->found.v[f->found.n] = NULL;
    return 0;
}

int rootfs_mountinfo_full_kernel_fs(const char *except_under, struct spec_strv *out,
                                    struct nook_error *err)
{
    struct full_kernel_fs f = {except_under, {0}};
    if (each_mount(match_full_kernel_fs, &f, err) < 0)
        return -1;
    *out = f.found;
    return 0;
}

static int collect_point(const struct mountinfo_line *ml, void *arg)
{
    struct spec_strv *v = arg;
    v->v = xrealloc(v->v, (v->n + 2) * sizeof *v->v);
    v->v[v->n++] = xstrdup(ml->mountpoint);
    v->v[v->n] = NULL;
    return 0;
}

int rootfs_mountinfo_points(struct spec_strv *out, struct nook_error *err)
{
    memset(out, 0, sizeof *out);
    return each_mount(collect_point, out, err);
}
