/* linux.resources (config.json) and the resources.json of `nook update -r`. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static int parse_device_rule(json_t *o, const char *path, void *out, size_t i,
                             struct nook_error *err)
{
    struct spec_device_rule *d = out;
    char *type = NULL, *access = NULL;
    char p[SP_PATH_MAX];
    d->type = 'a';
    d->major = d->minor = -1;
    strcpy(d->access, "rwm");
    if (sp_require(o, "allow", path, err) < 0 ||
        sp_bool(o, "allow", path, &d->allow, NULL, err) < 0 ||
        sp_int(o, "major", path, -1, INT64_MAX, &d->major, NULL, err) < 0 ||
        sp_int(o, "minor", path, -1, INT64_MAX, &d->minor, NULL, err) < 0 ||
        sp_string(o, "type", path, &type, err) < 0)
        return -1;
    if (type) {
        bool ok = strlen(type) == 1 && strchr("acb", type[0]) != NULL;
        if (ok)
            d->type = type[0];
        else {
            sp_path(p, path, "type");
            sp_err(err, p, "unknown device type \"%s\" (expected \"a\", \"c\" or \"b\")", type);
        }
        free(type);
        if (!ok)
            return -1;
    }
    if (sp_string(o, "access", path, &access, err) < 0)
        return -1;
    if (access) {
        /* A cgroup device rule has three bits, and runc reads the string as
         * the set of r, w and m in it: repeats and other letters are
         * ignored ("rwa" is "rw", as runc's own tests write it). One of
         * the three must be there. */
        size_t k = 0;
        for (const char *c = "rwm"; *c; c++)
            if (strchr(access, *c))
                d->access[k++] = *c;
        d->access[k] = '\0';
        bool ok = k > 0;
        if (!ok) {
            sp_path(p, path, "access");
            sp_err(err, p, "invalid access \"%s\" (none of r, w, m)", access);
        }
        free(access);
        if (!ok)
            return -1;
    }
    return 0;
}

static int parse_memory(json_t *o, const char *path, struct spec_resources *r,
                        struct nook_error *err)
{
    json_t *m;
    char mp[SP_PATH_MAX];
    sp_path(mp, path, "memory");
    if (sp_object(o, "memory", path, &m, err) < 0)
        return -1;
    if (!m)
        return 0;
    int64_t swappiness = 0;
    if (sp_int(m, "limit", mp, -1, INT64_MAX, &r->memory.limit, &r->memory.has_limit, err) < 0 ||
        sp_int(m, "reservation", mp, -1, INT64_MAX, &r->memory.reservation,
               &r->memory.has_reservation, err) < 0 ||
        sp_int(m, "swap", mp, -1, INT64_MAX, &r->memory.swap, &r->memory.has_swap, err) < 0 ||
        sp_int(m, "kernel", mp, -1, INT64_MAX, &r->memory.kernel, &r->memory.has_kernel, err) < 0 ||
        sp_int(m, "kernelTCP", mp, -1, INT64_MAX, &r->memory.kernel_tcp,
               &r->memory.has_kernel_tcp, err) < 0 ||
        sp_int(m, "swappiness", mp, 0, 100, &swappiness, &r->memory.has_swappiness, err) < 0 ||
        sp_bool(m, "disableOOMKiller", mp, &r->memory.disable_oom_killer,
                &r->memory.has_disable_oom_killer, err) < 0 ||
        sp_bool(m, "useHierarchy", mp, &r->memory.use_hierarchy, &r->memory.has_use_hierarchy,
                err) < 0 ||
        sp_bool(m, "checkBeforeUpdate", mp, &r->memory.check_before_update,
                &r->memory.has_check_before_update, err) < 0)
        return -1;
    r->memory.swappiness = (uint64_t)swappiness;
    return 0;
}

static int parse_cpu(json_t *o, const char *path, struct spec_resources *r,
                     struct nook_error *err)
{
    json_t *c;
    char cp[SP_PATH_MAX];
    sp_path(cp, path, "cpu");
    if (sp_object(o, "cpu", path, &c, err) < 0)
        return -1;
    if (!c)
        return 0;
    if (sp_u64(c, "shares", cp, &r->cpu.shares, &r->cpu.has_shares, err) < 0 ||
        sp_int(c, "quota", cp, -1, INT64_MAX, &r->cpu.quota, &r->cpu.has_quota, err) < 0 ||
        sp_u64(c, "burst", cp, &r->cpu.burst, &r->cpu.has_burst, err) < 0 ||
        sp_u64(c, "period", cp, &r->cpu.period, &r->cpu.has_period, err) < 0 ||
        sp_int(c, "realtimeRuntime", cp, INT64_MIN, INT64_MAX, &r->cpu.realtime_runtime,
               &r->cpu.has_realtime_runtime, err) < 0 ||
        sp_u64(c, "realtimePeriod", cp, &r->cpu.realtime_period, &r->cpu.has_realtime_period,
               err) < 0 ||
        sp_int(c, "idle", cp, INT64_MIN, INT64_MAX, &r->cpu.idle, &r->cpu.has_idle, err) < 0 ||
        sp_string(c, "cpus", cp, &r->cpu.cpus, err) < 0 ||
        sp_string(c, "mems", cp, &r->cpu.mems, err) < 0)
        return -1;
    return 0;
}

static int parse_weight_device(json_t *o, const char *path, void *out, size_t i,
                               struct nook_error *err)
{
    struct spec_weight_device *w = out;
    int64_t weight = 0, leaf = 0;
    if (sp_require(o, "major", path, err) < 0 || sp_require(o, "minor", path, err) < 0 ||
        sp_int(o, "major", path, 0, INT64_MAX, &w->major, NULL, err) < 0 ||
        sp_int(o, "minor", path, 0, INT64_MAX, &w->minor, NULL, err) < 0 ||
        sp_int(o, "weight", path, 0, 1000, &weight, &w->has_weight, err) < 0 ||
        sp_int(o, "leafWeight", path, 0, 1000, &leaf, &w->has_leaf_weight, err) < 0)
        return -1;
    w->weight = (uint16_t)weight;
    w->leaf_weight = (uint16_t)leaf;
    return 0;
}

static int parse_throttle_device(json_t *o, const char *path, void *out, size_t i,
                                 struct nook_error *err)
{
    struct spec_throttle_device *t = out;
    if (sp_require(o, "major", path, err) < 0 || sp_require(o, "minor", path, err) < 0 ||
        sp_require(o, "rate", path, err) < 0 ||
        sp_int(o, "major", path, 0, INT64_MAX, &t->major, NULL, err) < 0 ||
        sp_int(o, "minor", path, 0, INT64_MAX, &t->minor, NULL, err) < 0 ||
        sp_u64(o, "rate", path, &t->rate, NULL, err) < 0)
        return -1;
    return 0;
}

static int parse_block_io(json_t *o, const char *path, struct spec_resources *r,
                          struct nook_error *err)
{
    json_t *b;
    char bp[SP_PATH_MAX];
    sp_path(bp, path, "blockIO");
    if (sp_object(o, "blockIO", path, &b, err) < 0)
        return -1;
    if (!b)
        return 0;
    int64_t weight = 0, leaf = 0;
    __typeof__(r->block_io) *io = &r->block_io;
    if (sp_int(b, "weight", bp, 0, 1000, &weight, &io->has_weight, err) < 0 ||
        sp_int(b, "leafWeight", bp, 0, 1000, &leaf, &io->has_leaf_weight, err) < 0 ||
        sp_each(b, "weightDevice", bp, sizeof *io->weight_device, (void **)&io->weight_device,
                &io->n_weight_device, parse_weight_device, err) < 0 ||
        sp_each(b, "throttleReadBpsDevice", bp, sizeof *io->throttle_read_bps,
                (void **)&io->throttle_read_bps, &io->n_throttle_read_bps,
                parse_throttle_device, err) < 0 ||
        sp_each(b, "throttleWriteBpsDevice", bp, sizeof *io->throttle_write_bps,
                (void **)&io->throttle_write_bps, &io->n_throttle_write_bps,
                parse_throttle_device, err) < 0 ||
        sp_each(b, "throttleReadIOPSDevice", bp, sizeof *io->throttle_read_iops,
                (void **)&io->throttle_read_iops, &io->n_throttle_read_iops,
                parse_throttle_device, err) < 0 ||
        sp_each(b, "throttleWriteIOPSDevice", bp, sizeof *io->throttle_write_iops,
                (void **)&io->throttle_write_iops, &io->n_throttle_write_iops,
                parse_throttle_device, err) < 0)
        return -1;
    io->weight = (uint16_t)weight;
    io->leaf_weight = (uint16_t)leaf;
    return 0;
}

static int parse_hugepage_limit(json_t *o, const char *path, void *out, size_t i,
                                struct nook_error *err)
{
    struct spec_hugepage_limit *h = out;
    if (sp_require(o, "pageSize", path, err) < 0 || sp_require(o, "limit", path, err) < 0 ||
        sp_string(o, "pageSize", path, &h->page_size, err) < 0 ||
        sp_u64(o, "limit", path, &h->limit, NULL, err) < 0)
        return -1;
    return 0;
}

static int parse_net_priority(json_t *o, const char *path, void *out, size_t i,
                              struct nook_error *err)
{
    (void)i;
    struct spec_net_priority *p = out;
    int64_t prio;
    if (sp_require(o, "name", path, err) < 0 || sp_require(o, "priority", path, err) < 0 ||
        sp_string(o, "name", path, &p->name, err) < 0 ||
        sp_int(o, "priority", path, 0, UINT32_MAX, &prio, NULL, err) < 0)
        return -1;
    p->priority = (uint32_t)prio;
    return 0;
}

static int parse_network(json_t *o, const char *path, struct spec_resources *r,
                         struct nook_error *err)
{
    json_t *n;
    char np[SP_PATH_MAX];
    sp_path(np, path, "network");
    if (sp_object(o, "network", path, &n, err) < 0)
        return -1;
    if (!n)
        return 0;
    int64_t class_id;
    if (sp_int(n, "classID", np, 0, UINT32_MAX, &class_id, &r->network.has_class_id, err) < 0 ||
        sp_each(n, "priorities", np, sizeof *r->network.priorities,
                (void **)&r->network.priorities, &r->network.n_priorities, parse_net_priority,
                err) < 0)
        return -1;
    r->network.class_id = (uint32_t)class_id;
    return 0;
}

int sp_parse_resources(json_t *o, const char *path, struct spec_resources *r,
                       struct nook_error *err)
{
    json_t *pids;
    char pp[SP_PATH_MAX];
    sp_path(pp, path, "pids");
    if (sp_each(o, "devices", path, sizeof *r->devices, (void **)&r->devices, &r->n_devices,
                parse_device_rule, err) < 0 ||
        parse_memory(o, path, r, err) < 0 || parse_cpu(o, path, r, err) < 0 ||
        sp_object(o, "pids", path, &pids, err) < 0)
        return -1;
    if (pids && sp_int(pids, "limit", pp, INT64_MIN, INT64_MAX, &r->pids.limit,
                       &r->pids.has_limit, err) < 0)
        return -1;
    if (parse_block_io(o, path, r, err) < 0 ||
        sp_each(o, "hugepageLimits", path, sizeof *r->hugepage_limits,
                (void **)&r->hugepage_limits, &r->n_hugepage_limits, parse_hugepage_limit,
                err) < 0 ||
        parse_network(o, path, r, err) < 0 ||
        sp_kvlist(o, "unified", path, &r->unified, err) < 0)
        return -1;
    return 0;
}

static int resources_from_doc(json_t *doc, const char *what, struct spec_resources *r,
                              struct nook_error *err)
{
    if (!doc)
        return -1;
    int ret;
    if (!json_is_object(doc))
        ret = nook_error_set(err, 0, "%s: must be a JSON object", what);
    else
        ret = sp_parse_resources(doc, "", r, err);
    json_decref(doc);
    if (ret < 0)
        spec_resources_free(r);
    return ret;
}

int spec_resources_load(const char *path, struct spec_resources *r, struct nook_error *err)
{
    memset(r, 0, sizeof *r);
    return resources_from_doc(sp_load_json_file(path, path, err), path, r, err);
}

int spec_resources_parse(const char *json, size_t len, const char *what, struct spec_resources *r,
                         struct nook_error *err)
{
    memset(r, 0, sizeof *r);
    return resources_from_doc(sp_load_json(json, len, what, err), what, r, err);
}
