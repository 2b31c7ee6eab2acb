/* cgroup/ internals: the ops table each backend fills, and the helpers its
 * files share. Not an interface for other folders (cgroup.h is). */
#ifndef NOOK_CGROUP_BACKEND_H
#define NOOK_CGROUP_BACKEND_H

#include <stdbool.h>

#include "cgroup.h"

/* What differs between the kinds of host. Everything else (directories,
 * joining, listing pids, removing) is the same code for every backend
 * (cgroup.c, dir.c, procs.c). */
struct cgroup_ops {
    enum cgroup_kind kind;
    /* Before anything exists: the config's limits against the host (a limit
     * whose controller is missing is an error naming the field). */
    int (*check)(const struct cgroup_host *h, const struct spec *spec, struct nook_error *err);
    /* Once the directories exist (v1: cpuset.cpus/mems from the parent). */
    int (*setup)(const struct nook_cgroup *cg, const struct cgroup_host *h,
                 struct nook_error *err);
    /* Write resources. */
    int (*apply)(const struct nook_cgroup *cg, const struct spec_resources *r,
                 struct nook_error *err);
    int (*freeze)(const struct nook_cgroup *cg, bool frozen, struct nook_error *err);
    int (*is_frozen)(const struct nook_cgroup *cg, bool *frozen, struct nook_error *err);
    int (*kill)(const struct nook_cgroup *cg, struct nook_error *err);
    int (*stats)(const struct nook_cgroup *cg, struct nook_stats *s, struct nook_error *err);
    int (*oom_open)(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                    struct nook_error *err);
    /* The OOM kills counted by the kernel so far (w from oom_open). */
    int (*oom_count)(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                     uint64_t *count, struct nook_error *err);
};
extern const struct cgroup_ops cgroup_v2_ops, cgroup_v1_ops, cgroup_hybrid_ops;

/* Marks the directories nook created (user xattrs work on cgroup2 since
 * Linux 5.7): destroy only removes an emptied ancestor that carries it. */
#define CGROUP_CREATED_XATTR "user.nook.created"

/* Read a cgroup file (relative to dirfd) into a NUL-terminated string with the
 * trailing newline removed. */
int cg_read(int dirfd, const char *file, char **out, struct nook_error *err);
/* A file holding one number ("max" is UINT64_MAX). */
int cg_read_u64(int dirfd, const char *file, uint64_t *v, struct nook_error *err);
/* The value of "key N" in a keyed file's text (cpu.stat, memory.events), 0 if absent. */
uint64_t cg_keyed(const char *text, const char *key);
/* Whether a space-separated list ("cpu io memory") holds word. */
bool cg_list_has(const char *list, const char *word);
/* Whether a comma-separated list ("cpu,cpuacct") holds word. */
bool cg_comma_list_has(const char *list, const char *word);
void cg_sleep_ms(long ms);
long cg_now_ms(void);

/* Make the directory path below mount (every missing component), recording
 * the ones made so they can be removed on error; *leaf_existed when path
 * itself was there. */
struct cg_created {
    char *dirs[64]; /* outermost first */
    size_t n;
};
int cg_make_dirs(const char *mount, const char *path, struct cg_created *c, bool *leaf_existed,
                 struct nook_error *err);
void cg_remove_created(struct cg_created *c); /* rmdir them, innermost first */
void cg_forget_created(struct cg_created *c);
/* open path O_PATH|O_DIRECTORY and check it is on a cgroup (v2) or cgroup
 * (v1) file system. */
int cg_open_dir(const char *path, bool v2, int *fd, struct nook_error *err);
/* How many processes cgroup.procs lists (not those of child cgroups). */
int cg_count_procs(int dirfd, const char *path, size_t *n, struct nook_error *err);
/* rmdir path and the child cgroups below it, deepest first, retrying EBUSY
 * briefly; then its parents that nook made (they carry the xattr) and that
 * are now empty. */
int cg_remove_dir(const char *path, struct nook_error *err);
/* One rmdir of path (failing while processes or child cgroups use it), then
 * the parents as cg_remove_dir does. */
void cg_remove_dir_if_unused(const char *path);

/* Processes of the cgroup tree at dirfd (cgroup.procs of it and every child). */
int cg_tree_pids(int dirfd, const char *path, pid_t **pids, size_t *n, struct nook_error *err);
int cg_tree_signal(int dirfd, const char *path, int sig, struct nook_error *err);

/* Write a plan's files: in dirfd (v2) or, by the file's controller, in the
 * container's directory of that v1 hierarchy. A write marked if_present is
 * skipped where the file is absent. */
int cg_write_plan(const struct nook_cgroup *cg, const struct cgroup_writes *w,
                  struct nook_error *err);

/* The controllers a plan needs (if_present writes need none), each with the
 * first JSON path needing it. */
struct cg_needed {
    const char *ctl[24];
    const char *json_path[24];
    size_t n;
};
void cg_needed_controllers(const struct cgroup_writes *w, struct cg_needed *nd);
/* Why a controller is missing and the fix, from /proc/cgroups. */
const char *cg_missing_controller_hint(const char *ctl, bool v1_host);

/* ---- v2 pieces the hybrid backend reuses ---- */
int cg_v2_check(const struct cgroup_host *h, const struct spec *spec, struct nook_error *err);
int cg_v2_apply(const struct nook_cgroup *cg, const struct spec_resources *r,
                struct nook_error *err);
int cg_v2_stats(const struct nook_cgroup *cg, struct nook_stats *s, struct nook_error *err);
int cg_v2_oom_open(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                   struct nook_error *err);
int cg_v2_oom_count(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                    uint64_t *count, struct nook_error *err);
int cg_v2_freeze(const struct nook_cgroup *cg, bool frozen, struct nook_error *err);
int cg_v2_is_frozen(const struct nook_cgroup *cg, bool *frozen, struct nook_error *err);
int cg_v2_kill(const struct nook_cgroup *cg, struct nook_error *err);
/* Wait (bounded) until the "key value" line of cgroup.events reads value. */
int cg_wait_events(int dirfd, const char *key, const char *value, int timeout_ms,
                   struct nook_error *err);
/* Enable the plan's controllers in every ancestor's subtree_control. */
int cg_enable_controllers(const char *mount, const char *path, const struct cgroup_writes *w,
                          struct nook_error *err);
/* Load the device filter for rules and attach it to the v2 cgroup. */
int cg_v2_apply_devices(const struct nook_cgroup *cg, const struct spec_device_rule *rules,
                        size_t n, struct nook_error *err);

/* ---- v1 pieces the hybrid backend reuses ---- */
/* The container's directory in the v1 hierarchy holding controller, or NULL. */
const struct cgroup_v1_dir *cg_v1_dir(const struct nook_cgroup *cg, const char *controller);
int cg_v1_check(const struct cgroup_host *h, const struct spec *spec, struct nook_error *err);
int cg_v1_setup(const struct nook_cgroup *cg, const struct cgroup_host *h,
                struct nook_error *err);
int cg_v1_apply(const struct nook_cgroup *cg, const struct spec_resources *r,
                struct nook_error *err);
int cg_v1_stats(const struct nook_cgroup *cg, struct nook_stats *s, struct nook_error *err);
int cg_v1_oom_open(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                   struct nook_error *err);
int cg_v1_oom_count(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                    uint64_t *count, struct nook_error *err);
int cg_v1_freeze(const struct nook_cgroup *cg, bool frozen, struct nook_error *err);
int cg_v1_is_frozen(const struct nook_cgroup *cg, bool *frozen, struct nook_error *err);
int cg_v1_kill(const struct nook_cgroup *cg, struct nook_error *err);

/* A freeze was asked for and every task is frozen or sleeps in the v1 OOM
 * wait (memory.oom_control = 1), where no freezer reaches it: frozen, as far
 * as the container can tell (oom_v1.c; is_frozen of v1 and hybrid). Waits up
 * to 1 s for a requested freeze in motion (tasks just woken from the OOM
 * wait on their way to the freezer) to settle. */
bool cg_oom_v1_frozen_in_oom_wait(const struct nook_cgroup *cg);

#endif
