/* `nook sandbox`: the config.json of `nook spec` (rootless when nook runs
 * unprivileged) with the command-line options applied. The result is an
 * ordinary config.json (what --print-config shows and `nook run` accepts);
 * the root is an overlay (org.nook.rootfs.lower) over the host's / or
 * --rootfs, with its upper layer on a tmpfs unless --overlay-dir names one. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "../rootfs/rootfs.h"

#define OOM_ANNOTATION "org.nook.oom"

/* Not inheritable: caps there would survive into programs exec'd by a
 * non-root user (CVE-2022-27651). */
static const char *const cap_sets[] = {"bounding", "effective", "permitted", "ambient"};

static int set_strings(json_t *obj, const char *key, char *const *v, size_t n,
                       const char *what, struct nook_error *err)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_string(v[i]);
        if (!s) {
            json_decref(a);
            return nook_error_set(err, 0, "%s: \"%s\" is not UTF-8", what, v[i]);
        }
        json_array_append_new(a, s);
    }
    json_object_set_new(obj, key, a);
    return 0;
}

static bool strv_has(json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (!strcmp(json_string_value(v), s))
            return true;
    return false;
}

/* --cap-drop then --cap-add, on every set the default process has. */
static void apply_caps(json_t *process, const struct spec_sandbox *sb)
{
    json_t *caps = json_object_get(process, "capabilities");
    for (size_t k = 0; k < sizeof cap_sets / sizeof cap_sets[0]; k++) {
        json_t *set = json_object_get(caps, cap_sets[k]);
        for (size_t i = 0; i < sb->n_cap_drop; i++) {
            if (!strcmp(sb->cap_drop[i], "ALL")) {
                json_array_clear(set);
                continue;
            }
            size_t j;
            json_t *v;
            json_array_foreach(set, j, v)
                if (!strcmp(json_string_value(v), sb->cap_drop[i])) {
                    json_array_remove(set, j);
                    break;
                }
        }
        for (size_t i = 0; i < sb->n_cap_add; i++)
            if (!strv_has(set, sb->cap_add[i]))
                json_array_append_new(set, json_string(sb->cap_add[i]));
    }
}

static int apply_process(json_t *doc, const struct spec_sandbox *sb, struct nook_error *err)
{
    json_t *p = json_object_get(doc, "process");
    json_object_set_new(p, "terminal", json_boolean(sb->terminal));
    if (set_strings(p, "args", sb->args, sb->n_args, "command", err) < 0 ||
        set_strings(p, "env", sb->env, sb->n_env, "environment", err) < 0)
        return -1;
    json_t *cwd = json_string(sb->cwd);
    if (!cwd)
        return nook_error_set(err, 0, "--chdir: \"%s\" is not UTF-8", sb->cwd);
    json_object_set_new(p, "cwd", cwd);
    if (sb->has_user)
        json_object_set_new(p, "user", json_pack("{s:I, s:I}", "uid", (json_int_t)sb->uid,
                                                 "gid", (json_int_t)sb->gid));
    apply_caps(p, sb);
    return 0;
}

static int mount_json(const struct spec_sandbox_mount *m, json_t **out, struct nook_error *err)
{
    json_t *dst = json_string(m->destination);
    json_t *src = json_string(m->tmpfs ? "tmpfs" : m->source);
    if (!dst || !src) {
        json_decref(dst);
        json_decref(src);
        return nook_error_set(err, 0, "%s: \"%s\" is not UTF-8",
                              m->tmpfs ? "--tmpfs" : m->readonly ? "--ro-bind" : "--bind",
                              !dst ? m->destination : m->source);
    }
    json_t *o = json_object();
    json_object_set_new(o, "destination", dst);
    json_object_set_new(o, "source", src);
    if (m->tmpfs) {
        json_object_set_new(o, "type", json_string("tmpfs"));
        json_object_set_new(o, "options", json_pack("[s, s, s]", "nosuid", "nodev", "mode=1777"));
    } else {
        json_object_set_new(o, "type", json_string("bind"));
        json_t *opts = json_pack("[s]", "rbind");
        if (m->readonly)
            json_array_append_new(opts, json_string("ro"));
        json_object_set_new(o, "options", opts);
    }
    *out = o;
    return 0;
}

static int apply_mounts(json_t *doc, const struct spec_sandbox *sb, struct nook_error *err)
{
    json_t *mounts = json_object_get(doc, "mounts");
    /* No cgroupfs view: a sandboxed command has no business there, and on
     * a v1 host it costs a mount per controller. */
    size_t i;
    json_t *v;
    json_array_foreach(mounts, i, v)
        if (!strcmp(json_string_value(json_object_get(v, "destination")), "/sys/fs/cgroup")) {
            json_array_remove(mounts, i);
            break;
        }
    /* A fresh /tmp: the host's is not the sandbox's business. */
    struct spec_sandbox_mount tmp = {.tmpfs = true, .destination = "/tmp"};
    json_t *m;
    if (mount_json(&tmp, &m, err) < 0)
        return -1;
    json_array_append_new(mounts, m);
    for (i = 0; i < sb->n_mounts; i++) {
        if (mount_json(&sb->mounts[i], &m, err) < 0)
            return -1;
        json_array_append_new(mounts, m);
    }
    return 0;
}

static int apply_root(json_t *doc, const struct spec_sandbox *sb, struct nook_error *err)
{
    json_t *path = json_string(sb->upper ? sb->upper : sb->lower);
    json_t *lower = json_string(sb->lower);
    if (!path || !lower) {
        json_decref(path);
        json_decref(lower);
        return nook_error_set(err, 0, "%s: not UTF-8", sb->upper ? "--overlay-dir" : "--rootfs");
    }
    json_object_set_new(doc, "root", json_pack("{s:o, s:b}", "path", path, "readonly", 0));
    json_t *a = json_object();
    json_object_set_new(a, ROOTFS_ANNOT_LOWER, lower);
    json_object_set_new(a, ROOTFS_ANNOT_VOLATILE, json_string(sb->upper ? "false" : "true"));
    if (sb->oom)
        json_object_set_new(a, OOM_ANNOTATION, json_string(sb->oom));
    if (!sb->as_pid_1)
        json_object_set_new(a, SPEC_ANNOT_SANDBOX_INIT, json_string("true"));
    json_object_set_new(doc, "annotations", a);
    if (sb->hostname) {
        json_t *h = json_string(sb->hostname);
        if (!h)
            return nook_error_set(err, 0, "--hostname: not UTF-8");
        json_object_set_new(doc, "hostname", h);
    }
    return 0;
}

static void apply_namespaces(json_t *linux_obj, const struct spec_sandbox *sb)
{
    json_t *ns = json_object_get(linux_obj, "namespaces");
    size_t i;
    json_t *v;
    json_array_foreach(ns, i, v)
        if (!strcmp(json_string_value(json_object_get(v, "type")), "network")) {
            json_array_remove(ns, i);
            break;
        }
    if (!sb->net_host)
        json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
    if (sb->rootless) {
        /* The one id an unprivileged user may map: its own, as the
         * sandbox's user (root unless --user). */
        json_object_set_new(linux_obj, "uidMappings",
                            json_pack("[{s:I, s:I, s:i}]", "containerID",
                                      (json_int_t)(sb->has_user ? sb->uid : 0), "hostID",
                                      (json_int_t)sb->host_uid, "size", 1));
        json_object_set_new(linux_obj, "gidMappings",
                            json_pack("[{s:I, s:I, s:i}]", "containerID",
                                      (json_int_t)(sb->has_user ? sb->gid : 0), "hostID",
                                      (json_int_t)sb->host_gid, "size", 1));
    }
}

static void apply_resources(json_t *linux_obj, const struct spec_sandbox *sb)
{
    json_t *r = json_object_get(linux_obj, "resources");
    if (!r && (sb->has_memory || sb->has_memory_swap || sb->has_cpus || sb->has_pids)) {
        r = json_object();
        json_object_set_new(linux_obj, "resources", r);
    }
    if (sb->has_memory || sb->has_memory_swap) {
        json_t *m = json_object();
        if (sb->has_memory)
            json_object_set_new(m, "limit", json_integer(sb->memory));
        if (sb->has_memory_swap)
            json_object_set_new(m, "swap", json_integer(sb->memory_swap));
        json_object_set_new(r, "memory", m);
    }
    if (sb->has_cpus)
        json_object_set_new(r, "cpu", json_pack("{s:I, s:I}", "quota", (json_int_t)sb->cpu_quota,
                                                "period", (json_int_t)sb->cpu_period));
    if (sb->has_pids)
        json_object_set_new(r, "pids", json_pack("{s:I}", "limit", (json_int_t)sb->pids));
}

static int apply_seccomp(json_t *linux_obj, const struct spec_sandbox *sb, struct nook_error *err)
{
    if (sb->seccomp == SPEC_SANDBOX_SECCOMP_NONE) {
        json_object_del(linux_obj, "seccomp");
    } else if (sb->seccomp == SPEC_SANDBOX_SECCOMP_FILE) {
        json_t *s = sp_load_json_file(sb->seccomp_file, NULL, err);
        if (!s)
            return nook_error_wrap(err, "--seccomp %s", sb->seccomp_file);
        if (!json_is_object(s)) {
            json_decref(s);
            return nook_error_set(err, 0, "--seccomp %s: not a linux.seccomp object",
                                  sb->seccomp_file);
        }
        json_object_set_new(linux_obj, "seccomp", s);
    }
    return 0;
}

int spec_sandbox_config(const struct spec_sandbox *sb, char **json, struct nook_error *err)
{
    char *base = spec_default_config(sb->rootless);
    json_t *doc = sp_load_json(base, strlen(base), NULL, err);
    free(base);
    if (!doc)
        return -1;
    json_t *linux_obj = json_object_get(doc, "linux");
    if (apply_process(doc, sb, err) < 0 || apply_root(doc, sb, err) < 0 ||
        apply_mounts(doc, sb, err) < 0 || apply_seccomp(linux_obj, sb, err) < 0) {
        json_decref(doc);
        return -1;
    }
    apply_namespaces(linux_obj, sb);
    apply_resources(linux_obj, sb);
    char *text = sp_dump(doc, JSON_INDENT(2));
    *json = xasprintf("%s\n", text);
    free(text);
    return 0;
}

bool spec_sandbox_wants_init(const struct spec *spec)
{
    const char *v = spec_annotation(spec, SPEC_ANNOT_SANDBOX_INIT);
    return v && strcmp(v, "true") == 0;
}
