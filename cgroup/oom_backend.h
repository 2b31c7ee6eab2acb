/* cgroup/ internals of OOM freeze, shared by oom.c and the per-hierarchy
 * files (oom_v2.c). Not an interface for other folders. */
#ifndef NOOK_CGROUP_OOM_BACKEND_H
#define NOOK_CGROUP_OOM_BACKEND_H

#include "backend.h"

int cg_oom_v2_open(const struct nook_cgroup *cg, struct cgroup_oom_watch *w,
                   struct nook_error *err);
int cg_oom_v2_triggered(const struct nook_cgroup *cg, struct cgroup_oom_watch *w, bool *hit,
                        struct nook_error *err);
int cg_oom_v2_read(const struct nook_cgroup *cg, const struct cgroup_oom_watch *w,
                   struct nook_oom_snapshot *s, struct nook_error *err);

/* cgroup v1 memory controller (oom_v1.c). */
int cg_oom_v1_open(const struct nook_cgroup *cg, struct cgroup_oom_watch *w,
                   struct nook_error *err);
int cg_oom_v1_triggered(const struct nook_cgroup *cg, struct cgroup_oom_watch *w, bool *hit,
                        struct nook_error *err);
int cg_oom_v1_freeze(const struct nook_cgroup *cg, struct nook_error *err);
int cg_oom_v1_thawed(const struct nook_cgroup *cg, bool *thawed, struct nook_error *err);
int cg_oom_v1_let_kernel_kill(const struct nook_cgroup *cg, struct nook_error *err);
int cg_oom_v1_read(const struct nook_cgroup *cg, struct nook_oom_snapshot *s,
                   struct nook_error *err);

#endif
