/* The hybrid backend: limits, stats and OOM events through the v1
 * hierarchies (the controllers are there), while the cgroup2 hierarchy,
 * which has no controllers, tracks the processes, freezes and kills them
 * (cgroup.freeze, cgroup.kill). Before Linux 5.2 the unified hierarchy has
 * no cgroup.freeze: the v1 freezer does it then. */
#include "backend.h"

#include <fcntl.h>
#include <unistd.h>

static bool unified_freezes(const struct nook_cgroup *cg)
{
    return cg->dirfd >= 0 && faccessat(cg->dirfd, "cgroup.freeze", F_OK, 0) == 0;
}

static int hybrid_freeze(const struct nook_cgroup *cg, bool frozen, struct nook_error *err)
{
    return unified_freezes(cg) ? cg_v2_freeze(cg, frozen, err) : cg_v1_freeze(cg, frozen, err);
}

static int hybrid_is_frozen(const struct nook_cgroup *cg, bool *frozen, struct nook_error *err)
{
    int r = unified_freezes(cg) ? cg_v2_is_frozen(cg, frozen, err)
                                : cg_v1_is_frozen(cg, frozen, err);
    if (r == 0 && !*frozen)
        *frozen = cg_oom_v1_frozen_in_oom_wait(cg);
    return r;
}

static int hybrid_kill(const struct nook_cgroup *cg, struct nook_error *err)
{
    return unified_freezes(cg) ? cg_v2_kill(cg, err) : cg_v1_kill(cg, err);
}

const struct cgroup_ops cgroup_hybrid_ops = {
    .kind = CGROUP_HYBRID,
    .check = cg_v1_check,
    .setup = cg_v1_setup,
    .apply = cg_v1_apply,
    .freeze = hybrid_freeze,
    .is_frozen = hybrid_is_frozen,
    .kill = hybrid_kill,
    .stats = cg_v1_stats,
    .oom_open = cg_v1_oom_open,
    .oom_count = cg_v1_oom_count,
};
