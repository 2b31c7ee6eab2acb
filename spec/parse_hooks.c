/* config.json "hooks": six lists of programs the runtime runs around the
 * container's life. */
#include "internal.h"

#include <limits.h>

const char *const spec_hook_names[SPEC_HOOK_KINDS] = {
    [SPEC_HOOK_PRESTART] = "prestart",
    [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
    [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
    [SPEC_HOOK_START_CONTAINER] = "startContainer",
    [SPEC_HOOK_POSTSTART] = "poststart",
    [SPEC_HOOK_POSTSTOP] = "poststop",
};

static int parse_hook(json_t *o, const char *path, void *out, size_t i, struct nook_error *err)
{
    struct spec_hook *h = out;
    int64_t timeout = 0;
    if (sp_require(o, "path", path, err) < 0 || sp_abs_path(o, "path", path, &h->path, err) < 0 ||
        sp_strv(o, "args", path, &h->args, err) < 0 || sp_strv(o, "env", path, &h->env, err) < 0)
        return -1;
    json_t *t = sp_member(o, "timeout");
    if (t) {
        char p[SP_PATH_MAX];
        sp_path(p, path, "timeout");
        if (!json_is_integer(t))
            return sp_err(err, p, "must be an integer");
        if (json_integer_value(t) <= 0)
            return sp_err(err, p, "must be greater than 0, got %lld",
                          (long long)json_integer_value(t));
        if (sp_value_int(t, p, 1, INT_MAX, &timeout, err) < 0)
            return -1;
        h->has_timeout = true;
        h->timeout = (int)timeout;
    }
    return 0;
}

int sp_parse_hooks(json_t *doc, struct spec *spec, struct nook_error *err)
{
    json_t *hooks;
    if (sp_object(doc, "hooks", "", &hooks, err) < 0)
        return -1;
    if (!hooks)
        return 0;
    for (int k = 0; k < SPEC_HOOK_KINDS; k++) {
        struct spec_hook_list *l = &spec->hooks[k];
        if (sp_each(hooks, spec_hook_names[k], "hooks", sizeof *l->v, (void **)&l->v, &l->n,
                    parse_hook, err) < 0)
            return -1;
    }
    return 0;
}
