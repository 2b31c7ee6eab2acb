/* The library calls on specs and existing containers: warnings, loading a
 * spec, start, state, list, kill, delete. */
#include "internal.h"

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
    int r = read_file(path, &rs->json, &rs->len, err);
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
    int r = container_start(&c, err);
    if (r == 0) {
        struct spec spec;
        if (container_load_spec(&c, &spec, err) == 0) {
            struct nook_error hook_err;
            /* runtime.md: a failing poststart hook is only a warning. */
            if (hooks_run(&spec, SPEC_HOOK_POSTSTART, &c.st, &hook_err) < 0)
                runtime_warn(w, "%s", hook_err.msg);
            spec_free(&spec);
        }
    }
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
        if (de->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s/state.json", g->root, de->d_name);
        char *json;
        size_t len;
        struct nook_error ignored;
        /* A container being created or deleted right now may have no state. */
        if (read_file(path, &json, &len, &ignored) == 0) {
            *v = xrealloc(*v, (*n + 1) * sizeof **v);
            if (spec_state_parse(json, len, &(*v)[*n], &ignored) == 0) {
                (*v)[*n].status = container_status(&(*v)[*n]);
                (*n)++;
            }
            free(json);
        }
        free(path);
    }
    closedir(d);
    return 0;
}

int runtime_kill(const struct nook_globals *g, const char *id, int sig, bool all,
                 struct nook_error *err)
{
    struct container c;
    if (container_load(g, id, &c, err) < 0)
        return -1;
    int r = 0;
    if (c.st.status == NOOK_STATUS_STOPPED) {
        r = nook_error_set(err, 0, "kill: container is not running");
    } else if (all && c.st.cgroup_path) {
        struct nook_cgroup cg;
        r = cgroup_open(&c.st, &cg, err);
        if (r == 0) {
            r = cgroup_signal_all(&cg, sig, err);
            cgroup_close(&cg);
        }
    } else {
        /* pidfd: the pid checked by container_load cannot be recycled under us. */
        int pidfd = (int)syscall(SYS_pidfd_open, c.st.pid, 0);
        if (pidfd < 0 || !container_pid_alive(&c.st))
            r = nook_error_set(err, 0, "kill: container is not running");
        else if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
            r = nook_error_sys(err, "kill: send signal %d", sig);
        if (pidfd >= 0)
            close(pidfd);
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
    runtime_oom_monitor_warn(&c.st, w);
    enum nook_status s = c.st.status;
    int r;
    if ((s == NOOK_STATUS_RUNNING || s == NOOK_STATUS_PAUSED) && !force) {
        r = nook_error_set(err, 0, "delete: container is %s, stop it first or use --force",
                           nook_status_names[s]);
    } else {
        r = s == NOOK_STATUS_STOPPED ? 0 : container_kill_all(&c, err);
        if (r == 0)
            r = container_destroy(&c, w, err);
    }
    container_release(&c);
    return r;
}
