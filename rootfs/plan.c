/* rootfs_plan: where the root comes from, decided in the parent before the
 * container process exists. A plain root is root.path itself; the overlay
 * annotations turn root.path into the writable upper layer over the listed
 * lower layers (or, volatile, put upper and workdir on a tmpfs). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANNOT_PATH(key) "annotations[\"" key "\"]"

/* path as an absolute, clean path (runtime/ may pass the bundle relative). */
static int absolute_path(const char *path, char **out, struct nook_error *err)
{
    if (path[0] == '/') {
        *out = rootfs_path_clean(path);
        return 0;
    }
    char *cwd = getcwd(NULL, 0);
    if (cwd == NULL)
        return nook_error_sys(err, "resolve %s: getcwd", path);
    *out = rootfs_path_resolve(cwd, path);
    free(cwd);
    return 0;
}

static int parse_volatile(const struct spec *spec, bool *out, struct nook_error *err)
{
    const char *v = spec_annotation(spec, ROOTFS_ANNOT_VOLATILE);
    if (v == NULL || strcmp(v, "false") == 0) {
        *out = false;
        return 0;
    }
    if (strcmp(v, "true") == 0) {
        *out = true;
        return 0;
    }
    return nook_error_set(err, 0, ANNOT_PATH(ROOTFS_ANNOT_VOLATILE)
                          ": must be \"true\" or \"false\", got \"%s\"", v);
}

static void strv_push(struct spec_strv *sv, char *s)
{
    sv->v = xrealloc(sv->v, (sv->n + 2) * sizeof *sv->v);
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

/* "a:b:/c" -> resolved layers, each an existing directory. */
static int parse_lowers(const char *list, const char *bundle, struct spec_strv *out,
                        struct nook_error *err)
{
    if (list[0] == '\0')
        return nook_error_set(err, 0, ANNOT_PATH(ROOTFS_ANNOT_LOWER) ": empty layer list");
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0)
            return nook_error_set(err, 0, ANNOT_PATH(ROOTFS_ANNOT_LOWER)
                                  ": empty layer in \"%s\"", list);
        char *raw = xmalloc(n + 1);
        memcpy(raw, p, n);
        raw[n] = '\0';
        char *layer = rootfs_path_resolve(bundle, raw);
        free(raw);
        strv_push(out, layer);

        struct stat st;
        if (stat(layer, &st) < 0)
            return nook_error_sys(err, ANNOT_PATH(ROOTFS_ANNOT_LOWER) ": %s", layer);
        if (!S_ISDIR(st.st_mode))
            return nook_error_set(err, ENOTDIR, ANNOT_PATH(ROOTFS_ANNOT_LOWER) ": %s", layer);
        /* overlayfs options use ',' and ':' as separators. */
        if (strpbrk(layer, ",:\\") != NULL)
            return nook_error_set(err, 0, ANNOT_PATH(ROOTFS_ANNOT_LOWER)
                                  ": %s: ',', ':' and '\\' are not supported in layer paths",
                                  layer);
        if (end == NULL)
            return 0;
        p = end + 1;
    }
}

static int plan_overlay(const struct spec *spec, const char *lowers, const char *state_dir,
                        const char *id, struct rootfs_plan *plan, struct nook_error *err)
{
    plan->overlay = true;
    if (parse_volatile(spec, &plan->overlay_volatile, err) < 0)
        return -1;
    if (parse_lowers(lowers, plan->bundle, &plan->lowers, err) < 0)
        return -1;
    char *state = NULL;
    if (absolute_path(state_dir, &state, err) < 0)
        return -1;
    plan->mountpoint = xasprintf("%s/rootfs", state);
    if (plan->overlay_volatile) {
        plan->volatile_dir = xasprintf("%s/volatile", state);
    } else {
        if (strpbrk(plan->root, ",:\\") != NULL) {
            free(state);
            return nook_error_set(err, 0, "root.path: %s: ',', ':' and '\\' are not "
                                  "supported in an overlay upper layer path", plan->root);
        }
        plan->upper = xstrdup(plan->root);
        char *dir = rootfs_path_dirname(plan->root);
        /* Next to the upper layer: overlayfs wants both on one filesystem. */
        plan->work = xasprintf("%s%s.nook-work-%s", dir, strcmp(dir, "/") ? "/" : "", id);
        free(dir);
    }
    free(state);
    return 0;
}

int rootfs_plan(const struct spec *spec, const char *bundle, const char *state_dir,
                const char *id, struct rootfs_plan *plan, struct nook_error *err)
{
    memset(plan, 0, sizeof *plan);
    if (spec->root.path == NULL || spec->root.path[0] == '\0')
        return nook_error_set(err, 0, "root.path: required");
    if (strchr(id, '/') != NULL || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return nook_error_set(err, 0, "container id \"%s\": not usable in a path", id);
    if (absolute_path(bundle, &plan->bundle, err) < 0)
        return -1;
    plan->root = rootfs_path_resolve(plan->bundle, spec->root.path);

    const char *lowers = spec_annotation(spec, ROOTFS_ANNOT_LOWER);
    if (lowers == NULL) {
        bool vol;
        if (parse_volatile(spec, &vol, err) < 0)
            goto fail;
        if (vol) {
            nook_error_set(err, 0, ANNOT_PATH(ROOTFS_ANNOT_VOLATILE)
                           ": needs " ANNOT_PATH(ROOTFS_ANNOT_LOWER));
            goto fail;
        }
        plan->mountpoint = xstrdup(plan->root);
        return 0;
    }
    if (plan_overlay(spec, lowers, state_dir, id, plan, err) < 0)
        goto fail;
    return 0;
fail:
    rootfs_plan_free(plan);
    return -1;
}

void rootfs_plan_free(struct rootfs_plan *plan)
{
    free(plan->bundle);
    free(plan->root);
    free(plan->mountpoint);
    for (size_t i = 0; i < plan->lowers.n; i++)
        free(plan->lowers.v[i]);
    free(plan->lowers.v);
    free(plan->upper);
    free(plan->work);
    free(plan->volatile_dir);
    memset(plan, 0, sizeof *plan);
}
