/* cgroup: the only way the rest of nook touches cgroups.
 *
 * A container's cgroup is one directory per hierarchy, handled by the backend
 * for the kind of host, chosen once from /proc/self/mountinfo (never by
 * assuming /sys/fs/cgroup) when the cgroup is created and recorded in
 * state.json with every path, so later commands never guess again:
 *   v2      one cgroup2 hierarchy with the controllers;
 *   v1      one hierarchy per controller set ("cpu,cpuacct", "memory",
 *           "name=systemd", ...): the container gets a directory in each;
 *   hybrid  v1 hierarchies for the limits, plus the cgroup2 one (on the CI
 *           machine /sys/fs/cgroup/unified, without controllers) that tracks,
 *           freezes and kills the container's processes.
 * Backends live in cgroup/v2_*.c, cgroup/v1_*.c and cgroup/hybrid.c behind the
 * ops table of cgroup/backend.h. */
#ifndef NOOK_CGROUP_H
#define NOOK_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../spec/spec.h"

enum cgroup_kind { CGROUP_V2, CGROUP_V1, CGROUP_HYBRID };

/* The container's directory in one v1 hierarchy. */
struct cgroup_v1_dir {
    char *controllers; /* the hierarchy's controller set: "cpu,cpuacct", "name=systemd" */
    char *path;        /* absolute path of the container's directory in it */
    int fd;            /* O_PATH|O_DIRECTORY of it, or -1 */
};

struct cgroup_ops;
struct nook_cgroup {
    const struct cgroup_ops *ops; /* the backend */
    enum cgroup_kind kind;
    char *path; /* the cgroup2 directory (v2, hybrid), NULL on pure v1 */
    int dirfd;  /* O_PATH|O_DIRECTORY of path (usable for CLONE_INTO_CGROUP), or -1 */
    struct cgroup_v1_dir *v1; /* v1, hybrid: every v1 hierarchy */
    size_t n_v1;
    /* cgroup_create: the processes a directory of it held already (most in
     * any hierarchy): the cgroup is shared with them (runc allows that with
     * a warning), so it is never killed or removed as a whole. */
    size_t procs_found;
};

/* The kind of cgroup host nook runs on, from /proc/self/mountinfo. */
int cgroup_host_kind(enum cgroup_kind *kind, struct nook_error *err);
const char *cgroup_kind_name(enum cgroup_kind kind); /* "v2", "v1", "hybrid" */

/* What in the config needs the container's own cgroup: linux.cgroupsPath
 * (that cgroup was asked for) or the JSON path of the first limit that writes
 * something (values meaning "unset", like pids.limit 0 or -1 and cpu.shares
 * 0, need nothing). NULL when nothing does (device rules do not count:
 * without a cgroup an unprivileged user can only reach the device nodes it
 * could reach anyway). Caller frees. */
char *cgroup_needed_by(const struct spec *spec);

/* Create the container's cgroup from linux.cgroupsPath (absolute, relative
 * under "nook/", default "/nook/<id>"; the same name in every hierarchy),
 * enabling/filling what the resources need (v2 subtree_control, v1 cpuset
 * cpus/mems from the parent), and apply spec->resources. A limit whose
 * controller the host lacks is an error naming the field, the controller and
 * how to enable it, before anything is made; on error nothing created is left
 * behind. */
int cgroup_create(const struct spec *spec, const char *id, struct nook_cgroup *cg,
                  struct nook_error *err);
/* The same on hierarchies already read (cgroup_host_read, below): create
 * reads /proc/self/mountinfo once for the plan and the cgroup. */
struct cgroup_host;
int cgroup_create_on(const struct cgroup_host *h, const struct spec *spec, const char *id,
                     struct nook_cgroup *cg, struct nook_error *err);
/* The directories cgroup_create_on(h) would make, without making anything
 * (fds -1): to record them (cgroup_record) before they exist, so an
 * interrupted create can be cleaned up (cgroup_open skips directories that
 * are absent). */
int cgroup_plan(const struct cgroup_host *h, const struct spec *spec, const char *id,
                struct nook_cgroup *cg, struct nook_error *err);
/* Record the backend and every path in the state (cgroup_path: the directory
 * that tracks the processes; cgroup_backend; cgroup_paths: "unified" or the v1
 * controller set -> path; cgroup_shared: procs_found). */
void cgroup_record(const struct nook_cgroup *cg, struct nook_state *st);
/* Open the cgroup recorded in st (no cgroup recorded: error with code ENOENT;
 * a state from before backends were recorded is a v2 one at cgroup_path). */
int cgroup_open(const struct nook_state *st, struct nook_cgroup *cg, struct nook_error *err);
void cgroup_close(struct nook_cgroup *cg);
/* In the container's init, before it runs anything of the container: close
 * the directory fds (they are the host's) and keep nothing else. */
void cgroup_close_fds(struct nook_cgroup *cg);
/* The fd for clone3's CLONE_INTO_CGROUP: the cgroup2 directory (v2, hybrid),
 * or -1 (pure v1). A clone there is in the cgroup2 one only: the v1
 * hierarchies it joins itself (cgroup_enter_self). */
int cgroup_clone_fd(const struct nook_cgroup *cg);

/* Move pid into every one of the container's directories (cgroup.procs). */
int cgroup_enter(const struct nook_cgroup *cg, pid_t pid, struct nook_error *err);

/* In a process nook just cloned (single-threaded, as every clone is): join
 * every v1 directory by writing "0" to its tasks file, and the cgroup2 one
 * too when cgroup2_too (the clone could not land there). A thread moving
 * itself is moved without the global lock that a pid written to
 * cgroup.procs takes (cgroup_threadgroup_rwsem, whose write side waits for
 * an RCU grace period: 3 ms for the 9 v1 hierarchies of the CI host, against
 * 0.1 ms this way). */
int cgroup_enter_self(const struct nook_cgroup *cg, bool cgroup2_too, struct nook_error *err);
/* Write resources (`update`). */
int cgroup_apply(const struct nook_cgroup *cg, const struct spec_resources *r,
                 struct nook_error *err);

/* Freeze or thaw (v2/hybrid: cgroup.freeze; v1: freezer.state), waiting with
 * a timeout for the kernel to finish; on a freeze timeout it thaws back and
 * reports the error. */
int cgroup_freeze(const struct nook_cgroup *cg, bool frozen, struct nook_error *err);
int cgroup_is_frozen(const struct nook_cgroup *cg, bool *frozen, struct nook_error *err);
/* Send sig to every process in the cgroup (and its descendants), frozen
 * meanwhile so none forks past it. */
int cgroup_signal_all(const struct nook_cgroup *cg, int sig, struct nook_error *err);
/* Kill every process (cgroup.kill, or freeze + SIGKILL + thaw). */
int cgroup_kill(const struct nook_cgroup *cg, struct nook_error *err);
/* The pids in the cgroup and its descendants. Caller frees *pids. */
int cgroup_pids(const struct nook_cgroup *cg, pid_t **pids, size_t *n, struct nook_error *err);
/* Remove the container's directory in every hierarchy (it must be empty:
 * kill first; retries briefly on EBUSY while the kernel finishes reaping),
 * and the parents nook created that are now empty. Closes cg. */
int cgroup_destroy(struct nook_cgroup *cg, struct nook_error *err);
/* A shared cgroup (procs_found): remove the directories no process or child
 * cgroup uses any more, at once (no waiting), and leave the others to
 * whoever runs in them. Closes cg. */
void cgroup_release_shared(struct nook_cgroup *cg);

/* What `events` reports (fields whose controller the cgroup lacks stay 0
 * with has_* false). Limits read "max" are UINT64_MAX. */
int cgroup_read_stats(const struct nook_cgroup *cg, struct nook_stats *s,
                      struct nook_error *err);

/* The container's memory cgroup directory (v2: the cgroup; v1/hybrid: its
 * directory in the memory hierarchy), -1/NULL when it has none. For the
 * OOM-freeze monitor, with its OOM watch and cgroup_freeze. */
int cgroup_memory_fd(const struct nook_cgroup *cg);
const char *cgroup_memory_path(const struct nook_cgroup *cg);

/* Being told of OOM kills: fd polls readable (POLLIN) or POLLPRI when the
 * memory cgroup's OOM state changes (v2: memory.events; v1: an eventfd
 * registered on memory.oom_control, as runc does). */
struct cgroup_oom_events {
    int fd;       /* poll it for `events` */
    short events; /* POLLPRI (v2) or POLLIN (v1) */
    int ctl_fd;   /* v1: memory.oom_control, kept open while registered; else -1 */
    uint64_t seen;  /* OOM events counted so far */
    uint64_t fired; /* v1: eventfd notifications while the cgroup existed */
};
int cgroup_oom_events_open(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                          struct nook_error *err);
/* Wait up to timeout_ms (0: just look) and say how many OOM events happened
 * since the last call (or since open). */
int cgroup_oom_events_wait(const struct nook_cgroup *cg, struct cgroup_oom_events *w,
                          int timeout_ms, uint64_t *new_ooms, struct nook_error *err);
void cgroup_oom_events_close(struct cgroup_oom_events *w);

/* ---- the pieces below are exposed for unit tests (and cgroup_host_read,
 * cgroup_host_free for create's cgroup_plan/cgroup_create_on) ---- */

/* One mounted hierarchy, from mountinfo (only mounts of a hierarchy's root). */
struct cgroup_mount {
    char *mountpoint;
    char *controllers; /* v1: superoptions' controllers + "name=..." joined by ','; v2: NULL */
    bool v2;
};
struct cgroup_host {
    enum cgroup_kind kind;
    struct cgroup_mount *m;
    size_t n;
    const struct cgroup_mount *v2; /* the cgroup2 mount, or NULL */
};
int cgroup_host_from_mountinfo(const char *mountinfo, struct cgroup_host *h,
                               struct nook_error *err);
int cgroup_host_read(struct cgroup_host *h, struct nook_error *err);
void cgroup_host_free(struct cgroup_host *h);
/* The v1 mount holding controller ("cpu" is in "cpu,cpuacct"), or NULL. */
const struct cgroup_mount *cgroup_host_v1_find(const struct cgroup_host *h, const char *controller);

/* The mount point of the cgroup v2 hierarchy (the first cgroup2 mount of its
 * root), or an error saying how to mount one. */
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

/* One file to write in the container's cgroup (v1: in the hierarchy of the
 * file's controller prefix). */
struct cgroup_write {
    char *file;      /* "memory.max", "memory.limit_in_bytes" */
    char *value;     /* "1048576" */
    char *json_path; /* "linux.resources.memory.limit", for errors */
    bool if_present; /* a default value ("max", -1): written only where the
                      * controller's file exists, never requires the controller */
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
/* Facts of the v1 host the plan depends on. */
struct cgroup_v1_facts {
    bool memsw;        /* swap accounting: memory.memsw.* exist */
    bool blkio_bfq;    /* blkio.bfq.weight instead of blkio.weight */
    int64_t cur_memory_limit; /* memory.limit_in_bytes now (update): orders limit vs memsw */
};
/* What linux.resources means in cgroup v1 files, in the order to write them;
 * the device rules (all of them, as cgroup_device_rules makes them) become
 * devices.deny "a" and then one devices.allow/deny per rule. */
int cgroup_v1_plan_writes(const struct spec_resources *r, const struct cgroup_v1_facts *f,
                          const struct spec_device_rule *rules, size_t n_rules,
                          struct cgroup_writes *w, struct nook_error *err);
void cgroup_writes_free(struct cgroup_writes *w);
/* The controller a cgroup file belongs to ("memory" for "memory.max",
 * "net_cls" for "net_cls.classid"), or NULL for core files (cgroup.*) and
 * unknown prefixes. */
const char *cgroup_file_controller(const char *file);

/* The device rules a container gets: linux.resources.devices, then runc's
 * default allowed devices (null, zero, full, random, urandom, tty, ptmx,
 * pts/N, net/tun and mknod of anything), so a container always has its /dev
 * basics. The linux.devices nodes get no rule of their own: as in runc, a
 * node the rules deny exists but cannot be opened (runtimes under podman,
 * Docker and containerd add the allow rule to linux.resources.devices).
 * Caller frees. */
void cgroup_device_rules(const struct spec_device_rule *rules, size_t n,
                         struct spec_device_rule **out, size_t *n_out);
/* The BPF_PROG_TYPE_CGROUP_DEVICE program for rules (v2): default deny,
 * later rules win (per access bit). Caller frees *insns. */
struct bpf_insn;
void cgroup_device_program(const struct spec_device_rule *rules, size_t n,
                           struct bpf_insn **insns, size_t *n_insns);

/* ---- OOM freeze (oom.c, oom_v2.c, oom_v1.c, oom_ancestor.c): the kernel side of org.nook.oom=freeze.
 * The monitor (runtime/oom_monitor.c) polls the watch's fd, asks whether an
 * OOM incident began, freezes, reads the numbers of a snapshot. */

enum cgroup_oom_mechanism {
    CGROUP_OOM_V2,          /* memory.max = limit, oom_score_adj -1000, trigger `oom` */
    CGROUP_OOM_V2_ROOTLESS, /* memory.high = limit, max = limit + margin, trigger `high` */
    CGROUP_OOM_V1,          /* memory.oom_control = 1, eventfd; v1 and hybrid hosts */
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
    int ctl_fd;    /* v1: memory.oom_control, open while the eventfd is registered */
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
/* Someone thawed the cgroup (or asked to: a v1 OOM wait ends later). */
int cgroup_oom_thawed(const struct nook_cgroup *cg, const struct cgroup_oom_watch *w,
                      bool *thawed, struct nook_error *err);
/* The fallback `kill`, the kernel's side: v1 turns its OOM killer back on
 * (memory.oom_control = 0); v2 needs nothing here (the runtime gives the
 * processes back their oom_score_adj). */
int cgroup_oom_let_kernel_kill(const struct nook_cgroup *cg, const struct cgroup_oom_watch *w,
                               struct nook_error *err);
void cgroup_oom_close(struct cgroup_oom_watch *w);

/* The ancestor of the container's memory cgroup with the lowest limit below
 * the container's own (v2: memory.max; v1: memory.limit_in_bytes, up to a
 * parent with memory.use_hierarchy 0): an OOM at its limit is counted and
 * handled there, where the freeze does not watch (oom_ancestor.c). path
 * NULL: there is none. Caller frees path. */
struct cgroup_oom_ancestor {
    char *path;
    uint64_t limit;     /* its limit */
    uint64_t own_limit; /* the container's, UINT64_MAX: none */
    const char *file;   /* "memory.max", "memory.limit_in_bytes" */
};
int cgroup_oom_tighter_ancestor(const struct nook_cgroup *cg, struct cgroup_oom_ancestor *a,
                                struct nook_error *err);

/* What this host offers (`nook oom --help`, `features`). */
struct cgroup_oom_support {
    bool v2; /* the memory controller is on the v2 hierarchy: v2 root and rootless */
    bool v1; /* the memory controller is on a v1 hierarchy */
    const char *summary;
    /* An unprivileged caller on v2: the parent of its own cgroup (relative
     * to the hierarchy's root) when it may make cgroups there and the
     * memory controller reaches them (delegated, as systemd delegates
     * user@.service), else NULL. Caller frees. */
    char *delegated;
};
void cgroup_oom_host_support(struct cgroup_oom_support *s);

#endif
