/* cgroup/ without a cgroup: mountinfo parsing, paths, conversions, the plan
 * of file writes, and the device filter run through a small BPF interpreter. */
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../cgroup/cgroup.h"
#include "unit.h"

static const char hybrid_mountinfo[] =
    "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";

static void test_mountinfo(void)
{
    struct nook_error err;
    char *m = NULL;
    CHECK(cgroup_v2_mount_from_mountinfo(hybrid_mountinfo, &m, &err) == 0);
    CHECK_STR(m, "/sys/fs/cgroup/unified");
    free(m);

    /* A bind mount of a subtree comes first but is not the hierarchy's root;
     * escaped spaces in the mount point are decoded. */
    const char *v2 =
        "25 1 0:22 /nook/x /mnt/x rw - cgroup2 cgroup2 rw\n"
        "26 1 0:22 / /my\\040cgroup rw,nosuid shared:4 master:1 - cgroup2 cgroup2 rw,nsdelegate\n";
    m = NULL;
    CHECK(cgroup_v2_mount_from_mountinfo(v2, &m, &err) == 0);
    CHECK_STR(m, "/my cgroup");
    free(m);

    m = NULL;
    CHECK(cgroup_v2_mount_from_mountinfo("22 1 0:21 / / rw - ext4 /dev/vda1 rw\nbroken\n", &m,
                                         &err) == -1);
    CHECK(m == NULL);
    CHECK(strstr(err.msg, "no cgroup2 mount") != NULL);
}

static void test_paths(void)
{
    struct nook_error err;
    char *p = NULL;
    CHECK(cgroup_path_for("/sys/fs/cgroup", NULL, "c1", &p, &err) == 0);
    CHECK_STR(p, "/sys/fs/cgroup/nook/c1");
    free(p);
    CHECK(cgroup_path_for("/sys/fs/cgroup/", "", "c1", &p, &err) == 0);
    CHECK_STR(p, "/sys/fs/cgroup/nook/c1");
    free(p);
    CHECK(cgroup_path_for("/sys/fs/cgroup/unified", "/machine//web/", "c1", &p, &err) == 0);
    CHECK_STR(p, "/sys/fs/cgroup/unified/machine/web");
    free(p);
    CHECK(cgroup_path_for("/sys/fs/cgroup", "pods/a", "c1", &p, &err) == 0);
    CHECK_STR(p, "/sys/fs/cgroup/nook/pods/a");
    free(p);
    CHECK(cgroup_path_for("/", "/a", "c1", &p, &err) == 0);
    CHECK_STR(p, "/a");
    free(p);

    p = NULL;
    CHECK(cgroup_path_for("/sys/fs/cgroup", "/a/../../etc", "c1", &p, &err) == -1);
    CHECK(strstr(err.msg, "linux.cgroupsPath") != NULL);
    CHECK(cgroup_path_for("/sys/fs/cgroup", "/", "c1", &p, &err) == -1);
    CHECK(strstr(err.msg, "root of the cgroup hierarchy") != NULL);
    CHECK(cgroup_path_for("/sys/fs/cgroup", NULL, "../x", &p, &err) == -1);
    CHECK(p == NULL);
}

static void test_conversions(void)
{
    /* runc's current formula (opencontainers/cgroups ConvertCPUSharesToCgroupV2Value). */
    static const uint64_t shares[][2] = {
        {0, 0},        {1, 1},           {2, 1},         {3, 2},         {100, 17},
        {512, 59},     {1000, 99},       {1024, 100},    {1025, 101},    {2048, 174},
        {10000, 627},  {100000, 4340},   {200416, 7914}, {116225, 4938}, {262143, 10000},
        {262144, 10000}, {1000000, 10000},
    };
    for (size_t i = 0; i < sizeof shares / sizeof shares[0]; i++)
        CHECK(cgroup_cpu_shares_to_weight(shares[i][0]) == shares[i][1]);

    CHECK(cgroup_blkio_weight_to_io_weight(0) == 0);
    CHECK(cgroup_blkio_weight_to_io_weight(10) == 1);
    CHECK(cgroup_blkio_weight_to_io_weight(100) == 910);
    CHECK(cgroup_blkio_weight_to_io_weight(500) == 4950);
    CHECK(cgroup_blkio_weight_to_io_weight(1000) == 10000);

    struct nook_error err;
    int64_t out;
    bool set;
    CHECK(cgroup_memory_swap_max(0, -1, &out, &set, &err) == 0 && set && out == -1);
    CHECK(cgroup_memory_swap_max(-1, 100, &out, &set, &err) == 0 && set && out == -1);
    CHECK(cgroup_memory_swap_max(0, 100, &out, &set, &err) == 0 && !set);
    CHECK(cgroup_memory_swap_max(100, 100, &out, &set, &err) == 0 && set && out == 0);
    CHECK(cgroup_memory_swap_max(300, 100, &out, &set, &err) == 0 && set && out == 200);
    CHECK(cgroup_memory_swap_max(300, -1, &out, &set, &err) == 0 && set && out == 300);
    CHECK(cgroup_memory_swap_max(300, 0, &out, &set, &err) == -1);
    CHECK(cgroup_memory_swap_max(50, 100, &out, &set, &err) == -1);
    CHECK(strstr(err.msg, "linux.resources.memory.swap") != NULL);
}

/* The writes as "file=value@json_path" lines, for compact checks ("?=" for
 * a default value written only where the file exists). */
static char *render(const struct cgroup_writes *w)
{
    char *s = xstrdup("");
    for (size_t i = 0; i < w->n; i++) {
        char *n = xasprintf("%s%s%s=%s@%s\n", s, w->v[i].file, w->v[i].if_present ? "?" : "",
                            w->v[i].value, w->v[i].json_path);
        free(s);
        s = n;
    }
    return s;
}

static void test_plan(void)
{
    struct nook_error err;
    struct spec_resources r;
    memset(&r, 0, sizeof r);
    r.memory.has_limit = r.memory.has_reservation = r.memory.has_swap = true;
    r.memory.limit = 64 << 20;
    r.memory.reservation = 32 << 20;
    r.memory.swap = 96 << 20;
    r.cpu.has_shares = r.cpu.has_quota = r.cpu.has_period = r.cpu.has_burst = true;
    r.cpu.shares = 2048;
    r.cpu.quota = 50000;
    r.cpu.period = 100000;
    r.cpu.burst = 1000;
    r.cpu.cpus = "0-1";
    r.cpu.mems = "0";
    r.pids.has_limit = true;
    r.pids.limit = 10;
    r.block_io.has_weight = true;
    r.block_io.weight = 500;
    struct spec_weight_device wd = {8, 0, true, 100, false, 0};
    r.block_io.weight_device = &wd;
    r.block_io.n_weight_device = 1;
    struct spec_throttle_device rbps = {8, 16, 1048576}, wiops = {254, 0, 100};
    r.block_io.throttle_read_bps = &rbps;
    r.block_io.n_throttle_read_bps = 1;
    r.block_io.throttle_write_iops = &wiops;
    r.block_io.n_throttle_write_iops = 1;
    struct spec_hugepage_limit hp = {"2MB", 4194304};
    r.hugepage_limits = &hp;
    r.n_hugepage_limits = 1;
    struct spec_kv kv = {"memory.high", "max"};
    r.unified.v = &kv;
    r.unified.n = 1;

    struct cgroup_writes w;
    CHECK(cgroup_plan_writes(&r, false, &w, &err) == 0);
    char *s = render(&w);
    CHECK_STR(s, "memory.swap.max=33554432@linux.resources.memory.swap\n"
                 "memory.max=67108864@linux.resources.memory.limit\n"
                 "memory.low=33554432@linux.resources.memory.reservation\n"
                 "cpu.weight=174@linux.resources.cpu.shares\n"
                 "cpu.max=50000 100000@linux.resources.cpu.quota\n"
                 "cpu.max.burst=1000@linux.resources.cpu.burst\n"
                 "cpuset.cpus=0-1@linux.resources.cpu.cpus\n"
                 "cpuset.mems=0@linux.resources.cpu.mems\n"
                 "pids.max=10@linux.resources.pids.limit\n"
                 "io.weight=default 4950@linux.resources.blockIO.weight\n"
                 "io.weight=8:0 910@linux.resources.blockIO.weightDevice[0]\n"
                 "io.max=8:16 rbps=1048576@linux.resources.blockIO.throttleReadBpsDevice[0]\n"
                 "io.max=254:0 wiops=100@linux.resources.blockIO.throttleWriteIOPSDevice[0]\n"
                 "hugetlb.2MB.max=4194304@linux.resources.hugepageLimits[0]\n"
                 "memory.high=max@linux.resources.unified[\"memory.high\"]\n");
    free(s);
    cgroup_writes_free(&w);

    /* With BFQ the blkio weights go unconverted to io.bfq.weight (runc). */
    CHECK(cgroup_plan_writes(&r, true, &w, &err) == 0);
    s = render(&w);
    CHECK(strstr(s, "io.bfq.weight=500@linux.resources.blockIO.weight\n") != NULL);
    CHECK(strstr(s, "io.bfq.weight=8:0 100@linux.resources.blockIO.weightDevice[0]\n") != NULL);
    free(s);
    cgroup_writes_free(&w);

    /* Unlimited values; quota without period; period without quota. */
    memset(&r, 0, sizeof r);
    r.memory.has_limit = true;
    r.memory.limit = -1;
    r.cpu.has_quota = true;
    r.cpu.quota = 20000;
    r.pids.has_limit = true;
    r.pids.limit = 0;
    CHECK(cgroup_plan_writes(&r, false, &w, &err) == 0);
    s = render(&w);
    /* pids.limit 0 is "unset" (podman sends it): nothing, no controller. */
    CHECK_STR(s, "memory.swap.max?=max@linux.resources.memory.limit\n"
                 "memory.max?=max@linux.resources.memory.limit\n"
                 "cpu.max=20000@linux.resources.cpu.quota\n");
    free(s);
    cgroup_writes_free(&w);
    r.pids.limit = -1;
    r.cpu.has_quota = false;
    r.memory.has_limit = false;
    CHECK(cgroup_plan_writes(&r, false, &w, &err) == 0);
    s = render(&w);
    CHECK_STR(s, "pids.max?=max@linux.resources.pids.limit\n");
    free(s);
    cgroup_writes_free(&w);
    memset(&r, 0, sizeof r);
    r.cpu.has_quota = r.cpu.has_period = true;
    r.cpu.quota = -1;
    r.cpu.period = 250000;
    CHECK(cgroup_plan_writes(&r, false, &w, &err) == 0);
    CHECK(w.n == 1 && strcmp(w.v[0].value, "max 250000") == 0);
    cgroup_writes_free(&w);

    /* Nothing asked: nothing written (a hybrid host needs no controller). */
    memset(&r, 0, sizeof r);
    CHECK(cgroup_plan_writes(&r, false, &w, &err) == 0 && w.n == 0);

    /* disableOOMKiller means OOM freeze (the runtime's monitor), no file. */
    r.memory.has_disable_oom_killer = r.memory.disable_oom_killer = true;
    CHECK(cgroup_plan_writes(&r, false, &w, &err) == 0 && w.n == 0);

    memset(&r, 0, sizeof r);
    struct spec_kv bad = {"../cgroup.procs", "1"};
    r.unified.v = &bad;
    r.unified.n = 1;
    CHECK(cgroup_plan_writes(&r, false, &w, &err) == -1);
    CHECK_STR(err.msg, "linux.resources.unified[\"../cgroup.procs\"]: not a cgroup v2 file name");

    CHECK_STR(cgroup_file_controller("memory.max"), "memory");
    CHECK_STR(cgroup_file_controller("cpuset.cpus"), "cpuset");
    CHECK_STR(cgroup_file_controller("cpu.max.burst"), "cpu");
    CHECK_STR(cgroup_file_controller("hugetlb.2MB.max"), "hugetlb");
    CHECK(cgroup_file_controller("cgroup.max.depth") == NULL);
    CHECK(cgroup_file_controller("foo.bar") == NULL);
}

/* ---- the device filter, run by a tiny interpreter of the opcodes nook emits ---- */

/* Returns the program's R0, or -1 for an opcode the interpreter (and nook)
 * does not use, a bad jump, or running off the end. */
static int run_filter(const struct bpf_insn *p, size_t n, char type, unsigned major,
                      unsigned minor, const char *access)
{
    unsigned acc = 0;
    for (const char *c = access; *c; c++)
        acc |= *c == 'r' ? BPF_DEVCG_ACC_READ : *c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    uint32_t ctx[3] = {acc << 16 | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                       major, minor};
    uint64_t r[11] = {0};
    for (size_t pc = 0; pc < n; pc++) {
        const struct bpf_insn *i = &p[pc];
        uint32_t d32 = (uint32_t)r[i->dst_reg];
        switch (i->code) {
        case BPF_LDX | BPF_W | BPF_MEM:
            if (i->src_reg != BPF_REG_1 || i->off % 4 || i->off < 0 || i->off > 8)
                return -1;
            r[i->dst_reg] = ctx[i->off / 4];
            break;
        case BPF_ALU | BPF_MOV | BPF_X:
            r[i->dst_reg] = (uint32_t)r[i->src_reg];
            break;
        case BPF_ALU | BPF_RSH | BPF_K:
            r[i->dst_reg] = d32 >> i->imm;
            break;
        case BPF_ALU | BPF_AND | BPF_K:
            r[i->dst_reg] = d32 & (uint32_t)i->imm;
            break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
            r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
            break;
        case BPF_JMP32 | BPF_JNE | BPF_K:
            if (d32 != (uint32_t)i->imm)
                pc += (size_t)i->off;
            break;
        case BPF_JMP32 | BPF_JEQ | BPF_K:
            if (d32 == (uint32_t)i->imm)
                pc += (size_t)i->off;
            break;
        case BPF_JMP | BPF_EXIT:
            return (int)r[0];
        default:
            return -1;
        }
        if (pc >= n)
            return -1;
    }
    return -1;
}

static int decide(const struct spec_device_rule *rules, size_t n, char type, unsigned major,
                  unsigned minor, const char *access)
{
    struct bpf_insn *p;
    size_t len;
    cgroup_device_program(rules, n, &p, &len);
    int v = run_filter(p, len, type, major, minor, access);
    free(p);
    return v;
}

static void test_device_filter(void)
{
    struct bpf_insn *p;
    size_t len;
    /* Prologue (6) + default deny (2). */
    cgroup_device_program(NULL, 0, &p, &len);
    CHECK(len == 8);
    free(p);
    CHECK(decide(NULL, 0, 'c', 1, 3, "r") == 0);

    /* One full-match allow rule: no conditions, 4 instructions. */
    struct spec_device_rule all = {true, 'a', -1, -1, "rwm"};
    cgroup_device_program(&all, 1, &p, &len);
    CHECK(len == 12);
    free(p);
    CHECK(decide(&all, 1, 'b', 8, 0, "rwm") == 1);

    /* runc's default spec: deny all, plus the defaults nook appends. */
    struct spec_device_rule deny_all = {false, 'a', -1, -1, "rwm"};
    struct spec_device_rule *rules;
    size_t n;
    cgroup_device_rules(&deny_all, 1, &rules, &n);
    CHECK(n == 1 + 11);
    CHECK(rules[0].allow == false && rules[1].allow && rules[1].major == -1);
    CHECK(decide(rules, n, 'c', 1, 3, "rw") == 1);   /* /dev/null */
    CHECK(decide(rules, n, 'c', 1, 9, "r") == 1);    /* /dev/urandom */
    CHECK(decide(rules, n, 'c', 136, 5, "rw") == 1); /* /dev/pts/5 */
    CHECK(decide(rules, n, 'c', 5, 2, "rw") == 1);   /* /dev/ptmx */
    CHECK(decide(rules, n, 'b', 8, 0, "r") == 0);    /* /dev/sda */
    CHECK(decide(rules, n, 'b', 8, 0, "m") == 1);    /* mknod is allowed... */
    CHECK(decide(rules, n, 'b', 8, 0, "rm") == 0);   /* ...not more */
    CHECK(decide(rules, n, 'c', 4, 1, "w") == 0);    /* /dev/tty1 */
    CHECK(decide(rules, n, 'c', 1, 11, "w") == 0);   /* /dev/kmsg */
    free(rules);

    /* Later rules win, per access bit. */
    struct spec_device_rule seq[] = {
        {true, 'a', -1, -1, "rwm"},
        {false, 'c', 1, -1, "w"},
        {true, 'c', 1, 5, "w"},
    };
    CHECK(decide(seq, 3, 'c', 1, 9, "r") == 1);
    CHECK(decide(seq, 3, 'c', 1, 9, "w") == 0);
    CHECK(decide(seq, 3, 'c', 1, 9, "rw") == 0);
    CHECK(decide(seq, 3, 'c', 1, 5, "rw") == 1);
    CHECK(decide(seq, 3, 'b', 1, 9, "w") == 1);
    struct spec_device_rule split[] = {
        {true, 'c', 10, 1, "r"},
        {true, 'c', 10, 1, "w"},
        {false, 'c', 10, 1, "m"},
    };
    CHECK(decide(split, 3, 'c', 10, 1, "rw") == 1);
    CHECK(decide(split, 3, 'c', 10, 1, "rwm") == 0);
    CHECK(decide(split, 3, 'c', 10, 2, "r") == 0);
}

/* The CI machine's mountinfo (hybrid), a pure v1 one with co-mounted
 * controllers, a pure v2 one. */
static void test_host_kind(void)
{
    struct nook_error err;
    struct cgroup_host h;
    const char *hybrid =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
        "90 41 0:38 /inner /mnt/x rw,relatime - cgroup2 cgroup2 rw\n";
    CHECK(cgroup_host_from_mountinfo(hybrid, &h, &err) == 0);
    CHECK(h.kind == CGROUP_HYBRID && h.n == 4);
    CHECK(h.v2 && strcmp(h.v2->mountpoint, "/sys/fs/cgroup/unified") == 0);
    CHECK(cgroup_host_v1_find(&h, "memory") &&
          strcmp(cgroup_host_v1_find(&h, "memory")->mountpoint, "/sys/fs/cgroup/memory") == 0);
    CHECK(cgroup_host_v1_find(&h, "name=systemd") != NULL);
    CHECK(cgroup_host_v1_find(&h, "pids") == NULL);
    cgroup_host_free(&h);

    const char *v1 =
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "33 31 0:30 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
        "34 31 0:30 / /run/again rw - cgroup cgroup rw,net_cls,net_prio\n"
        "35 31 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids,release_agent=/x\n";
    CHECK(cgroup_host_from_mountinfo(v1, &h, &err) == 0);
    CHECK(h.kind == CGROUP_V1 && h.n == 3 && !h.v2);
    const struct cgroup_mount *m = cgroup_host_v1_find(&h, "cpuacct");
    CHECK(m && strcmp(m->controllers, "cpu,cpuacct") == 0);
    m = cgroup_host_v1_find(&h, "net_prio");
    CHECK(m && strcmp(m->mountpoint, "/sys/fs/cgroup/net_cls,net_prio") == 0);
    m = cgroup_host_v1_find(&h, "pids");
    CHECK(m && strcmp(m->controllers, "pids") == 0);
    cgroup_host_free(&h);

    CHECK(cgroup_host_from_mountinfo("30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", &h,
                                     &err) == 0);
    CHECK(h.kind == CGROUP_V2 && h.n == 1);
    cgroup_host_free(&h);
    CHECK(cgroup_host_from_mountinfo("1 0 0:1 / / rw - ext4 /dev/vda rw\n", &h, &err) == -1);
}

static void test_v1_plan(void)
{
    struct nook_error err;
    struct spec_resources r;
    struct cgroup_writes w;
    struct cgroup_v1_facts f = {.memsw = true, .cur_memory_limit = INT64_MAX};
    memset(&r, 0, sizeof r);
    r.memory.has_limit = r.memory.has_reservation = r.memory.has_swap = true;
    r.memory.limit = 64 << 20;
    r.memory.reservation = 32 << 20;
    r.memory.swap = 96 << 20;
    r.memory.has_swappiness = true;
    r.memory.swappiness = 60;
    r.memory.has_kernel = r.memory.has_kernel_tcp = true;
    r.memory.kernel = r.memory.kernel_tcp = 1 << 20;
    r.memory.has_disable_oom_killer = r.memory.disable_oom_killer = true;
    r.cpu.has_shares = r.cpu.has_quota = r.cpu.has_period = true;
    r.cpu.shares = 2048;
    r.cpu.quota = 50000;
    r.cpu.period = 100000;
    r.cpu.has_realtime_period = r.cpu.has_realtime_runtime = true;
    r.cpu.realtime_period = 1000000;
    r.cpu.realtime_runtime = 950000;
    r.cpu.cpus = "0-1";
    r.pids.has_limit = true;
    r.pids.limit = 50;
    r.block_io.has_weight = true;
    r.block_io.weight = 500;
    struct spec_throttle_device t = {8, 0, 1048576};
    r.block_io.throttle_read_bps = &t;
    r.block_io.n_throttle_read_bps = 1;
    struct spec_hugepage_limit hp = {"2MB", 4 << 20};
    r.hugepage_limits = &hp;
    r.n_hugepage_limits = 1;
    r.network.has_class_id = true;
    r.network.class_id = 0x100001;
    struct spec_net_priority prio = {"eth0", 5};
    r.network.priorities = &prio;
    r.network.n_priorities = 1;
    struct spec_device_rule rules[] = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"},
                                       {true, 'b', 8, -1, "r"}};
    CHECK(cgroup_v1_plan_writes(&r, &f, rules, 3, &w, &err) == 0);
    char *s = render(&w);
    CHECK_STR(s, "memory.limit_in_bytes=67108864@linux.resources.memory.limit\n"
                 "memory.memsw.limit_in_bytes=100663296@linux.resources.memory.swap\n"
                 "memory.soft_limit_in_bytes=33554432@linux.resources.memory.reservation\n"
                 "memory.swappiness=60@linux.resources.memory.swappiness\n"
                 "memory.oom_control=1@linux.resources.memory.disableOOMKiller\n"
                 "cpu.shares=2048@linux.resources.cpu.shares\n"
                 "cpu.cfs_period_us=100000@linux.resources.cpu.period\n"
                 "cpu.cfs_quota_us=50000@linux.resources.cpu.quota\n"
                 "cpu.rt_period_us=1000000@linux.resources.cpu.realtimePeriod\n"
                 "cpu.rt_runtime_us=950000@linux.resources.cpu.realtimeRuntime\n"
                 "cpuset.cpus=0-1@linux.resources.cpu.cpus\n"
                 "pids.max=50@linux.resources.pids.limit\n"
                 "blkio.weight=500@linux.resources.blockIO.weight\n"
                 "blkio.throttle.read_bps_device=8:0 1048576@linux.resources.blockIO.throttleReadBpsDevice[0]\n"
                 "hugetlb.2MB.limit_in_bytes=4194304@linux.resources.hugepageLimits[0]\n"
                 "net_cls.classid=1048577@linux.resources.network.classID\n"
                 "net_prio.ifpriomap=eth0 5@linux.resources.network.priorities[0]\n"
                 "devices.deny=a@linux.resources.devices\n"
                 "devices.deny=a *:* rwm@linux.resources.devices[0]\n"
                 "devices.allow=c 1:3 rwm@linux.resources.devices[1]\n"
                 "devices.allow=b 8:* r@linux.resources.devices[2]\n");
    free(s);
    cgroup_writes_free(&w);
    CHECK(strcmp(cgroup_file_controller("net_prio.ifpriomap"), "net_prio") == 0);
    CHECK(strcmp(cgroup_file_controller("cpuacct.usage"), "cpuacct") == 0);

    /* Raising both (update): memsw first, so limit <= memsw at every step;
     * BFQ takes the weight. */
    f.cur_memory_limit = 64 << 20;
    f.blkio_bfq = true;
    memset(&r, 0, sizeof r);
    r.memory.has_limit = r.memory.has_swap = true;
    r.memory.limit = 128 << 20;
    r.memory.swap = 256 << 20;
    r.block_io.has_weight = true;
    r.block_io.weight = 100;
    CHECK(cgroup_v1_plan_writes(&r, &f, NULL, 0, &w, &err) == 0);
    s = render(&w);
    CHECK_STR(s, "memory.memsw.limit_in_bytes=268435456@linux.resources.memory.swap\n"
                 "memory.limit_in_bytes=134217728@linux.resources.memory.limit\n"
                 "blkio.bfq.weight=100@linux.resources.blockIO.weight\n");
    free(s);
    cgroup_writes_free(&w);

    /* Values meaning "unset" write nothing; unlimited ones are defaults. */
    memset(&r, 0, sizeof r);
    r.pids.has_limit = r.cpu.has_shares = r.memory.has_limit = true;
    r.pids.limit = 0;
    r.cpu.shares = 0;
    r.memory.limit = 0;
    CHECK(cgroup_v1_plan_writes(&r, &f, NULL, 0, &w, &err) == 0 && w.n == 0);
    r.pids.limit = -1;
    r.memory.limit = -1;
    CHECK(cgroup_v1_plan_writes(&r, &f, NULL, 0, &w, &err) == 0);
    s = render(&w);
    CHECK_STR(s, "memory.memsw.limit_in_bytes?=-1@linux.resources.memory.limit\n"
                 "memory.limit_in_bytes?=-1@linux.resources.memory.limit\n"
                 "pids.max?=max@linux.resources.pids.limit\n");
    free(s);
    cgroup_writes_free(&w);

    /* No swap accounting: a swap limit is a clear error; unlimited is fine. */
    f.memsw = false;
    memset(&r, 0, sizeof r);
    r.memory.has_limit = r.memory.has_swap = true;
    r.memory.limit = 64 << 20;
    r.memory.swap = 128 << 20;
    CHECK(cgroup_v1_plan_writes(&r, &f, NULL, 0, &w, &err) == -1);
    CHECK(strstr(err.msg, "linux.resources.memory.swap: this host has no swap accounting") != NULL);
    r.memory.swap = -1;
    CHECK(cgroup_v1_plan_writes(&r, &f, NULL, 0, &w, &err) == 0 && w.n == 1);
    cgroup_writes_free(&w);

    /* unified keys cannot be written on v1. */
    memset(&r, 0, sizeof r);
    struct spec_kv kv = {"memory.high", "1"};
    r.unified.v = &kv;
    r.unified.n = 1;
    CHECK(cgroup_v1_plan_writes(&r, &f, NULL, 0, &w, &err) == -1);
    CHECK(strstr(err.msg, "linux.resources.unified[\"memory.high\"]: invalid configuration: cgroup v2 "
                          "files cannot be written on this cgroup v1 host") != NULL);
}

/* What needs a cgroup: values meaning "unset" do not. */
static void test_needed_by(void)
{
    struct spec s;
    memset(&s, 0, sizeof s);
    CHECK(cgroup_needed_by(&s) == NULL);
    s.has_resources = true;
    s.resources.pids.has_limit = s.resources.cpu.has_shares = true;
    s.resources.pids.limit = 0;
    s.resources.cpu.shares = 0;
    CHECK(cgroup_needed_by(&s) == NULL);
    s.resources.pids.limit = -1;
    CHECK(cgroup_needed_by(&s) == NULL);
    s.resources.cpu.shares = 1024;
    char *what = cgroup_needed_by(&s);
    CHECK_STR(what, "linux.resources.cpu.shares");
    free(what);
    s.cgroups_path = "/x";
    what = cgroup_needed_by(&s);
    CHECK_STR(what, "linux.cgroupsPath");
    free(what);
}

int main(void)
{
    test_host_kind();
    test_v1_plan();
    test_needed_by();
    test_mountinfo();
    test_paths();
    test_conversions();
    test_plan();
    test_device_filter();
    return unit_report("test_cgroup");
}
