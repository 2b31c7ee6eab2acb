/* state.json (nook's record of a container), the OCI state document that
 * `nook state` prints and hooks read, `list --format json`, and the state a
 * seccomp agent receives. */
#include "internal.h"

#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

const char *const nook_status_names[] = {
    [NOOK_STATUS_CREATING] = "creating", [NOOK_STATUS_CREATED] = "created",
    [NOOK_STATUS_RUNNING] = "running",   [NOOK_STATUS_STOPPED] = "stopped",
    [NOOK_STATUS_PAUSED] = "paused",
};
#define N_STATUS (sizeof nook_status_names / sizeof nook_status_names[0])

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

static json_t *kvlist_json(const struct spec_kvlist *l)
{
    json_t *o = json_object();
    for (size_t i = 0; i < l->n; i++)
        json_object_set_new(o, l->v[i].key, json_string(l->v[i].value));
    return o;
}

/* The fields runtime.md defines, in the order it lists them. */
static json_t *runtime_state_json(const struct nook_state *st)
{
    json_t *o = json_object();
    set_str(o, "ociVersion", st->oci_version ? st->oci_version : SPEC_OCI_VERSION);
    set_str(o, "id", st->id);
    set_str(o, "status", nook_status_names[st->status]);
    json_object_set_new(o, "pid", json_integer(st->pid));
    set_str(o, "bundle", st->bundle);
    if (st->annotations.n > 0)
        json_object_set_new(o, "annotations", kvlist_json(&st->annotations));
    return o;
}

/* The shape `runc state` and `runc list` print; owner is a user name that
 * only `list` fills in. */
static json_t *runc_state_json(const struct nook_state *st, const char *owner)
{
    json_t *o = json_object();
    set_str(o, "ociVersion", st->oci_version ? st->oci_version : SPEC_OCI_VERSION);
    set_str(o, "id", st->id);
    json_object_set_new(o, "pid", json_integer(st->pid));
    set_str(o, "status", nook_status_names[st->status]);
    set_str(o, "bundle", st->bundle);
    set_str(o, "rootfs", st->rootfs ? st->rootfs : "");
    set_str(o, "created", st->created ? st->created : "");
    if (st->annotations.n > 0)
        json_object_set_new(o, "annotations", kvlist_json(&st->annotations));
    set_str(o, "owner", owner);
    return o;
}

char *spec_state_oci_json(const struct nook_state *st)
{
    return sp_dump(runc_state_json(st, ""), JSON_INDENT(2));
}

/* runc shows "#<uid>" for an owner without a passwd entry. */
static char *owner_name(uid_t uid)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found)
        return xstrdup(found->pw_name);
    return xasprintf("#%u", (unsigned)uid);
}

char *spec_state_list_json(const struct nook_state *states, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char *owner = owner_name(states[i].owner);
        json_array_append_new(a, runc_state_json(&states[i], owner));
        free(owner);
    }
    return sp_dump(a, JSON_COMPACT);
}

char *spec_seccomp_state_json(const struct nook_state *st, const char *metadata)
{
    json_t *o = json_object();
    set_str(o, "ociVersion", SPEC_OCI_VERSION);
    json_t *fds = json_array();
    json_array_append_new(fds, json_string("seccompFd"));
    json_object_set_new(o, "fds", fds);
    json_object_set_new(o, "pid", json_integer(st->pid));
    set_str(o, "metadata", metadata);
    json_object_set_new(o, "state", runtime_state_json(st));
    return sp_dump(o, JSON_COMPACT);
}

char *spec_state_file_json(const struct nook_state *st)
{
    json_t *o = runtime_state_json(st);
    if (!json_object_get(o, "annotations"))
        json_object_set_new(o, "annotations", json_object());
    set_str(o, "rootfs", st->rootfs);
    set_str(o, "created", st->created);
    json_object_set_new(o, "owner", json_integer(st->owner));
    json_object_set_new(o, "pidStartTime", json_integer((json_int_t)st->pid_start_time));
    set_str(o, "cgroupPath", st->cgroup_path);
    set_str(o, "cgroupBackend", st->cgroup_backend);
    if (st->cgroup_paths.n > 0)
        json_object_set_new(o, "cgroupPaths", kvlist_json(&st->cgroup_paths));
    if (st->cgroup_shared)
        json_object_set_new(o, "cgroupShared", json_true());
    json_object_set_new(o, "overlay", json_boolean(st->overlay));
    json_object_set_new(o, "overlayVolatile", json_boolean(st->overlay_volatile));
    set_str(o, "overlayUpper", st->overlay_upper);
    set_str(o, "overlayWork", st->overlay_work);
    if (st->oom_monitor_pid > 0) {
        json_object_set_new(o, "oomMonitorPid", json_integer(st->oom_monitor_pid));
        json_object_set_new(o, "oomMonitorStartTime",
                            json_integer((json_int_t)st->oom_monitor_start_time));
    }
    return sp_dump(o, JSON_INDENT(2));
}

static int parse_status(json_t *doc, struct nook_state *st, struct nook_error *err)
{
    char *status = NULL;
    if (sp_require(doc, "status", "", err) < 0 || sp_string(doc, "status", "", &status, err) < 0)
        return -1;
    for (size_t i = 0; i < N_STATUS; i++) {
        if (strcmp(status, nook_status_names[i]) == 0) {
            st->status = (enum nook_status)i;
            free(status);
            return 0;
        }
    }
    sp_err(err, "status", "unknown status \"%s\"", status);
    free(status);
    return -1;
}

static int parse_state(json_t *doc, struct nook_state *st, struct nook_error *err)
{
    if (!json_is_object(doc))
        return nook_error_set(err, 0, "state.json: must be a JSON object");
    int64_t pid = 0, owner = 0, start = 0, mon = 0, mon_start = 0;
    if (sp_require(doc, "id", "", err) < 0 || sp_require(doc, "bundle", "", err) < 0 ||
        sp_string(doc, "ociVersion", "", &st->oci_version, err) < 0 ||
        sp_string(doc, "id", "", &st->id, err) < 0 || parse_status(doc, st, err) < 0 ||
        sp_int(doc, "pid", "", 0, INT_MAX, &pid, NULL, err) < 0 ||
        sp_string(doc, "bundle", "", &st->bundle, err) < 0 ||
        sp_kvlist(doc, "annotations", "", &st->annotations, err) < 0 ||
        sp_string(doc, "rootfs", "", &st->rootfs, err) < 0 ||
        sp_string(doc, "created", "", &st->created, err) < 0 ||
        sp_int(doc, "owner", "", 0, UINT32_MAX, &owner, NULL, err) < 0 ||
        sp_int(doc, "pidStartTime", "", 0, INT64_MAX, &start, NULL, err) < 0 ||
        sp_string(doc, "cgroupPath", "", &st->cgroup_path, err) < 0 ||
        sp_string(doc, "cgroupBackend", "", &st->cgroup_backend, err) < 0 ||
        sp_kvlist(doc, "cgroupPaths", "", &st->cgroup_paths, err) < 0 ||
        sp_bool(doc, "cgroupShared", "", &st->cgroup_shared, NULL, err) < 0 ||
        sp_bool(doc, "overlay", "", &st->overlay, NULL, err) < 0 ||
        sp_bool(doc, "overlayVolatile", "", &st->overlay_volatile, NULL, err) < 0 ||
        sp_string(doc, "overlayUpper", "", &st->overlay_upper, err) < 0 ||
        sp_string(doc, "overlayWork", "", &st->overlay_work, err) < 0 ||
        sp_int(doc, "oomMonitorPid", "", 0, INT_MAX, &mon, NULL, err) < 0 ||
        sp_int(doc, "oomMonitorStartTime", "", 0, INT64_MAX, &mon_start, NULL, err) < 0)
        return -1;
    st->oom_monitor_pid = (pid_t)mon;
    st->oom_monitor_start_time = (unsigned long long)mon_start;
    st->pid = (pid_t)pid;
    st->owner = (uid_t)owner;
    st->pid_start_time = (unsigned long long)start;
    return 0;
}

int spec_state_parse(const char *json, size_t len, struct nook_state *st, struct nook_error *err)
{
    memset(st, 0, sizeof *st);
    json_t *doc = sp_load_json(json, len, "state.json", err);
    if (!doc)
        return -1;
    int r = parse_state(doc, st, err);
    json_decref(doc);
    if (r < 0)
        spec_state_free(st);
    return r;
}

void spec_state_free(struct nook_state *st)
{
    free(st->oci_version);
    free(st->id);
    free(st->bundle);
    spec_kvlist_free(&st->annotations);
    free(st->rootfs);
    free(st->created);
    free(st->cgroup_path);
    free(st->cgroup_backend);
    spec_kvlist_free(&st->cgroup_paths);
    free(st->overlay_upper);
    free(st->overlay_work);
    memset(st, 0, sizeof *st);
}

char *spec_json_int_array(const int *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return sp_dump(a, JSON_COMPACT);
}

char *spec_json_string_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return sp_dump(a, JSON_COMPACT);
}

int spec_json_string_array_parse(const char *json, size_t len, struct spec_strv *out,
                                 struct nook_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *a = json_loadb(json, len, 0, &je);
    if (!a || !json_is_array(a)) {
        json_decref(a);
        return nook_error_set(err, 0, "not a JSON array of strings");
    }
    size_t n = json_array_size(a);
    out->v = xcalloc(n + 1, sizeof *out->v);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!s) {
            json_decref(a);
            sp_strv_free(out);
            return nook_error_set(err, 0, "[%zu]: not a string", i);
        }
        out->v[out->n++] = xstrdup(s);
    }
    json_decref(a);
    return 0;
}

void spec_strv_free(struct spec_strv *v)
{
    sp_strv_free(v);
}
