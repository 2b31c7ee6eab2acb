/* spec/sandbox.c: `nook sandbox`'s options into a config.json that parses
 * back (spec_parse) into what the options asked for. */
#include "unit.h"
#include "../../spec/spec.h"

#include <stdlib.h>

static bool strv_has(const struct spec_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->v[i], s))
            return true;
    return false;
}

static const struct spec_mount *mount_at(const struct spec *s, const char *dst)
{
    const struct spec_mount *found = NULL;
    for (size_t i = 0; i < s->n_mounts; i++)
        if (!strcmp(s->mounts[i].destination, dst))
            found = &s->mounts[i];
    return found;
}

/* Build, parse back; 0 on success. */
static int build(const struct spec_sandbox *sb, struct spec *s, struct nook_error *err)
{
    char *json;
    if (spec_sandbox_config(sb, &json, err) < 0)
        return -1;
    int r = spec_parse(json, strlen(json), s, err);
    if (r < 0)
        fprintf(stderr, "sandbox config does not parse: %s\n", err->msg);
    free(json);
    return r;
}

static char *args[] = {"sh", "-c", "echo hi"};
static char *env[] = {"PATH=/bin", "A=1"};

static struct spec_sandbox base(void)
{
    struct spec_sandbox sb = {.args = args, .n_args = 3, .env = env, .n_env = 2,
                              .lower = "/", .cwd = "/work", .hostname = "box"};
    return sb;
}

static void test_defaults(void)
{
    struct spec_sandbox sb = base();
    struct spec s;
    struct nook_error err;
    CHECK(build(&sb, &s, &err) == 0);
    CHECK(s.process.args.n == 3);
    CHECK_STR(s.process.args.v[2], "echo hi");
    CHECK(s.process.env.n == 2 && !strcmp(s.process.env.v[1], "A=1"));
    CHECK_STR(s.process.cwd, "/work");
    CHECK(!s.process.terminal);
    CHECK(s.process.user.uid == 0 && s.process.user.gid == 0);
    CHECK(s.process.no_new_privileges);
    CHECK(s.has_seccomp);
    CHECK(strv_has(&s.process.capabilities.bounding, "CAP_KILL"));
    CHECK_STR(s.root.path, "/");
    CHECK(!s.root.readonly);
    CHECK_STR(spec_annotation(&s, "org.nook.rootfs.lower"), "/");
    CHECK_STR(spec_annotation(&s, "org.nook.rootfs.volatile"), "true");
    CHECK(spec_annotation(&s, "org.nook.oom") == NULL);
    CHECK_STR(s.hostname, "box");
    const struct spec_namespace *net = spec_find_namespace(&s, SPEC_NS_NETWORK);
    CHECK(net && !net->path);
    CHECK(spec_find_namespace(&s, SPEC_NS_USER) == NULL);
    const struct spec_mount *tmp = mount_at(&s, "/tmp");
    CHECK(tmp && !strcmp(tmp->type, "tmpfs"));
    CHECK(mount_at(&s, "/proc") != NULL);
    CHECK(mount_at(&s, "/sys/fs/cgroup") == NULL);
    CHECK(!s.has_resources || (!s.resources.memory.has_limit && !s.resources.pids.has_limit));
    spec_free(&s);
}

static void test_options(void)
{
    char *add[] = {"CAP_NET_ADMIN"}, *drop[] = {"CAP_KILL"};
    struct spec_sandbox_mount mounts[] = {
        {.source = "/srv/data", .destination = "/data"},
        {.readonly = true, .source = "/etc/hosts", .destination = "/h"},
        {.tmpfs = true, .destination = "/scratch"},
    };
    struct spec_sandbox sb = base();
    sb.upper = "/keep/upper";
    sb.mounts = mounts;
    sb.n_mounts = 3;
    sb.has_user = true;
    sb.uid = 1000;
    sb.gid = 100;
    sb.net_host = true;
    sb.terminal = true;
    sb.has_memory = sb.has_memory_swap = sb.has_cpus = sb.has_pids = true;
    sb.memory = 32 << 20;
    sb.memory_swap = -1;
    sb.cpu_quota = 50000;
    sb.cpu_period = 100000;
    sb.pids = 20;
    sb.oom = "freeze";
    sb.cap_add = add;
    sb.n_cap_add = 1;
    sb.cap_drop = drop;
    sb.n_cap_drop = 1;
    sb.seccomp = SPEC_SANDBOX_SECCOMP_NONE;
    struct spec s;
    struct nook_error err;
    CHECK(build(&sb, &s, &err) == 0);
    CHECK(s.process.terminal);
    CHECK(s.process.user.uid == 1000 && s.process.user.gid == 100);
    CHECK_STR(s.root.path, "/keep/upper");
    CHECK_STR(spec_annotation(&s, "org.nook.rootfs.volatile"), "false");
    CHECK_STR(spec_annotation(&s, "org.nook.oom"), "freeze");
    CHECK(spec_find_namespace(&s, SPEC_NS_NETWORK) == NULL);
    const struct spec_mount *m = mount_at(&s, "/data");
    CHECK(m && !strcmp(m->source, "/srv/data") && strv_has(&m->options, "rbind") &&
          !strv_has(&m->options, "ro"));
    m = mount_at(&s, "/h");
    CHECK(m && strv_has(&m->options, "ro"));
    m = mount_at(&s, "/scratch");
    CHECK(m && !strcmp(m->type, "tmpfs"));
    CHECK(s.has_resources);
    CHECK(s.resources.memory.has_limit && s.resources.memory.limit == 32 << 20);
    CHECK(s.resources.memory.has_swap && s.resources.memory.swap == -1);
    CHECK(s.resources.cpu.has_quota && s.resources.cpu.quota == 50000);
    CHECK(s.resources.cpu.has_period && s.resources.cpu.period == 100000);
    CHECK(s.resources.pids.has_limit && s.resources.pids.limit == 20);
    CHECK(strv_has(&s.process.capabilities.ambient, "CAP_NET_ADMIN"));
    CHECK(!strv_has(&s.process.capabilities.bounding, "CAP_KILL"));
    CHECK(!strv_has(&s.process.capabilities.inheritable, "CAP_NET_ADMIN"));
    CHECK(!s.has_seccomp);
    spec_free(&s);
}

static void test_rootless(void)
{
    struct spec_sandbox sb = base();
    sb.rootless = true;
    sb.host_uid = 1001;
    sb.host_gid = 1002;
    struct spec s;
    struct nook_error err;
    CHECK(build(&sb, &s, &err) == 0);
    const struct spec_namespace *u = spec_find_namespace(&s, SPEC_NS_USER);
    CHECK(u && !u->path);
    CHECK(spec_find_namespace(&s, SPEC_NS_NETWORK) != NULL);
    CHECK(s.n_uid_mappings == 1 && s.uid_mappings[0].container_id == 0 &&
          s.uid_mappings[0].host_id == 1001 && s.uid_mappings[0].size == 1);
    CHECK(s.n_gid_mappings == 1 && s.gid_mappings[0].host_id == 1002);
    spec_free(&s);
    /* --user: the caller is mapped to that user instead of root. */
    sb.has_user = true;
    sb.uid = 1000;
    sb.gid = 1000;
    CHECK(build(&sb, &s, &err) == 0);
    CHECK(s.uid_mappings[0].container_id == 1000 && s.gid_mappings[0].container_id == 1000);
    spec_free(&s);
}

static void test_cap_drop_all(void)
{
    char *drop[] = {"ALL"}, *add[] = {"CAP_CHOWN"};
    struct spec_sandbox sb = base();
    sb.cap_drop = drop;
    sb.n_cap_drop = 1;
    sb.cap_add = add;
    sb.n_cap_add = 1;
    struct spec s;
    struct nook_error err;
    CHECK(build(&sb, &s, &err) == 0);
    CHECK(s.process.capabilities.bounding.n == 1);
    CHECK_STR(s.process.capabilities.effective.v[0], "CAP_CHOWN");
    spec_free(&s);
}

static void test_errors(void)
{
    struct nook_error err;
    char *json = NULL;
    struct spec_sandbox sb = base();
    sb.seccomp = SPEC_SANDBOX_SECCOMP_FILE;
    sb.seccomp_file = "/nonexistent/profile.json";
    CHECK(spec_sandbox_config(&sb, &json, &err) < 0);
    CHECK(strstr(err.msg, "--seccomp /nonexistent/profile.json") != NULL);
    char *bad[] = {"\xff\xfe"};
    sb = base();
    sb.args = bad;
    sb.n_args = 1;
    CHECK(spec_sandbox_config(&sb, &json, &err) < 0);
    CHECK(strstr(err.msg, "not UTF-8") != NULL);
    CHECK(json == NULL);
}

int main(void)
{
    test_defaults();
    test_options();
    test_rootless();
    test_cap_drop_all();
    test_errors();
    return unit_report("test_spec_sandbox");
}
