/* `nook events` lines, in runc's shapes (libcontainer/types Stats, Event). */
#include <jansson.h>

#include "internal.h"

static json_t *u64(uint64_t v)
{
    return json_integer((json_int_t)(v > (uint64_t)INT64_MAX ? INT64_MAX : v));
}

static json_t *event(const char *type, const char *id)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "id", json_string(id));
    return o;
}

char *spec_event_json(const char *type, const char *id)
{
    return sp_dump(event(type, id), JSON_COMPACT);
}

char *spec_event_stats_json(const char *id, const struct nook_stats *s)
{
    json_t *data = json_object();
    json_t *usage = json_object();
    json_object_set_new(usage, "total", u64(s->cpu_usage_usec * 1000));
    json_object_set_new(usage, "kernel", u64(s->cpu_system_usec * 1000));
    json_object_set_new(usage, "user", u64(s->cpu_user_usec * 1000));
    json_t *thr = json_object();
    json_object_set_new(thr, "periods", u64(s->cpu_nr_periods));
    json_object_set_new(thr, "throttledPeriods", u64(s->cpu_nr_throttled));
    json_object_set_new(thr, "throttledTime", u64(s->cpu_throttled_usec * 1000));
    json_t *cpu = json_object();
    json_object_set_new(cpu, "usage", usage);
    json_object_set_new(cpu, "throttling", thr);
    json_object_set_new(data, "cpu", cpu);
    if (s->has_memory) {
        json_t *mu = json_object();
        json_object_set_new(mu, "limit", u64(s->memory_max));
        json_object_set_new(mu, "usage", u64(s->memory_current));
        json_object_set_new(mu, "max", u64(s->memory_peak));
        json_object_set_new(mu, "failcnt", u64(s->memory_oom));
        json_t *sw = json_object();
        json_object_set_new(sw, "limit", u64(s->swap_max));
        json_object_set_new(sw, "usage", u64(s->swap_current));
        json_t *mem = json_object();
        json_object_set_new(mem, "usage", mu);
        json_object_set_new(mem, "swap", sw);
        json_object_set_new(data, "memory", mem);
    }
    if (s->has_pids) {
        json_t *p = json_object();
        json_object_set_new(p, "current", u64(s->pids_current));
        /* runc: 0 means no limit */
        json_object_set_new(p, "limit", u64(s->pids_max == UINT64_MAX ? 0 : s->pids_max));
        json_object_set_new(data, "pids", p);
    }
    json_t *o = event("stats", id);
    json_object_set_new(o, "data", data);
    return sp_dump(o, JSON_COMPACT);
}
