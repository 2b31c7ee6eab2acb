/* The CLI of `nook sandbox [OPTIONS] -- CMD [ARG...]`: options into a
 * struct sandbox_opts, runtime_sandbox_spec builds the spec, runtime_run
 * runs it in the foreground (as `nook run` does) and removes it at the end. */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

extern char **environ;

#define CPU_PERIOD_US 100000
#define DEFAULT_GRACE_MS 2000

struct strs {
    char **v;
    size_t n;
};

static void strs_push(struct strs *s, char *v)
{
    s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = v;
}

struct sandbox_cli {
    struct sandbox_opts o;
    struct spec_sandbox_mount *mounts;
    struct strs env, cap_add, cap_drop, owned;
    long timeout_ms, grace_ms;
    const char *timeout_arg;
    bool print_config, best_effort, tty, no_tty;
};

static void sandbox_cli_free(struct sandbox_cli *c)
{
    free(c->mounts);
    free(c->env.v);
    free(c->cap_add.v);
    free(c->cap_drop.v);
    for (size_t i = 0; i < c->owned.n; i++)
        free(c->owned.v[i]);
    free(c->owned.v);
}

static int bad_value(const char *opt, const char *what, const char *value)
{
    fprintf(stderr, "nook: sandbox: %s needs %s, not \"%s\"\n", opt, what, value);
    fprintf(stderr, "usage: nook sandbox [OPTIONS] -- CMD [ARG...] (nook sandbox --help)\n");
    return 2;
}

/* "512", "64k", "32M", "1.5g", "2GiB", "1tb": bytes (binary units, as
 * podman and docker). */
static bool parse_size(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0 || !(s[0] >= '0' && s[0] <= '9'))
        return false;
    double mult = 1;
    const char *u = end;
    if (*u) {
        const char *units = "bkmgt";
        const char *p = strchr(units, (char)(*u | 0x20));
        if (!p)
            return false;
        for (const char *k = units; k < p; k++)
            mult *= 1024;
        u++;
        if (p != units && (!strcasecmp(u, "b") || !strcasecmp(u, "ib")))
            u += strlen(u);
        if (*u)
            return false;
    }
    double bytes = v * mult;
    if (bytes < 1 || bytes > 9.0e18)
        return false;
    *out = (int64_t)bytes;
    return true;
}

static bool parse_count(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 1)
        return false;
    *out = v;
    return true;
}

/* "1000" or "1000:100": numeric ids (names would be the host's, not the
 * sandbox's). The group defaults to the user's id. */
static bool parse_user(const char *s, uid_t *uid, gid_t *gid)
{
    char *end;
    errno = 0;
    unsigned long u = strtoul(s, &end, 10);
    if (errno || end == s || (*end && *end != ':') || s[0] == '-' || u > 0xfffffffeUL)
        return false;
    *uid = (uid_t)u;
    *gid = (gid_t)u;
    if (*end == ':') {
        const char *g = end + 1;
        unsigned long v = strtoul(g, &end, 10);
        if (end == g || *end || g[0] == '-' || v > 0xfffffffeUL)
            return false;
        *gid = (gid_t)v;
    }
    return true;
}

/* "net_admin", "NET_ADMIN", "cap_net_admin" -> "CAP_NET_ADMIN"; "all" -> "ALL". */
static char *cap_name(struct sandbox_cli *c, const char *s)
{
    char *n = !strcasecmp(s, "all")               ? xstrdup("ALL")
              : !strncasecmp(s, "cap_", 4)        ? xstrdup(s)
                                                  : xasprintf("CAP_%s", s);
    for (char *p = n; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    strs_push(&c->owned, n);
    return n;
}

static void add_mount(struct sandbox_cli *c, bool tmpfs, bool ro, const char *arg)
{
    c->mounts = xrealloc(c->mounts, (c->o.n_mounts + 1) * sizeof *c->mounts);
    struct spec_sandbox_mount *m = &c->mounts[c->o.n_mounts++];
    memset(m, 0, sizeof *m);
    m->tmpfs = tmpfs;
    m->readonly = ro;
    if (tmpfs) {
        m->destination = arg;
        return;
    }
    /* SRC[:DST]; DST defaults to SRC (bwrap's --bind SRC SRC). */
    char *colon = strrchr(arg, ':');
    size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
    char *src = xmalloc(len + 1);
    memcpy(src, arg, len);
    src[len] = '\0';
    strs_push(&c->owned, src);
    m->source = src;
    m->destination = colon ? colon + 1 : src;
}

enum {
    OPT_ROOTFS = 256, OPT_OVERLAY_DIR, OPT_BIND, OPT_RO_BIND, OPT_TMPFS, OPT_CHDIR,
    OPT_HOSTNAME, OPT_CLEARENV, OPT_NET, OPT_MEMORY_SWAP, OPT_CPUS, OPT_PIDS, OPT_TIMEOUT,
    OPT_KILL_AFTER, OPT_OOM, OPT_CAP_ADD, OPT_CAP_DROP, OPT_SECCOMP, OPT_NAME, OPT_PRINT,
    OPT_BEST_EFFORT, OPT_AS_PID_1,
};

static const struct option sandbox_options[] = {
    {"rootfs", required_argument, NULL, OPT_ROOTFS},
    {"overlay-dir", required_argument, NULL, OPT_OVERLAY_DIR},
    {"bind", required_argument, NULL, OPT_BIND},
    {"ro-bind", required_argument, NULL, OPT_RO_BIND},
    {"tmpfs", required_argument, NULL, OPT_TMPFS},
    {"chdir", required_argument, NULL, OPT_CHDIR},
    {"user", required_argument, NULL, 'u'},
    {"hostname", required_argument, NULL, OPT_HOSTNAME},
    {"env", required_argument, NULL, 'e'},
    {"clearenv", no_argument, NULL, OPT_CLEARENV},
    {"net", required_argument, NULL, OPT_NET},
    {"memory", required_argument, NULL, 'm'},
    {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"pids", required_argument, NULL, OPT_PIDS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"kill-after", required_argument, NULL, OPT_KILL_AFTER},
    {"oom", required_argument, NULL, OPT_OOM},
    {"cap-add", required_argument, NULL, OPT_CAP_ADD},
    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
    {"seccomp", required_argument, NULL, OPT_SECCOMP},
    {"name", required_argument, NULL, OPT_NAME},
    {"tty", no_argument, NULL, 't'},
    {"no-tty", no_argument, NULL, 'T'},
    {"print-config", no_argument, NULL, OPT_PRINT},
    {"best-effort", no_argument, NULL, OPT_BEST_EFFORT},
    {"as-pid-1", no_argument, NULL, OPT_AS_PID_1},
    {"help", no_argument, NULL, 'h'},
    {0, 0, 0, 0},
};

static void sandbox_help(void)
{
    command_help("sandbox");
    printf("\n"
           "filesystem (default: the host's / read-only under a tmpfs overlay: writes vanish)\n"
           "  --rootfs DIR          DIR instead of the host's /\n"
           "  --overlay-dir DIR     keep the overlay's upper layer (the writes) in DIR\n"
           "  --bind SRC[:DST]      bind SRC at DST (default: SRC), read-write\n"
           "  --ro-bind SRC[:DST]   the same, read-only\n"
           "  --tmpfs DST           a fresh tmpfs at DST\n"
           "  --chdir DIR           start in DIR (default: the current directory if the\n"
           "                        sandbox shows it, else /)\n"
           "identity and environment\n"
           "  -u, --user UID[:GID]  run as UID (and GID, default UID); default root\n"
           "  --hostname NAME       (default: the host's)\n"
           "  -e, --env K=V         set a variable (the caller's environment is passed on)\n"
           "  --clearenv            pass none of the caller's environment (PATH stays)\n"
           "network\n"
           "  --net none|host       none (default): a new namespace with only lo, up\n"
           "limits (in a cgroup: as root, or where one is delegated)\n"
           "  -m, --memory SIZE     e.g. 256M        --memory-swap SIZE  memory+swap, -1: no limit\n"
           "  --cpus N.N            CPU time         --pids N            number of tasks\n"
           "  --timeout DURATION    SIGTERM after DURATION (e.g. 1s, 500ms, 2m), SIGKILL after\n"
           "                        --kill-after DURATION (default 2s) more; exit status 124\n"
           "  --oom freeze|kill     on out-of-memory freeze the sandbox for inspection, or kill\n"
           "  --best-effort         a limit that cannot be enforced is a warning, not an error\n"
           "privileges (default: those of `nook spec`)\n"
           "  --cap-add CAP, --cap-drop CAP|ALL     --seccomp default|none|FILE\n"
           "other\n"
           "  --name ID             the container id (nook list/ps/kill/pause use it)\n"
           "  -t, --tty / -T, --no-tty   a pty for CMD (default: when stdin is a terminal)\n"
           "  --as-pid-1            CMD is the pid namespace's pid 1 itself, without nook's\n"
           "                        small init that passes signals on and reaps orphans\n"
           "  --print-config        print the config.json instead of running it\n");
}

static int parse_net(struct sandbox_cli *c, const char *v)
{
    if (!strcmp(v, "none"))
        c->o.sb.net_host = false;
    else if (!strcmp(v, "host"))
        c->o.sb.net_host = true;
    else
        return bad_value("--net", "none or host", v);
    return 0;
}

static int parse_seccomp(struct sandbox_cli *c, const char *v)
{
    if (!strcmp(v, "default")) {
        c->o.sb.seccomp = SPEC_SANDBOX_SECCOMP_DEFAULT;
    } else if (!strcmp(v, "none")) {
        c->o.sb.seccomp = SPEC_SANDBOX_SECCOMP_NONE;
    } else {
        c->o.sb.seccomp = SPEC_SANDBOX_SECCOMP_FILE;
        c->o.sb.seccomp_file = v;
    }
    return 0;
}

/* One option; returns 0, or the exit status (2 after a usage error, -1
 * after --help). */
static int take_option(struct sandbox_cli *c, int ch, int argc, char **argv)
{
    struct spec_sandbox *sb = &c->o.sb;
    switch (ch) {
    case OPT_ROOTFS: c->o.rootfs = optarg; break;
    case OPT_OVERLAY_DIR: c->o.overlay_dir = optarg; break;
    case OPT_BIND: add_mount(c, false, false, optarg); break;
    case OPT_RO_BIND: add_mount(c, false, true, optarg); break;
    case OPT_TMPFS: add_mount(c, true, false, optarg); break;
    case OPT_CHDIR:
        if (optarg[0] != '/')
            return bad_value("--chdir", "an absolute path", optarg);
        c->o.chdir = optarg;
        break;
    case 'u':
        if (!parse_user(optarg, &sb->uid, &sb->gid))
            return bad_value("--user", "UID[:GID] (numbers)", optarg);
        sb->has_user = true;
        break;
    case OPT_HOSTNAME: sb->hostname = optarg; break;
    case 'e':
        if (!strchr(optarg, '=') || optarg[0] == '=')
            return bad_value("--env", "NAME=VALUE", optarg);
        strs_push(&c->env, optarg);
        break;
    case OPT_CLEARENV: c->o.clearenv = true; break;
    case OPT_NET: return parse_net(c, optarg);
    case 'm':
        if (!parse_size(optarg, &sb->memory))
            return bad_value("--memory", "a size such as 256M", optarg);
        sb->has_memory = true;
        break;
    case OPT_MEMORY_SWAP:
        if (!strcmp(optarg, "-1"))
            sb->memory_swap = -1;
        else if (!parse_size(optarg, &sb->memory_swap))
            return bad_value("--memory-swap", "a size such as 512M, or -1", optarg);
        sb->has_memory_swap = true;
        break;
    case OPT_CPUS: {
        char *end;
        errno = 0;
        double v = strtod(optarg, &end);
        if (errno || end == optarg || *end || !(v >= 0.01) || v > 4096)
            return bad_value("--cpus", "a number of CPUs such as 0.5", optarg);
        sb->has_cpus = true;
        sb->cpu_period = CPU_PERIOD_US;
        sb->cpu_quota = (int64_t)(v * CPU_PERIOD_US + 0.5);
        break;
    }
    case OPT_PIDS:
        if (!parse_count(optarg, &sb->pids))
            return bad_value("--pids", "a positive number", optarg);
        sb->has_pids = true;
        break;
    case OPT_TIMEOUT:
        if (parse_duration_ms(optarg, &c->timeout_ms) < 0 || c->timeout_ms <= 0)
            return bad_value("--timeout", "a duration such as 10s, 500ms or 1m30s", optarg);
        c->timeout_arg = optarg;
        break;
    case OPT_KILL_AFTER:
        if (parse_duration_ms(optarg, &c->grace_ms) < 0)
            return bad_value("--kill-after", "a duration such as 2s", optarg);
        break;
    case OPT_OOM:
        if (strcmp(optarg, "freeze") && strcmp(optarg, "kill"))
            return bad_value("--oom", "freeze or kill", optarg);
        sb->oom = optarg;
        break;
    case OPT_CAP_ADD:
        if (!strcasecmp(optarg, "all"))
            return bad_value("--cap-add", "a capability name", optarg);
        strs_push(&c->cap_add, cap_name(c, optarg));
        break;
    case OPT_CAP_DROP: strs_push(&c->cap_drop, cap_name(c, optarg)); break;
    case OPT_SECCOMP: return parse_seccomp(c, optarg);
    case OPT_NAME: c->o.name = optarg; break;
    case 't': c->tty = true, c->no_tty = false; break;
    case 'T': c->no_tty = true, c->tty = false; break;
    case OPT_PRINT: c->print_config = true; break;
    case OPT_BEST_EFFORT: c->best_effort = true; break;
    case OPT_AS_PID_1: c->o.sb.as_pid_1 = true; break;
    case 'h': sandbox_help(); return -1;
    default: return bad_option("sandbox", argc, argv);
    }
    return 0;
}

static int parse_sandbox(struct sandbox_cli *c, int argc, char **argv)
{
    c->grace_ms = DEFAULT_GRACE_MS;
    int ch;
    while ((ch = getopt_long(argc, argv, "+u:e:m:tTh", sandbox_options, NULL)) != -1) {
        int r = take_option(c, ch, argc, argv);
        if (r)
            return r;
    }
    if (optind >= argc)
        return usage_error("sandbox", "sandbox: missing command (nook sandbox [OPTIONS] -- CMD)",
                           NULL);
    if (c->o.name) {
        /* The id rules of every other command. */
        char *id_argv[] = {argv[0], (char *)c->o.name, NULL};
        const char *id;
        int saved = optind;
        optind = 1;
        int r = take_id("sandbox", 2, id_argv, 0, &id);
        optind = saved;
        if (r)
            return r;
    }
    struct spec_sandbox *sb = &c->o.sb;
    sb->args = argv + optind;
    sb->n_args = (size_t)(argc - optind);
    sb->terminal = c->tty || (!c->no_tty && isatty(STDIN_FILENO));
    sb->cap_add = c->cap_add.v;
    sb->n_cap_add = c->cap_add.n;
    sb->cap_drop = c->cap_drop.v;
    sb->n_cap_drop = c->cap_drop.n;
    c->o.mounts = c->mounts;
    c->o.caller_env = environ;
    c->o.set_env = c->env.v;
    c->o.n_set_env = c->env.n;
    return 0;
}

static void report_timeout(const struct sandbox_cli *c, const struct runtime_exit *ex)
{
    if (!ex->timed_out)
        return;
    fprintf(stderr, "nook: %s: --timeout %s expired: sent SIGTERM%s\n", nook_current_id,
            c->timeout_arg, ex->killed ? ", then SIGKILL" : "");
}

int cmd_sandbox(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    struct sandbox_cli c;
    memset(&c, 0, sizeof c);
    int r = parse_sandbox(&c, argc, argv);
    if (r) {
        sandbox_cli_free(&c);
        return r < 0 ? 0 : r;
    }
    struct runtime_spec rs;
    r = runtime_sandbox_spec(&c.o, &rs, err);
    /* main prints it after we return: not from our stack. */
    static char id[sizeof c.o.id_buf];
    snprintf(id, sizeof id, "%s", c.o.id_buf);
    nook_current_id = c.o.name ? c.o.name : id;
    if (r < 0) {
        sandbox_cli_free(&c);
        return 1;
    }
    int status = 0;
    if (c.print_config) {
        fputs(rs.json, stdout);
    } else {
        struct create_opts o = {.id = c.o.id, .run = true, .timeout_ms = c.timeout_ms,
                                .grace_ms = c.grace_ms, .best_effort_limits = c.best_effort};
        struct runtime_warnings w = {0};
        struct runtime_exit ex;
        r = runtime_run(g, &rs, &o, &ex, &w, err);
        print_warnings(g, &w);
        if (r == 0)
            report_timeout(&c, &ex);
        status = r < 0 ? 1 : ex.status;
    }
    runtime_spec_free(&rs);
    sandbox_cli_free(&c);
    return status;
}
