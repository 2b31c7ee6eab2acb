/* The cgroup v1 backend: one directory per mounted hierarchy. */
#include "backend.h"

const struct cgroup_ops cgroup_v1_ops = {
    .kind = CGROUP_V1,
    .check = cg_v1_check,
    .setup = cg_v1_setup,
    .apply = cg_v1_apply,
    .freeze = cg_v1_freeze,
    .is_frozen = cg_v1_is_frozen,
    .kill = cg_v1_kill,
    .stats = cg_v1_stats,
    .oom_open = cg_v1_oom_open,
    .oom_count = cg_v1_oom_count,
};
