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
#include <stdint.h>
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

/* ---- the pieces below are exposed for `update`, `events` and unit tests ---- */

/* The mount point of the cgroup v2 hierarchy: the first "cgroup2" mount of
 * the hierarchy's root in /proc/self/mountinfo (or in the given text). */
int cgroup_v2_mount(char **mountpoint, struct nook_error *err);
int cgroup_v2_mount_from_mountinfo(const char *mountinfo, char **mountpoint,
                                   struct nook_error *err);

/* The cgroup directory for linux.cgroupsPath (NULL: "/nook/<id>"; absolute:
 * under the mount; relative: under "<mount>/nook/"). Rejects ".." and paths
 * naming the hierarchy's root. */
int cgroup_path_for(const char *mount, const char *cgroups_path, const char *id,
                    char **path, struct nook_error *err);

/* Conversions from the (cgroup v1 flavoured) OCI values, as runc and crun do. */
uint64_t cgroup_cpu_shares_to_weight(uint64_t shares); /* 0 = unset; [2, 262144] -> [1, 10000] */
uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight); /* 0 = unset; [10, 1000] -> [1, 10000] */
/* memory.swap.max from the OCI memory+swap total; *out = -1 for "max", 0 for
 * "leave alone" (unset) unless the total equals the limit (swap disabled). */
int cgroup_memory_swap_max(int64_t swap, int64_t limit, int64_t *out, bool *set,
                           struct nook_error *err);

/* One file to write in the container's cgroup. */
struct cgroup_write {
    char *file;      /* "memory.max" */
    char *value;     /* "1048576" */
    char *json_path; /* "linux.resources.memory.limit", for errors */
};
struct cgroup_writes {
    struct cgroup_write *v;
    size_t n;
};
/* What linux.resources means in cgroup v2 files, in the order to write them.
 * bfq: the io.bfq.weight file exists (the BFQ scheduler is in use), so block
 * IO weights are written there unconverted, as runc does. */
int cgroup_plan_writes(const struct spec_resources *r, bool bfq, struct cgroup_writes *w,
                       struct nook_error *err);
void cgroup_writes_free(struct cgroup_writes *w);
/* The controller a cgroup file belongs to ("memory" for "memory.max"), or
 * NULL for core files (cgroup.*) and unknown prefixes. */
const char *cgroup_file_controller(const char *file);

/* The device rules the filter enforces: linux.resources.devices, then an
 * allow rule for every linux.devices node, then runc's default allowed
 * devices (null, zero, full, random, urandom, tty, ptmx, pts/N, net/tun and
 * mknod of anything), so a container always has its /dev basics. Caller frees. */
void cgroup_device_rules(const struct spec_device_rule *rules, size_t n,
                         const struct spec_device *nodes, size_t n_nodes,
                         struct spec_device_rule **out, size_t *n_out);
/* The BPF_PROG_TYPE_CGROUP_DEVICE program for rules: default deny, later
 * rules win (per access bit: a request is allowed when each of its r/w/m bits
 * is allowed by the last rule matching the device that names that bit).
 * Caller frees *insns. */
struct bpf_insn;
void cgroup_device_program(const struct spec_device_rule *rules, size_t n,
                           struct bpf_insn **insns, size_t *n_insns);
/* Load the program for rules and attach it to the cgroup, replacing a
 * program nook attached before. */
int cgroup_apply_devices(const struct nook_cgroup *cg, const struct spec_device_rule *rules,
                         size_t n, struct nook_error *err);

/* What `events` reports, read from cpu.stat, memory.*, pids.* (fields whose
 * controller is not enabled stay 0 with has_* false). Limits read "max" are
 * UINT64_MAX. */
int cgroup_read_stats(const struct nook_cgroup *cg, struct nook_stats *s,
                      struct nook_error *err);

/* ---- OOM freeze (oom.c, oom_v2.c): the kernel side of org.nook.oom=freeze.
 * The monitor (runtime/oom_monitor.c) polls the watch's fd, asks whether an
 * OOM incident began, freezes, reads the numbers of a snapshot. */

enum cgroup_oom_mechanism {
    CGROUP_OOM_V2,          /* memory.max = limit, oom_score_adj -1000, trigger `oom` */
    CGROUP_OOM_V2_ROOTLESS, /* memory.high = limit, max = limit + margin, trigger `high` */
    CGROUP_OOM_MECHANISMS
};
extern const char *const cgroup_oom_mechanism_names[CGROUP_OOM_MECHANISMS]; /* "cgroup v2", ... */

/* Rootless v2: memory.max is this far above memory.high (the user's limit),
 * room for what tasks allocate before the freeze lands. */
#define CGROUP_OOM_ROOTLESS_MARGIN (16ull << 20)

/* The mechanism for the container's cgroup: privileged is whether nook may
 * give the processes oom_score_adj -1000 (CAP_SYS_RESOURCE). Fails when the
 * cgroup has no memory controller. */
int cgroup_oom_mechanism_for(const struct nook_cgroup *cg, bool privileged,
                             enum cgroup_oom_mechanism *m, struct nook_error *err);
/* The memory limit in the mechanism's files (v2: memory.max; rootless:
 * memory.high and memory.max = limit + margin). UINT64_MAX = none. */
int cgroup_oom_v2_set_limit(const struct nook_cgroup *cg, bool rootless, uint64_t limit,
                            struct nook_error *err);

struct cgroup_oom_watch {
    enum cgroup_oom_mechanism mech;
    int fd;        /* poll for POLLPRI|POLLIN: something changed */
    int mem_dirfd; /* a separate memory cgroup directory, or -1 */
    uint64_t seen; /* the trigger counter's value already handled */
};
/* Start watching (the current counters count as handled). */
int cgroup_oom_open(const struct nook_cgroup *cg, enum cgroup_oom_mechanism m,
                    struct cgroup_oom_watch *w, struct nook_error *err);
/* After the fd woke (or at any time): did a new OOM incident begin? Also
 * re-arms the fd's notification. */
int cgroup_oom_triggered(const struct nook_cgroup *cg, struct cgroup_oom_watch *w, bool *hit,
                         struct nook_error *err);
/* Freeze the cgroup for an incident and wait until it is frozen. */
int cgroup_oom_freeze(const struct nook_cgroup *cg, struct cgroup_oom_watch *w,
                      struct nook_error *err);
/* The memory numbers of a snapshot: mechanism, limit, usage, peak,
 * memory.events, memory.stat. */
int cgroup_oom_read(const struct nook_cgroup *cg, const struct cgroup_oom_watch *w,
                    struct nook_oom_snapshot *s, struct nook_error *err);
void cgroup_oom_close(struct cgroup_oom_watch *w);

/* What this host offers (`nook oom --help`, `features`). */
struct cgroup_oom_support {
    bool v2; /* the memory controller is on the v2 hierarchy: v2 root and rootless */
    bool v1; /* the memory controller is on a v1 hierarchy */
    const char *summary;
};
void cgroup_oom_host_support(struct cgroup_oom_support *s);

#endif
