/* runtime/ internals shared by the command files. Not an interface for other
 * folders (that is runtime.h). */
#ifndef NOOK_RUNTIME_INTERNAL_H
#define NOOK_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include "runtime.h"

/* ---- steps (runtime/step.c) ---- */

/* Step `what` of command cmd is done. With --debug and
 * NOOK_DEBUG_KILL_AT_STEP set: logged (numbered per process), and for the
 * value <cmd>:<n> nook SIGKILLs itself at step n (the crash tests). */
void runtime_step(const struct nook_globals *g, const char *cmd, const char *what);

/* ---- state store (runtime/state.c) ---- */

/* An opened container: its state, locked while held. */
struct nook_cgroup;
struct container {
    char *id;
    char *dir;      /* <root>/<id> */
    int lock_fd;    /* flock()ed <root>/<id>/lock, -1 when not held */
    struct nook_state st;
    bool recorded;  /* st is from state.json or resources.json, not just the dir */
    const struct nook_globals *g;
    /* The container's cgroup as opened for the first thing that needed it
     * (container_load's frozen check, container_kill_all), for the next ones
     * (exec, container_destroy) to take instead of opening it again; NULL
     * until then. */
    struct nook_cgroup *cg;
};

/* Open an existing container (its state dir), take its lock, read what is
 * recorded of it and derive the status from facts (container_status). A
 * state dir with a missing or corrupt state.json still loads: from
 * resources.json, else as a container that never got past "creating", so
 * delete -f can remove what a killed nook left. */
int container_load(const struct nook_globals *g, const char *id, struct container *c,
                   struct nook_error *err);
/* The same without the lock, for list: -1 when <root>/<id> is not a state
 * dir. A container whose create holds the lock and has no state.json yet is
 * "creating". */
int container_read_unlocked(const struct nook_globals *g, const char *id, struct nook_state *st);
/* Write state.json (atomically). */
int container_save(struct container *c, struct nook_error *err);
/* Unlock and free (does not delete anything). */
void container_release(struct container *c);
/* Read the config.json copy made at create. */
int container_load_spec(const struct container *c, struct spec *spec, struct nook_error *err);

/* The status from facts: stopped when the init is gone, created while
 * <dir>/exec.fifo exists (not looked at when dir is NULL), paused when the
 * cgroup is frozen, else running. */
enum nook_status container_status(const char *dir, const struct nook_state *st);
/* The parent pid of pid (/proc/<pid>/stat), or -1. */
pid_t proc_parent(pid_t pid);
/* The container's pid still runs and is the process nook started (its start
 * time matches), not a zombie. */
bool container_pid_alive(const struct nook_state *st);
/* Start time (clock ticks, /proc/<pid>/stat field 22) and state letter. */
int proc_stat_start_time(pid_t pid, unsigned long long *start, char *state);
/* The state letter, flags (field 9: the kernel's PF_* bits) and start time
 * of /proc/<pid>/stat. */
int proc_stat_fields(pid_t pid, char *state, unsigned long *flags, unsigned long long *start);
/* rm -r without following symlinks. */
int remove_tree(const char *path, struct nook_error *err);

/* ---- lifecycle (runtime/create.c, runtime/lifecycle.c) ---- */

/* What a successful create leaves to `run`. */
struct created {
    pid_t init;      /* host pid of the container's init */
    int sync_fd;     /* parent end of the sync socket (exec errors, EOF on exec) */
    int master;      /* pty master for a foreground run, or -1 */
    /* run (create_opts.run): the container as create left it, still locked,
     * for the start to go on with instead of reading back the state.json
     * just written; the caller releases it. Else empty (lock_fd -1). */
    struct container c;
};

/* Create the container from rs (its json is stored as the container's
 * config copy; without a bundle the state dir is the bundle). Leaves nothing
 * behind on error. The caller has blocked the signals it will forward (run). */
int container_create(const struct nook_globals *g, struct runtime_spec *rs,
                     const struct create_opts *o, struct created *out,
                     struct runtime_warnings *w, struct nook_error *err);

/* Release a created container: open exec.fifo for reading and read the byte
 * init writes, failing if init dies first. Then status running and
 * poststart hooks. c is locked. */
int container_start(struct container *c, struct nook_error *err);

/* Remove everything of a stopped (or killed) container: cgroup, overlay dirs,
 * state dir, then poststop hooks (a failing one is a warning in w). c is
 * locked; released by the caller. spec is the container's config when the
 * caller has it in memory (run), NULL to read the copy made at create. */
int container_destroy(struct container *c, const struct spec *spec, struct runtime_warnings *w,
                      struct nook_error *err);

/* Kill every process of the container and wait until init is gone. */
int container_kill_all(struct container *c, struct nook_error *err);
/* Send sig to the container's init, checked to still be the process nook
 * started ("container is not running" otherwise); through a pidfd where the
 * kernel has pidfd_open, else kill(2). */
int container_signal_init(const struct container *c, int sig, struct nook_error *err);

/* ---- foreground processes (runtime/signals.c) ---- */

/* Every signal but those that stop or crash nook itself. */
void forwarded_signals(sigset_t *set);
/* exit code, or 128+N for a process killed by signal N (as a shell). */
int exit_status_of(int wstatus);

/* ---- sync between nook and the container's init (runtime/sync.c) ---- */

enum sync_type {
    SYNC_HELLO = 1,     /* child -> parent: I exist (sender pid via credentials) */
    SYNC_GO,            /* parent -> child: maps written, cgroup joined; pid = init's host pid */
    SYNC_USERMAP,       /* child -> parent: write maps for my new user namespace */
    SYNC_USERMAP_DONE,
    SYNC_HOOKS,         /* child -> parent: mounts done, run prestart/createRuntime */
    SYNC_HOOKS_DONE,
    SYNC_MASTER,        /* child -> parent: pty master attached (SCM_RIGHTS) */
    SYNC_CREATED,       /* child -> parent: ready to wait on exec.fifo */
    SYNC_COMMITTED,     /* parent -> child: state.json names you: outlive nook */
    SYNC_MOUNT_SOURCE,  /* child -> parent: open the bind source of mounts[pid] for me */
    SYNC_MOUNT_SOURCE_FD, /* parent -> child: its detached tree (SCM_RIGHTS) */
    SYNC_ERROR,         /* either way: err holds why; the sender gives up */
};

struct sync_msg {
    int type;
    pid_t pid;
    struct nook_error err;
};

/* Send one message (fd >= 0 is attached with SCM_RIGHTS). Never raises
 * SIGPIPE. */
int sync_send(int sock, int type, pid_t pid, const struct nook_error *payload, int fd,
              struct nook_error *err);
/* Receive one message. *sender gets the sender's pid (in our pid namespace)
 * when the socket has SO_PASSCRED, *fd an attached fd or -1. Returns 0, or 1
 * on EOF, or -1. */
int sync_recv(int sock, struct sync_msg *m, pid_t *sender, int *fd, struct nook_error *err);

/* ---- hooks (runtime/hooks.c) ---- */

/* Run every hook of one kind in order, each with the OCI state JSON of st on
 * its stdin, its own args/env, and its timeout (killed when it expires).
 * A hook that cannot run, exits non-zero, is killed or times out stops the
 * list: err says `<kind> hook <path>: exited with status 3` (kind as in
 * config.json: "prestart", "createRuntime", ...). poststart and poststop
 * hooks all run even when one fails (runtime.md); err then holds the first
 * failure, for the caller to warn about. Hooks run with the bundle as their
 * working directory where they can see it. */
int hooks_run(const struct spec *spec, enum spec_hook_kind kind,
              const struct nook_state *st, struct nook_error *err);
extern const char *const hook_kind_names[SPEC_HOOK_KINDS];

/* ---- console and fd passing (runtime/console.c) ---- */

/* Send/receive one fd with SCM_RIGHTS plus a small payload over a unix
 * socket. */
int fd_send(int sock, int fd, const void *data, size_t len, struct nook_error *err);
int fd_recv(int sock, int *fd, void *data, size_t len, struct nook_error *err);
/* Parent: connect to --console-socket PATH; the fd is handed to the child.
 * A socket that is not there yet (its listener is still starting, as
 * runc's recvtty in scripts) is retried for a moment. */
int console_socket_connect(const char *path, int *sock, struct nook_error *err);
/* Child, after pivot_root with the container's /dev/pts mounted: open a pty
 * from /dev/ptmx, make the slave its controlling terminal and stdin/out/err,
 * bind-mount the slave over /dev/console (creating it if missing), apply
 * process.consoleSize, return the master. */
int console_setup(const struct spec_process *p, int *master, struct nook_error *err);
/* Set up the pty (console_setup) and hand its master over: to the
 * --console-socket when one is connected (console_sock >= 0), else to nook
 * over the sync socket (a foreground run or exec proxies it). */
int console_hand_over(const struct spec_process *p, int console_sock, int sync_fd,
                      struct nook_error *err);
/* Foreground `run` with a terminal and no --console-socket: copy our stdin
 * to master and master to our stdout until master hangs up or `stop` becomes
 * readable; our stdin is put in raw mode while it is a tty (restored on
 * return), and window size changes (SIGWINCH) are forwarded. */
int console_proxy(int master, int stop_fd, struct nook_error *err);
/* Once the process is gone: what it wrote last may still be on its way
 * through the tty layer, so copy master to our stdout until the master
 * reports that no slave is open any more (EIO), or nothing came for a while
 * (a process outside the pid namespace may hold the slave). */
int console_drain(int master, struct nook_error *err);

/* ---- the end of a container process's setup (runtime/finish.c) ---- */

/* Where under --root the compiled seccomp programs are kept: '~' is not
 * allowed in container ids, so no container can have this name. */
#define SECCOMP_CACHE_DIR "seccomp~cache"

struct security_seccomp_prog; /* security/security.h */

/* Compile spec's seccomp profile, or take it from the cache, in nook before
 * the container process exists; prog->len is 0 without linux.seccomp. The
 * source of the program goes to the --debug log. */
int process_prepare_seccomp(const struct nook_globals *g, const struct spec *spec,
                            struct security_seccomp_prog *prog, struct nook_error *err);

struct finish_opts {
    const struct nook_state *st;                 /* for the notify agent and hooks */
    const struct security_seccomp_prog *seccomp; /* NULL or len 0: no filter */
    int keep_fds;    /* fds 3 .. 3+keep_fds-1 stay open */
    int listen_fds;  /* > 0: LISTEN_FDS/LISTEN_PID for socket activation */
    int notify_sock; /* connection to the seccomp agent, or -1 */
    bool start_hooks; /* run startContainer hooks last (the init; not exec) */
    bool under_init;  /* fork process.args under a reaping pid 1 (runtime/pid1.c) */
};

/* umask, process.cwd, every fd from 3 + keep_fds close-on-exec, the PATH
 * lookup, LSM labels, seccomp (before the capability drop when
 * no_new_privileges is off, else after it), user and capabilities,
 * no_new_privileges, startContainer hooks, execve of process.args.
 * Returns only on error. */
int process_finish_and_exec(const struct spec *spec, const struct spec_process *p,
                            const struct finish_opts *f, struct nook_error *err);

/* The sandbox's init (runtime/pid1.c): fork, execve file in the child
 * (its own process group, the terminal's foreground one when terminal),
 * and as the parent pass signals on to it, reap every child and exit with
 * its status. Returns only on error, in the parent or the child. */
int process_exec_under_init(const char *file, char *const argv[], char *const env[],
                            bool terminal, struct nook_error *err);

/* ---- process setup (runtime/process.c) ---- */

/* setrlimit for each process.rlimits entry. */
int process_set_rlimits(const struct spec_process *p, struct nook_error *err);
/* Write adj to /proc/self/oom_score_adj through an fd checked to be on
 * procfs; process_set_oom_score_adj: process.oomScoreAdj, when set. */
int process_write_oom_score_adj(int adj, struct nook_error *err);
int process_set_oom_score_adj(const struct spec_process *p, struct nook_error *err);
/* chdir to process.cwd, in the container's root by now, and fail when the
 * result is not under that root (a leaked host fd, CVE-2024-21626). */
int process_enter_cwd(const struct spec_process *p, struct nook_error *err);
/* Mark every fd >= 3 + preserve_fds close-on-exec (close_range with
 * CLOSE_RANGE_CLOEXEC, or a /proc/self/fd walk where the kernel lacks it). */
int process_cloexec_from(int first_fd, struct nook_error *err);
/* The container process environment: process.env, plus LISTEN_FDS=N and
 * LISTEN_PID=1 when N fds are preserved for socket activation (as runc).
 * NULL-terminated, caller frees with process_env_free. */
char **process_build_env(const struct spec_process *p, int listen_fds);
void process_env_free(char **env);
/* fork() with namespace flags, straight into the cgroup of cgroup_fd where
 * the kernel can (clone3 CLONE_INTO_CGROUP; cgroup_fd -1: no cgroup): the
 * child never runs outside it, and the kernel skips the slow migration a
 * write to cgroup.procs makes. *in_cgroup says whether that happened.
 * Returns like fork(). */
pid_t process_clone(unsigned long flags, int cgroup_fd, bool *in_cgroup);
/* The file execve should run for args[0]: a name without '/' is looked up in
 * the PATH of env (the container's, not nook's), in the current root. NULL
 * with err set (ENOENT when not found); the caller frees it. */
char *process_find_exec(const struct spec_process *p, char **env, struct nook_error *err);

#endif
