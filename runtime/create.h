/* Shared by create.c (nook's side) and init.c (the container init's side).
 * The init starts as a clone of nook, so it reads this struct from its own
 * copy of nook's memory. */
#ifndef NOOK_RUNTIME_CREATE_H
#define NOOK_RUNTIME_CREATE_H

#include "../cgroup/cgroup.h"
#include "../ns/ns.h"
#include "../rootfs/rootfs.h"
#include "../security/security.h"
#include "internal.h"

struct create_ctx {
    const struct nook_globals *g;
    const struct create_opts *o;
    const struct runtime_spec *rs;
    struct runtime_warnings *warnings;
    struct spec *spec;      /* &rs->spec */
    const char *config_json;
    size_t config_len;

    char *dir;          /* <root>/<id> */
    const char *bundle; /* rs->bundle, or dir for a spec built in memory */
    int lock_fd;        /* flock()ed state dir; the init closes its copy */
    int dir_fd;         /* O_PATH of the state dir: the init opens exec.fifo through it */
    int start_fd;   /* init: exec.fifo's write end after the start byte, or -1 */
    struct rootfs_plan plan;
    bool plan_dirs;     /* rootfs_prepare_dirs() ran */
    struct cgroup_host host; /* the hierarchies, read once for plan and cgroup */
    bool have_host;
    struct nook_cgroup cg;
    bool have_cg;
    struct ns_joins joins;
    int own_pid_ns, own_time_ns; /* to restore after clone, or -1 */
    struct nook_state st;
    int sync[2];        /* [0] nook's end, [1] the init's */
    int console_sock;   /* connected --console-socket, or -1 */
    int notify_sock;    /* connected seccomp agent (listenerPath), or -1 */
    struct security_seccomp_prog seccomp; /* compiled before the clone */
    bool new_userns;
    bool joined_userns;
    bool slow_path;     /* namespaces joined by path: child setns()es first */
    bool late_cgroupns; /* the init unshares its cgroup ns after joining the cgroups */
    bool in_cgroup2;    /* the clone landed in the cgroup2 directory (CLONE_INTO_CGROUP) */
    pid_t child;        /* what clone returned */
    struct spec_oom_policy oom; /* org.nook.oom*: freeze at the memory limit */
    enum cgroup_oom_mechanism oom_mech;
    int oom_restore_adj;
};

/* Whether the init says hello and waits for nook's go: nook writes its
 * uid/gid maps or prepares the OOM freeze first, or (slow path) learns the
 * pid of the init, a grandchild, only from the hello's credentials.
 * Otherwise nook sends the go, with the init's pid, unasked right after the
 * clone: the init reads it without waiting, one round trip (two wake-ups of
 * one process by the other) fewer. */
static inline bool create_init_says_hello(const struct create_ctx *x)
{
    return x->slow_path || x->new_userns || x->oom.freeze;
}

/* restore (restore.c): criu rebuilds the container's processes from a
 * checkpoint where create would clone an init; out->init is the restored
 * init, nook's child. */
int restore_processes(struct create_ctx *x, struct created *out, struct nook_error *err);

/* The container init's side; never returns. */
_Noreturn void init_main(struct create_ctx *x);

#endif
