/* runtime: the library under nook's CLI. Load a bundle or take a spec built
 * in memory, create, start, run in the foreground, exec, kill, delete, read
 * state. The CLI (main.c, cli.c, commands.c, cmd_*.c) parses arguments and
 * prints; nothing here prints. A call that fails returns -1 and fills
 * struct nook_error; what is only worth a warning (a failing poststart or
 * poststop hook) is appended to the caller's struct runtime_warnings, for
 * the CLI to print. Anything a call made is removed again when it fails. */
#ifndef NOOK_RUNTIME_H
#define NOOK_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../spec/spec.h"
#include "../util/util.h"

/* Global flags, runc's. */
struct nook_globals {
    const char *root;       /* --root, default /run/nook ($XDG_RUNTIME_DIR/nook rootless) */
    const char *log_path;   /* --log */
    bool log_json;          /* --log-format json */
    bool debug;             /* --debug */
    const char *criu;       /* --criu: the criu binary (checkpoint, restore), NULL: criu in PATH */
};

/* Warnings a call gathers instead of printing them. */
struct runtime_warnings {
    char **v;
    size_t n;
};
void runtime_warn(struct runtime_warnings *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void runtime_warnings_free(struct runtime_warnings *w);

/* A spec to create a container from: the parsed struct and the config.json
 * text it came from (stored in the state dir, which is what later commands
 * read: a spec built in memory needs no file of its own). */
struct runtime_spec {
    struct spec spec;
    char *json;
    size_t len;
    char *bundle; /* absolute bundle directory; NULL for a spec built in memory
                   * (then the state directory is the container's bundle) */
};

/* runc's rule for container ids: letters, digits and "_+-.", not "." or
 * "..", at most 1024 bytes (it names a directory and a cgroup). */
bool runtime_id_valid(const char *id);

/* <bundle>/config.json (a regular file of at most SPEC_FILE_MAX bytes). */
int runtime_spec_load(const char *bundle, struct runtime_spec *rs, struct nook_error *err);
/* A config.json text built in memory (copied). */
int runtime_spec_from_json(const char *json, size_t len, struct runtime_spec *rs,
                           struct nook_error *err);
void runtime_spec_free(struct runtime_spec *rs);

struct create_opts {
    const char *id;
    const char *pid_file;
    const char *console_socket;
    bool no_pivot;
    int preserve_fds; /* fds kept from 3 on: socket activation's, then --preserve-fds */
    int listen_fds;   /* of those, the LISTEN_FDS ones (the container gets LISTEN_FDS=N) */
    bool run;        /* `run`: start right after create */
    bool detach;     /* `run -d` */
    bool keep;       /* `run --keep`: do not delete after a foreground run */
    long timeout_ms; /* foreground run: SIGTERM after this long (0: never), */
    long grace_ms;   /* then SIGKILL to every process after this long */
    bool best_effort_limits; /* no cgroup allowed (rootless): run without the
                              * limits and warn, instead of failing */
    const struct criu_cli_opts *restore; /* `restore`: criu rebuilds the
                              * processes instead of an init being started */
};

/* How a foreground run or exec ended. */
struct runtime_exit {
    int status;      /* the process's exit code, 128+N when killed by signal N */
    bool timed_out;  /* o->timeout_ms expired: status is then 124 (timeout(1)'s) */
    bool killed;     /* ... and the grace ran out too: SIGKILL was sent */
};

/* create: a container whose init waits for start. */
int runtime_create(const struct nook_globals *g, struct runtime_spec *rs,
                   const struct create_opts *o, struct runtime_warnings *w,
                   struct nook_error *err);
/* start a created container; poststart hooks. */
int runtime_start(const struct nook_globals *g, const char *id, struct runtime_warnings *w,
                  struct nook_error *err);
/* create + start; without o->detach stay in the foreground: forward signals
 * (the call blocks them while it runs), proxy the pty, wait, enforce
 * o->timeout_ms, and (without o->keep) delete the container when it ends.
 * `nook run` and `nook sandbox` both come here. */
int runtime_run(const struct nook_globals *g, struct runtime_spec *rs,
                const struct create_opts *o, struct runtime_exit *ex,
                struct runtime_warnings *w, struct nook_error *err);

/* `exec`: a new process in a running container. */
struct exec_opts {
    const char *id;
    const char *process_file;
    const char *console_socket;
    const char *cwd;
    const char *pid_file;
    const char *user;
    struct spec_strv cgroups; /* --cgroup [CONTROLLER[,CONTROLLER]:]SUB, repeatable */
    const char *apparmor, *process_label;
    bool tty, tty_set, detach, ignore_paused, no_new_privs;
    int preserve_fds;
    struct spec_strv env;   /* -e, appended */
    struct spec_strv caps;  /* --cap, added to every set but ambient */
    gid_t *gids;            /* --additional-gids, appended */
    size_t n_gids;
    char **args;            /* CMD ARG... */
    int nargs;
};
int runtime_exec(const struct nook_globals *g, const struct exec_opts *o, struct runtime_exit *ex,
                 struct nook_error *err);

/* `sandbox`: a spec built in memory from options (spec/sandbox.c). */
struct sandbox_opts {
    struct spec_sandbox sb;  /* the plain values: args, user, hostname, net,
                              * limits, oom, caps, seccomp, terminal */
    const char *name;        /* --name, or NULL for a fresh id */
    const char *rootfs;      /* --rootfs, or NULL: the host's / */
    const char *overlay_dir; /* --overlay-dir */
    const char *chdir;       /* --chdir */
    const struct spec_sandbox_mount *mounts; /* --bind/--ro-bind/--tmpfs as given */
    size_t n_mounts;
    char *const *caller_env; /* environ, passed on unless clearenv */
    bool clearenv;
    char *const *set_env;    /* --env K=V */
    size_t n_set_env;
    /* filled in: */
    const char *id;          /* name, or id_buf */
    char id_buf[32];
};
/* Check the options against the host (bind sources exist, --rootfs and
 * --overlay-dir are directories; errors name the option and the value) and
 * build the spec: root the host's / (or --rootfs) under an overlay whose
 * upper layer is a tmpfs (or --overlay-dir), fresh /proc /dev /tmp, new
 * namespaces (a user namespace when unprivileged), `nook spec`'s
 * capabilities, seccomp profile and no_new_privileges, the caller's
 * directory when the sandbox shows it. rs has no bundle. */
int runtime_sandbox_spec(struct sandbox_opts *o, struct runtime_spec *rs, struct nook_error *err);

/* The state with its status refreshed (pid 0 once stopped). Caller frees with
 * spec_state_free. */
int runtime_state(const struct nook_globals *g, const char *id, struct nook_state *st,
                  struct nook_error *err);
/* Every container under g->root, statuses refreshed. Caller frees each and v. */
int runtime_list(const struct nook_globals *g, struct nook_state **v, size_t *n,
                 struct nook_error *err);
/* Send sig to the init, or with all to every process of the container. */
int runtime_kill(const struct nook_globals *g, const char *id, int sig, bool all,
                 struct nook_error *err);
/* Delete a stopped container (a running one with force: killed first). */
int runtime_delete(const struct nook_globals *g, const char *id, bool force,
                   struct runtime_warnings *w, struct nook_error *err);

/* checkpoint and restore (runtime/checkpoint.c, runtime/restore.c): by
 * running criu(8) in its RPC mode (criu must be installed; runtime/criu.h).
 * The options both share, runc's. */
struct criu_cli_opts {
    const char *image_path;   /* --image-path, NULL: ./checkpoint */
    const char *work_path;    /* --work-path (logs), NULL: the image path */
    bool tcp_established, ext_unix_sk, shell_job, file_locks, auto_dedup;
    bool lazy_pages;          /* --lazy-pages: refused (not supported) */
    const char *manage_cgroups_mode; /* "soft", "full", "strict", or NULL */
    const char *const *empty_ns;     /* --empty-ns (only "network") */
    size_t n_empty_ns;
};
struct checkpoint_opts {
    const char *id;
    struct criu_cli_opts c;
    const char *parent_path;  /* --parent-path, relative to the image path */
    const char *page_server;  /* --page-server ADDRESS:PORT: pages go there */
    bool leave_running, pre_dump;
};
/* Checkpoint a running (or paused) container into the image path. Without
 * leave_running or pre_dump the container is gone afterwards (criu ends
 * its processes; its state, cgroup and records are removed, poststop
 * hooks run as at delete). A failed dump leaves it as it was. */
int runtime_checkpoint(const struct nook_globals *g, const struct checkpoint_opts *o,
                       struct runtime_warnings *w, struct nook_error *err);
/* Restore a container o->id from the bundle's config and a checkpoint:
 * created like `create` (state dir, cgroup), its processes rebuilt by criu
 * instead of started, status running. o->detach returns then; else the
 * call stays in the foreground like `run`, with ex the exit status, and
 * removes the container when it ends. A failed restore leaves nothing. */
int runtime_restore(const struct nook_globals *g, struct runtime_spec *rs,
                    const struct create_opts *o, const struct criu_cli_opts *c,
                    struct runtime_exit *ex, struct runtime_warnings *w, struct nook_error *err);

/* OOM freeze (org.nook.oom=freeze; runtime/oom_*.c). `nook oom`: the
 * snapshot JSON of the container while frozen at its memory limit; with
 * wait, block until the next freeze (fails when the container stops or its
 * monitor is gone). Caller frees *json. */
int runtime_oom_snapshot(const struct nook_globals *g, const char *id, bool wait, char **json,
                         struct nook_error *err);
/* A warning (for state, kill, delete) when the container's OOM monitor is
 * gone. */
void runtime_oom_monitor_warn(const struct nook_state *st, struct runtime_warnings *w);
/* What this host supports, for `nook oom --help` (lines of text). Caller
 * frees. */
char *runtime_oom_support_text(void);
/* The same in one line for `features` ("cgroup v2 (root, rootless)", or
 * "none on this host: ..."). Caller frees. */
char *runtime_oom_support_summary(void);

/* Open the log once (--log, else stderr when --debug) and, with --debug,
 * install the util/ trace sink so NOOK_TRACE steps are logged; main calls it
 * after the global options. */
void nook_log_setup(const struct nook_globals *g);
/* Log a line to --log (text or json) when set, else stderr when --debug. */
void nook_log(const struct nook_globals *g, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Go-style durations: "5s", "100ms", "1m", "1h", "1.5s", "1m30s". */
int parse_duration_ms(const char *s, long *ms);

#endif
