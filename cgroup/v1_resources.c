/* v1: linux.resources as a list of cgroup v1 file writes (pure, unit-tested),
 * as runc's fs driver writes them, and applying it. Each file goes to the
 * container's directory in the hierarchy of its controller prefix. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

static void add(struct cgroup_writes *w, const char *file, char *value, char *json_path,
                bool if_present)
{
    w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
    w->v[w->n] = (struct cgroup_write){xstrdup(file), value, json_path, if_present};
    w->n++;
}

static char *i64(int64_t v)
{
    return xasprintf("%" PRId64, v);
}

/* memory.limit_in_bytes and memory.memsw.limit_in_bytes (memory+swap) must
 * stay limit <= memsw at every step: raising, memsw goes first; lowering,
 * the limit does (runc's order). */
static int plan_memory(const struct spec_resources *r, const struct cgroup_v1_facts *f,
                       struct cgroup_writes *w, struct nook_error *err)
{
    bool limit = r->memory.has_limit && r->memory.limit != 0;
    bool swap = r->memory.has_swap && r->memory.swap != 0;
    if (swap && !f->memsw && r->memory.swap != -1)
        return nook_error_set(err, 0,
                              "linux.resources.memory.swap: this host has no swap accounting "
                              "(no memory.memsw.limit_in_bytes); boot with swapaccount=1 or "
                              "leave swap unset");
    if (swap && !f->memsw)
        swap = false; /* -1 (unlimited) is what there is anyway */
    /* Unlimited memory without a swap setting: memory+swap unlimited too. */
    bool swap_follows = limit && r->memory.limit == -1 && !r->memory.has_swap && f->memsw;
    int64_t swap_v = swap ? r->memory.swap : -1;
    bool swap_first = (swap || swap_follows) &&
                      (swap_v == -1 || f->cur_memory_limit < swap_v);
    if (swap && limit && r->memory.limit > 0 && swap_v > 0 && swap_v < r->memory.limit)
        return nook_error_set(err, 0,
                              "linux.resources.memory.swap: %" PRId64 " is below memory.limit "
                              "%" PRId64 " (swap is the memory+swap total)",
                              swap_v, r->memory.limit);
    if ((swap || swap_follows) && swap_first)
        add(w, "memory.memsw.limit_in_bytes", i64(swap_v),
            xstrdup(swap ? "linux.resources.memory.swap" : "linux.resources.memory.limit"),
            swap_v == -1);
    if (limit)
        add(w, "memory.limit_in_bytes", i64(r->memory.limit),
            xstrdup("linux.resources.memory.limit"), r->memory.limit == -1);
    if ((swap || swap_follows) && !swap_first)
        add(w, "memory.memsw.limit_in_bytes", i64(swap_v),
            xstrdup(swap ? "linux.resources.memory.swap" : "linux.resources.memory.limit"),
            swap_v == -1);
    if (r->memory.has_reservation && r->memory.reservation != 0)
        add(w, "memory.soft_limit_in_bytes", i64(r->memory.reservation),
            xstrdup("linux.resources.memory.reservation"), r->memory.reservation == -1);
    if (r->memory.has_swappiness)
        add(w, "memory.swappiness", xasprintf("%" PRIu64, r->memory.swappiness),
            xstrdup("linux.resources.memory.swappiness"), false);
    if (r->memory.has_disable_oom_killer && r->memory.disable_oom_killer)
        add(w, "memory.oom_control", xstrdup("1"),
            xstrdup("linux.resources.memory.disableOOMKiller"), false);
    /* kernel and kernelTCP: kernel memory limits are gone since Linux 5.16
     * (and deprecated before); runc accepts and ignores them too. */
    return 0;
}

static void plan_cpu(const struct spec_resources *r, struct cgroup_writes *w)
{
    const char *cp = "linux.resources.cpu.";
    if (r->cpu.has_shares && r->cpu.shares != 0)
        add(w, "cpu.shares", xasprintf("%" PRIu64, r->cpu.shares), xasprintf("%sshares", cp),
            false);
    /* The period first: a quota is checked against the period in place. */
    if (r->cpu.has_period && r->cpu.period != 0)
        add(w, "cpu.cfs_period_us", xasprintf("%" PRIu64, r->cpu.period),
            xasprintf("%speriod", cp), false);
    if (r->cpu.has_quota && r->cpu.quota != 0)
        add(w, "cpu.cfs_quota_us", i64(r->cpu.quota < 0 ? -1 : r->cpu.quota),
            xasprintf("%squota", cp), r->cpu.quota < 0);
    if (r->cpu.has_burst)
        add(w, "cpu.cfs_burst_us", xasprintf("%" PRIu64, r->cpu.burst), xasprintf("%sburst", cp),
            false);
    if (r->cpu.has_realtime_period && r->cpu.realtime_period != 0)
        add(w, "cpu.rt_period_us", xasprintf("%" PRIu64, r->cpu.realtime_period),
            xasprintf("%srealtimePeriod", cp), false);
    if (r->cpu.has_realtime_runtime && r->cpu.realtime_runtime != 0)
        add(w, "cpu.rt_runtime_us", i64(r->cpu.realtime_runtime),
            xasprintf("%srealtimeRuntime", cp), false);
    if (r->cpu.has_idle)
        add(w, "cpu.idle", i64(r->cpu.idle), xasprintf("%sidle", cp), false);
    if (r->cpu.cpus && *r->cpu.cpus)
        add(w, "cpuset.cpus", xstrdup(r->cpu.cpus), xasprintf("%scpus", cp), false);
    if (r->cpu.mems && *r->cpu.mems)
        add(w, "cpuset.mems", xstrdup(r->cpu.mems), xasprintf("%smems", cp), false);
}

static void plan_throttle(const struct spec_throttle_device *d, size_t n, const char *file,
                          const char *json_name, struct cgroup_writes *w)
{
    for (size_t i = 0; i < n; i++)
        add(w, file, xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major, d[i].minor, d[i].rate),
            xasprintf("linux.resources.blockIO.%s[%zu]", json_name, i), false);
}

static void plan_blkio(const struct spec_resources *r, bool bfq, struct cgroup_writes *w)
{
    const char *weight = bfq ? "blkio.bfq.weight" : "blkio.weight";
    const char *weight_device = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
    if (r->block_io.has_weight && r->block_io.weight != 0)
        add(w, weight, xasprintf("%u", (unsigned)r->block_io.weight),
            xstrdup("linux.resources.blockIO.weight"), false);
    if (r->block_io.has_leaf_weight && r->block_io.leaf_weight != 0)
        add(w, "blkio.leaf_weight", xasprintf("%u", (unsigned)r->block_io.leaf_weight),
            xstrdup("linux.resources.blockIO.leafWeight"), false);
    for (size_t i = 0; i < r->block_io.n_weight_device; i++) {
        const struct spec_weight_device *d = &r->block_io.weight_device[i];
        if (d->has_weight && d->weight != 0)
            add(w, weight_device,
                xasprintf("%" PRId64 ":%" PRId64 " %u", d->major, d->minor, (unsigned)d->weight),
                xasprintf("linux.resources.blockIO.weightDevice[%zu].weight", i), false);
        if (d->has_leaf_weight && d->leaf_weight != 0)
            add(w, "blkio.leaf_weight_device",
                xasprintf("%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                          (unsigned)d->leaf_weight),
                xasprintf("linux.resources.blockIO.weightDevice[%zu].leafWeight", i), false);
    }
    plan_throttle(r->block_io.throttle_read_bps, r->block_io.n_throttle_read_bps,
                  "blkio.throttle.read_bps_device", "throttleReadBpsDevice", w);
    plan_throttle(r->block_io.throttle_write_bps, r->block_io.n_throttle_write_bps,
                  "blkio.throttle.write_bps_device", "throttleWriteBpsDevice", w);
    plan_throttle(r->block_io.throttle_read_iops, r->block_io.n_throttle_read_iops,
                  "blkio.throttle.read_iops_device", "throttleReadIOPSDevice", w);
    plan_throttle(r->block_io.throttle_write_iops, r->block_io.n_throttle_write_iops,
                  "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice", w);
}

/* "c 1:3 rwm", with -1 as "*" (the kernel's devices.allow syntax). */
static char *device_rule_line(const struct spec_device_rule *d)
{
    char major[24], minor[24];
    if (d->major < 0)
        snprintf(major, sizeof major, "*");
    else
        snprintf(major, sizeof major, "%" PRId64, d->major);
    if (d->minor < 0)
        snprintf(minor, sizeof minor, "*");
    else
        snprintf(minor, sizeof minor, "%" PRId64, d->minor);
    return xasprintf("%c %s:%s %s", d->type ? d->type : 'a', major, minor,
                     *d->access ? d->access : "rwm");
}

static void plan_devices(const struct spec_device_rule *rules, size_t n, struct cgroup_writes *w)
{
    if (n == 0)
        return;
    /* Deny everything first, then the rules in order: later ones win. */
    add(w, "devices.deny", xstrdup("a"), xstrdup("linux.resources.devices"), false);
    for (size_t i = 0; i < n; i++)
        add(w, rules[i].allow ? "devices.allow" : "devices.deny", device_rule_line(&rules[i]),
            xasprintf("linux.resources.devices[%zu]", i), false);
}

int cgroup_v1_plan_writes(const struct spec_resources *r, const struct cgroup_v1_facts *f,
                          const struct spec_device_rule *rules, size_t n_rules,
                          struct cgroup_writes *w, struct nook_error *err)
{
    w->v = NULL;
    w->n = 0;
    if (r->unified.n > 0) {
        return nook_error_set(err, 0,
                              "linux.resources.unified[\"%s\"]: invalid configuration: cgroup "
                              "v2 files cannot be written on this cgroup v1 host; use the v1 "
                              "fields of linux.resources",
                              r->unified.v[0].key);
    }
    if (plan_memory(r, f, w, err) < 0) {
        cgroup_writes_free(w);
        return -1;
    }
    plan_cpu(r, w);
    if (r->pids.has_limit && r->pids.limit > 0)
        add(w, "pids.max", i64(r->pids.limit), xstrdup("linux.resources.pids.limit"), false);
    else if (r->pids.has_limit && r->pids.limit < 0)
        add(w, "pids.max", xstrdup("max"), xstrdup("linux.resources.pids.limit"), true);
    plan_blkio(r, f->blkio_bfq, w);
    for (size_t i = 0; i < r->n_hugepage_limits; i++) {
        char *file = xasprintf("hugetlb.%s.limit_in_bytes", r->hugepage_limits[i].page_size);
        add(w, file, xasprintf("%" PRIu64, r->hugepage_limits[i].limit),
            xasprintf("linux.resources.hugepageLimits[%zu]", i), false);
        free(file);
    }
    if (r->network.has_class_id && r->network.class_id != 0)
        add(w, "net_cls.classid", xasprintf("%u", r->network.class_id),
            xstrdup("linux.resources.network.classID"), false);
    for (size_t i = 0; i < r->network.n_priorities; i++)
        add(w, "net_prio.ifpriomap",
            xasprintf("%s %u", r->network.priorities[i].name, r->network.priorities[i].priority),
            xasprintf("linux.resources.network.priorities[%zu]", i), false);
    plan_devices(rules, n_rules, w);
    return 0;
}

const struct cgroup_v1_dir *cg_v1_dir(const struct nook_cgroup *cg, const char *controller)
{
    for (size_t i = 0; i < cg->n_v1; i++)
        if (cg_comma_list_has(cg->v1[i].controllers, controller))
            return &cg->v1[i];
    return NULL;
}

/* The facts of the container's own directories (the plan depends on them). */
static void read_facts(const struct nook_cgroup *cg, struct cgroup_v1_facts *f)
{
    memset(f, 0, sizeof *f);
    f->cur_memory_limit = INT64_MAX;
    const struct cgroup_v1_dir *mem = cg_v1_dir(cg, "memory");
    if (mem) {
        f->memsw = faccessat(mem->fd, "memory.memsw.limit_in_bytes", F_OK, 0) == 0;
        uint64_t cur;
        struct nook_error ignored;
        if (cg_read_u64(mem->fd, "memory.limit_in_bytes", &cur, &ignored) == 0 &&
            cur <= INT64_MAX)
            f->cur_memory_limit = (int64_t)cur;
    }
    const struct cgroup_v1_dir *blkio = cg_v1_dir(cg, "blkio");
    f->blkio_bfq = blkio && faccessat(blkio->fd, "blkio.weight", F_OK, 0) < 0 &&
                   faccessat(blkio->fd, "blkio.bfq.weight", F_OK, 0) == 0;
}

int cg_v1_apply(const struct nook_cgroup *cg, const struct spec_resources *r,
                struct nook_error *err)
{
    struct cgroup_v1_facts f;
    read_facts(cg, &f);
    /* As on v2, only a config with a device rule list gets device rules. */
    struct spec_device_rule *rules = NULL;
    size_t n_rules = 0;
    if (r->n_devices > 0)
        cgroup_device_rules(r->devices, r->n_devices, &rules, &n_rules);
    struct cgroup_writes w;
    int ret = cgroup_v1_plan_writes(r, &f, rules, n_rules, &w, err);
    free(rules);
    if (ret < 0)
        return -1;
    ret = cg_write_plan(cg, &w, err);
    cgroup_writes_free(&w);
    return ret;
}
