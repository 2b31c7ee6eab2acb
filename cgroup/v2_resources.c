/* linux.resources as a list of cgroup v2 file writes (pure, unit-tested), and
 * applying such a list to a cgroup. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void add(struct cgroup_writes *w, const char *file, char *value, char *json_path)
{
    w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
    w->v[w->n] = (struct cgroup_write){xstrdup(file), value, json_path, false};
    w->n++;
}

/* A value that is the file's default ("max"): written where the file is,
 * so `update` can lift a limit, but needing no controller at create. */
static void add_default(struct cgroup_writes *w, const char *file, char *value, char *json_path)
{
    add(w, file, value, json_path);
    w->v[w->n - 1].if_present = true;
}

void cgroup_writes_free(struct cgroup_writes *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].file);
        free(w->v[i].value);
        free(w->v[i].json_path);
    }
    free(w->v);
    w->v = NULL;
    w->n = 0;
}

/* -1 (and any negative) is "max" in the v2 files. */
static char *limit_str(int64_t v)
{
    return v < 0 ? xstrdup("max") : xasprintf("%" PRId64, v);
}

static int plan_memory(const struct spec_resources *r, struct cgroup_writes *w,
                       struct nook_error *err)
{
    int64_t limit = r->memory.has_limit ? r->memory.limit : 0;
    if (r->memory.has_swap) {
        int64_t swap;
        bool set;
        if (cgroup_memory_swap_max(r->memory.swap, limit, &swap, &set, err) < 0)
            return -1;
        /* A total equal to the limit means "no swap": write 0 explicitly. */
        if (set && swap < 0)
            add_default(w, "memory.swap.max", limit_str(swap),
                        xstrdup("linux.resources.memory.swap"));
        else if (set)
            add(w, "memory.swap.max", limit_str(swap), xstrdup("linux.resources.memory.swap"));
    } else if (r->memory.has_limit && limit == -1) {
        add_default(w, "memory.swap.max", xstrdup("max"), xstrdup("linux.resources.memory.limit"));
    }
    if (r->memory.has_limit && limit < 0)
        add_default(w, "memory.max", limit_str(limit), xstrdup("linux.resources.memory.limit"));
    else if (r->memory.has_limit && limit != 0)
        add(w, "memory.max", limit_str(limit), xstrdup("linux.resources.memory.limit"));
    if (r->memory.has_reservation && r->memory.reservation != 0)
        add(w, "memory.low", limit_str(r->memory.reservation),
            xstrdup("linux.resources.memory.reservation"));
    /* kernel, kernelTCP, swappiness, useHierarchy: v1-only knobs that runc
     * and crun ignore on v2 too. */
    return 0;
}

static int plan_cpu(const struct spec_resources *r, struct cgroup_writes *w,
                    struct nook_error *err)
{
    if (r->cpu.has_realtime_runtime || r->cpu.has_realtime_period)
        return nook_error_set(err, 0,
                              "linux.resources.cpu.realtimeRuntime: real-time CPU limits do not "
                              "exist in cgroup v2");
    if (r->cpu.has_idle)
        add(w, "cpu.idle", xasprintf("%" PRId64, r->cpu.idle), xstrdup("linux.resources.cpu.idle"));
    if (r->cpu.has_shares && r->cpu.shares != 0)
        add(w, "cpu.weight", xasprintf("%" PRIu64, cgroup_cpu_shares_to_weight(r->cpu.shares)),
            xstrdup("linux.resources.cpu.shares"));
    bool quota = r->cpu.has_quota && r->cpu.quota != 0;
    bool period = r->cpu.has_period && r->cpu.period != 0;
    if (quota || period) {
        /* As runc: "QUOTA" keeps the current period, "max PERIOD" for an
         * unlimited or absent quota. */
        char *q = quota && r->cpu.quota > 0 ? xasprintf("%" PRId64, r->cpu.quota) : xstrdup("max");
        char *v = period ? xasprintf("%s %" PRIu64, q, r->cpu.period) : xstrdup(q);
        free(q);
        char *json_path = xstrdup(quota ? "linux.resources.cpu.quota" : "linux.resources.cpu.period");
        if (!period && r->cpu.quota < 0)
            add_default(w, "cpu.max", v, json_path);
        else
            add(w, "cpu.max", v, json_path);
    }
    if (r->cpu.has_burst)
        add(w, "cpu.max.burst", xasprintf("%" PRIu64, r->cpu.burst),
            xstrdup("linux.resources.cpu.burst"));
    if (r->cpu.cpus && *r->cpu.cpus)
        add(w, "cpuset.cpus", xstrdup(r->cpu.cpus), xstrdup("linux.resources.cpu.cpus"));
    if (r->cpu.mems && *r->cpu.mems)
        add(w, "cpuset.mems", xstrdup(r->cpu.mems), xstrdup("linux.resources.cpu.mems"));
    return 0;
}

static void plan_throttle(const struct spec_throttle_device *d, size_t n, const char *key,
                          const char *json_name, struct cgroup_writes *w)
{
    for (size_t i = 0; i < n; i++)
        add(w, "io.max",
            xasprintf("%" PRId64 ":%" PRId64 " %s=%" PRIu64, d[i].major, d[i].minor, key,
                      d[i].rate),
            xasprintf("linux.resources.blockIO.%s[%zu]", json_name, i));
}

static void plan_io(const struct spec_resources *r, bool bfq, struct cgroup_writes *w)
{
    /* With BFQ, io.bfq.weight takes the blkio range [10, 1000] as is; else
     * io.weight, converted (runc does the same). */
    if (r->block_io.has_weight && r->block_io.weight != 0) {
        if (bfq)
            add(w, "io.bfq.weight", xasprintf("%u", (unsigned)r->block_io.weight),
                xstrdup("linux.resources.blockIO.weight"));
        else
            add(w, "io.weight",
                xasprintf("default %" PRIu64, cgroup_blkio_weight_to_io_weight(r->block_io.weight)),
                xstrdup("linux.resources.blockIO.weight"));
    }
    for (size_t i = 0; i < r->block_io.n_weight_device; i++) {
        const struct spec_weight_device *d = &r->block_io.weight_device[i];
        if (!d->has_weight || d->weight == 0)
            continue;
        if (bfq)
            add(w, "io.bfq.weight",
                xasprintf("%" PRId64 ":%" PRId64 " %u", d->major, d->minor, (unsigned)d->weight),
                xasprintf("linux.resources.blockIO.weightDevice[%zu]", i));
        else
            add(w, "io.weight",
                xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                          cgroup_blkio_weight_to_io_weight(d->weight)),
                xasprintf("linux.resources.blockIO.weightDevice[%zu]", i));
    }
    plan_throttle(r->block_io.throttle_read_bps, r->block_io.n_throttle_read_bps, "rbps",
                  "throttleReadBpsDevice", w);
    plan_throttle(r->block_io.throttle_write_bps, r->block_io.n_throttle_write_bps, "wbps",
                  "throttleWriteBpsDevice", w);
    plan_throttle(r->block_io.throttle_read_iops, r->block_io.n_throttle_read_iops, "riops",
                  "throttleReadIOPSDevice", w);
    plan_throttle(r->block_io.throttle_write_iops, r->block_io.n_throttle_write_iops, "wiops",
                  "throttleWriteIOPSDevice", w);
}

/* A unified key is a file name in the cgroup directory, nothing else. */
static int check_unified_key(const char *key, struct nook_error *err)
{
    if (!*key || strchr(key, '/') || key[0] == '.' || !strchr(key, '.'))
        return nook_error_set(err, 0,
                              "linux.resources.unified[\"%s\"]: not a cgroup v2 file name", key);
    return 0;
}

int cgroup_plan_writes(const struct spec_resources *r, bool bfq, struct cgroup_writes *w,
                       struct nook_error *err)
{
    w->v = NULL;
    w->n = 0;
    if (plan_memory(r, w, err) < 0 || plan_cpu(r, w, err) < 0)
        goto fail;
    /* pids.limit 0 means unset (podman sends it); -1 unlimited, the default. */
    if (r->pids.has_limit && r->pids.limit > 0)
        add(w, "pids.max", xasprintf("%" PRId64, r->pids.limit), xstrdup("linux.resources.pids.limit"));
    else if (r->pids.has_limit && r->pids.limit < 0)
        add_default(w, "pids.max", xstrdup("max"), xstrdup("linux.resources.pids.limit"));
    plan_io(r, bfq, w);
    for (size_t i = 0; i < r->n_hugepage_limits; i++) {
        char *file = xasprintf("hugetlb.%s.max", r->hugepage_limits[i].page_size);
        add(w, file, xasprintf("%" PRIu64, r->hugepage_limits[i].limit),
            xasprintf("linux.resources.hugepageLimits[%zu]", i));
        free(file);
    }
    /* unified comes last so that, as in runc and crun, it overrides. */
    for (size_t i = 0; i < r->unified.n; i++) {
        if (check_unified_key(r->unified.v[i].key, err) < 0)
            goto fail;
        add(w, r->unified.v[i].key, xstrdup(r->unified.v[i].value),
            xasprintf("linux.resources.unified[\"%s\"]", r->unified.v[i].key));
    }
    return 0;
fail:
    cgroup_writes_free(w);
    return -1;
}

const char *cgroup_file_controller(const char *file)
{
    static const char *const controllers[] = {"cpuset", "cpu", "io", "memory", "hugetlb",
                                              "pids", "rdma", "misc", "cpuacct", "blkio",
                                              "devices", "freezer", "net_cls", "net_prio"};
    const char *dot = strchr(file, '.');
    if (!dot)
        return NULL;
    size_t n = (size_t)(dot - file);
    for (size_t i = 0; i < sizeof controllers / sizeof controllers[0]; i++)
        if (strlen(controllers[i]) == n && memcmp(controllers[i], file, n) == 0)
            return controllers[i];
    return NULL;
}

/* The v2 backend's apply: controllers enabled in the ancestors, the files,
 * then the device filter. */
int cg_v2_apply(const struct nook_cgroup *cg, const struct spec_resources *r,
                struct nook_error *err)
{
    struct stat st;
    bool bfq = fstatat(cg->dirfd, "io.bfq.weight", &st, 0) == 0;
    struct cgroup_writes w;
    if (cgroup_plan_writes(r, bfq, &w, err) < 0)
        return -1;
    int ret = -1;
    char *mount = NULL;
    if (w.n > 0) {
        if (cgroup_v2_mount(&mount, err) < 0)
            goto out;
        if (cg_enable_controllers(mount, cg->path, &w, err) < 0)
            goto out;
    }
    if (cg_write_plan(cg, &w, err) < 0)
        goto out;
    /* The device filter is not a file; like runc, nook only installs one
     * when the config has a device rule list. */
    if (r->n_devices > 0) {
        struct spec_device_rule *all;
        size_t n_all;
        cgroup_device_rules(r->devices, r->n_devices, &all, &n_all);
        int d = cg_v2_apply_devices(cg, all, n_all, err);
        free(all);
        if (d < 0)
            goto out;
    }
    ret = 0;
out:
    free(mount);
    cgroup_writes_free(&w);
    return ret;
}
