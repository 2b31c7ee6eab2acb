/* spec: config.json (OCI runtime-spec 1.x) into plain C structs, and every
 * other JSON nook reads or writes (state, features, list, process.json,
 * resources.json). This folder is the only code that touches jansson.
 *
 * Conventions:
 *  - every string is heap-allocated and owned by the struct; spec_free() and
 *    the other *_free() functions release everything;
 *  - optional scalars come with a `has_<name>` flag;
 *  - string lists are struct spec_strv (NULL-terminated `v`, plus `n`);
 *  - an error names the JSON path of the bad field, e.g.
 *      linux.namespaces[2].type: unknown namespace "foo"
 *    (nook_error.msg holds exactly that text, code 0 for validation errors). */
#ifndef NOOK_SPEC_H
#define NOOK_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../util/util.h"

/* The largest JSON file nook reads (config.json, process.json, state.json):
 * real configs are kilobytes; this bounds what a hostile file can cost. */
#define SPEC_FILE_MAX ((size_t)16 << 20)

struct spec_strv {
    char **v; /* NULL-terminated, v == NULL when n == 0 is allowed */
    size_t n;
};

struct spec_kv {
    char *key;
    char *value;
};

struct spec_kvlist {
    struct spec_kv *v;
    size_t n;
};
/* Free every key and value and empty the list. */
void spec_kvlist_free(struct spec_kvlist *l);

/* ---- process ---------------------------------------------------------- */

struct spec_user {
    uid_t uid;
    gid_t gid;
    bool has_umask;
    mode_t umask;
    gid_t *additional_gids;
    size_t n_additional_gids;
    char *username; /* Windows-only in the spec; parsed, unused */
};

struct spec_rlimit {
    int resource; /* RLIMIT_* from "RLIMIT_NOFILE" etc.; unknown names are errors */
    uint64_t soft;
    uint64_t hard;
};

/* Capability names exactly as in config.json ("CAP_NET_ADMIN"); the spec parser
 * only checks they are strings that start with "CAP_"; security/ maps them. */
struct spec_capabilities {
    struct spec_strv bounding, effective, inheritable, permitted, ambient;
};

struct spec_process {
    bool terminal;
    bool has_console_size;
    unsigned console_height, console_width;
    struct spec_user user;
    struct spec_strv args; /* required, non-empty */
    struct spec_strv env;
    char *cwd; /* required, absolute */
    bool has_capabilities;
    struct spec_capabilities capabilities;
    struct spec_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    char *apparmor_profile; /* NULL when absent */
    char *selinux_label;
    bool has_oom_score_adj;
    int oom_score_adj;
};

/* ---- root, mounts ------------------------------------------------------ */

struct spec_root {
    char *path; /* as written: relative to the bundle or absolute */
    bool readonly;
};

struct spec_mount {
    char *destination; /* absolute (validated) */
    char *type;        /* may be NULL (bind mounts) */
    char *source;      /* may be NULL */
    struct spec_strv options; /* as written */
    /* Derived from options by the parser (see spec_parse_mount_options): */
    unsigned long flags;       /* MS_* to set (MS_BIND, MS_REC, MS_RDONLY, MS_NOSUID...) */
    unsigned long clear_flags; /* MS_* an option explicitly clears (rw, suid, dev, exec, atime...) */
    unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), or 0 */
    bool bind;                 /* "bind" or "rbind" given, or type "bind" */
    /* "rro", "rnosuid", ... (runc's recursive options): MOUNT_ATTR_* that
     * mount_setattr(AT_RECURSIVE) sets or clears on the mount and all its
     * submounts once it is made. */
    unsigned int rec_attr_set, rec_attr_clear;
    bool tmpcopyup;            /* "tmpcopyup": a tmpfs starts with a copy of
                                  what the image has at its destination */
    char *data;                /* fs-specific options joined by ',' ("size=64k,mode=755"), or NULL */
};

/* ---- hooks ------------------------------------------------------------- */

enum spec_hook_kind {
    SPEC_HOOK_PRESTART,
    SPEC_HOOK_CREATE_RUNTIME,
    SPEC_HOOK_CREATE_CONTAINER,
    SPEC_HOOK_START_CONTAINER,
    SPEC_HOOK_POSTSTART,
    SPEC_HOOK_POSTSTOP,
    SPEC_HOOK_KINDS
};

/* "prestart", "createRuntime", ... as the keys of config.json "hooks". */
extern const char *const spec_hook_names[SPEC_HOOK_KINDS];

struct spec_hook {
    char *path; /* absolute (validated) */
    struct spec_strv args;
    struct spec_strv env;
    bool has_timeout;
    int timeout; /* seconds, > 0 (validated) */
};

struct spec_hook_list {
    struct spec_hook *v;
    size_t n;
};

/* ---- linux ------------------------------------------------------------- */

enum spec_ns_type {
    SPEC_NS_PID,
    SPEC_NS_NETWORK,
    SPEC_NS_MOUNT,
    SPEC_NS_IPC,
    SPEC_NS_UTS,
    SPEC_NS_USER,
    SPEC_NS_CGROUP,
    SPEC_NS_TIME,
    SPEC_NS_TYPES
};

struct spec_namespace {
    enum spec_ns_type type;
    char *path; /* NULL: create a new one; else join the namespace at path */
};

struct spec_idmap {
    uint32_t container_id, host_id, size;
};

struct spec_device { /* linux.devices: a node to create in the container */
    char type; /* 'c', 'b', 'u' (same as 'c'), 'p' */
    char *path;
    int64_t major, minor;
    bool has_file_mode;
    mode_t file_mode;
    bool has_uid;
    uid_t uid;
    bool has_gid;
    gid_t gid;
};

struct spec_device_rule { /* linux.resources.devices */
    bool allow;
    char type;      /* 'a' (all, also when absent), 'c', 'b' */
    int64_t major;  /* -1 = wildcard (absent) */
    int64_t minor;  /* -1 = wildcard (absent) */
    char access[4]; /* subset of "rwm" in that order, NUL-terminated; "rwm" when absent */
};

struct spec_weight_device {
    int64_t major, minor;
    bool has_weight;
    uint16_t weight;
    bool has_leaf_weight;
    uint16_t leaf_weight;
};

struct spec_throttle_device {
    int64_t major, minor;
    uint64_t rate;
};

struct spec_hugepage_limit {
    char *page_size; /* "2MB", "1GB" ... */
    uint64_t limit;
};

struct spec_net_priority {
    char *name; /* interface */
    uint32_t priority;
};

struct spec_resources {
    struct spec_device_rule *devices;
    size_t n_devices;

    struct {
        bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp,
            has_swappiness, has_disable_oom_killer, has_use_hierarchy,
            has_check_before_update;
        int64_t limit, reservation, swap, kernel, kernel_tcp; /* -1 = unlimited */
        uint64_t swappiness;
        bool disable_oom_killer, use_hierarchy, check_before_update;
    } memory;

    struct {
        bool has_shares, has_quota, has_burst, has_period, has_realtime_runtime,
            has_realtime_period, has_idle;
        uint64_t shares;
        int64_t quota; /* -1 = unlimited */
        uint64_t burst;
        uint64_t period;
        int64_t realtime_runtime;
        uint64_t realtime_period;
        int64_t idle;
        char *cpus; /* NULL when absent */
        char *mems;
    } cpu;

    struct {
        bool has_limit;
        int64_t limit; /* <= 0 means unlimited, as runc */
    } pids;

    struct {
        bool has_weight, has_leaf_weight;
        uint16_t weight, leaf_weight;
        struct spec_weight_device *weight_device;
        size_t n_weight_device;
        struct spec_throttle_device *throttle_read_bps, *throttle_write_bps,
            *throttle_read_iops, *throttle_write_iops;
        size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
            n_throttle_write_iops;
    } block_io;

    struct spec_hugepage_limit *hugepage_limits;
    size_t n_hugepage_limits;

    struct {
        bool has_class_id;
        uint32_t class_id;
        struct spec_net_priority *priorities;
        size_t n_priorities;
    } network; /* net_cls / net_prio: cgroup v1 only */

    struct spec_kvlist unified; /* linux.resources.unified, written as given */
};

enum spec_seccomp_action {
    SPEC_SCMP_ACT_KILL, /* = KILL_THREAD */
    SPEC_SCMP_ACT_KILL_PROCESS,
    SPEC_SCMP_ACT_KILL_THREAD,
    SPEC_SCMP_ACT_TRAP,
    SPEC_SCMP_ACT_ERRNO,
    SPEC_SCMP_ACT_TRACE,
    SPEC_SCMP_ACT_ALLOW,
    SPEC_SCMP_ACT_LOG,
    SPEC_SCMP_ACT_NOTIFY,
    SPEC_SCMP_ACTIONS
};

enum spec_seccomp_op {
    SPEC_SCMP_CMP_NE,
    SPEC_SCMP_CMP_LT,
    SPEC_SCMP_CMP_LE,
    SPEC_SCMP_CMP_EQ,
    SPEC_SCMP_CMP_GE,
    SPEC_SCMP_CMP_GT,
    SPEC_SCMP_CMP_MASKED_EQ,
    SPEC_SCMP_OPS
};

/* Names as written in config.json, indexed by the enums above
 * ("SCMP_ACT_KILL", ..., "SCMP_CMP_MASKED_EQ"). */
extern const char *const spec_seccomp_action_names[SPEC_SCMP_ACTIONS];
extern const char *const spec_seccomp_op_names[SPEC_SCMP_OPS];

struct spec_seccomp_arg {
    unsigned index;
    uint64_t value, value_two;
    enum spec_seccomp_op op;
};

struct spec_seccomp_syscall {
    struct spec_strv names;
    enum spec_seccomp_action action;
    bool has_errno_ret;
    unsigned errno_ret;
    struct spec_seccomp_arg *args;
    size_t n_args;
};

struct spec_seccomp {
    enum spec_seccomp_action default_action;
    bool has_default_errno_ret;
    unsigned default_errno_ret;
    struct spec_strv architectures; /* "SCMP_ARCH_X86_64" ... (security/ maps them) */
    struct spec_strv flags;         /* "SECCOMP_FILTER_FLAG_LOG" ... */
    char *listener_path;            /* NULL when absent */
    char *listener_metadata;
    struct spec_seccomp_syscall *syscalls;
    size_t n_syscalls;
};

struct spec_time_offset {
    bool set;
    int64_t secs;
    uint32_t nanosecs;
};

struct spec {
    char *oci_version;
    bool has_process; /* a bundle may omit it for create; start then fails */
    struct spec_process process;
    struct spec_root root; /* required on Linux */
    char *hostname;        /* NULL when absent */
    char *domainname;
    struct spec_mount *mounts;
    size_t n_mounts;
    struct spec_hook_list hooks[SPEC_HOOK_KINDS];
    struct spec_kvlist annotations;

    /* linux.* (flattened) */
    struct spec_namespace *namespaces;
    size_t n_namespaces;
    struct spec_idmap *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
    struct spec_device *devices;
    size_t n_devices;
    char *cgroups_path; /* NULL when absent */
    bool has_resources;
    struct spec_resources resources;
    unsigned long rootfs_propagation; /* MS_* | MS_REC; 0 when absent */
    struct spec_strv masked_paths, readonly_paths;
    struct spec_kvlist sysctl;
    bool has_seccomp;
    struct spec_seccomp seccomp;
    bool has_personality;
    unsigned long personality; /* PER_LINUX or PER_LINUX32 (| flags) */
    struct spec_time_offset time_monotonic, time_boottime;
    char *mount_label;
};

/* Parse and validate a config.json document held in memory. On error *spec is
 * left empty (nothing to free) and err names the JSON path. */
int spec_parse(const char *json, size_t len, struct spec *spec, struct nook_error *err);
/* Read and parse a file; errors are prefixed with nothing but the JSON path. */
int spec_load(const char *path, struct spec *spec, struct nook_error *err);
void spec_free(struct spec *spec);

/* The namespace requested with this type, or NULL. */
const struct spec_namespace *spec_find_namespace(const struct spec *spec, enum spec_ns_type t);
/* "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" */
extern const char *const spec_ns_type_names[SPEC_NS_TYPES];
/* The value of an annotation, or NULL. */
const char *spec_annotation(const struct spec *spec, const char *key);

/* Turn mount options into flags/propagation/data (fills the derived fields of
 * m from m->options). Unknown options that are not fs-specific "key=value" or
 * plain words go to data, as runc does. Exposed for unit tests. */
int spec_parse_mount_options(struct spec_mount *m, const char *json_path,
                             struct nook_error *err);

/* `nook exec --process FILE`: a process object alone (same validation). */
int spec_process_load(const char *path, struct spec_process *p, struct nook_error *err);
void spec_process_free(struct spec_process *p);

/* `nook update -r FILE`: a linux.resources object alone. */
int spec_resources_load(const char *path, struct spec_resources *r, struct nook_error *err);
/* The same from text (`update -r -` reads it from stdin); what names it in errors. */
int spec_resources_parse(const char *json, size_t len, const char *what, struct spec_resources *r,
                         struct nook_error *err);
void spec_resources_free(struct spec_resources *r);

/* `nook spec [--rootless]`: the default config.json text, like runc's
 * (busybox-friendly: args ["sh"], terminal true). Caller frees. */
char *spec_default_config(bool rootless);

/* ---- `nook sandbox`: a config.json from command-line options (sandbox.c) -- */

struct spec_sandbox_mount {
    bool tmpfs;               /* a tmpfs at destination, else a bind of source */
    bool readonly;
    const char *source, *destination; /* absolute */
};

enum spec_sandbox_seccomp { SPEC_SANDBOX_SECCOMP_DEFAULT, SPEC_SANDBOX_SECCOMP_NONE,
                            SPEC_SANDBOX_SECCOMP_FILE };

struct spec_sandbox {
    char *const *args;            /* CMD ARG..., n_args >= 1 */
    size_t n_args;
    char *const *env;             /* the process environment, in order */
    size_t n_env;
    const char *lower;            /* the root's read-only lower layer ("/" or --rootfs) */
    const char *upper;            /* --overlay-dir, or NULL: a tmpfs (writes vanish) */
    const struct spec_sandbox_mount *mounts; /* after /proc, /dev, /sys, /tmp */
    size_t n_mounts;
    const char *cwd;
    const char *hostname;
    bool has_user;
    uid_t uid;
    gid_t gid;
    bool rootless;                /* user namespace mapping host_uid/gid to uid/gid */
    uid_t host_uid;
    gid_t host_gid;
    bool net_host;                /* else a new network namespace */
    bool terminal;
    bool has_memory, has_memory_swap, has_pids, has_cpus;
    int64_t memory, memory_swap, pids;
    int64_t cpu_quota;
    uint64_t cpu_period;
    const char *oom;              /* "freeze" / "kill" (annotation org.nook.oom), or NULL */
    bool as_pid_1;                /* CMD is pid 1 itself: no annotation org.nook.sandbox.init */
    char *const *cap_add;         /* "CAP_X" names */
    size_t n_cap_add;
    char *const *cap_drop;        /* "CAP_X" names, or "ALL" */
    size_t n_cap_drop;
    enum spec_sandbox_seccomp seccomp;
    const char *seccomp_file;     /* for SPEC_SANDBOX_SECCOMP_FILE: a linux.seccomp object */
};

/* The config.json `nook sandbox` runs: `nook spec`'s (rootless when asked)
 * with the options applied. Errors name the option. Caller frees. */
int spec_sandbox_config(const struct spec_sandbox *sb, char **json, struct nook_error *err);

/* Annotation "org.nook.sandbox.init": "true" puts a minimal reaping init
 * (runtime/pid1.c) as pid 1 between the pid namespace and process.args.
 * Sandbox configs set it (not with --as-pid-1); nothing else does. */
#define SPEC_ANNOT_SANDBOX_INIT "org.nook.sandbox.init"
bool spec_sandbox_wants_init(const struct spec *spec);

/* ---- state ------------------------------------------------------------- */

enum nook_status {
    NOOK_STATUS_CREATING,
    NOOK_STATUS_CREATED,
    NOOK_STATUS_RUNNING,
    NOOK_STATUS_STOPPED,
    NOOK_STATUS_PAUSED,
};
extern const char *const nook_status_names[]; /* "creating", ... "paused" */

/* What nook keeps in <root>/<id>/state.json. The first block is the OCI state
 * (runtime.md); the second is nook's own bookkeeping. */
struct nook_state {
    char *oci_version;
    char *id;
    enum nook_status status;
    pid_t pid; /* 0 when there is no process */
    char *bundle; /* absolute */
    struct spec_kvlist annotations;
    char *rootfs;  /* absolute host path of the root as mounted from */
    char *created; /* RFC 3339, UTC, nanoseconds */
    uid_t owner;

    unsigned long long pid_start_time; /* /proc/<pid>/stat field 22, guards pid reuse */
    char *cgroup_path;                 /* the cgroup dir tracking its processes, or NULL */
    char *cgroup_backend;              /* "v2", "v1", "hybrid" (cgroup/), or NULL */
    struct spec_kvlist cgroup_paths;   /* hierarchy ("unified", "cpu,cpuacct") -> dir */
    bool cgroup_shared;                /* it held other processes at create: never
                                        * killed or removed as a whole */
    bool overlay;                      /* root is an overlay nook mounted */
    bool overlay_volatile;
    char *overlay_upper;               /* upper dir nook made, to remove at delete, or NULL */
    char *overlay_work;                /* workdir nook made, to remove at delete, or NULL */
    pid_t oom_monitor_pid;             /* the OOM-freeze monitor (runtime/oom_monitor.c), or 0 */
    unsigned long long oom_monitor_start_time; /* its start time, as pid_start_time */
};

/* OCI state JSON (only the OCI fields, plus rootfs/created/owner as runc
 * prints), for `nook state` and hooks' stdin. Caller frees.
 * Output format of the writers below: state/state file/features/default
 * config are indented by 2 spaces; list, seccomp state and int arrays are
 * compact like Go's encoder. Only spec_default_config ends in a newline. */
char *spec_state_oci_json(const struct nook_state *st);
/* Full state.json, OCI fields plus nook's own. Caller frees. */
char *spec_state_file_json(const struct nook_state *st);
int spec_state_parse(const char *json, size_t len, struct nook_state *st, struct nook_error *err);
void spec_state_free(struct nook_state *st);

/* `nook list --format json`: an array of OCI states as runc prints them. */
char *spec_state_list_json(const struct nook_state *states, size_t n);

/* `nook features`: what this build supports. The runtime fills the lists that
 * depend on other folders (security/ knows capabilities and seccomp). */
struct spec_features {
    struct spec_strv capabilities;     /* "CAP_CHOWN" ... known to this build */
    bool seccomp_enabled;
    struct spec_strv seccomp_actions;
    struct spec_strv seccomp_operators;
    struct spec_strv seccomp_archs;
    struct spec_strv seccomp_flags;    /* known */
    struct spec_strv seccomp_supported_flags; /* usable on this kernel */
    bool apparmor, selinux;
    bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_rdma;
    const char *version; /* nook's version */
    const char *oom_freeze; /* annotation org.nook.oom.freeze: where OOM freeze works here */
};
char *spec_features_json(const struct spec_features *f);

/* The "container process state" a seccomp agent receives with the notify fd
 * (runtime-spec config-linux.md, listenerPath): ociVersion, fds
 * ["seccompFd"], pid, metadata, state. Caller frees. */
char *spec_seccomp_state_json(const struct nook_state *st, const char *metadata);

/* A container's resource usage, read from its cgroup (cgroup/), printed by
 * `nook events`. */
struct nook_stats {
    uint64_t cpu_usage_usec, cpu_user_usec, cpu_system_usec;
    uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_usec;
    bool has_memory;
    uint64_t memory_current, memory_max, memory_peak, swap_current, swap_max;
    uint64_t memory_oom, memory_oom_kill; /* memory.events: oom, oom_kill */
    bool has_pids;
    uint64_t pids_current, pids_max;
};

/* `nook events` lines, as runc prints them: {"type":"stats","id":..,"data":
 * {cpu, memory, pids}} (cpu times in nanoseconds) and {"type":"oom","id":..}.
 * One line, no newline; caller frees. */
char *spec_event_stats_json(const char *id, const struct nook_stats *s);
char *spec_event_json(const char *type, const char *id);

/* Small JSON outputs the CLI needs (jansson stays in this folder). */
char *spec_json_int_array(const int *v, size_t n);      /* `ps --format json` */
/* A JSON array of strings (descriptors.json of a checkpoint, runc's format:
 * where the init's fds 0, 1, 2 pointed). Caller frees; the parser fills
 * out (free with spec_strv_free) and fails on anything but such an array. */
char *spec_json_string_array(const char *const *v, size_t n);
int spec_json_string_array_parse(const char *json, size_t len, struct spec_strv *out,
                                 struct nook_error *err);
void spec_strv_free(struct spec_strv *v);

/* ---- the OOM-freeze policy and what the OOM monitor writes (oom.c) ---- */

enum spec_oom_fallback {
    SPEC_OOM_FALLBACK_KILL,     /* let the kernel's OOM killer pick one process */
    SPEC_OOM_FALLBACK_KILL_ALL, /* kill the whole container */
    SPEC_OOM_FALLBACK_THAW,     /* thaw and stay armed */
    SPEC_OOM_FALLBACKS
};
extern const char *const spec_oom_fallback_names[SPEC_OOM_FALLBACKS]; /* "kill", ... */

/* From the annotations org.nook.oom=freeze|kill (default kill),
 * org.nook.oom.timeout (a duration: "2s", "500ms", "1m" or plain seconds; 0
 * or absent: wait for a decision), org.nook.oom.fallback=kill|kill-all|thaw
 * (default kill), org.nook.oom.handler (absolute host path), and
 * linux.resources.memory.disableOOMKiller: true (= freeze). */
struct spec_oom_policy {
    bool freeze;
    long timeout_ms;
    bool has_fallback;
    enum spec_oom_fallback fallback;
    char *handler; /* NULL when absent */
};
/* The policy of a parsed config; an invalid value is an error naming the
 * annotation (annotations["org.nook.oom.timeout"]: ...). Without freeze the
 * policy is all zero. */
int spec_oom_policy(const struct spec *spec, struct spec_oom_policy *p, struct nook_error *err);
void spec_oom_policy_free(struct spec_oom_policy *p);

struct spec_oom_counter {
    const char *key; /* "oom", "oom_kill", "max", "high", ... */
    uint64_t value;
};

struct nook_oom_proc {
    pid_t pid;      /* host pid */
    unsigned long long start_time; /* /proc/<pid>/stat; not in the JSON: tells a reused pid */
    char *command;  /* /proc/<pid>/comm */
    uint64_t rss, anon; /* bytes (VmRSS, RssAnon) */
    int oom_score_adj;
};

/* What `nook oom ID` prints and the oom-frozen event carries. */
struct nook_oom_snapshot {
    int incident;          /* 1 for the container's first OOM freeze, then 2, ... */
    const char *mechanism; /* "cgroup v2", "cgroup v2 rootless", "cgroup v1" */
    char *frozen_at;       /* RFC 3339 */
    uint64_t limit, usage, peak; /* bytes; limit UINT64_MAX = "max" */
    bool has_max; /* rootless: limit is memory.high, max memory.max above it */
    uint64_t max;
    struct spec_oom_counter events[8]; /* memory.events */
    size_t n_events;
    uint64_t anon, file, kernel; /* memory.stat */
    struct nook_oom_proc *procs;
    size_t n_procs;
    char *deadline; /* RFC 3339, NULL when nobody's decision is awaited with a timeout */
    enum spec_oom_fallback fallback;
};
char *spec_oom_snapshot_json(const struct nook_oom_snapshot *s); /* indented; caller frees */

/* How an incident ended: action "raise" (the limit went up), "kill" (some
 * processes were killed), "kill-all", "resume" (thawed with neither) or
 * "timeout" (then fallback says what was done). */
struct nook_oom_resolution {
    int incident;
    const char *action;
    const char *fallback; /* NULL unless action is "timeout" */
    uint64_t limit_before, limit_after;
    const pid_t *killed;
    size_t n_killed;
    long frozen_ms;
};
/* {"type":"oom-frozen","id":..,"data":<snapshot>} and
 * {"type":"oom-resolved","id":..,"data":{"action":..}}: one line each, no
 * newline; caller frees. */
char *spec_event_oom_frozen_json(const char *id, const struct nook_oom_snapshot *s);
char *spec_event_oom_resolved_json(const char *id, const struct nook_oom_resolution *r);

#endif
