/* The OOM-freeze policy (annotations org.nook.oom*, or
 * linux.resources.memory.disableOOMKiller) and the JSON the OOM monitor
 * writes: the snapshot of a frozen container and the oom-frozen /
 * oom-resolved event lines. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OOM_PREFIX "org.nook.oom"

const char *const spec_oom_fallback_names[SPEC_OOM_FALLBACKS] = {
    [SPEC_OOM_FALLBACK_KILL] = "kill",
    [SPEC_OOM_FALLBACK_KILL_ALL] = "kill-all",
    [SPEC_OOM_FALLBACK_THAW] = "thaw",
};

/* Go-style durations ("2s", "500ms", "1m30s", "1.5s") or a plain number of
 * seconds. */
static int parse_timeout(const char *s, long *ms)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    const size_t n_units = sizeof units / sizeof units[0];
    double total = 0;
    if (!*s)
        return -1;
    while (*s) {
        if (!isdigit((unsigned char)*s))
            return -1;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || !isfinite(v))
            return -1;
        if (!*end && total == 0) { /* a bare number: seconds */
            total = v * 1000;
            break;
        }
        size_t i = 0;
        while (i < n_units && strncmp(end, units[i].unit, strlen(units[i].unit)) != 0)
            i++; /* "ms" is tried before "m" */
        if (i == n_units)
            return -1;
        total += v * units[i].ms;
        s = end + strlen(units[i].unit);
    }
    if (total > 86400000.0 * 365)
        return -1;
    *ms = (long)total;
    return 0;
}

static int annotation_err(struct nook_error *err, const char *key, const char *fmt,
                          const char *value)
{
    char path[SP_PATH_MAX];
    sp_path_mapkey(path, "annotations", key);
    return sp_err(err, path, fmt, value);
}

static int parse_mode(const char *v, bool *freeze, struct nook_error *err)
{
    if (strcmp(v, "freeze") == 0)
        *freeze = true;
    else if (strcmp(v, "kill") == 0)
        *freeze = false;
    else
        return annotation_err(err, OOM_PREFIX, "must be \"freeze\" or \"kill\", not \"%s\"", v);
    return 0;
}

static int parse_fallback(const char *v, enum spec_oom_fallback *f, struct nook_error *err)
{
    for (int i = 0; i < SPEC_OOM_FALLBACKS; i++)
        if (strcmp(v, spec_oom_fallback_names[i]) == 0) {
            *f = (enum spec_oom_fallback)i;
            return 0;
        }
    return annotation_err(err, OOM_PREFIX ".fallback",
                          "must be \"kill\", \"kill-all\" or \"thaw\", not \"%s\"", v);
}

/* One org.nook.oom* annotation into p. */
static int parse_oom_annotation(const char *key, const char *v, struct spec_oom_policy *p,
                                bool *mode_set, bool *freeze, struct nook_error *err)
{
    const char *sub = key + strlen(OOM_PREFIX);
    if (*sub == '\0') {
        *mode_set = true;
        return parse_mode(v, freeze, err);
    }
    if (strcmp(sub, ".timeout") == 0) {
        if (parse_timeout(v, &p->timeout_ms) < 0)
            return annotation_err(err, key,
                                  "must be a duration like \"2s\", \"500ms\" or \"1m\" "
                                  "(0: wait for a decision), not \"%s\"", v);
        return 0;
    }
    if (strcmp(sub, ".fallback") == 0) {
        p->has_fallback = true;
        return parse_fallback(v, &p->fallback, err);
    }
    if (strcmp(sub, ".handler") == 0) {
        if (v[0] != '/')
            return annotation_err(err, key, "must be an absolute host path, not \"%s\"", v);
        free(p->handler);
        p->handler = xstrdup(v);
        return 0;
    }
    return annotation_err(err, key,
                          "unknown OOM annotation (known: org.nook.oom, org.nook.oom.timeout, "
                          "org.nook.oom.fallback, org.nook.oom.handler)%s", "");
}

int spec_oom_policy(const struct spec *spec, struct spec_oom_policy *p, struct nook_error *err)
{
    memset(p, 0, sizeof *p);
    bool mode_set = false, freeze = false;
    for (size_t i = 0; i < spec->annotations.n; i++) {
        const char *key = spec->annotations.v[i].key;
        if (strncmp(key, OOM_PREFIX, strlen(OOM_PREFIX)) != 0 ||
            (key[strlen(OOM_PREFIX)] != '\0' && key[strlen(OOM_PREFIX)] != '.'))
            continue;
        if (parse_oom_annotation(key, spec->annotations.v[i].value, p, &mode_set, &freeze,
                                 err) < 0) {
            spec_oom_policy_free(p);
            return -1;
        }
    }
    const bool disable = spec->has_resources && spec->resources.memory.disable_oom_killer;
    if (disable && mode_set && !freeze) {
        spec_oom_policy_free(p);
        return annotation_err(err, OOM_PREFIX,
                              "\"kill\" contradicts linux.resources.memory.disableOOMKiller: "
                              "true%s", "");
    }
    p->freeze = freeze || disable;
    if (!p->freeze)
        spec_oom_policy_free(p); /* timeout, fallback and handler apply to freeze only */
    return 0;
}

void spec_oom_policy_free(struct spec_oom_policy *p)
{
    free(p->handler);
    memset(p, 0, sizeof *p);
}

/* ---- the snapshot and the events ---- */

static json_t *u64(uint64_t v)
{
    return json_integer((json_int_t)(v > (uint64_t)INT64_MAX ? INT64_MAX : v));
}

/* A limit: a number, or "max" for none. */
static json_t *limit_json(uint64_t v)
{
    return v == UINT64_MAX ? json_string("max") : u64(v);
}

static json_t *kv_u64_json(const struct spec_oom_counter *v, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, v[i].key, u64(v[i].value));
    return o;
}

static json_t *snapshot_json(const struct nook_oom_snapshot *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "incident", json_integer(s->incident));
    json_object_set_new(o, "mechanism", json_string(s->mechanism));
    json_object_set_new(o, "frozenAt", json_string(s->frozen_at));
    json_object_set_new(o, "limit", limit_json(s->limit));
    if (s->has_max)
        json_object_set_new(o, "max", limit_json(s->max));
    json_object_set_new(o, "usage", u64(s->usage));
    json_object_set_new(o, "peak", u64(s->peak));
    json_object_set_new(o, "events", kv_u64_json(s->events, s->n_events));
    json_object_set_new(o, "stat", json_pack("{s:o, s:o, s:o}", "anon", u64(s->anon), "file",
                                             u64(s->file), "kernel", u64(s->kernel)));
    json_t *procs = json_array();
    for (size_t i = 0; i < s->n_procs; i++) {
        const struct nook_oom_proc *p = &s->procs[i];
        json_array_append_new(procs,
                              json_pack("{s:i, s:s, s:o, s:o, s:i}", "pid", (int)p->pid,
                                        "command", p->command ? p->command : "", "rss",
                                        u64(p->rss), "anon", u64(p->anon), "oomScoreAdj",
                                        p->oom_score_adj));
    }
    json_object_set_new(o, "processes", procs);
    bool timed = s->deadline != NULL;
    json_object_set_new(o, "deadline", timed ? json_string(s->deadline) : json_null());
    json_object_set_new(o, "fallback",
                        timed ? json_string(spec_oom_fallback_names[s->fallback]) : json_null());
    return o;
}

char *spec_oom_snapshot_json(const struct nook_oom_snapshot *s)
{
    return sp_dump(snapshot_json(s), JSON_INDENT(2));
}

static char *event_line(const char *type, const char *id, json_t *data)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "data", data);
    return sp_dump(o, JSON_COMPACT);
}

char *spec_event_oom_frozen_json(const char *id, const struct nook_oom_snapshot *s)
{
    return event_line("oom-frozen", id, snapshot_json(s));
}

char *spec_event_oom_resolved_json(const char *id, const struct nook_oom_resolution *r)
{
    json_t *d = json_object();
    json_object_set_new(d, "incident", json_integer(r->incident));
    json_object_set_new(d, "action", json_string(r->action));
    if (r->fallback)
        json_object_set_new(d, "fallback", json_string(r->fallback));
    json_object_set_new(d, "limitBefore", limit_json(r->limit_before));
    json_object_set_new(d, "limitAfter", limit_json(r->limit_after));
    json_t *killed = json_array();
    for (size_t i = 0; i < r->n_killed; i++)
        json_array_append_new(killed, json_integer(r->killed[i]));
    json_object_set_new(d, "killed", killed);
    json_object_set_new(d, "frozenMs", json_integer(r->frozen_ms));
    return event_line("oom-resolved", id, d);
}
