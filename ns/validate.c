/* ns/validate.c: the namespace checks that need the whole spec. The parser
 * checks each field alone; here settings meet the namespaces they act on. */
#include "ns.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The kernel refuses more lines in uid_map/gid_map (since Linux 4.15). */
#define IDMAP_MAX_LINES 340

/* Index in linux.namespaces of the entry of type t, or -1. Error messages
 * name the entry, which spec_find_namespace alone cannot give. */
static long namespace_index(const struct spec *spec, enum spec_ns_type t)
{
    for (size_t i = 0; i < spec->n_namespaces; i++)
        if (spec->namespaces[i].type == t)
            return (long)i;
    return -1;
}

static bool has_new_namespace(const struct spec *spec, enum spec_ns_type t)
{
    long i = namespace_index(spec, t);
    return i >= 0 && spec->namespaces[i].path == NULL;
}

/* runc sets neither name when it is "", so an empty name counts as absent. */
static bool name_is_set(const char *s)
{
    return s != NULL && *s != '\0';
}

/* Offsets can only be written before any process is in the time ns, so only
 * a new one can take them. */
static int validate_time(const struct spec *spec, struct nook_error *err)
{
    if (!spec->time_monotonic.set && !spec->time_boottime.set)
        return 0;
    if (!has_new_namespace(spec, SPEC_NS_TIME))
        return nook_error_set(err, 0,
                              "linux.timeOffsets: needs a new time namespace in linux.namespaces");
    return 0;
}

static int validate_idmap_lines(const char *field, const struct spec_idmap *m, size_t n,
                                struct nook_error *err)
{
    if (n > IDMAP_MAX_LINES)
        return nook_error_set(err, 0, "%s: %zu mappings, the kernel takes at most %d", field, n,
                              IDMAP_MAX_LINES);
    for (size_t i = 0; i < n; i++) {
        if (m[i].size == 0)
            return nook_error_set(err, 0, "%s[%zu].size: must be greater than 0", field, i);
        if ((uint64_t)m[i].container_id + m[i].size > UINT32_MAX ||
            (uint64_t)m[i].host_id + m[i].size > UINT32_MAX)
            return nook_error_set(err, 0, "%s[%zu]: range goes beyond id 4294967294", field, i);
    }
    return 0;
}

/* Mappings exist exactly when nook writes them: for a new user namespace.
 * A joined one already has its maps (they can be written only once). */
static int validate_idmap(const struct spec *spec, const char *field,
                          const struct spec_idmap *m, size_t n, struct nook_error *err)
{
    long u = namespace_index(spec, SPEC_NS_USER);
    if (u < 0) {
        if (n > 0)
            return nook_error_set(err, 0, "%s: needs a new user namespace in linux.namespaces",
                                  field);
        return 0;
    }
    if (spec->namespaces[u].path != NULL) {
        if (n > 0)
            return nook_error_set(err, 0,
                                  "%s: linux.namespaces[%ld] joins a user namespace by path, "
                                  "its mappings are already written",
                                  field, u);
        return 0;
    }
    if (n == 0)
        return nook_error_set(err, 0, "%s: a new user namespace needs at least one mapping",
                              field);
    return validate_idmap_lines(field, m, n, err);
}

/* The namespace a sysctl (in /proc/sys path form) belongs to, or
 * SPEC_NS_TYPES for a key that is global to the host. The list is runc's
 * (libcontainer/configs/validate): what the kernel really namespaces. */
static enum spec_ns_type sysctl_namespace(const char *path)
{
    static const char *const ipc_kernel_keys[] = {
        "msgmax", "msgmnb", "msgmni", "sem", "shmall", "shmmax", "shmmni", "shm_rmid_forced",
    };
    if (strncmp(path, "net/", 4) == 0)
        return SPEC_NS_NETWORK;
    if (strncmp(path, "fs/mqueue/", 10) == 0)
        return SPEC_NS_IPC;
    if (strncmp(path, "kernel/", 7) != 0)
        return SPEC_NS_TYPES;
    const char *name = path + 7;
    if (strcmp(name, "hostname") == 0 || strcmp(name, "domainname") == 0)
        return SPEC_NS_UTS;
    for (size_t i = 0; i < sizeof ipc_kernel_keys / sizeof ipc_kernel_keys[0]; i++)
        if (strcmp(name, ipc_kernel_keys[i]) == 0)
            return SPEC_NS_IPC;
    return SPEC_NS_TYPES;
}

/* Names under /proc/self/ns, indexed by enum spec_ns_type. */
static const char *const proc_ns_names[SPEC_NS_TYPES] = {
    [SPEC_NS_PID] = "pid",   [SPEC_NS_NETWORK] = "net", [SPEC_NS_MOUNT] = "mnt",
    [SPEC_NS_IPC] = "ipc",   [SPEC_NS_UTS] = "uts",     [SPEC_NS_USER] = "user",
    [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

/* A joined namespace counts as private unless it is nook's own: joining
 * /proc/1/ns/net and setting net.* would change the host (runc refuses that
 * for the network namespace; the same holds for ipc and uts). 1 (with err
 * naming field) when it is nook's own, 0 when not, -1 on error. */
static int joined_is_ours(const struct spec *spec, long idx, const char *field,
                          struct nook_error *err)
{
    const struct spec_namespace *ns = &spec->namespaces[idx];
    char own[64];
    snprintf(own, sizeof own, "/proc/self/ns/%s", proc_ns_names[ns->type]);
    struct stat joined, ours;
    if (stat(ns->path, &joined) < 0)
        return nook_error_sys(err, "linux.namespaces[%ld].path: stat %s", idx, ns->path);
    if (stat(own, &ours) < 0)
        return nook_error_sys(err, "stat %s", own);
    if (joined.st_dev == ours.st_dev && joined.st_ino == ours.st_ino) {
        nook_error_set(err, 0, "%s: linux.namespaces[%ld].path %s is the host's %s namespace",
                       field, idx, ns->path, spec_ns_type_names[ns->type]);
        return 1;
    }
    return 0;
}

/* Without a uts namespace of the container's (new, or joined by path as
 * runc allows: the names are then set in the joined one) sethostname would
 * rename the host; joining nook's own is the same. */
static int validate_uts_name(const struct spec *spec, const char *field, const char *name,
                             struct nook_error *err)
{
    if (!name_is_set(name))
        return 0;
    long idx = namespace_index(spec, SPEC_NS_UTS);
    if (idx < 0)
        return nook_error_set(err, 0, "%s: needs a uts namespace in linux.namespaces", field);
    if (spec->namespaces[idx].path && joined_is_ours(spec, idx, field, err) != 0)
        return -1;
    return 0;
}

static int validate_uts(const struct spec *spec, struct nook_error *err)
{
    if (validate_uts_name(spec, "hostname", spec->hostname, err) < 0 ||
        validate_uts_name(spec, "domainname", spec->domainname, err) < 0)
        return -1;
    return 0;
}

static int validate_sysctl_key(const struct spec *spec, const char *key, const char *path,
                               struct nook_error *err)
{
    enum spec_ns_type t = sysctl_namespace(path);
    if (t == SPEC_NS_TYPES)
        return nook_error_set(err, 0,
                              "linux.sysctl[\"%s\"]: not namespaced, refusing to set it for a "
                              "container",
                              key);
    /* Two settings for one value: which wins would depend on the order
     * nook applies them in. */
    if ((strcmp(path, "kernel/hostname") == 0 && name_is_set(spec->hostname)) ||
        (strcmp(path, "kernel/domainname") == 0 && name_is_set(spec->domainname)))
        return nook_error_set(err, 0, "linux.sysctl[\"%s\"]: conflicts with %s", key,
                              path + 7);
    long idx = namespace_index(spec, t);
    if (idx < 0)
        return nook_error_set(err, 0,
                              "linux.sysctl[\"%s\"]: needs a private %s namespace in "
                              "linux.namespaces",
                              key, spec_ns_type_names[t]);
    if (spec->namespaces[idx].path != NULL) {
        char field[320];
        snprintf(field, sizeof field, "linux.sysctl[\"%s\"]", key);
        return joined_is_ours(spec, idx, field, err) != 0 ? -1 : 0;
    }
    return 0;
}

static int validate_sysctl(const struct spec *spec, struct nook_error *err)
{
    for (size_t i = 0; i < spec->sysctl.n; i++) {
        const char *key = spec->sysctl.v[i].key;
        char *path = ns_sysctl_path(key);
        if (path == NULL)
            return nook_error_set(err, 0,
                                  "linux.sysctl[\"%s\"]: not a valid sysctl name (empty, \".\" "
                                  "or \"..\" component)",
                                  key);
        int r = validate_sysctl_key(spec, key, path, err);
        free(path);
        if (r < 0)
            return -1;
    }
    return 0;
}

int ns_validate(const struct spec *spec, struct nook_error *err)
{
    if (validate_uts(spec, err) < 0 || validate_time(spec, err) < 0 ||
        validate_idmap(spec, "linux.uidMappings", spec->uid_mappings, spec->n_uid_mappings,
                       err) < 0 ||
        validate_idmap(spec, "linux.gidMappings", spec->gid_mappings, spec->n_gid_mappings,
                       err) < 0 ||
        validate_sysctl(spec, err) < 0)
        return -1;
    return 0;
}
