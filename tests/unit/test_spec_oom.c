/* The OOM-freeze policy (annotations, disableOOMKiller) and the snapshot /
 * event JSON of spec/oom.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../spec/spec.h"
#include "unit.h"

/* A minimal config with the given annotations object and memory object. */
static int policy_of(const char *annotations, const char *memory, struct spec_oom_policy *p,
                     struct nook_error *err)
{
    char *doc = xasprintf("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                          " \"annotations\": %s, \"linux\": {\"resources\": {\"memory\": %s}}}",
                          annotations, memory);
    struct spec spec;
    int r = spec_parse(doc, strlen(doc), &spec, err);
    free(doc);
    if (r < 0)
        return -2;
    r = spec_oom_policy(&spec, p, err);
    spec_free(&spec);
    return r;
}

static void test_policy_values(void)
{
    struct spec_oom_policy p;
    struct nook_error err;
    CHECK(policy_of("{}", "{}", &p, &err) == 0 && !p.freeze);
    CHECK(policy_of("{\"org.nook.oom\": \"kill\"}", "{}", &p, &err) == 0 && !p.freeze);
    CHECK(policy_of("{\"org.nook.oom\": \"freeze\"}", "{}", &p, &err) == 0 && p.freeze &&
          p.timeout_ms == 0 && p.fallback == SPEC_OOM_FALLBACK_KILL && !p.handler);
    spec_oom_policy_free(&p);
    CHECK(policy_of("{}", "{\"disableOOMKiller\": true}", &p, &err) == 0 && p.freeze);
    CHECK(policy_of("{}", "{\"disableOOMKiller\": false}", &p, &err) == 0 && !p.freeze);
    CHECK(policy_of("{\"org.nook.oom\": \"freeze\", \"org.nook.oom.timeout\": \"1m30s\","
                    " \"org.nook.oom.fallback\": \"kill-all\","
                    " \"org.nook.oom.handler\": \"/usr/bin/h\"}",
                    "{}", &p, &err) == 0);
    CHECK(p.freeze && p.timeout_ms == 90000 && p.fallback == SPEC_OOM_FALLBACK_KILL_ALL);
    CHECK_STR(p.handler, "/usr/bin/h");
    spec_oom_policy_free(&p);
    CHECK(policy_of("{\"org.nook.oom\": \"freeze\", \"org.nook.oom.timeout\": \"2\","
                    " \"org.nook.oom.fallback\": \"thaw\"}", "{}", &p, &err) == 0 &&
          p.timeout_ms == 2000 && p.fallback == SPEC_OOM_FALLBACK_THAW);
    CHECK(policy_of("{\"org.nook.oom\": \"freeze\", \"org.nook.oom.timeout\": \"500ms\"}", "{}",
                    &p, &err) == 0 && p.timeout_ms == 500);
    CHECK(policy_of("{\"org.nook.oom\": \"freeze\", \"org.nook.oom.timeout\": \"0\"}", "{}", &p,
                    &err) == 0 && p.timeout_ms == 0);
    /* Other org.nook.* annotations and look-alikes are not the policy's. */
    CHECK(policy_of("{\"org.nook.oomx\": \"1\", \"org.nook.rootfs.lower\": \"l\"}", "{}", &p,
                    &err) == 0 && !p.freeze);
}

static void check_error(const char *annotations, const char *memory, const char *want)
{
    struct spec_oom_policy p;
    struct nook_error err = {0};
    CHECK(policy_of(annotations, memory, &p, &err) == -1);
    CHECK_STR(err.msg, want);
}

static void test_policy_errors(void)
{
    check_error("{\"org.nook.oom\": \"pause\"}", "{}",
                "annotations[\"org.nook.oom\"]: must be \"freeze\" or \"kill\", not \"pause\"");
    check_error("{\"org.nook.oom\": \"freeze\", \"org.nook.oom.timeout\": \"soon\"}", "{}",
                "annotations[\"org.nook.oom.timeout\"]: must be a duration like \"2s\", "
                "\"500ms\" or \"1m\" (0: wait for a decision), not \"soon\"");
    check_error("{\"org.nook.oom\": \"freeze\", \"org.nook.oom.timeout\": \"-1s\"}", "{}",
                "annotations[\"org.nook.oom.timeout\"]: must be a duration like \"2s\", "
                "\"500ms\" or \"1m\" (0: wait for a decision), not \"-1s\"");
    check_error("{\"org.nook.oom\": \"freeze\", \"org.nook.oom.fallback\": \"pray\"}", "{}",
                "annotations[\"org.nook.oom.fallback\"]: must be \"kill\", \"kill-all\" or "
                "\"thaw\", not \"pray\"");
    check_error("{\"org.nook.oom\": \"freeze\", \"org.nook.oom.handler\": \"h.sh\"}", "{}",
                "annotations[\"org.nook.oom.handler\"]: must be an absolute host path, not "
                "\"h.sh\"");
    check_error("{\"org.nook.oom.timeuot\": \"2s\"}", "{}",
                "annotations[\"org.nook.oom.timeuot\"]: unknown OOM annotation (known: "
                "org.nook.oom, org.nook.oom.timeout, org.nook.oom.fallback, "
                "org.nook.oom.handler)");
    check_error("{\"org.nook.oom\": \"kill\"}", "{\"disableOOMKiller\": true}",
                "annotations[\"org.nook.oom\"]: \"kill\" contradicts "
                "linux.resources.memory.disableOOMKiller: true");
}

static void test_snapshot_json(void)
{
    struct nook_oom_proc procs[] = {{.pid = 42, .command = "hog", .rss = 3 << 20,
                                     .anon = 2 << 20, .oom_score_adj = -1000}};
    struct nook_oom_snapshot s = {
        .incident = 2,
        .mechanism = "cgroup v2",
        .frozen_at = "2026-01-01T00:00:00.000Z",
        .limit = 33554432,
        .usage = 33000000,
        .peak = 33554432,
        .events = {{"oom", 7}, {"oom_kill", 0}},
        .n_events = 2,
        .anon = 30000000,
        .file = 1000,
        .kernel = 2000,
        .procs = procs,
        .n_procs = 1,
        .deadline = "2026-01-01T00:00:02.000Z",
        .fallback = SPEC_OOM_FALLBACK_KILL_ALL,
    };
    char *text = spec_oom_snapshot_json(&s);
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    CHECK(o != NULL);
    CHECK(json_integer_value(json_object_get(o, "limit")) == 33554432);
    CHECK(json_integer_value(json_object_get(o, "incident")) == 2);
    CHECK(json_integer_value(json_object_get(json_object_get(o, "events"), "oom")) == 7);
    CHECK(json_integer_value(json_object_get(json_object_get(o, "stat"), "anon")) == 30000000);
    json_t *p0 = json_array_get(json_object_get(o, "processes"), 0);
    CHECK(json_integer_value(json_object_get(p0, "pid")) == 42);
    CHECK_STR(json_string_value(json_object_get(p0, "command")), "hog");
    CHECK(json_integer_value(json_object_get(p0, "oomScoreAdj")) == -1000);
    CHECK_STR(json_string_value(json_object_get(o, "fallback")), "kill-all");
    CHECK(json_object_get(o, "max") == NULL); /* only rootless has one above the limit */
    json_decref(o);
    free(text);

    /* Rootless: the limit is memory.high, max the hard limit above it. */
    s.has_max = true;
    s.max = 33554432 + (16 << 20);
    text = spec_oom_snapshot_json(&s);
    o = json_loads(text, 0, &je);
    CHECK(o != NULL);
    CHECK(json_integer_value(json_object_get(o, "limit")) == 33554432);
    CHECK(json_integer_value(json_object_get(o, "max")) == 33554432 + (16 << 20));
    json_decref(o);
    free(text);
    s.has_max = false;

    s.limit = UINT64_MAX;
    s.deadline = NULL;
    text = spec_event_oom_frozen_json("c1", &s);
    o = json_loads(text, 0, &je);
    CHECK(o != NULL && strchr(text, '\n') == NULL);
    CHECK_STR(json_string_value(json_object_get(o, "type")), "oom-frozen");
    CHECK_STR(json_string_value(json_object_get(o, "id")), "c1");
    json_t *d = json_object_get(o, "data");
    CHECK_STR(json_string_value(json_object_get(d, "limit")), "max");
    CHECK(json_is_null(json_object_get(d, "deadline")) && json_is_null(json_object_get(d, "fallback")));
    json_decref(o);
    free(text);

    pid_t killed[] = {42, 43};
    struct nook_oom_resolution r = {.incident = 1, .action = "timeout", .fallback = "kill",
                                    .limit_before = 1, .limit_after = 2, .killed = killed,
                                    .n_killed = 2, .frozen_ms = 2001};
    text = spec_event_oom_resolved_json("c1", &r);
    CHECK_STR(text, "{\"type\":\"oom-resolved\",\"id\":\"c1\",\"data\":{\"incident\":1,"
                    "\"action\":\"timeout\",\"fallback\":\"kill\",\"limitBefore\":1,"
                    "\"limitAfter\":2,\"killed\":[42,43],\"frozenMs\":2001}}");
    free(text);
}

int main(void)
{
    test_policy_values();
    test_policy_errors();
    test_snapshot_json();
    return unit_report("test_spec_oom");
}
