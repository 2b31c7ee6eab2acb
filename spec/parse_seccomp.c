/* linux.seccomp: the filter as written; security/ turns it into BPF. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

const char *const spec_seccomp_action_names[SPEC_SCMP_ACTIONS] = {
    [SPEC_SCMP_ACT_KILL] = "SCMP_ACT_KILL",
    [SPEC_SCMP_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
    [SPEC_SCMP_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
    [SPEC_SCMP_ACT_TRAP] = "SCMP_ACT_TRAP",
    [SPEC_SCMP_ACT_ERRNO] = "SCMP_ACT_ERRNO",
    [SPEC_SCMP_ACT_TRACE] = "SCMP_ACT_TRACE",
    [SPEC_SCMP_ACT_ALLOW] = "SCMP_ACT_ALLOW",
    [SPEC_SCMP_ACT_LOG] = "SCMP_ACT_LOG",
    [SPEC_SCMP_ACT_NOTIFY] = "SCMP_ACT_NOTIFY",
};

const char *const spec_seccomp_op_names[SPEC_SCMP_OPS] = {
    [SPEC_SCMP_CMP_NE] = "SCMP_CMP_NE",
    [SPEC_SCMP_CMP_LT] = "SCMP_CMP_LT",
    [SPEC_SCMP_CMP_LE] = "SCMP_CMP_LE",
    [SPEC_SCMP_CMP_EQ] = "SCMP_CMP_EQ",
    [SPEC_SCMP_CMP_GE] = "SCMP_CMP_GE",
    [SPEC_SCMP_CMP_GT] = "SCMP_CMP_GT",
    [SPEC_SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

/* The largest errno a filter can return (the kernel's MAX_ERRNO). */
#define SECCOMP_ERRNO_MAX 4095

/* Look key up in names[0..n); "what" words the error ("action"). */
static int parse_enum(json_t *o, const char *key, const char *path, const char *const *names,
                      int n, const char *what, int *out, struct nook_error *err)
{
    char *v = NULL;
    if (sp_require(o, key, path, err) < 0 || sp_string(o, key, path, &v, err) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            free(v);
            return 0;
        }
    }
    char p[SP_PATH_MAX];
    sp_path(p, path, key);
    sp_err(err, p, "unknown %s \"%s\"", what, v);
    free(v);
    return -1;
}

static int parse_arg(json_t *o, const char *path, void *out, size_t i, struct nook_error *err)
{
    struct spec_seccomp_arg *a = out;
    int64_t index = 0;
    int op = 0;
    if (sp_require(o, "index", path, err) < 0 || sp_require(o, "value", path, err) < 0 ||
        sp_int(o, "index", path, 0, 5, &index, NULL, err) < 0 ||
        sp_u64(o, "value", path, &a->value, NULL, err) < 0 ||
        sp_u64(o, "valueTwo", path, &a->value_two, NULL, err) < 0 ||
        parse_enum(o, "op", path, spec_seccomp_op_names, SPEC_SCMP_OPS, "operator", &op, err) < 0)
        return -1;
    a->index = (unsigned)index;
    a->op = (enum spec_seccomp_op)op;
    return 0;
}

static int parse_syscall(json_t *o, const char *path, void *out, size_t i,
                         struct nook_error *err)
{
    struct spec_seccomp_syscall *s = out;
    char np[SP_PATH_MAX];
    sp_path(np, path, "names");
    json_t *names = sp_member(o, "names");
    if (!json_is_array(names) || json_array_size(names) == 0 ||
        sp_strv(o, "names", path, &s->names, err) < 0)
        return sp_err(err, np, "must be a non-empty array of strings");
    int action = 0;
    int64_t ret = 0;
    if (parse_enum(o, "action", path, spec_seccomp_action_names, SPEC_SCMP_ACTIONS, "action",
                   &action, err) < 0 ||
        sp_int(o, "errnoRet", path, 0, SECCOMP_ERRNO_MAX, &ret, &s->has_errno_ret, err) < 0 ||
        sp_each(o, "args", path, sizeof *s->args, (void **)&s->args, &s->n_args, parse_arg,
                err) < 0)
        return -1;
    s->action = (enum spec_seccomp_action)action;
    s->errno_ret = (unsigned)ret;
    return 0;
}

static bool uses_notify(const struct spec_seccomp *s)
{
    if (s->default_action == SPEC_SCMP_ACT_NOTIFY)
        return true;
    for (size_t i = 0; i < s->n_syscalls; i++)
        if (s->syscalls[i].action == SPEC_SCMP_ACT_NOTIFY)
            return true;
    return false;
}

int sp_parse_seccomp(json_t *o, const char *path, struct spec_seccomp *s,
                     struct nook_error *err)
{
    int action = 0;
    int64_t ret = 0;
    if (parse_enum(o, "defaultAction", path, spec_seccomp_action_names, SPEC_SCMP_ACTIONS,
                   "action", &action, err) < 0 ||
        sp_int(o, "defaultErrnoRet", path, 0, SECCOMP_ERRNO_MAX, &ret,
               &s->has_default_errno_ret, err) < 0 ||
        sp_strv(o, "architectures", path, &s->architectures, err) < 0 ||
        sp_strv(o, "flags", path, &s->flags, err) < 0 ||
        sp_abs_path(o, "listenerPath", path, &s->listener_path, err) < 0 ||
        sp_string(o, "listenerMetadata", path, &s->listener_metadata, err) < 0 ||
        sp_each(o, "syscalls", path, sizeof *s->syscalls, (void **)&s->syscalls, &s->n_syscalls,
                parse_syscall, err) < 0)
        return -1;
    s->default_action = (enum spec_seccomp_action)action;
    s->default_errno_ret = (unsigned)ret;
    /* The notify fd goes to the agent at listenerPath; without one the
     * notified syscalls would block forever. */
    if (uses_notify(s) && !s->listener_path) {
        char p[SP_PATH_MAX];
        sp_path(p, path, "listenerPath");
        return sp_err(err, p, "is required when SCMP_ACT_NOTIFY is used");
    }
    return 0;
}
