/* cgroup/ against the real hierarchies of the host (needs root), through the
 * backend the host's kind selects: on the CI machine (hybrid: v1 controllers,
 * a v2 hierarchy without controllers) the v1 limits and the cgroup2
 * tracking; in the v2 VM the v2 limits; in the v1 VM the v1 ones.
 *
 * Every cgroup it makes is under <each hierarchy>/nook-test-<pid>/. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../../cgroup/cgroup.h"
#include "unit.h"

static char *mount_point; /* the cgroup2 one, or NULL (pure v1) */
static enum cgroup_kind kind;
static char top[256]; /* "/nook-test-<pid>" */
static volatile unsigned long *shared; /* [0] counter, [1] SIGUSR1 seen */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static char *cg_file(const struct nook_cgroup *cg, const char *file)
{
    char *path = xasprintf("%s/%s", cg->path, file), *text = NULL;
    size_t len;
    struct nook_error err;
    if (read_file(path, &text, &len, &err) == 0)
        while (len > 0 && text[len - 1] == '\n')
            text[--len] = '\0';
    free(path);
    return text ? text : xstrdup("(unreadable)");
}

static void on_usr1(int sig)
{
    (void)sig;
    shared[1]++;
}

/* A child that counts until killed. */
static pid_t spawn_counter(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGUSR1, on_usr1);
        for (;;) {
            shared[0]++;
            sleep_ms(2);
        }
    }
    return pid;
}

/* The child's wait status once it has died (it gets 2 s, then SIGKILL so a
 * failing test never hangs; the status then still says what happened). */
static int reap(pid_t pid, bool *in_time)
{
    int st = 0;
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            *in_time = true;
            return st;
        }
        sleep_ms(10);
    }
    *in_time = false;
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return st;
}

static bool has_pid(const pid_t *pids, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

static void test_lifecycle(void)
{
    struct nook_error err;
    struct spec spec;
    memset(&spec, 0, sizeof spec);
    spec.cgroups_path = xasprintf("%s/c1", top);
    struct nook_cgroup cg;
    CHECK(cgroup_create(&spec, "ignored", &cg, &err) == 0);
    char *want = xasprintf("%s%s/c1", mount_point, top);
    CHECK_STR(cg.path, want);
    free(want);
    CHECK(cg.dirfd >= 0);
    char *topdir = xasprintf("%s%s", mount_point, top);
    char mark[4];
    CHECK(getxattr(topdir, "user.nook.created", mark, sizeof mark) == 1);
    /* No limits asked: the leaf and its parent enable nothing. */
    char *sc = cg_file(&cg, "cgroup.subtree_control");
    CHECK_STR(sc, "");
    free(sc);

    pid_t a = spawn_counter();
    CHECK(cgroup_enter(&cg, a, &err) == 0);
    /* A child cgroup with a second process: pids and kill are recursive. */
    char *sub = xasprintf("%s/sub", cg.path);
    CHECK(mkdir(sub, 0755) == 0);
    struct nook_cgroup subcg;
    struct nook_state sub_state = {.cgroup_path = sub};
    CHECK(cgroup_open(&sub_state, &subcg, &err) == 0);
    pid_t b = spawn_counter();
    CHECK(cgroup_enter(&subcg, b, &err) == 0);
    cgroup_close(&subcg);

    pid_t *pids = NULL;
    size_t n = 0;
    CHECK(cgroup_pids(&cg, &pids, &n, &err) == 0);
    CHECK(n == 2 && has_pid(pids, n, a) && has_pid(pids, n, b));
    free(pids);

    /* Frozen: the counters stop; thawed: they go on. */
    bool frozen = true;
    CHECK(cgroup_is_frozen(&cg, &frozen, &err) == 0 && !frozen);
    CHECK(cgroup_freeze(&cg, true, &err) == 0);
    CHECK(cgroup_is_frozen(&cg, &frozen, &err) == 0 && frozen);
    unsigned long before = shared[0];
    sleep_ms(300);
    CHECK(shared[0] == before);
    CHECK(cgroup_freeze(&cg, false, &err) == 0);
    CHECK(cgroup_is_frozen(&cg, &frozen, &err) == 0 && !frozen);
    sleep_ms(300);
    CHECK(shared[0] > before);

    /* A signal reaches both processes and leaves the cgroup thawed. */
    CHECK(cgroup_signal_all(&cg, SIGUSR1, &err) == 0);
    for (int i = 0; i < 200 && shared[1] < 2; i++)
        sleep_ms(10);
    CHECK(shared[1] == 2);
    CHECK(cgroup_is_frozen(&cg, &frozen, &err) == 0 && !frozen);

    CHECK(cgroup_kill(&cg, &err) == 0);
    bool in_time;
    int st = reap(a, &in_time);
    CHECK(in_time && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    st = reap(b, &in_time);
    CHECK(in_time && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    /* destroy removes the leaf, its child and the parent nook created. */
    char *leaf = xstrdup(cg.path);
    CHECK(cgroup_destroy(&cg, &err) == 0);
    CHECK(cg.path == NULL && cg.dirfd == -1);
    CHECK(!exists(sub) && !exists(leaf) && !exists(topdir));
    free(sub);
    free(leaf);
    free(topdir);
    free(spec.cgroups_path);
}

/* A parent nook did not create survives destroy; so does a busy one. */
static void test_parents_kept(void)
{
    struct nook_error err;
    char *mine = xasprintf("%s%s", mount_point, top);
    CHECK(mkdir(mine, 0755) == 0);
    struct spec spec;
    memset(&spec, 0, sizeof spec);
    spec.cgroups_path = xasprintf("%s/c2", top);
    struct nook_cgroup c2, c3;
    CHECK(cgroup_create(&spec, "x", &c2, &err) == 0);
    free(spec.cgroups_path);
    spec.cgroups_path = xasprintf("%s/made/c3", top);
    CHECK(cgroup_create(&spec, "x", &c3, &err) == 0);
    char *made = xasprintf("%s/made", mine);
    CHECK(cgroup_destroy(&c3, &err) == 0);
    CHECK(!exists(made));
    CHECK(cgroup_destroy(&c2, &err) == 0);
    CHECK(exists(mine));
    CHECK(rmdir(mine) == 0);
    free(made);
    free(mine);
    free(spec.cgroups_path);
}

/* A failing create leaves nothing behind. */
static void test_failure_cleans_up(const char *controllers)
{
    struct nook_error err;
    struct spec spec;
    memset(&spec, 0, sizeof spec);
    spec.cgroups_path = xasprintf("%s/deep/c4", top);
    spec.has_resources = true;
    char *topdir = xasprintf("%s%s", mount_point, top);
    struct nook_cgroup cg;

    struct spec_kv kv = {"nosuch.file", "1"};
    spec.resources.unified.v = &kv;
    spec.resources.unified.n = 1;
    CHECK(cgroup_create(&spec, "x", &cg, &err) == -1);
    CHECK(strstr(err.msg, "linux.resources.unified[\"nosuch.file\"]") != NULL);
    CHECK(strstr(err.msg, kind == CGROUP_V2 ? "has no file nosuch.file"
                                            : "cannot be written on this cgroup v1 host") != NULL);
    CHECK(!exists(topdir));
    if (kind != CGROUP_V2) {
        free(topdir);
        free(spec.cgroups_path);
        return;
    }

    if (!strstr(controllers, "memory")) {
        memset(&spec.resources, 0, sizeof spec.resources);
        spec.resources.memory.has_limit = true;
        spec.resources.memory.limit = 1 << 30;
        CHECK(cgroup_create(&spec, "x", &cg, &err) == -1);
        char *msg = xasprintf("linux.resources.memory.limit: the memory controller is not "
                              "available in the cgroup v2 hierarchy at %s (cgroup.controllers: "
                              "\"%s\"); ",
                              mount_point, controllers);
        CHECK(strncmp(err.msg, msg, strlen(msg)) == 0);
        CHECK(strstr(err.msg, "cgroup_no_v1=all") != NULL);
        free(msg);
        CHECK(!exists(topdir));
    }

    /* A core file through unified works with no controller at all. */
    memset(&spec.resources, 0, sizeof spec.resources);
    struct spec_kv depth = {"cgroup.max.depth", "3"};
    spec.resources.unified.v = &depth;
    spec.resources.unified.n = 1;
    CHECK(cgroup_create(&spec, "x", &cg, &err) == 0);
    char *v = cg_file(&cg, "cgroup.max.depth");
    CHECK_STR(v, "3");
    free(v);
    CHECK(cgroup_destroy(&cg, &err) == 0);
    CHECK(!exists(topdir));
    free(topdir);
    free(spec.cgroups_path);
}

/* In a child: join the cgroup, then report errno of opening each path
 * (0 = opened). */
static int open_errno_in(const struct nook_cgroup *cg, const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct nook_error err;
        if (cgroup_enter(cg, getpid(), &err) < 0)
            _exit(250);
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            close(fd);
            _exit(0);
        }
        _exit(errno);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static void test_device_filter(void)
{
    /* valgrind 3.19 does not pass the BPF program through faithfully (every
     * device is then denied); the plain and ASan builds, and the VM suite,
     * check the filter. */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) {
        printf("%s: device filter skipped under valgrind\n", __func__);
        return;
    }
    struct nook_error err;
    char *node = xasprintf("%s/nook-test-kmsg-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                           (int)getpid());
    /* /dev/kmsg (c 1:11): readable by root, not in the default allowed list. */
    CHECK(mknod(node, S_IFCHR | 0600, makedev(1, 11)) == 0);
    int fd = open(node, O_RDONLY | O_NONBLOCK);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);

    struct spec spec;
    memset(&spec, 0, sizeof spec);
    spec.cgroups_path = xasprintf("%s/dev", top);
    spec.has_resources = true;
    struct spec_device_rule deny = {false, 'a', -1, -1, "rwm"};
    spec.resources.devices = &deny;
    spec.resources.n_devices = 1;
    struct nook_cgroup cg;
    CHECK(cgroup_create(&spec, "x", &cg, &err) == 0);
    CHECK(open_errno_in(&cg, "/dev/null") == 0);
    CHECK(open_errno_in(&cg, "/dev/zero") == 0);
    CHECK(open_errno_in(&cg, node) == EPERM);

    /* Applying again replaces the filter (not stacks it): allow kmsg now. */
    struct spec_device_rule allow[] = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 11, "r"}};
    struct spec_resources r;
    memset(&r, 0, sizeof r);
    r.devices = allow;
    r.n_devices = 2;
    CHECK(cgroup_apply(&cg, &r, &err) == 0);
    CHECK(open_errno_in(&cg, node) == 0);
    CHECK(cgroup_destroy(&cg, &err) == 0);
    CHECK(unlink(node) == 0);
    free(node);
    free(spec.cgroups_path);
}

/* With controllers (the VM): the values written are the config's. */
static void test_limits(void)
{
    struct nook_error err;
    struct spec spec;
    memset(&spec, 0, sizeof spec);
    spec.cgroups_path = xasprintf("%s/limits", top);
    spec.has_resources = true;
    struct spec_resources *r = &spec.resources;
    r->memory.has_limit = r->memory.has_reservation = true;
    r->memory.limit = 64 << 20;
    r->memory.reservation = 16 << 20;
    r->cpu.has_shares = r->cpu.has_quota = r->cpu.has_period = true;
    r->cpu.shares = 512;
    r->cpu.quota = 25000;
    r->cpu.period = 100000;
    r->cpu.cpus = "0";
    r->pids.has_limit = true;
    r->pids.limit = 7;
    struct nook_cgroup cg;
    CHECK(cgroup_create(&spec, "x", &cg, &err) == 0);
    if (cg.path == NULL) {
        fprintf(stderr, "create: %s\n", err.msg);
        free(spec.cgroups_path);
        return;
    }
    struct {
        const char *file, *want;
    } checks[] = {
        {"memory.max", "67108864"}, {"memory.low", "16777216"}, {"cpu.weight", "59"},
        {"cpu.max", "25000 100000"}, {"cpuset.cpus", "0"},     {"pids.max", "7"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char *v = cg_file(&cg, checks[i].file);
        CHECK_STR(v, checks[i].want);
        free(v);
    }
    /* The parent enables exactly what is needed; the leaf nothing. */
    char *parent = xasprintf("%s%s", mount_point, top);
    struct nook_cgroup pcg = {.path = parent, .dirfd = -1};
    char *sc = cg_file(&pcg, "cgroup.subtree_control");
    CHECK_STR(sc, "cpuset cpu memory pids");
    free(sc);
    sc = cg_file(&cg, "cgroup.subtree_control");
    CHECK_STR(sc, "");
    free(sc);

    /* update: new values land, untouched ones stay. */
    struct spec_resources u;
    memset(&u, 0, sizeof u);
    u.pids.has_limit = true;
    u.pids.limit = -1;
    u.memory.has_limit = true;
    u.memory.limit = 32 << 20;
    CHECK(cgroup_apply(&cg, &u, &err) == 0);
    char *v = cg_file(&cg, "pids.max");
    CHECK_STR(v, "max");
    free(v);
    v = cg_file(&cg, "memory.max");
    CHECK_STR(v, "33554432");
    free(v);
    v = cg_file(&cg, "cpu.max");
    CHECK_STR(v, "25000 100000");
    free(v);

    CHECK(cgroup_destroy(&cg, &err) == 0);
    CHECK(!exists(parent));
    free(parent);
    free(spec.cgroups_path);
}

/* The value of file in the container's directory of the v1 hierarchy
 * holding controller. */
static char *v1_file(const struct nook_cgroup *cg, const char *controller, const char *file)
{
    for (size_t i = 0; i < cg->n_v1; i++) {
        const char *c = cg->v1[i].controllers;
        size_t n = strlen(controller);
        for (const char *p = c; (p = strstr(p, controller)) != NULL; p += n)
            if ((p == c || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
                return cg_file(&(struct nook_cgroup){.path = cg->v1[i].path}, file);
    }
    return xstrdup("(no such hierarchy)");
}

/* v1 and hybrid hosts: the limits land in the v1 files (runc's values),
 * cpuset is filled from the parent, values meaning "unset" write nothing,
 * update changes them, stats read them, and destroy leaves no directory in
 * any hierarchy. */
static void test_v1_limits(void)
{
    struct nook_error err;
    struct spec spec;
    memset(&spec, 0, sizeof spec);
    spec.cgroups_path = xasprintf("%s/v1", top);
    spec.has_resources = true;
    struct spec_resources *r = &spec.resources;
    r->memory.has_limit = r->memory.has_reservation = r->memory.has_swap = true;
    r->memory.limit = 64 << 20;
    r->memory.reservation = 16 << 20;
    r->memory.swap = 96 << 20;
    r->memory.has_swappiness = true;
    r->memory.swappiness = 10;
    r->memory.has_kernel = true;
    r->memory.kernel = 1 << 20;
    r->cpu.has_shares = r->cpu.has_quota = r->cpu.has_period = true;
    r->cpu.shares = 512;
    r->cpu.quota = 25000;
    r->cpu.period = 100000;
    r->pids.has_limit = true;
    r->pids.limit = 7;
    struct nook_cgroup cg;
    CHECK(cgroup_create(&spec, "x", &cg, &err) == 0);
    if (cg.n_v1 == 0) {
        fprintf(stderr, "create: %s\n", err.msg);
        free(spec.cgroups_path);
        return;
    }
    CHECK(cg.kind == kind);
    struct {
        const char *ctl, *file, *want;
    } checks[] = {
        {"memory", "memory.limit_in_bytes", "67108864"},
        {"memory", "memory.soft_limit_in_bytes", "16777216"},
        {"memory", "memory.memsw.limit_in_bytes", "100663296"},
        {"memory", "memory.swappiness", "10"},
        {"cpu", "cpu.shares", "512"},
        {"cpu", "cpu.cfs_quota_us", "25000"},
        {"cpu", "cpu.cfs_period_us", "100000"},
        {"pids", "pids.max", "7"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char *v = v1_file(&cg, checks[i].ctl, checks[i].file);
        CHECK_STR(v, checks[i].want);
        free(v);
    }
    /* cpuset: a new v1 cpuset cgroup is empty; nook copies the parent's. */
    char *root_cpus = NULL;
    size_t len;
    if (read_file("/sys/fs/cgroup/cpuset/cpuset.cpus", &root_cpus, &len, &err) == 0) {
        while (len > 0 && root_cpus[len - 1] == '\n')
            root_cpus[--len] = '\0';
        char *v = v1_file(&cg, "cpuset", "cpuset.cpus");
        CHECK_STR(v, root_cpus);
        free(v);
    }
    free(root_cpus);

    /* A process joins every hierarchy; stats read the v1 files. */
    pid_t a = spawn_counter();
    CHECK(cgroup_enter(&cg, a, &err) == 0);
    struct nook_stats st;
    CHECK(cgroup_read_stats(&cg, &st, &err) == 0);
    CHECK(st.has_memory && st.memory_max == 64 << 20);
    CHECK(st.has_pids && st.pids_current == 1 && st.pids_max == 7);
    pid_t *pids = NULL;
    size_t n = 0;
    CHECK(cgroup_pids(&cg, &pids, &n, &err) == 0);
    CHECK(n == 1 && pids && pids[0] == a);
    free(pids);

    /* update: raising memory with swap orders memsw first; unset values
     * (pids 0, shares 0) leave the files alone; -1 lifts a limit. */
    struct spec_resources u;
    memset(&u, 0, sizeof u);
    u.memory.has_limit = u.memory.has_swap = true;
    u.memory.limit = 128 << 20;
    u.memory.swap = 256 << 20;
    u.pids.has_limit = true;
    u.pids.limit = 0;
    u.cpu.has_shares = true;
    u.cpu.shares = 0;
    u.cpu.has_quota = true;
    u.cpu.quota = -1;
    CHECK(cgroup_apply(&cg, &u, &err) == 0);
    char *v = v1_file(&cg, "memory", "memory.limit_in_bytes");
    CHECK_STR(v, "134217728");
    free(v);
    v = v1_file(&cg, "memory", "memory.memsw.limit_in_bytes");
    CHECK_STR(v, "268435456");
    free(v);
    v = v1_file(&cg, "pids", "pids.max");
    CHECK_STR(v, "7");
    free(v);
    v = v1_file(&cg, "cpu", "cpu.shares");
    CHECK_STR(v, "512");
    free(v);
    v = v1_file(&cg, "cpu", "cpu.cfs_quota_us");
    CHECK_STR(v, "-1");
    free(v);

    /* Freeze stops the counter (hybrid: through cgroup2; v1: the freezer). */
    bool frozen = true;
    CHECK(cgroup_freeze(&cg, true, &err) == 0);
    CHECK(cgroup_is_frozen(&cg, &frozen, &err) == 0 && frozen);
    unsigned long before = shared[0];
    sleep_ms(200);
    CHECK(shared[0] == before);
    CHECK(cgroup_freeze(&cg, false, &err) == 0);
    CHECK(cgroup_kill(&cg, &err) == 0);
    bool in_time;
    int ws = reap(a, &in_time);
    CHECK(in_time && WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);

    /* The state records every directory; opening it again finds them all. */
    struct nook_state rec;
    memset(&rec, 0, sizeof rec);
    cgroup_record(&cg, &rec);
    CHECK_STR(rec.cgroup_backend, cgroup_kind_name(kind));
    CHECK(rec.cgroup_paths.n == cg.n_v1 + (cg.path ? 1 : 0));
    char **dirs = xcalloc(cg.n_v1 + 1, sizeof *dirs);
    for (size_t i = 0; i < cg.n_v1; i++)
        dirs[i] = xstrdup(cg.v1[i].path);
    cgroup_close(&cg);
    CHECK(cgroup_open(&rec, &cg, &err) == 0);
    CHECK(cg.n_v1 == rec.cgroup_paths.n - (cg.path ? 1 : 0));
    CHECK(cgroup_destroy(&cg, &err) == 0);
    for (size_t i = 0; dirs[i]; i++) {
        CHECK(!exists(dirs[i]));
        /* The nook-test-<pid> parent went too: nook made it. */
        char *slash = strrchr(dirs[i], '/');
        *slash = '\0';
        CHECK(!exists(dirs[i]));
        free(dirs[i]);
    }
    free(dirs);
    spec_state_free(&rec);
    free(spec.cgroups_path);
}

/* A limit whose controller is not mounted names the field and the
 * controller, and leaves nothing in any hierarchy. */
static void test_v1_missing_controller(void)
{
    struct nook_error err;
    struct spec spec;
    memset(&spec, 0, sizeof spec);
    spec.cgroups_path = xasprintf("%s/missing", top);
    spec.has_resources = true;
    struct spec_hugepage_limit h = {"2MB", 1 << 21};
    spec.resources.hugepage_limits = &h;
    spec.resources.n_hugepage_limits = 1;
    struct nook_cgroup cg;
    struct cgroup_host host;
    CHECK(cgroup_host_read(&host, &err) == 0);
    bool have = cgroup_host_v1_find(&host, "hugetlb") != NULL;
    if (!have) {
        CHECK(cgroup_create(&spec, "x", &cg, &err) == -1);
        CHECK(strstr(err.msg, "linux.resources.hugepageLimits[0]: the hugetlb controller is "
                              "not available") != NULL);
        CHECK(strstr(err.msg, "mount -t cgroup -o NAME") != NULL);
        for (size_t i = 0; i < host.n; i++) {
            char *d = xasprintf("%s%s", host.m[i].mountpoint, top);
            CHECK(!exists(d));
            free(d);
        }
    }
    cgroup_host_free(&host);
    free(spec.cgroups_path);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("test_cgroup_live: needs root\n");
        return 1;
    }
    struct nook_error err;
    if (cgroup_host_kind(&kind, &err) < 0 ||
        (kind != CGROUP_V1 && cgroup_v2_mount(&mount_point, &err) < 0)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    snprintf(top, sizeof top, "/nook-test-%d", (int)getpid());
    shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        return 1;
    if (kind == CGROUP_V1) {
        /* No cgroup2 at all: the v1 backend alone, through every hierarchy. */
        test_device_filter();
        test_v1_limits();
        test_v1_missing_controller();
        printf("test_cgroup_live: v1 host\n");
        return unit_report("test_cgroup_live");
    }
    char *ctlpath = xasprintf("%s/cgroup.controllers", mount_point), *controllers = NULL;
    size_t len;
    if (read_file(ctlpath, &controllers, &len, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    while (len > 0 && controllers[len - 1] == '\n')
        controllers[--len] = '\0';

    test_lifecycle();
    test_parents_kept();
    test_failure_cleans_up(controllers);
    test_device_filter();
    bool full = strstr(controllers, "memory") && strstr(controllers, "cpu") &&
                strstr(controllers, "pids") && strstr(controllers, "cpuset");
    if (full && kind == CGROUP_V2)
        test_limits();
    if (kind != CGROUP_V2) {
        test_v1_limits();
        test_v1_missing_controller();
    }
    printf("test_cgroup_live: %s host, hierarchy at %s, controllers \"%s\"%s\n",
           cgroup_kind_name(kind), mount_point, controllers,
           full || kind != CGROUP_V2 ? "" : " (limits not tested: no controllers)");
    free(ctlpath);
    free(controllers);
    free(mount_point);
    return unit_report("test_cgroup_live");
}
