/* cgroup: the container's cgroup v2 directory and everything done through it
 * (limits, device filter, freeze, kill, listing pids, stats).
 *
 * The v2 mount is found from /proc/self/mountinfo (never assumed to be
 * /sys/fs/cgroup). On a hybrid host whose v2 hierarchy has no controllers
 * (the CI machine: /sys/fs/cgroup/unified), a container that asks for no
 * limits still gets a cgroup there, so freeze and kill work. */
#ifndef NOOK_CGROUP_H
#define NOOK_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "../spec/spec.h"

struct nook_cgroup {
    char *path; /* absolute path of the cgroup directory */
    int dirfd;  /* O_PATH|O_DIRECTORY fd of it (usable for CLONE_INTO_CGROUP), or -1 */
};

/* Create the container's cgroup from linux.cgroupsPath (absolute, relative
 * under "nook/", default "/nook/<id>"), enabling the controllers the
 * resources need in every ancestor, and apply spec->resources. On error
 * nothing created is left behind. */
int cgroup_create(const struct spec *spec, const char *id, struct nook_cgroup *cg,
                  struct nook_error *err);
/* Open an existing container cgroup by its absolute path (from state.json). */
int cgroup_open(const char *path, struct nook_cgroup *cg, struct nook_error *err);
void cgroup_close(struct nook_cgroup *cg);

/* Move pid into the cgroup (cgroup.procs). */
int cgroup_enter(const struct nook_cgroup *cg, pid_t pid, struct nook_error *err);
/* Write resources (used at create and by `update`). */
int cgroup_apply(const struct nook_cgroup *cg, const struct spec_resources *r,
                 struct nook_error *err);

/* cgroup.freeze, waiting for "frozen 1"/"frozen 0" in cgroup.events with a
 * timeout; on a freeze timeout it thaws back and reports the error. */
int cgroup_freeze(const struct nook_cgroup *cg, bool frozen, struct nook_error *err);
int cgroup_is_frozen(const struct nook_cgroup *cg, bool *frozen, struct nook_error *err);
/* Send sig to every process in the cgroup (and its descendants). */
int cgroup_signal_all(const struct nook_cgroup *cg, int sig, struct nook_error *err);
/* cgroup.kill (falls back to SIGKILL of every pid where cgroup.kill is absent). */
int cgroup_kill(const struct nook_cgroup *cg, struct nook_error *err);
/* The pids in the cgroup and its descendants. Caller frees *pids. */
int cgroup_pids(const struct nook_cgroup *cg, pid_t **pids, size_t *n, struct nook_error *err);
/* Remove the cgroup (it must be empty: kill first); retries briefly on EBUSY
 * while the kernel finishes reaping. Also removes the "nook" parent if it was
 * created by nook and is now empty. Closes cg. */
int cgroup_destroy(struct nook_cgroup *cg, struct nook_error *err);

#endif
