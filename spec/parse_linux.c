/* config.json "linux": namespaces, id mappings, devices, propagation, paths,
 * sysctl, personality, time offsets; resources and seccomp have their own
 * files. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>

const char *const spec_ns_type_names[SPEC_NS_TYPES] = {
    [SPEC_NS_PID] = "pid",   [SPEC_NS_NETWORK] = "network", [SPEC_NS_MOUNT] = "mount",
    [SPEC_NS_IPC] = "ipc",   [SPEC_NS_UTS] = "uts",         [SPEC_NS_USER] = "user",
    [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

static int parse_namespace(json_t *o, const char *path, void *out, size_t i,
                           struct nook_error *err)
{
    struct spec_namespace *ns = out;
    char *type = NULL;
    char tp[SP_PATH_MAX];
    sp_path(tp, path, "type");
    if (sp_require(o, "type", path, err) < 0 || sp_string(o, "type", path, &type, err) < 0)
        return -1;
    int found = -1;
    for (int t = 0; t < SPEC_NS_TYPES; t++)
        if (strcmp(type, spec_ns_type_names[t]) == 0)
            found = t;
    if (found < 0) {
        sp_err(err, tp, "unknown namespace \"%s\"", type);
        free(type);
        return -1;
    }
    free(type);
    ns->type = (enum spec_ns_type)found;
    /* sp_each fills in order: the earlier entries sit just before this one. */
    const struct spec_namespace *earlier = ns - i;
    for (size_t k = 0; k < i; k++)
        if (earlier[k].type == ns->type)
            return sp_err(err, tp, "duplicate namespace \"%s\"", spec_ns_type_names[found]);
    return sp_abs_path(o, "path", path, &ns->path, err);
}

static int parse_idmap(json_t *o, const char *path, void *out, size_t i, struct nook_error *err)
{
    struct spec_idmap *m = out;
    int64_t c = 0, h = 0, s = 0;
    if (sp_require(o, "containerID", path, err) < 0 || sp_require(o, "hostID", path, err) < 0 ||
        sp_require(o, "size", path, err) < 0 ||
        sp_int(o, "containerID", path, 0, UINT32_MAX, &c, NULL, err) < 0 ||
        sp_int(o, "hostID", path, 0, UINT32_MAX, &h, NULL, err) < 0 ||
        sp_int(o, "size", path, 1, UINT32_MAX, &s, NULL, err) < 0)
        return -1;
    m->container_id = (uint32_t)c;
    m->host_id = (uint32_t)h;
    m->size = (uint32_t)s;
    return 0;
}

static int parse_device(json_t *o, const char *path, void *out, size_t i, struct nook_error *err)
{
    struct spec_device *d = out;
    char *type = NULL;
    char tp[SP_PATH_MAX];
    sp_path(tp, path, "type");
    if (sp_require(o, "type", path, err) < 0 || sp_string(o, "type", path, &type, err) < 0)
        return -1;
    bool known = strlen(type) == 1 && strchr("cbup", type[0]) != NULL;
    if (!known) {
        sp_err(err, tp, "unknown device type \"%s\"", type);
        free(type);
        return -1;
    }
    d->type = type[0];
    free(type);
    int64_t mode = 0, uid = 0, gid = 0;
    if (sp_require(o, "path", path, err) < 0 || sp_abs_path(o, "path", path, &d->path, err) < 0)
        return -1;
    /* A fifo has no device number; every other node needs both. */
    if (d->type != 'p' &&
        (sp_require(o, "major", path, err) < 0 || sp_require(o, "minor", path, err) < 0))
        return -1;
    if (sp_int(o, "major", path, 0, INT64_MAX, &d->major, NULL, err) < 0 ||
        sp_int(o, "minor", path, 0, INT64_MAX, &d->minor, NULL, err) < 0 ||
        sp_int(o, "fileMode", path, 0, 07777, &mode, &d->has_file_mode, err) < 0 ||
        sp_int(o, "uid", path, 0, UINT32_MAX - 1, &uid, &d->has_uid, err) < 0 ||
        sp_int(o, "gid", path, 0, UINT32_MAX - 1, &gid, &d->has_gid, err) < 0)
        return -1;
    d->file_mode = (mode_t)mode;
    d->uid = (uid_t)uid;
    d->gid = (gid_t)gid;
    return 0;
}

static int parse_rootfs_propagation(json_t *o, const char *path, struct spec *spec,
                                    struct nook_error *err)
{
    static const struct {
        const char *name;
        unsigned long flags;
    } values[] = {
        {"shared", MS_SHARED},   {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},     {"rslave", MS_SLAVE | MS_REC},
        {"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    char *v = NULL;
    if (sp_string(o, "rootfsPropagation", path, &v, err) < 0)
        return -1;
    /* Old generators wrote "" for "not set". */
    if (!v || v[0] == '\0') {
        free(v);
        return 0;
    }
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        if (strcmp(v, values[i].name) == 0) {
            spec->rootfs_propagation = values[i].flags;
            free(v);
            return 0;
        }
    }
    char p[SP_PATH_MAX];
    sp_path(p, path, "rootfsPropagation");
    sp_err(err, p, "unknown propagation \"%s\"", v);
    free(v);
    return -1;
}

static int parse_abs_paths(json_t *o, const char *key, const char *path, struct spec_strv *out,
                           struct nook_error *err)
{
    if (sp_strv(o, key, path, out, err) < 0)
        return -1;
    char p[SP_PATH_MAX], ep[SP_PATH_MAX];
    sp_path(p, path, key);
    for (size_t i = 0; i < out->n; i++) {
        if (out->v[i][0] != '/') {
            sp_path_idx(ep, p, i);
            return sp_err(err, ep, "must be an absolute path, got \"%s\"", out->v[i]);
        }
    }
    return 0;
}

static int parse_personality(json_t *o, const char *path, struct spec *spec,
                             struct nook_error *err)
{
    json_t *po;
    if (sp_object(o, "personality", path, &po, err) < 0)
        return -1;
    if (!po)
        return 0;
    char pp[SP_PATH_MAX], dp[SP_PATH_MAX], fp[SP_PATH_MAX];
    sp_path(pp, path, "personality");
    sp_path(dp, pp, "domain");
    sp_path(fp, pp, "flags");
    char *domain = NULL;
    if (sp_require(po, "domain", pp, err) < 0 || sp_string(po, "domain", pp, &domain, err) < 0)
        return -1;
    int r = 0;
    if (strcmp(domain, "LINUX") == 0)
        spec->personality = PER_LINUX;
    else if (strcmp(domain, "LINUX32") == 0)
        spec->personality = PER_LINUX32;
    else
        r = sp_err(err, dp, "unknown domain \"%s\" (expected \"LINUX\" or \"LINUX32\")", domain);
    free(domain);
    if (r < 0)
        return -1;
    /* The spec defines no flag values yet: any flag is one nook cannot honour. */
    struct spec_strv flags = {0};
    if (sp_strv(po, "flags", pp, &flags, err) < 0)
        return -1;
    if (flags.n > 0) {
        char ep[SP_PATH_MAX];
        sp_path_idx(ep, fp, 0);
        sp_err(err, ep, "unsupported flag \"%s\"", flags.v[0]);
        sp_strv_free(&flags);
        return -1;
    }
    spec->has_personality = true;
    return 0;
}

static int parse_time_offset(json_t *o, const char *path, struct spec_time_offset *t,
                             struct nook_error *err)
{
    if (!json_is_object(o))
        return sp_err(err, path, "must be an object");
    int64_t ns = 0;
    if (sp_int(o, "secs", path, INT64_MIN, INT64_MAX, &t->secs, NULL, err) < 0 ||
        sp_int(o, "nanosecs", path, 0, 999999999, &ns, NULL, err) < 0)
        return -1;
    t->nanosecs = (uint32_t)ns;
    t->set = true;
    return 0;
}

static int parse_time_offsets(json_t *o, const char *path, struct spec *spec,
                              struct nook_error *err)
{
    json_t *to;
    if (sp_object(o, "timeOffsets", path, &to, err) < 0)
        return -1;
    if (!to)
        return 0;
    char tp[SP_PATH_MAX], cp[SP_PATH_MAX];
    sp_path(tp, path, "timeOffsets");
    const char *clock;
    json_t *v;
    json_object_foreach(to, clock, v) {
        sp_path(cp, tp, clock);
        struct spec_time_offset *t = strcmp(clock, "monotonic") == 0 ? &spec->time_monotonic
                                     : strcmp(clock, "boottime") == 0 ? &spec->time_boottime
                                                                      : NULL;
        if (!t)
            return sp_err(err, cp, "unknown clock (expected \"monotonic\" or \"boottime\")");
        if (parse_time_offset(v, cp, t, err) < 0)
            return -1;
    }
    return 0;
}

int sp_parse_linux(json_t *o, const char *path, struct spec *spec, struct nook_error *err)
{
    char rp[SP_PATH_MAX], sp[SP_PATH_MAX];
    sp_path(rp, path, "resources");
    sp_path(sp, path, "seccomp");
    json_t *res, *sec;
    if (sp_each(o, "namespaces", path, sizeof *spec->namespaces, (void **)&spec->namespaces,
                &spec->n_namespaces, parse_namespace, err) < 0 ||
        sp_each(o, "uidMappings", path, sizeof *spec->uid_mappings,
                (void **)&spec->uid_mappings, &spec->n_uid_mappings, parse_idmap, err) < 0 ||
        sp_each(o, "gidMappings", path, sizeof *spec->gid_mappings,
                (void **)&spec->gid_mappings, &spec->n_gid_mappings, parse_idmap, err) < 0 ||
        sp_each(o, "devices", path, sizeof *spec->devices, (void **)&spec->devices,
                &spec->n_devices, parse_device, err) < 0 ||
        sp_string(o, "cgroupsPath", path, &spec->cgroups_path, err) < 0 ||
        sp_object(o, "resources", path, &res, err) < 0)
        return -1;
    if (res) {
        spec->has_resources = true;
        if (sp_parse_resources(res, rp, &spec->resources, err) < 0)
            return -1;
    }
    if (parse_rootfs_propagation(o, path, spec, err) < 0 ||
        parse_abs_paths(o, "maskedPaths", path, &spec->masked_paths, err) < 0 ||
        parse_abs_paths(o, "readonlyPaths", path, &spec->readonly_paths, err) < 0 ||
        sp_kvlist(o, "sysctl", path, &spec->sysctl, err) < 0 ||
        sp_object(o, "seccomp", path, &sec, err) < 0)
        return -1;
    if (sec) {
        spec->has_seccomp = true;
        if (sp_parse_seccomp(sec, sp, &spec->seccomp, err) < 0)
            return -1;
    }
    if (parse_personality(o, path, spec, err) < 0 || parse_time_offsets(o, path, spec, err) < 0 ||
        sp_string(o, "mountLabel", path, &spec->mount_label, err) < 0)
        return -1;
    return 0;
}
