/* Unit tests for ns/: flags, ns_validate and the sysctl key rules, on specs
 * built by hand; opening joins on /proc/self/ns files (no privilege needed). */
#include "unit.h"
#include "../../ns/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))

static void expect_valid(const struct spec *s, int line)
{
    struct nook_error err = {0};
    int r = ns_validate(s, &err);
    if (r != 0)
        fprintf(stderr, "line %d: unexpected error: %s\n", line, err.msg);
    CHECK(r == 0);
}

static void expect_invalid(const struct spec *s, const char *msg)
{
    struct nook_error err = {0};
    CHECK(ns_validate(s, &err) == -1);
    CHECK_STR(err.msg, msg);
    CHECK(err.code == 0);
}

#define VALID(s) expect_valid(s, __LINE__)

static void test_clone_flags(void)
{
    CHECK(ns_clone_flag(SPEC_NS_PID) == CLONE_NEWPID);
    CHECK(ns_clone_flag(SPEC_NS_NETWORK) == CLONE_NEWNET);
    CHECK(ns_clone_flag(SPEC_NS_MOUNT) == CLONE_NEWNS);
    CHECK(ns_clone_flag(SPEC_NS_IPC) == CLONE_NEWIPC);
    CHECK(ns_clone_flag(SPEC_NS_UTS) == CLONE_NEWUTS);
    CHECK(ns_clone_flag(SPEC_NS_USER) == CLONE_NEWUSER);
    CHECK(ns_clone_flag(SPEC_NS_CGROUP) == CLONE_NEWCGROUP);
    CHECK(ns_clone_flag(SPEC_NS_TIME) == CLONE_NEWTIME);

    struct spec_namespace ns[] = {
        {SPEC_NS_PID, NULL},
        {SPEC_NS_NETWORK, "/run/netns/x"},
        {SPEC_NS_MOUNT, NULL},
        {SPEC_NS_USER, NULL},
    };
    struct spec s = {.namespaces = ns, .n_namespaces = N(ns)};
    CHECK(ns_new_flags(&s) == (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUSER));
    struct spec empty = {0};
    CHECK(ns_new_flags(&empty) == 0);
}

static void test_validate_uts(void)
{
    struct spec s = {.hostname = "box"};
    expect_invalid(&s, "hostname: needs a uts namespace in linux.namespaces");

    /* Joined by path: set in that namespace (runc), unless it is nook's own. */
    struct spec_namespace joined[] = {{SPEC_NS_UTS, "/proc/self/ns/uts"}};
    s.namespaces = joined;
    s.n_namespaces = N(joined);
    expect_invalid(&s, "hostname: linux.namespaces[0].path /proc/self/ns/uts is the host's uts "
                       "namespace");

    struct spec_namespace fresh[] = {{SPEC_NS_MOUNT, NULL}, {SPEC_NS_UTS, NULL}};
    s.namespaces = fresh;
    s.n_namespaces = N(fresh);
    VALID(&s);

    struct spec d = {.domainname = "example.org"};
    expect_invalid(&d, "domainname: needs a uts namespace in linux.namespaces");

    /* runc treats "" as unset. */
    struct spec e = {.hostname = ""};
    VALID(&e);
}

static void test_validate_time(void)
{
    struct spec s = {.time_monotonic = {.set = true, .secs = 10}};
    expect_invalid(&s, "linux.timeOffsets: needs a new time namespace in linux.namespaces");

    struct spec_namespace joined[] = {{SPEC_NS_TIME, "/proc/1/ns/time"}};
    s.namespaces = joined;
    s.n_namespaces = N(joined);
    expect_invalid(&s, "linux.timeOffsets: needs a new time namespace in linux.namespaces");

    struct spec_namespace fresh[] = {{SPEC_NS_TIME, NULL}};
    s.namespaces = fresh;
    s.n_namespaces = N(fresh);
    VALID(&s);

    struct spec b = {.time_boottime = {.set = true, .secs = -3}};
    expect_invalid(&b, "linux.timeOffsets: needs a new time namespace in linux.namespaces");
}

static void test_validate_idmaps(void)
{
    struct spec_idmap map[] = {{0, 100000, 65536}};
    struct spec_namespace user[] = {{SPEC_NS_PID, NULL}, {SPEC_NS_USER, NULL}};

    struct spec s = {.uid_mappings = map, .n_uid_mappings = 1};
    expect_invalid(&s, "linux.uidMappings: needs a new user namespace in linux.namespaces");
    struct spec g = {.gid_mappings = map, .n_gid_mappings = 1};
    expect_invalid(&g, "linux.gidMappings: needs a new user namespace in linux.namespaces");

    struct spec none = {.namespaces = user, .n_namespaces = N(user)};
    expect_invalid(&none, "linux.uidMappings: a new user namespace needs at least one mapping");

    struct spec only_uid = {.namespaces = user, .n_namespaces = N(user),
                            .uid_mappings = map, .n_uid_mappings = 1};
    expect_invalid(&only_uid,
                   "linux.gidMappings: a new user namespace needs at least one mapping");

    struct spec ok = {.namespaces = user, .n_namespaces = N(user), .uid_mappings = map,
                      .n_uid_mappings = 1, .gid_mappings = map, .n_gid_mappings = 1};
    VALID(&ok);

    struct spec_idmap zero[] = {{0, 1000, 1}, {1, 100000, 0}};
    ok.gid_mappings = zero;
    ok.n_gid_mappings = N(zero);
    expect_invalid(&ok, "linux.gidMappings[1].size: must be greater than 0");

    struct spec_idmap wide[] = {{0, 4294967295u - 10, 11}};
    ok.gid_mappings = wide;
    ok.n_gid_mappings = 1;
    expect_invalid(&ok, "linux.gidMappings[0]: range goes beyond id 4294967294");
    wide[0].size = 10; /* last host id 4294967294: allowed */
    VALID(&ok);

    struct spec_namespace joined[] = {{SPEC_NS_USER, "/proc/1/ns/user"}};
    struct spec j = {.namespaces = joined, .n_namespaces = 1, .uid_mappings = map,
                     .n_uid_mappings = 1};
    expect_invalid(&j, "linux.uidMappings: linux.namespaces[0] joins a user namespace by "
                       "path, its mappings are already written");
    j.n_uid_mappings = 0;
    j.uid_mappings = NULL;
    VALID(&j);
}

/* One sysctl key against a set of namespaces. */
static void sysctl_case(struct spec_namespace *ns, size_t n, const char *key, const char *msg,
                        int line)
{
    struct spec_kv kv[] = {{(char *)key, "1"}};
    struct spec s = {.namespaces = ns, .n_namespaces = n, .sysctl = {kv, 1}};
    if (msg)
        expect_invalid(&s, msg);
    else
        expect_valid(&s, line);
}

static void test_validate_sysctl(void)
{
    struct spec_namespace ipc[] = {{SPEC_NS_IPC, NULL}};
    struct spec_namespace net[] = {{SPEC_NS_MOUNT, NULL}, {SPEC_NS_NETWORK, NULL}};
    struct spec_namespace uts[] = {{SPEC_NS_UTS, NULL}};
    struct spec_namespace all[] = {{SPEC_NS_IPC, NULL}, {SPEC_NS_NETWORK, NULL},
                                   {SPEC_NS_UTS, NULL}};

    sysctl_case(all, 3, "vm.swappiness",
                "linux.sysctl[\"vm.swappiness\"]: not namespaced, refusing to set it for a "
                "container", 0);
    sysctl_case(all, 3, "kernel.core_pattern",
                "linux.sysctl[\"kernel.core_pattern\"]: not namespaced, refusing to set it "
                "for a container", 0);
    sysctl_case(all, 3, "net",
                "linux.sysctl[\"net\"]: not namespaced, refusing to set it for a container", 0);

    /* ipc: the kernel.* list and fs.mqueue.* */
    static const char *const ipc_keys[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
        "fs.mqueue.msg_max", "fs/mqueue/queues_max",
    };
    for (size_t i = 0; i < N(ipc_keys); i++) {
        sysctl_case(ipc, 1, ipc_keys[i], NULL, __LINE__);
        char *msg = xasprintf("linux.sysctl[\"%s\"]: needs a private ipc namespace in "
                              "linux.namespaces", ipc_keys[i]);
        sysctl_case(net, 2, ipc_keys[i], msg, 0);
        free(msg);
    }

    /* net */
    sysctl_case(net, 2, "net.ipv4.ip_forward", NULL, __LINE__);
    sysctl_case(net, 2, "net/ipv4/conf/eno2.100/rp_filter", NULL, __LINE__);
    sysctl_case(ipc, 1, "net.ipv4.ip_forward",
                "linux.sysctl[\"net.ipv4.ip_forward\"]: needs a private network namespace in "
                "linux.namespaces", 0);

    /* uts */
    sysctl_case(uts, 1, "kernel.domainname", NULL, __LINE__);
    sysctl_case(uts, 1, "kernel.hostname", NULL, __LINE__);
    sysctl_case(ipc, 1, "kernel.domainname",
                "linux.sysctl[\"kernel.domainname\"]: needs a private uts namespace in "
                "linux.namespaces", 0);
    sysctl_case(ipc, 1, "kernel.hostname",
                "linux.sysctl[\"kernel.hostname\"]: needs a private uts namespace in "
                "linux.namespaces", 0);

    /* kernel.hostname next to "hostname": two values for one setting. */
    struct spec_kv kv[] = {{"kernel.hostname", "a"}};
    struct spec h = {.hostname = "b", .namespaces = uts, .n_namespaces = 1, .sysctl = {kv, 1}};
    expect_invalid(&h, "linux.sysctl[\"kernel.hostname\"]: conflicts with hostname");

    /* A key that climbs out of net/ must not pass as a net.* key. */
    sysctl_case(all, 3, "net/../kernel/core_pattern",
                "linux.sysctl[\"net/../kernel/core_pattern\"]: not a valid sysctl name "
                "(empty, \".\" or \"..\" component)", 0);
    sysctl_case(all, 3, "net..ipv4",
                "linux.sysctl[\"net..ipv4\"]: not a valid sysctl name (empty, \".\" or "
                "\"..\" component)", 0);
    sysctl_case(all, 3, "",
                "linux.sysctl[\"\"]: not a valid sysctl name (empty, \".\" or \"..\" "
                "component)", 0);

    /* Joined by path counts as private, unless it is our own namespace. */
    struct spec_namespace own[] = {{SPEC_NS_NETWORK, "/proc/self/ns/net"}};
    sysctl_case(own, 1, "net.ipv4.ip_forward",
                "linux.sysctl[\"net.ipv4.ip_forward\"]: linux.namespaces[0].path "
                "/proc/self/ns/net is the host's network namespace", 0);
    struct spec_namespace own_ipc[] = {{SPEC_NS_UTS, NULL}, {SPEC_NS_IPC, "/proc/1/../self/ns/ipc"}};
    sysctl_case(own_ipc, 2, "kernel.sem",
                "linux.sysctl[\"kernel.sem\"]: linux.namespaces[1].path "
                "/proc/1/../self/ns/ipc is the host's ipc namespace", 0);
    /* A path that is gone is a system error (code set), not a config one. */
    struct spec_namespace gone[] = {{SPEC_NS_NETWORK, "/nonexistent/nook/netns"}};
    struct spec_kv somaxconn[] = {{"net.core.somaxconn", "1"}};
    struct spec sg = {.namespaces = gone, .n_namespaces = 1, .sysctl = {somaxconn, 1}};
    struct nook_error err = {0};
    CHECK(ns_validate(&sg, &err) == -1);
    CHECK_STR(err.msg,
              "linux.namespaces[0].path: stat /nonexistent/nook/netns: No such file or directory");
    CHECK(err.code == ENOENT);
    /* The first bad key stops validation; good ones before it pass. */
    struct spec_kv two[] = {{"kernel.shmmax", "1"}, {"vm.overcommit_memory", "1"}};
    struct spec s2 = {.namespaces = ipc, .n_namespaces = 1, .sysctl = {two, 2}};
    expect_invalid(&s2, "linux.sysctl[\"vm.overcommit_memory\"]: not namespaced, refusing to "
                        "set it for a container");
}

static void test_sysctl_path(void)
{
    char *p = ns_sysctl_path("net.ipv4.ip_forward");
    CHECK_STR(p, "net/ipv4/ip_forward");
    free(p);
    p = ns_sysctl_path("net/ipv4/conf/eno2.100/rp_filter");
    CHECK_STR(p, "net/ipv4/conf/eno2.100/rp_filter");
    free(p);
    p = ns_sysctl_path("net.ipv4.conf.eno2/100.rp_filter");
    CHECK_STR(p, "net/ipv4/conf/eno2.100/rp_filter");
    free(p);
    p = ns_sysctl_path("kernel.shm_rmid_forced");
    CHECK_STR(p, "kernel/shm_rmid_forced");
    free(p);
    CHECK(ns_sysctl_path("net/./ipv4") == NULL);
    CHECK(ns_sysctl_path("net/ipv4/") == NULL);
    CHECK(ns_sysctl_path(".net.ipv4") == NULL);
    CHECK(ns_sysctl_path("net/..") == NULL);
    CHECK(ns_sysctl_path("") == NULL);
}

static void test_open_joins(void)
{
    struct nook_error err = {0};
    struct ns_joins j;

    struct spec_namespace net[] = {{SPEC_NS_PID, NULL}, {SPEC_NS_NETWORK, "/proc/self/ns/net"}};
    struct spec s = {.namespaces = net, .n_namespaces = N(net)};
    CHECK(ns_open_joins(&s, &j, &err) == 0);
    CHECK(j.fd[SPEC_NS_NETWORK] >= 0);
    CHECK(j.fd[SPEC_NS_PID] == -1 && j.fd[SPEC_NS_USER] == -1);
    CHECK(ns_joins_need_child_setns(&j));
    int fd = j.fd[SPEC_NS_NETWORK];
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    ns_close_joins(&j);
    CHECK(j.fd[SPEC_NS_NETWORK] == -1);
    CHECK(fcntl(fd, F_GETFD) == -1);

    /* Only pid and time joined: the parent enters them, the child needs no setns. */
    struct spec_namespace pid[] = {{SPEC_NS_PID, "/proc/self/ns/pid"},
                                   {SPEC_NS_TIME, "/proc/self/ns/time"}};
    struct spec sp = {.namespaces = pid, .n_namespaces = N(pid)};
    CHECK(ns_open_joins(&sp, &j, &err) == 0);
    CHECK(j.fd[SPEC_NS_PID] >= 0 && j.fd[SPEC_NS_TIME] >= 0);
    CHECK(!ns_joins_need_child_setns(&j));
    ns_close_joins(&j);

    struct spec_namespace wrong[] = {{SPEC_NS_UTS, NULL}, {SPEC_NS_IPC, "/proc/self/ns/net"}};
    struct spec sw = {.namespaces = wrong, .n_namespaces = N(wrong)};
    CHECK(ns_open_joins(&sw, &j, &err) == -1);
    CHECK_STR(err.msg, "linux.namespaces[1].path: /proc/self/ns/net is not an ipc namespace");

    /* A file that is no namespace at all (NS_GET_NSTYPE: ENOTTY). */
    struct spec_namespace file[] = {{SPEC_NS_NETWORK, "/proc/self/ns/net"},
                                    {SPEC_NS_MOUNT, "/proc/self/status"}};
    struct spec sf = {.namespaces = file, .n_namespaces = N(file)};
    int before = open("/dev/null", O_RDONLY);
    CHECK(ns_open_joins(&sf, &j, &err) == -1);
    CHECK_STR(err.msg, "linux.namespaces[1].path: /proc/self/status is not a mount namespace");
    /* Nothing stays open on error: the next fd is the one we just freed. */
    close(before);
    int after = open("/dev/null", O_RDONLY);
    CHECK(after == before);
    close(after);
    for (int t = 0; t < SPEC_NS_TYPES; t++)
        CHECK(j.fd[t] == -1);

    struct spec_namespace missing[] = {{SPEC_NS_NETWORK, "/nonexistent/nook/ns"}};
    struct spec sm = {.namespaces = missing, .n_namespaces = 1};
    CHECK(ns_open_joins(&sm, &j, &err) == -1);
    CHECK_STR(err.msg,
              "linux.namespaces[0].path: open /nonexistent/nook/ns: No such file or directory");

    struct spec_namespace twice[] = {{SPEC_NS_NETWORK, "/proc/self/ns/net"},
                                     {SPEC_NS_NETWORK, "/proc/self/ns/net"}};
    struct spec st = {.namespaces = twice, .n_namespaces = N(twice)};
    CHECK(ns_open_joins(&st, &j, &err) == -1);
    CHECK_STR(err.msg, "linux.namespaces[1].type: duplicate namespace \"network\"");

    struct spec none = {0};
    CHECK(ns_open_joins(&none, &j, &err) == 0);
    CHECK(!ns_joins_need_child_setns(&j));
    ns_close_joins(&j);
}

int main(void)
{
    test_clone_flags();
    test_validate_uts();
    test_validate_time();
    test_validate_idmaps();
    test_validate_sysctl();
    test_sysctl_path();
    test_open_joins();
    return unit_report("test_ns");
}
