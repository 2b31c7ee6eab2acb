/* The library calls on specs and existing containers: warnings, loading a
 * spec, start, state, list, kill, delete. */
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"

void runtime_warn(struct runtime_warnings *w, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (!msg)
        return;
    w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
    w->v[w->n++] = msg;
}

void runtime_warnings_free(struct runtime_warnings *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i]);
    free(w->v);
    w->v = NULL;
    w->n = 0;
}

int runtime_spec_load(const char *bundle, struct runtime_spec *rs, struct nook_error *err)
{
    memset(rs, 0, sizeof *rs);
    rs->bundle = realpath(bundle, NULL);
    if (!rs->bundle)
        return nook_error_sys(err, "bundle %s", bundle);
    char *path = xasprintf("%s/config.json", rs->bundle);
    int r = read_regular_file(path, SPEC_FILE_MAX, &rs->json, &rs->len, err);
    free(path);
    if (r < 0) {
        runtime_spec_free(rs);
        return nook_error_wrap(err, "read bundle");
    }
    if (spec_parse(rs->json, rs->len, &rs->spec, err) < 0) {
        free(rs->json);
        free(rs->bundle);
        memset(rs, 0, sizeof *rs);
        return nook_error_wrap(err, "config.json");
    }
    return 0;
}

int runtime_spec_from_json(const char *json, size_t len, struct runtime_spec *rs,
                           struct nook_error *err)
{
    memset(rs, 0, sizeof *rs);
    if (spec_parse(json, len, &rs->spec, err) < 0)
        return -1;
    rs->json = xmalloc(len + 1);
    memcpy(rs->json, json, len);
    rs->json[len] = '\0';
    rs->len = len;
    return 0;
}

void runtime_spec_free(struct runtime_spec *rs)
{
    if (rs->json)
        spec_free(&rs->spec);
    free(rs->json);
    free(rs->bundle);
    memset(rs, 0, sizeof *rs);
}

int runtime_start(const struct nook_globals *g, const char *id, struct runtime_warnings *w,
                  struct nook_error *err)
{
    struct container c;
    if (container_load(g, id, &c, err) < 0)
        return -1;
    runtime_step(g, "start", "state directory locked and read");
    /* Read before the init is let go: runtime.md, start "MUST generate an
     * error if process was not set" (create accepts a config without one),
     * and the container stays created. The poststart hooks come from it. */
    struct spec spec;
    struct nook_error spec_err;
    bool have_spec = container_load_spec(&c, &spec, &spec_err) == 0;
    int r;
    if (have_spec && !spec.has_process && c.st.status == NOOK_STATUS_CREATED)
        r = nook_error_set(err, 0, "start: config.json has no process to run");
    else
        r = container_start(&c, err);
    if (r == 0 && have_spec) {
        struct nook_error hook_err;
        /* runtime.md: a failing poststart hook is only a warning. */
        if (hooks_run(&spec, SPEC_HOOK_POSTSTART, &c.st, &hook_err) < 0)
            runtime_warn(w, "%s", hook_err.msg);
    }
    if (have_spec)
        spec_free(&spec);
    container_release(&c);
    return r;
}

int runtime_state(const struct nook_globals *g, const char *id, struct nook_state *st,
                  struct nook_error *err)
{
    struct container c;
    if (container_load(g, id, &c, err) < 0)
        return -1;
    if (c.st.status == NOOK_STATUS_STOPPED)
        c.st.pid = 0;
    *st = c.st;
    memset(&c.st, 0, sizeof c.st);
    container_release(&c);
    return 0;
}

int runtime_list(const struct nook_globals *g, struct nook_state **v, size_t *n,
                 struct nook_error *err)
{
    *v = NULL;
    *n = 0;
    DIR *d = opendir(g->root);
    if (!d)
        return errno == ENOENT ? 0 : nook_error_sys(err, "open %s", g->root);
    struct dirent *de;
    while ((de = readdir(d))) {
        /* Only names that can be ids: nothing else nook keeps in the root
         * (or anyone put there) is a container. */
        if (!runtime_id_valid(de->d_name))
            continue;
        struct nook_state st;
        if (container_read_unlocked(g, de->d_name, &st) < 0)
            continue;
        *v = xrealloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = st;
    }
    closedir(d);
    return 0;
}

bool runtime_id_valid(const char *id)
{
    if (!*id || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strlen(id) > 1024)
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_+-.", *p))
            return false;
    return true;
}

int runtime_kill(const struct nook_globals *g, const char *id, int sig, bool all,
                 struct nook_error *err)
{
    struct container c;
    if (container_load(g, id, &c, err) < 0)
        return -1;
    int r = 0;
    /* --all of a stopped container signals what is left in its cgroup
     * (nothing, most likely), as runc does. */
    if (c.st.status == NOOK_STATUS_STOPPED && !(all && c.st.cgroup_path)) {
        r = nook_error_set(err, 0, "kill: container is not running");
    } else if (all && c.st.cgroup_path) {
        struct nook_cgroup cg;
        r = cgroup_open(&c.st, &cg, err);
        if (r == 0) {
            r = cgroup_signal_all(&cg, sig, err);
            cgroup_close(&cg);
        }
    } else if (container_signal_init(&c, sig, err) < 0) {
        r = nook_error_wrap(err, "kill");
    }
    container_release(&c);
    return r;
}

int runtime_delete(const struct nook_globals *g, const char *id, bool force,
                   struct runtime_warnings *w, struct nook_error *err)
{
    struct container c;
    if (container_load(g, id, &c, err) < 0)
        return -1;
    runtime_step(g, "delete", "state directory locked and read");
    runtime_oom_monitor_warn(&c.st, w);
    enum nook_status s = c.st.status;
    int r;
    if ((s == NOOK_STATUS_RUNNING || s == NOOK_STATUS_PAUSED) && !force) {
        r = nook_error_set(err, 0, "delete: container is %s, stop it first or use --force",
                           nook_status_names[s]);
    } else {
        /* With --force even a "stopped" one: its init may be unknown (a
         * lost state.json) while its cgroup still holds processes. */
        r = s == NOOK_STATUS_STOPPED && !force ? 0 : container_kill_all(&c, err);
        if (r == 0)
            r = container_destroy(&c, NULL, w, err);
    }
    container_release(&c);
    return r;
}
