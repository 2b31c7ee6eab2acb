/* The CLI of create, start, run, state, kill, delete, list, spec, features:
 * options in, library call (runtime.h), output out. */
#include "commands.h"

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../security/security.h"

/* ---- create / run ---- */

static int parse_create_opts(const char *cmd, int argc, char **argv, struct create_opts *o,
                             const char **bundle)
{
    enum { OPT_PID_FILE = 256, OPT_CONSOLE, OPT_NO_PIVOT, OPT_PRESERVE, OPT_NO_KEYRING, OPT_KEEP };
    static const struct option opts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"pid-file", required_argument, NULL, OPT_PID_FILE},
        {"console-socket", required_argument, NULL, OPT_CONSOLE},
        {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
        {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
        {"no-new-keyring", no_argument, NULL, OPT_NO_KEYRING},
        {"detach", no_argument, NULL, 'd'},
        {"keep", no_argument, NULL, OPT_KEEP},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    *bundle = ".";
    while ((c = getopt_long(argc, argv, o->run ? "+b:dh" : "+b:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': *bundle = optarg; break;
        case OPT_PID_FILE: o->pid_file = optarg; break;
        case OPT_CONSOLE: o->console_socket = optarg; break;
        case OPT_NO_PIVOT: o->no_pivot = true; break;
        case OPT_NO_KEYRING: break; /* nook never creates a session keyring */
        case OPT_PRESERVE: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 0 || n > 1024)
                return usage_error(cmd, "--preserve-fds needs a count, not \"%s\"", optarg);
            o->preserve_fds = (int)n;
            break;
        }
        case 'd':
            if (!o->run)
                return bad_option(cmd, argc, argv);
            o->detach = true;
            break;
        case OPT_KEEP:
            if (!o->run)
                return bad_option(cmd, argc, argv);
            o->keep = true;
            break;
        case 'h': return command_help(cmd) - 1; /* -1: handled, exit 0 */
        default: return bad_option(cmd, argc, argv);
        }
    }
    return take_id(cmd, argc, argv, 0, &o->id);
}

/* Socket activation: fds from LISTEN_FDS (when meant for us) are kept for
 * the container, as runc does. */
static int listen_fds_for_us(void)
{
    const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
    if (!fds || (pid && atoi(pid) != getpid()))
        return 0;
    int n = atoi(fds);
    return n > 0 ? n : 0;
}

int cmd_create(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    struct create_opts o = {0};
    const char *bundle;
    int r = parse_create_opts("create", argc, argv, &o, &bundle);
    if (r)
        return r < 0 ? 0 : r;
    o.listen_fds = listen_fds_for_us();
    o.preserve_fds += o.listen_fds;
    struct runtime_spec rs;
    if (runtime_spec_load(bundle, &rs, err) < 0)
        return 1;
    struct runtime_warnings w = {0};
    r = runtime_create(g, &rs, &o, &w, err);
    print_warnings(g, &w);
    runtime_spec_free(&rs);
    return r < 0 ? 1 : 0;
}

int cmd_start(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
        return ch == 'h' ? command_help("start") : bad_option("start", argc, argv);
    const char *id;
    int r = take_id("start", argc, argv, 0, &id);
    if (r)
        return r;
    struct runtime_warnings w = {0};
    r = runtime_start(g, id, &w, err);
    print_warnings(g, &w);
    return r < 0 ? 1 : 0;
}

int cmd_run(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    struct create_opts o = {.run = true};
    const char *bundle;
    int r = parse_create_opts("run", argc, argv, &o, &bundle);
    if (r)
        return r < 0 ? 0 : r;
    o.listen_fds = listen_fds_for_us();
    o.preserve_fds += o.listen_fds;
    struct runtime_spec rs;
    if (runtime_spec_load(bundle, &rs, err) < 0)
        return 1;
    struct runtime_warnings w = {0};
    struct runtime_exit ex;
    r = runtime_run(g, &rs, &o, &ex, &w, err);
    print_warnings(g, &w);
    runtime_spec_free(&rs);
    return r < 0 ? 1 : o.detach ? 0 : ex.status;
}

/* ---- state, kill, delete, list ---- */

int cmd_state(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
        return ch == 'h' ? command_help("state") : bad_option("state", argc, argv);
    const char *id;
    int r = take_id("state", argc, argv, 0, &id);
    if (r)
        return r;
    struct nook_state st;
    if (runtime_state(g, id, &st, err) < 0)
        return 1;
    struct runtime_warnings w = {0};
    runtime_oom_monitor_warn(&st, &w);
    print_warnings(g, &w);
    char *json = spec_state_oci_json(&st);
    printf("%s\n", json);
    free(json);
    spec_state_free(&st);
    return 0;
}

struct signame {
    const char *name;
    int sig;
};

static const struct signame signames[] = {
    {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT}, {"BUS", SIGBUS}, {"FPE", SIGFPE}, {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},
    {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO}, {"POLL", SIGPOLL}, {"PWR", SIGPWR}, {"SYS", SIGSYS},
};

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3". */
static int parse_signal(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    /* 0: only whether the process is there (kill(2)), which runc allows. */
    if (*s && !*end)
        return n >= 0 && n < NSIG ? (int)n : -1;
    char up[32];
    size_t i;
    for (i = 0; s[i] && i < sizeof up - 1; i++)
        up[i] = (char)toupper((unsigned char)s[i]);
    up[i] = '\0';
    const char *name = strncmp(up, "SIG", 3) ? up : up + 3;
    for (size_t k = 0; k < sizeof signames / sizeof signames[0]; k++)
        if (!strcmp(signames[k].name, name))
            return signames[k].sig;
    if (!strncmp(name, "RTMIN", 5) || !strncmp(name, "RTMAX", 5)) {
        int base = name[4] == 'N' ? SIGRTMIN : SIGRTMAX;
        if (!name[5])
            return base;
        n = strtol(name + 5, &end, 10);
        if (!*end && base + n >= SIGRTMIN && base + n <= SIGRTMAX)
            return (int)(base + n);
    }
    return -1;
}

int cmd_kill(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    bool all = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
        if (ch == 'a')
            all = true;
        else
            return ch == 'h' ? command_help("kill") : bad_option("kill", argc, argv);
    }
    const char *id;
    int r = take_id("kill", argc, argv, 1, &id);
    if (r)
        return r;
    int sig = SIGTERM;
    if (argc - optind == 2 && (sig = parse_signal(argv[optind + 1])) < 0)
        return usage_error("kill", "unknown signal \"%s\"", argv[optind + 1]);
    struct nook_state st;
    struct nook_error ignored;
    if (runtime_state(g, id, &st, &ignored) == 0) {
        struct runtime_warnings w = {0};
        runtime_oom_monitor_warn(&st, &w);
        print_warnings(g, &w);
        spec_state_free(&st);
    }
    return runtime_kill(g, id, sig, all, err) < 0 ? 1 : 0;
}

int cmd_delete(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    bool force = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
        if (ch == 'f')
            force = true;
        else
            return ch == 'h' ? command_help("delete") : bad_option("delete", argc, argv);
    }
    const char *id;
    int r = take_id("delete", argc, argv, 0, &id);
    if (r)
        return r;
    struct runtime_warnings w = {0};
    r = runtime_delete(g, id, force, &w, err);
    print_warnings(g, &w);
    /* runc: deleting a container that is not there is fine with --force. */
    if (r < 0 && force && !strcmp(err->msg, "container does not exist"))
        return 0;
    return r < 0 ? 1 : 0;
}

static void print_table(const struct nook_state *v, size_t n)
{
    printf("%-12s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (size_t i = 0; i < n; i++) {
        int pid = v[i].status == NOOK_STATUS_STOPPED ? 0 : v[i].pid;
        /* A state dir with nothing recorded (create killed early) has
         * neither bundle nor creation time. */
        printf("%-12s %-8d %-10s %-40s %-31s %u\n", v[i].id, pid, nook_status_names[v[i].status],
               v[i].bundle ? v[i].bundle : "", v[i].created ? v[i].created : "",
               (unsigned)v[i].owner);
    }
}

/* runc lists by id. */
static int state_id_cmp(const void *a, const void *b)
{
    return strcmp(((const struct nook_state *)a)->id, ((const struct nook_state *)b)->id);
}

int cmd_list(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    bool quiet = false, json = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "+qf:h", opts, NULL)) != -1) {
        if (ch == 'q')
            quiet = true;
        else if (ch == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
            json = !strcmp(optarg, "json");
        else if (ch == 'f')
            return usage_error("list", "--format must be table or json, not \"%s\"", optarg);
        else
            return ch == 'h' ? command_help("list") : bad_option("list", argc, argv);
    }
    if (optind < argc)
        return usage_error("list", "list: unexpected argument \"%s\"", argv[optind]);
    struct nook_state *v;
    size_t n;
    if (runtime_list(g, &v, &n, err) < 0)
        return 1;
    qsort(v, n, sizeof *v, state_id_cmp);
    if (quiet) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", v[i].id);
    } else if (json) {
        char *s = spec_state_list_json(v, n);
        printf("%s\n", s);
        free(s);
    } else {
        print_table(v, n);
    }
    for (size_t i = 0; i < n; i++)
        spec_state_free(&v[i]);
    free(v);
    return 0;
}

/* ---- spec, features ---- */

int cmd_spec(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    enum { OPT_ROOTLESS = 256 };
    static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
                                         {"rootless", no_argument, NULL, OPT_ROOTLESS},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *bundle = ".";
    bool rootless = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "+b:h", opts, NULL)) != -1) {
        if (ch == 'b')
            bundle = optarg;
        else if (ch == OPT_ROOTLESS)
            rootless = true;
        else
            return ch == 'h' ? command_help("spec") : bad_option("spec", argc, argv);
    }
    if (optind < argc)
        return usage_error("spec", "spec: unexpected argument \"%s\"", argv[optind]);
    char *path = xasprintf("%s/config.json", bundle);
    struct stat sb;
    int r = 0;
    if (lstat(path, &sb) == 0) {
        r = nook_error_set(err, 0, "spec: %s exists, remove it first", path);
    } else {
        char *text = spec_default_config(rootless);
        r = write_file(path, text, strlen(text), 0644, err);
        free(text);
    }
    free(path);
    return r < 0 ? 1 : 0;
}

int cmd_features(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
        return ch == 'h' ? command_help("features") : bad_option("features", argc, argv);
    if (optind < argc)
        return usage_error("features", "features: unexpected argument \"%s\"", argv[optind]);
    struct spec_features f = {0};
    security_fill_features(&f);
    f.cgroup_v1 = true; /* cgroup/ has a v1, a v2 and a hybrid backend */
    f.cgroup_v2 = true;
    f.version = NOOK_VERSION;
    char *oom = runtime_oom_support_summary();
    f.oom_freeze = oom;
    char *json = spec_features_json(&f);
    printf("%s\n", json);
    free(json);
    free(oom);
    security_features_free(&f);
    return 0;
}
