/* cgroup/ internals shared by its files. Not an interface for other folders. */
#ifndef NOOK_CGROUP_INTERNAL_H
#define NOOK_CGROUP_INTERNAL_H

#include <stdbool.h>

#include "cgroup.h"

/* Marks the directories nook created (user xattrs work on cgroup2 since
 * Linux 5.7): destroy only removes an emptied ancestor that carries it. */
#define CGROUP_CREATED_XATTR "user.nook.created"

/* Read a cgroup file (relative to dirfd) into a NUL-terminated string with the
 * trailing newline removed. */
int cg_read(int dirfd, const char *file, char **out, struct nook_error *err);
/* Whether a space-separated list ("cpu io memory") holds word. */
bool cg_list_has(const char *list, const char *word);

/* Make sure every controller the writes need is enabled in the subtree_control
 * of each ancestor of path from mount down to path's parent; the leaf gets
 * none. Errors name the JSON path and the host fix when the hierarchy lacks a
 * controller. */
int cg_enable_controllers(const char *mount, const char *path, const struct cgroup_writes *w,
                          struct nook_error *err);

/* cgroup_apply, plus an allow rule for each linux.devices node (create). */
int cg_apply_resources(const struct nook_cgroup *cg, const struct spec_resources *r,
                       const struct spec_device *nodes, size_t n_nodes, struct nook_error *err);

/* Wait (bounded) until the "key value" line of cgroup.events reads value. */
int cg_wait_events(int dirfd, const char *key, const char *value, int timeout_ms,
                   struct nook_error *err);

/* cgroup v2 halves of the OOM-freeze interface (oom_v2.c). */
int cg_oom_v2_open(const struct nook_cgroup *cg, struct cgroup_oom_watch *w,
                   struct nook_error *err);
int cg_oom_v2_triggered(const struct nook_cgroup *cg, struct cgroup_oom_watch *w, bool *hit,
                        struct nook_error *err);
int cg_oom_v2_read(const struct nook_cgroup *cg, const struct cgroup_oom_watch *w,
                   struct nook_oom_snapshot *s, struct nook_error *err);

#endif
