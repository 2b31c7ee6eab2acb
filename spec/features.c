/* `nook features` (runtime-spec features.md): what this build can do. The
 * lists that depend on libcap/libseccomp come from the caller. */
#include "internal.h"

static json_t *enabled(bool on)
{
    return json_pack("{s:b}", "enabled", on);
}

static json_t *linux_features(const struct spec_features *f)
{
    json_t *l = json_object();
    json_object_set_new(l, "namespaces",
                        sp_json_str_array(spec_ns_type_names, SPEC_NS_TYPES));
    json_object_set_new(l, "capabilities", sp_json_strv(&f->capabilities));
    /* nook has no separate user-systemd driver: it is there iff systemd is. */
    json_object_set_new(l, "cgroup",
                        json_pack("{s:b, s:b, s:b, s:b, s:b}", "v1", f->cgroup_v1, "v2",
                                  f->cgroup_v2, "systemd", f->cgroup_systemd, "systemdUser",
                                  f->cgroup_systemd, "rdma", f->cgroup_rdma));
    json_t *sec = json_object();
    json_object_set_new(sec, "enabled", json_boolean(f->seccomp_enabled));
    json_object_set_new(sec, "actions", sp_json_strv(&f->seccomp_actions));
    json_object_set_new(sec, "operators", sp_json_strv(&f->seccomp_operators));
    json_object_set_new(sec, "archs", sp_json_strv(&f->seccomp_archs));
    json_object_set_new(sec, "knownFlags", sp_json_strv(&f->seccomp_flags));
    json_object_set_new(sec, "supportedFlags", sp_json_strv(&f->seccomp_supported_flags));
    json_object_set_new(l, "seccomp", sec);
    json_object_set_new(l, "apparmor", enabled(f->apparmor));
    json_object_set_new(l, "selinux", enabled(f->selinux));
    json_object_set_new(l, "intelRdt", enabled(false));
    json_object_set_new(l, "mountExtensions", json_pack("{s:o}", "idmap", enabled(false)));
    return l;
}

char *spec_features_json(const struct spec_features *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "ociVersionMin", json_string("1.0.0"));
    json_object_set_new(o, "ociVersionMax", json_string(SPEC_OCI_VERSION));
    json_object_set_new(o, "hooks",
                        sp_json_str_array(spec_hook_names, SPEC_HOOK_KINDS));
    json_object_set_new(o, "mountOptions", sp_json_mount_options());
    json_object_set_new(o, "linux", linux_features(f));
    json_t *a = json_pack("{s:s}", "org.nook.version", f->version ? f->version : "");
    if (f->oom_freeze)
        json_object_set_new(a, "org.nook.oom.freeze", json_string(f->oom_freeze));
    json_object_set_new(o, "annotations", a);
    return sp_dump(o, JSON_INDENT(2));
}
