/* `nook spec [--rootless]`: the starting config.json, the same document
 * runc's `runc spec` writes (libcontainer/specconv Example and ToRootless),
 * with hostname "nook" and, unlike runc's, a default seccomp profile
 * (default_seccomp.c) as Docker gives its containers. */
#include "internal.h"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct default_mount {
    const char *destination, *type, *source;
    const char *options[8]; /* NULL-terminated */
};

static const struct default_mount default_mounts[] = {
    {"/proc", "proc", "proc", {NULL}},
    {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k", NULL}},
    {"/dev/pts", "devpts", "devpts",
     {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL}},
    {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL}},
    {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev", NULL}},
    {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro", NULL}},
    {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro", NULL}},
};

/* Without CAP_SYS_ADMIN in the initial user namespace sysfs cannot be
 * mounted, so rootless containers get the host's /sys bound in. */
static const struct default_mount rootless_sys = {
    "/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro", NULL}};

static const char *const default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};

static const char *const masked_paths[] = {
    "/proc/acpi",        "/proc/asound",     "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
    "/proc/scsi",        "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static json_t *process_json(void)
{
    json_t *p = json_object();
    json_object_set_new(p, "terminal", json_true());
    json_object_set_new(p, "user", json_pack("{s:i, s:i}", "uid", 0, "gid", 0));
    json_object_set_new(p, "args", json_pack("[s]", "sh"));
    json_object_set_new(p, "env",
                        json_pack("[s, s]",
                                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                  "TERM=xterm"));
    json_object_set_new(p, "cwd", json_string("/"));
    json_t *caps = json_object();
    const char *sets[] = {"bounding", "effective", "permitted", "ambient"};
    for (size_t i = 0; i < COUNT(sets); i++)
        json_object_set_new(caps, sets[i], sp_json_str_array(default_caps, COUNT(default_caps)));
    json_object_set_new(p, "capabilities", caps);
    json_object_set_new(p, "rlimits", json_pack("[{s:s, s:i, s:i}]", "type", "RLIMIT_NOFILE",
                                                "hard", 1024, "soft", 1024));
    json_object_set_new(p, "noNewPrivileges", json_true());
    return p;
}

/* ToRootless also drops "gid=" options: group 5 is not mapped. */
static json_t *mount_json(const struct default_mount *m, bool rootless)
{
    json_t *o = json_object();
    json_object_set_new(o, "destination", json_string(m->destination));
    json_object_set_new(o, "type", json_string(m->type));
    json_object_set_new(o, "source", json_string(m->source));
    if (m->options[0]) {
        json_t *opts = json_array();
        for (size_t i = 0; m->options[i]; i++)
            if (!rootless || strncmp(m->options[i], "gid=", 4) != 0)
                json_array_append_new(opts, json_string(m->options[i]));
        json_object_set_new(o, "options", opts);
    }
    return o;
}

static json_t *mounts_json(bool rootless)
{
    json_t *a = json_array();
    for (size_t i = 0; i < COUNT(default_mounts); i++) {
        const struct default_mount *m = &default_mounts[i];
        if (rootless && strcmp(m->type, "sysfs") == 0)
            m = &rootless_sys;
        json_array_append_new(a, mount_json(m, rootless));
    }
    return a;
}

/* As current runc's `spec`: a cgroup namespace only where /sys/fs/cgroup is
 * cgroup2 alone (on a v1 or hybrid host runc's tests add one themselves and a
 * second would be a duplicate). */
static bool pure_cgroup_v2_host(void)
{
    struct statfs sfs;
    return statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static json_t *namespaces_json(bool rootless)
{
    /* Rootless: no network namespace (nothing could configure it), and a user
     * namespace that maps the caller to root. */
    const char *types[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", "user"};
    json_t *a = json_array();
    for (size_t i = 0; i < COUNT(types); i++) {
        bool want = strcmp(types[i], "network") == 0  ? !rootless
                    : strcmp(types[i], "user") == 0   ? rootless
                    : strcmp(types[i], "cgroup") == 0 ? pure_cgroup_v2_host()
                                                      : true;
        if (want)
            json_array_append_new(a, json_pack("{s:s}", "type", types[i]));
    }
    return a;
}

static json_t *linux_json(bool rootless)
{
    json_t *l = json_object();
    if (rootless) {
        json_object_set_new(l, "uidMappings",
                            json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)geteuid(), "size", 1));
        json_object_set_new(l, "gidMappings",
                            json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)getegid(), "size", 1));
    } else {
        /* Deny every device; the runtime allows the default ones itself. */
        json_object_set_new(l, "resources",
                            json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access",
                                      "rwm"));
    }
    json_object_set_new(l, "namespaces", namespaces_json(rootless));
    json_object_set_new(l, "maskedPaths", sp_json_str_array(masked_paths, COUNT(masked_paths)));
    json_object_set_new(l, "readonlyPaths",
                        sp_json_str_array(readonly_paths, COUNT(readonly_paths)));
    json_object_set_new(l, "seccomp", sp_default_seccomp_json());
    return l;
}

char *spec_default_config(bool rootless)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "ociVersion", json_string(SPEC_OCI_VERSION));
    json_object_set_new(doc, "process", process_json());
    json_object_set_new(doc, "root", json_pack("{s:s, s:b}", "path", "rootfs", "readonly", 1));
    json_object_set_new(doc, "hostname", json_string("nook"));
    json_object_set_new(doc, "mounts", mounts_json(rootless));
    json_object_set_new(doc, "linux", linux_json(rootless));
    char *text = sp_dump(doc, JSON_INDENT(2));
    char *out = xasprintf("%s\n", text);
    free(text);
    return out;
}
