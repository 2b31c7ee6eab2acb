/* The cgroup v2 backend: one cgroup2 hierarchy with the controllers. */
#include "backend.h"

/* Nothing to fill in a new v2 cgroup: ancestors' subtree_control is done
 * while applying, where the plan says which controllers are needed. */
static int v2_setup(const struct nook_cgroup *cg, const struct cgroup_host *h,
                    struct nook_error *err)
{
    return 0;
}

const struct cgroup_ops cgroup_v2_ops = {
    .kind = CGROUP_V2,
    .check = cg_v2_check,
    .setup = v2_setup,
    .apply = cg_v2_apply,
    .freeze = cg_v2_freeze,
    .is_frozen = cg_v2_is_frozen,
    .kill = cg_v2_kill,
    .stats = cg_v2_stats,
    .oom_open = cg_v2_oom_open,
    .oom_count = cg_v2_oom_count,
};
