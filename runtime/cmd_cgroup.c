/* The commands built on the container's cgroup: ps, pause, resume, update,
 * events. */
#include "commands.h"
#include "internal.h" /* these commands work on the state store and cgroup directly */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "oom.h"

/* Load a container that must have a cgroup and be in one of the allowed
 * states (bit mask of 1 << status). */
static int load_with_cgroup(struct nook_globals *g, const char *id, unsigned allowed,
                            const char *what, struct container *c, struct nook_cgroup *cg,
                            struct nook_error *err)
{
    if (container_load(g, id, c, err) < 0)
        return -1;
    int r = 0;
    if (!(allowed & (1u << c->st.status)))
        r = nook_error_set(err, 0, "%s: container is %s", what, nook_status_names[c->st.status]);
    else if (!c->st.cgroup_path)
        r = nook_error_set(err, 0, "%s: container has no cgroup of its own", what);
    else if (cgroup_open(&c->st, cg, err) < 0)
        r = nook_error_wrap(err, "%s", what);
    if (r < 0)
        container_release(c);
    return r;
}

/* ---- ps ---- */

/* The column of "PID" in ps's header line, or -1. */
static int pid_column(const char *header)
{
    int col = 0;
    for (const char *p = header; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ' ' && *end != '\n')
            end++;
        if (end - p == 3 && strncmp(p, "PID", 3) == 0)
            return col;
        col++;
        p = end;
        if (*p == '\n')
            break;
    }
    return -1;
}

static long field_as_pid(const char *line, int col)
{
    const char *p = line;
    for (int i = 0;; i++) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n')
            return -1;
        if (i == col)
            return strtol(p, NULL, 10);
        while (*p && *p != ' ' && *p != '\n')
            p++;
    }
}

/* runc's table: `ps` (default -ef) filtered to the container's pids. */
static int ps_table(const pid_t *pids, size_t n, int argc, char **argv, struct nook_error *err)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return nook_error_sys(err, "ps: pipe");
    pid_t child = fork();
    if (child < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return nook_error_sys(err, "ps: fork");
    }
    if (child == 0) {
        if (dup2(pfd[1], 1) < 0)
            _exit(127);
        char **args = xcalloc((size_t)argc + 3, sizeof *args);
        int k = 0;
        args[k++] = "ps";
        if (argc == 0)
            args[k++] = "-ef";
        for (int i = 0; i < argc; i++)
            args[k++] = argv[i];
        execvp("ps", args);
        _exit(127);
    }
    close(pfd[1]);
    char *out;
    int r = read_fd_all(pfd[0], &out, NULL, err);
    close(pfd[0]);
    int st;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return nook_error_wrap(err, "ps: read its output");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        free(out);
        return nook_error_set(err, 0, "ps: `ps` failed (exit status %d)",
                              WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
    int col = pid_column(out);
    if (col < 0) {
        free(out);
        return nook_error_set(err, 0, "ps: no PID column in the output of `ps`");
    }
    char *line = out, *nl = strchr(line, '\n');
    printf("%.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
    while (nl) {
        line = nl + 1;
        nl = strchr(line, '\n');
        long pid = field_as_pid(line, col);
        for (size_t i = 0; i < n && pid > 0; i++)
            if (pids[i] == pid) {
                printf("%.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
                break;
            }
    }
    free(out);
    return 0;
}

int cmd_ps(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    bool json = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
        if (ch == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
            json = !strcmp(optarg, "json");
        else if (ch == 'f')
            return usage_error("ps", "--format must be table or json, not \"%s\"", optarg);
        else
            return ch == 'h' ? command_help("ps") : bad_option("ps", argc, argv);
    }
    const char *id;
    int r = take_id("ps", argc, argv, -1, &id);
    if (r)
        return r;
    if (json && argc - optind > 1)
        return usage_error("ps", "ps: ps options do not go with --format json", NULL);
    struct container c;
    struct nook_cgroup cg;
    /* A stopped container's cgroup is there until delete, and empty: runc
     * lists no processes and exits 0. */
    unsigned any = 1u << NOOK_STATUS_CREATED | 1u << NOOK_STATUS_RUNNING |
                   1u << NOOK_STATUS_PAUSED | 1u << NOOK_STATUS_STOPPED;
    if (load_with_cgroup(g, id, any, "ps", &c, &cg, err) < 0)
        return 1;
    pid_t *pids;
    size_t n;
    r = cgroup_pids(&cg, &pids, &n, err);
    cgroup_close(&cg);
    container_release(&c);
    if (r < 0)
        return 1;
    if (json) {
        int *v = xcalloc(n, sizeof *v);
        for (size_t i = 0; i < n; i++)
            v[i] = (int)pids[i];
        char *s = spec_json_int_array(v, n);
        printf("%s\n", s);
        free(s);
        free(v);
    } else {
        r = ps_table(pids, n, argc - optind - 1, argv + optind + 1, err);
    }
    free(pids);
    return r < 0 ? 1 : 0;
}

/* ---- pause, resume ---- */

static int freeze_command(struct nook_globals *g, const char *cmd, bool freeze, int argc,
                          char **argv, struct nook_error *err)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
        return ch == 'h' ? command_help(cmd) : bad_option(cmd, argc, argv);
    const char *id;
    int r = take_id(cmd, argc, argv, 0, &id);
    if (r)
        return r;
    /* Pause a running container, resume a paused one. */
    unsigned allowed = 1u << (freeze ? NOOK_STATUS_RUNNING : NOOK_STATUS_PAUSED);
    struct container c;
    struct nook_cgroup cg;
    if (load_with_cgroup(g, id, allowed, cmd, &c, &cg, err) < 0)
        return 1;
    if (!freeze)
        oom_monitor_resolve_frozen(&c);
    r = cgroup_freeze(&cg, freeze, err);
    if (r == 0) {
        c.st.status = freeze ? NOOK_STATUS_PAUSED : NOOK_STATUS_RUNNING;
        r = container_save(&c, err);
    }
    if (r == 0 && !freeze)
        oom_monitor_wait_rearmed(&c);
    cgroup_close(&cg);
    container_release(&c);
    return r < 0 ? 1 : 0;
}

int cmd_pause(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    return freeze_command(g, "pause", true, argc, argv, err);
}

int cmd_resume(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    return freeze_command(g, "resume", false, argc, argv, err);
}

/* ---- update ---- */

/* A byte count: digits with an optional k/m/g/t suffix (powers of 1024, an
 * optional trailing b, any case), or -1 for unlimited, as runc accepts. */
static bool parse_bytes(const char *s, int64_t *out)
{
    if (strcmp(s, "-1") == 0) {
        *out = -1;
        return true;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return false;
    unsigned shift = 0;
    switch (tolower((unsigned char)*end)) {
    case 'k': shift = 10; end++; break;
    case 'm': shift = 20; end++; break;
    case 'g': shift = 30; end++; break;
    case 't': shift = 40; end++; break;
    default: break;
    }
    if (tolower((unsigned char)*end) == 'b')
        end++;
    if (*end || v > ((unsigned long long)INT64_MAX >> shift))
        return false;
    *out = (int64_t)(v << shift);
    return true;
}

static bool parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *out = v;
    return true;
}

static int load_resources(const char *file, struct spec_resources *r, struct nook_error *err)
{
    if (strcmp(file, "-") != 0)
        return spec_resources_load(file, r, err);
    char *text;
    size_t len;
    if (read_fd_all(0, &text, &len, err) < 0)
        return nook_error_wrap(err, "update: read the resources from stdin");
    int ret = spec_resources_parse(text, len, "stdin", r, err);
    free(text);
    return ret;
}

int cmd_update(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    enum {
        OPT_MEMORY = 256, OPT_SWAP, OPT_RESERVATION, OPT_QUOTA, OPT_PERIOD, OPT_SHARES, OPT_CPUS,
        OPT_MEMS, OPT_PIDS, OPT_BLKIO, OPT_RT_PERIOD, OPT_RT_RUNTIME,
    };
    static const struct option opts[] = {
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"memory-swap", required_argument, NULL, OPT_SWAP},
        {"memory-reservation", required_argument, NULL, OPT_RESERVATION},
        {"cpu-quota", required_argument, NULL, OPT_QUOTA},
        {"cpu-period", required_argument, NULL, OPT_PERIOD},
        {"cpu-share", required_argument, NULL, OPT_SHARES},
        {"cpuset-cpus", required_argument, NULL, OPT_CPUS},
        {"cpuset-mems", required_argument, NULL, OPT_MEMS},
        {"pids-limit", required_argument, NULL, OPT_PIDS},
        {"blkio-weight", required_argument, NULL, OPT_BLKIO},
        {"cpu-rt-period", required_argument, NULL, OPT_RT_PERIOD},
        {"cpu-rt-runtime", required_argument, NULL, OPT_RT_RUNTIME},
        {"resources", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    struct spec_resources flags;
    memset(&flags, 0, sizeof flags);
    const char *file = NULL;
    bool any = false;
    int ch;
    /* Options may follow the id, as runc's update takes them: glibc picks
     * up the permuting order only when getopt starts over (optind 0). */
    optind = 0;
    while ((ch = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
        int64_t v = 0;
        bool ok = true;
        switch (ch) {
        case OPT_MEMORY: ok = parse_bytes(optarg, &flags.memory.limit); flags.memory.has_limit = true; break;
        case OPT_SWAP: ok = parse_bytes(optarg, &flags.memory.swap); flags.memory.has_swap = true; break;
        case OPT_RESERVATION:
            ok = parse_bytes(optarg, &flags.memory.reservation);
            flags.memory.has_reservation = true;
            break;
        case OPT_QUOTA: ok = parse_int(optarg, &flags.cpu.quota); flags.cpu.has_quota = true; break;
        case OPT_PERIOD:
            ok = parse_int(optarg, &v) && v >= 0;
            flags.cpu.period = (uint64_t)v;
            flags.cpu.has_period = true;
            break;
        case OPT_SHARES:
            ok = parse_int(optarg, &v) && v >= 0;
            flags.cpu.shares = (uint64_t)v;
            flags.cpu.has_shares = true;
            break;
        case OPT_CPUS: free(flags.cpu.cpus); flags.cpu.cpus = xstrdup(optarg); break;
        case OPT_MEMS: free(flags.cpu.mems); flags.cpu.mems = xstrdup(optarg); break;
        case OPT_PIDS: ok = parse_int(optarg, &flags.pids.limit); flags.pids.has_limit = true; break;
        case OPT_RT_PERIOD:
            ok = parse_int(optarg, &v) && v >= 0;
            flags.cpu.realtime_period = (uint64_t)v;
            flags.cpu.has_realtime_period = true;
            break;
        case OPT_RT_RUNTIME:
            ok = parse_int(optarg, &flags.cpu.realtime_runtime);
            flags.cpu.has_realtime_runtime = true;
            break;
        case OPT_BLKIO:
            ok = parse_int(optarg, &v) && v >= 10 && v <= 1000;
            flags.block_io.weight = (uint16_t)v;
            flags.block_io.has_weight = true;
            break;
        case 'r': file = optarg; break;
        case 'h': spec_resources_free(&flags); return command_help("update");
        default: spec_resources_free(&flags); return bad_option("update", argc, argv);
        }
        if (!ok) {
            spec_resources_free(&flags);
            return usage_error("update", "update: bad value \"%s\"", optarg);
        }
        any = true;
    }
    const char *id;
    int r = take_id("update", argc, argv, 0, &id);
    if (r == 0 && !any)
        r = usage_error("update", "update: nothing to change (give -r FILE or a limit option)", NULL);
    if (r == 0 && file && (flags.memory.has_limit || flags.cpu.has_quota || flags.pids.has_limit ||
                           flags.cpu.cpus || flags.cpu.has_shares || flags.cpu.has_period ||
                           flags.cpu.has_realtime_period || flags.cpu.has_realtime_runtime ||
                           flags.memory.has_swap || flags.block_io.has_weight))
        r = usage_error("update", "update: -r and limit options do not go together", NULL);
    if (r) {
        spec_resources_free(&flags);
        return r;
    }
    struct spec_resources from_file;
    memset(&from_file, 0, sizeof from_file);
    /* runc: "-r -" reads the resources JSON from stdin (a pipe, not a
     * regular file spec_resources_load would take). */
    if (file && load_resources(file, &from_file, err) < 0) {
        spec_resources_free(&flags);
        return 1;
    }
    struct container c;
    struct nook_cgroup cg;
    unsigned live = 1u << NOOK_STATUS_CREATED | 1u << NOOK_STATUS_RUNNING | 1u << NOOK_STATUS_PAUSED;
    r = load_with_cgroup(g, id, live, "update", &c, &cg, err);
    if (r == 0) {
        const struct spec_resources *res = file ? &from_file : &flags;
        r = cgroup_apply(&cg, res, err);
        /* Rootless OOM freeze keeps the limit in memory.high, with
         * memory.max a margin above it. */
        if (r == 0 && c.st.oom_monitor_pid > 0 && geteuid() != 0 && res->memory.has_limit)
            r = cgroup_oom_v2_set_limit(&cg, true,
                                        res->memory.limit < 0 ? UINT64_MAX
                                                              : (uint64_t)res->memory.limit,
                                        err);
        if (r < 0)
            nook_error_wrap(err, "update");
        cgroup_close(&cg);
        container_release(&c);
    }
    spec_resources_free(&from_file);
    spec_resources_free(&flags);
    return r < 0 ? 1 : 0;
}

/* ---- events ---- */

/* Go-style durations as runc's --interval takes them: "5s", "100ms", "1m",
 * "1h", "1.5s", "1m30s". */
int parse_duration_ms(const char *s, long *ms)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    double total = 0;
    if (!*s)
        return -1;
    while (*s) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || v < 0 || !isdigit((unsigned char)*s))
            return -1;
        size_t i = 0;
        /* "ms" is tried before "m". */
        while (i < sizeof units / sizeof units[0] &&
               strncmp(end, units[i].unit, strlen(units[i].unit)) != 0)
            i++;
        if (i == sizeof units / sizeof units[0])
            return -1;
        total += v * units[i].ms;
        s = end + strlen(units[i].unit);
    }
    if (total > 86400000.0 * 365)
        return -1;
    *ms = (long)total;
    return 0;
}

/* The container id as a JSON string (ids are free text but for '/'). */
static void print_line(char *json)
{
    printf("%s\n", json);
    fflush(stdout);
    free(json);
}

/* Wait up to ms for an OOM event (reported at once rather than at the next
 * tick) or a line of the OOM monitor's feed (POLLIN); then say how many OOM
 * events came. Without a memory cgroup or feed, just sleep. */
static int wait_oom_events(const struct nook_cgroup *cg, struct cgroup_oom_events *w, bool have,
                           int feed, long ms, uint64_t *ooms, struct nook_error *err)
{
    *ooms = 0;
    struct pollfd p[2] = {{.fd = have ? w->fd : -1, .events = have ? w->events : 0},
                          {.fd = feed, .events = POLLIN}};
    if ((have || feed >= 0) && poll(p, 2, (int)ms) >= 0)
        return have ? cgroup_oom_events_wait(cg, w, 0, ooms, err) : 0;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return 0;
}

int cmd_events(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {{"stats", no_argument, NULL, 's'},
                                         {"interval", required_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    bool stats_once = false;
    long interval = 5000;
    int ch;
    while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (ch == 's')
            stats_once = true;
        else if (ch == 'i' && (parse_duration_ms(optarg, &interval) < 0 || interval <= 0))
            return usage_error("events", "--interval needs a duration like 5s, not \"%s\"", optarg);
        else if (ch != 'i')
            return ch == 'h' ? command_help("events") : bad_option("events", argc, argv);
    }
    const char *id;
    int r = take_id("events", argc, argv, 0, &id);
    if (r)
        return r;
    struct container c;
    struct nook_cgroup cg;
    unsigned live = 1u << NOOK_STATUS_CREATED | 1u << NOOK_STATUS_RUNNING | 1u << NOOK_STATUS_PAUSED;
    if (load_with_cgroup(g, id, live, "events", &c, &cg, err) < 0)
        return 1;
    /* Keep the state, not the lock: events runs for as long as the container. */
    struct nook_state st = c.st;
    memset(&c.st, 0, sizeof c.st);
    char *c_dir = xstrdup(c.dir);
    container_release(&c);

    struct nook_stats s;
    r = cgroup_read_stats(&cg, &s, err);
    if (r == 0 && stats_once) {
        print_line(spec_event_stats_json(id, &s));
    } else if (r == 0) {
        struct cgroup_oom_events w;
        struct nook_error oom_err;
        bool have_oom = cgroup_oom_events_open(&cg, &w, &oom_err) == 0;
        struct oom_feed feed;
        oom_feed_open(c_dir, &feed);
        print_line(spec_event_stats_json(id, &s));
        /* Stats once per interval; a memory.events change (which happens on
         * every reclaim at the limit) only wakes us to look for OOM kills. */
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long long next = t.tv_sec * 1000LL + t.tv_nsec / 1000000 + interval;
        for (;;) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            long long now = t.tv_sec * 1000LL + t.tv_nsec / 1000000;
            uint64_t ooms;
            struct nook_error read_err;
            /* An error: the cgroup went away with the container. */
            if (wait_oom_events(&cg, &w, have_oom, feed.notify, next > now ? (long)(next - now) : 0,
                                &ooms, &read_err) < 0)
                break;
            oom_feed_print(&feed, stdout);
            for (uint64_t i = 0; i < ooms; i++)
                print_line(spec_event_json("oom", id));
            if (cgroup_read_stats(&cg, &s, &read_err) < 0)
                break;
            if (!container_pid_alive(&st))
                break;
            clock_gettime(CLOCK_MONOTONIC, &t);
            if (t.tv_sec * 1000LL + t.tv_nsec / 1000000 >= next) {
                print_line(spec_event_stats_json(id, &s));
                next += interval;
            }
        }
        if (have_oom)
            cgroup_oom_events_close(&w);
        oom_feed_print(&feed, stdout);
        oom_feed_close(&feed);
    }
    free(c_dir);
    cgroup_close(&cg);
    spec_state_free(&st);
    return r < 0 ? 1 : 0;
}
