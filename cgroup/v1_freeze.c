/* v1: freezing through the freezer controller's freezer.state (FROZEN,
 * passing through FREEZING while tasks stop), and killing by freezing,
 * SIGKILLing every task and thawing. */
#include "backend.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* As on v2: tasks in uninterruptible sleep delay a freeze; a container that
 * cannot freeze in this time is thawed again. */
#define FREEZE_TIMEOUT_MS 10000

static const struct cgroup_v1_dir *freezer_dir(const struct nook_cgroup *cg,
                                               struct nook_error *err)
{
    const struct cgroup_v1_dir *d = cg_v1_dir(cg, "freezer");
    if (!d)
        nook_error_set(err, 0, "this cgroup v1 host has no freezer hierarchy (mount one: "
                       "mount -t cgroup -o freezer cgroup /sys/fs/cgroup/freezer)");
    return d;
}

static int read_state(const struct cgroup_v1_dir *d, char **state, struct nook_error *err)
{
    if (cg_read(d->fd, "freezer.state", state, err) < 0)
        return nook_error_wrap(err, "%s", d->path);
    return 0;
}

/* Write want and wait until freezer.state reads it. The kernel moves a
 * FREEZING cgroup on as its tasks stop; writing FROZEN again nudges tasks
 * that were forking meanwhile (runc does the same). */
static int set_state(const struct cgroup_v1_dir *d, const char *want, struct nook_error *err)
{
    long deadline = cg_now_ms() + FREEZE_TIMEOUT_MS;
    long pause_ms = 1;
    for (;;) {
        if (write_string_at(d->fd, "freezer.state", want, err) < 0)
            return nook_error_wrap(err, "%s", d->path);
        char *state;
        if (read_state(d, &state, err) < 0)
            return -1;
        bool done = strcmp(state, want) == 0;
        free(state);
        if (done)
            return 0;
        if (cg_now_ms() >= deadline)
            return nook_error_set(err, ETIMEDOUT, "%s: freezer.state is not %s after %d ms",
                                  d->path, want, FREEZE_TIMEOUT_MS);
        cg_sleep_ms(pause_ms);
        if (pause_ms < 50)
            pause_ms *= 2;
    }
}

int cg_v1_freeze(const struct nook_cgroup *cg, bool frozen, struct nook_error *err)
{
    const struct cgroup_v1_dir *d = freezer_dir(cg, err);
    if (!d)
        return -1;
    const char *what = frozen ? "freeze" : "thaw";
    if (set_state(d, frozen ? "FROZEN" : "THAWED", err) == 0)
        return 0;
    nook_error_wrap(err, "%s cgroup", what);
    if (frozen) {
        /* Half-frozen is the worst state to leave a container in. */
        struct nook_error ignored;
        if (write_string_at(d->fd, "freezer.state", "THAWED", &ignored) == 0)
            snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
                     " (thawed it again)");
    }
    return -1;
}

int cg_v1_is_frozen(const struct nook_cgroup *cg, bool *frozen, struct nook_error *err)
{
    const struct cgroup_v1_dir *d = freezer_dir(cg, err);
    if (!d)
        return -1;
    char *state;
    if (read_state(d, &state, err) < 0)
        return -1;
    *frozen = strcmp(state, "FROZEN") == 0 || cg_oom_v1_frozen_in_oom_wait(cg);
    free(state);
    return 0;
}

/* The hierarchy whose cgroup.procs lists the container's tasks for killing:
 * the freezer one (it is frozen meanwhile), else any. */
static const struct cgroup_v1_dir *task_dir(const struct nook_cgroup *cg)
{
    const struct cgroup_v1_dir *d = cg_v1_dir(cg, "freezer");
    return d ? d : cg->n_v1 > 0 ? &cg->v1[0] : NULL;
}

int cg_v1_kill(const struct nook_cgroup *cg, struct nook_error *err)
{
    const struct cgroup_v1_dir *d = task_dir(cg);
    if (!d)
        return nook_error_set(err, 0, "kill: the container has no cgroup directory");
    bool froze = cg_v1_dir(cg, "freezer") && cg_v1_freeze(cg, true, err) == 0;
    int r = cg_tree_signal(d->fd, d->path, SIGKILL, err);
    if (froze) {
        struct nook_error thaw_err;
        if (cg_v1_freeze(cg, false, &thaw_err) < 0 && r == 0) {
            *err = thaw_err;
            r = -1;
        }
    }
    if (r < 0)
        return nook_error_wrap(err, "kill cgroup %s", d->path);
    return 0;
}
