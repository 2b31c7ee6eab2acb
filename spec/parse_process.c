/* config.json "process" (and the process.json of `nook exec --process`). */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* uid/gid 4294967295 is (uid_t)-1, which setresuid() reads as "leave
 * unchanged": accepting it would silently keep the runtime's root. */
#define ID_MAX ((int64_t)UINT32_MAX - 1)

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_console_size(json_t *o, const char *path, struct spec_process *p,
                              struct nook_error *err)
{
    json_t *cs;
    char cp[SP_PATH_MAX];
    sp_path(cp, path, "consoleSize");
    if (sp_object(o, "consoleSize", path, &cs, err) < 0)
        return -1;
    if (!cs)
        return 0;
    int64_t h = 0, w = 0;
    if (sp_require(cs, "height", cp, err) < 0 || sp_require(cs, "width", cp, err) < 0 ||
        sp_int(cs, "height", cp, 0, UINT_MAX, &h, NULL, err) < 0 ||
        sp_int(cs, "width", cp, 0, UINT_MAX, &w, NULL, err) < 0)
        return -1;
    p->has_console_size = true;
    p->console_height = (unsigned)h;
    p->console_width = (unsigned)w;
    return 0;
}

static int parse_user(json_t *o, const char *path, struct spec_user *u, struct nook_error *err)
{
    json_t *uo;
    char up[SP_PATH_MAX], ep[SP_PATH_MAX];
    sp_path(up, path, "user");
    if (sp_object(o, "user", path, &uo, err) < 0)
        return -1;
    if (!uo)
        return 0;
    int64_t uid = 0, gid = 0, umask = 0;
    /* config.md: uid and gid are REQUIRED in a POSIX user. */
    if (sp_require(uo, "uid", up, err) < 0 || sp_int(uo, "uid", up, 0, ID_MAX, &uid, NULL, err) < 0 ||
        sp_require(uo, "gid", up, err) < 0 || sp_int(uo, "gid", up, 0, ID_MAX, &gid, NULL, err) < 0 ||
        sp_int(uo, "umask", up, 0, 0777, &umask, &u->has_umask, err) < 0 ||
        sp_string(uo, "username", up, &u->username, err) < 0)
        return -1;
    u->uid = (uid_t)uid;
    u->gid = (gid_t)gid;
    u->umask = (mode_t)umask;

    json_t *gids;
    if (sp_array(uo, "additionalGids", up, &gids, err) < 0)
        return -1;
    if (!gids)
        return 0;
    char gp[SP_PATH_MAX];
    sp_path(gp, up, "additionalGids");
    u->additional_gids = xcalloc(json_array_size(gids), sizeof *u->additional_gids);
    for (size_t i = 0; i < json_array_size(gids); i++) {
        int64_t g;
        sp_path_idx(ep, gp, i);
        if (sp_value_int(json_array_get(gids, i), ep, 0, ID_MAX, &g, err) < 0)
            return -1;
        u->additional_gids[u->n_additional_gids++] = (gid_t)g;
    }
    return 0;
}

static int check_cap_names(const struct spec_strv *v, const char *path, struct nook_error *err)
{
    char ep[SP_PATH_MAX];
    for (size_t i = 0; i < v->n; i++) {
        if (strncmp(v->v[i], "CAP_", 4) != 0) {
            sp_path_idx(ep, path, i);
            return sp_err(err, ep, "unknown capability \"%s\" (must start with \"CAP_\")",
                          v->v[i]);
        }
    }
    return 0;
}

static int parse_capabilities(json_t *o, const char *path, struct spec_process *p,
                              struct nook_error *err)
{
    json_t *co;
    char cp[SP_PATH_MAX], sp[SP_PATH_MAX];
    sp_path(cp, path, "capabilities");
    if (sp_object(o, "capabilities", path, &co, err) < 0)
        return -1;
    if (!co)
        return 0;
    p->has_capabilities = true;
    struct {
        const char *key;
        struct spec_strv *v;
    } sets[] = {
        {"bounding", &p->capabilities.bounding},   {"effective", &p->capabilities.effective},
        {"inheritable", &p->capabilities.inheritable},
        {"permitted", &p->capabilities.permitted}, {"ambient", &p->capabilities.ambient},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        sp_path(sp, cp, sets[i].key);
        if (sp_strv(co, sets[i].key, cp, sets[i].v, err) < 0 ||
            check_cap_names(sets[i].v, sp, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_rlimit(json_t *o, const char *path, void *out, size_t i, struct nook_error *err)
{
    struct spec_rlimit *r = out;
    char *type = NULL;
    char tp[SP_PATH_MAX];
    sp_path(tp, path, "type");
    if (sp_require(o, "type", path, err) < 0 || sp_string(o, "type", path, &type, err) < 0)
        return -1;
    r->resource = -1;
    for (size_t k = 0; k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
        if (strcmp(type, rlimit_names[k].name) == 0)
            r->resource = rlimit_names[k].resource;
    if (r->resource < 0) {
        sp_err(err, tp, "unknown rlimit \"%s\"", type);
        free(type);
        return -1;
    }
    /* The spec: duplicate types in the array are an error. sp_each fills the
     * array in order, so the earlier entries sit just before this one. */
    const struct spec_rlimit *earlier = r - i;
    for (size_t k = 0; k < i; k++) {
        if (earlier[k].resource == r->resource) {
            sp_err(err, tp, "duplicate rlimit \"%s\"", type);
            free(type);
            return -1;
        }
    }
    free(type);
    if (sp_require(o, "soft", path, err) < 0 || sp_require(o, "hard", path, err) < 0 ||
        sp_u64(o, "soft", path, &r->soft, NULL, err) < 0 ||
        sp_u64(o, "hard", path, &r->hard, NULL, err) < 0)
        return -1;
    return 0;
}

int sp_parse_process(json_t *o, const char *path, struct spec_process *p,
                     struct nook_error *err)
{
    char ap[SP_PATH_MAX];
    sp_path(ap, path, "args");
    json_t *args = sp_member(o, "args");
    if (!json_is_array(args) || json_array_size(args) == 0)
        return sp_err(err, ap, "must be a non-empty array of strings");
    if (sp_strv(o, "args", path, &p->args, err) < 0)
        return -1; /* names the element: process.args[1]: must be a string */

    int64_t oom = 0;
    if (sp_bool(o, "terminal", path, &p->terminal, NULL, err) < 0 ||
        parse_console_size(o, path, p, err) < 0 || parse_user(o, path, &p->user, err) < 0 ||
        sp_strv(o, "env", path, &p->env, err) < 0 ||
        sp_require(o, "cwd", path, err) < 0 || sp_abs_path(o, "cwd", path, &p->cwd, err) < 0 ||
        parse_capabilities(o, path, p, err) < 0 ||
        sp_each(o, "rlimits", path, sizeof *p->rlimits, (void **)&p->rlimits, &p->n_rlimits,
                parse_rlimit, err) < 0 ||
        sp_bool(o, "noNewPrivileges", path, &p->no_new_privileges, NULL, err) < 0 ||
        sp_string(o, "apparmorProfile", path, &p->apparmor_profile, err) < 0 ||
        sp_string(o, "selinuxLabel", path, &p->selinux_label, err) < 0 ||
        sp_int(o, "oomScoreAdj", path, -1000, 1000, &oom, &p->has_oom_score_adj, err) < 0)
        return -1;
    p->oom_score_adj = (int)oom;
    return 0;
}

int spec_process_load(const char *path, struct spec_process *p, struct nook_error *err)
{
    memset(p, 0, sizeof *p);
    char *text;
    size_t len;
    if (read_regular_file_or_pipe(path, SPEC_FILE_MAX, &text, &len, err) < 0)
        return -1;
    json_t *doc = sp_load_json(text, len, path, err);
    free(text);
    if (!doc)
        return -1;
    int r;
    if (!json_is_object(doc))
        r = nook_error_set(err, 0, "%s: must be a JSON object", path);
    else
        r = sp_parse_process(doc, "", p, err);
    json_decref(doc);
    if (r < 0)
        spec_process_free(p);
    return r;
}
