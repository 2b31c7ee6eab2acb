/* create, start, run, state, kill, delete, list, spec, features. */
#include "commands.h"
#include "oom.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
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

static int load_bundle(const char *bundle, struct create_opts *o, char **abs_bundle,
                       struct spec *spec, char **json, size_t *len, struct nook_error *err)
{
    *abs_bundle = realpath(bundle, NULL);
    if (!*abs_bundle)
        return nook_error_sys(err, "bundle %s", bundle);
    o->bundle = *abs_bundle;
    char *path = xasprintf("%s/config.json", *abs_bundle);
    int r = read_file(path, json, len, err);
    free(path);
    if (r < 0)
        return nook_error_wrap(err, "read bundle");
    if (spec_parse(*json, *len, spec, err) < 0) {
        free(*json);
        *json = NULL;
        return nook_error_wrap(err, "config.json");
    }
    return 0;
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
    char *abs_bundle = NULL, *json = NULL;
    size_t len;
    struct spec spec;
    if (load_bundle(bundle, &o, &abs_bundle, &spec, &json, &len, err) < 0) {
        free(abs_bundle);
        return 1;
    }
    struct created cr;
    r = container_create(g, &spec, json, len, &o, &cr, err);
    if (r == 0) {
        close(cr.sync_fd);
        if (cr.master >= 0)
            close(cr.master);
    }
    spec_free(&spec);
    free(json);
    free(abs_bundle);
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
    struct container c;
    if (container_load(g, id, &c, err) < 0)
        return 1;
    r = container_start(&c, err);
    if (r == 0) {
        struct spec spec;
        if (container_load_spec(&c, &spec, err) == 0) {
            struct nook_error hook_err;
            /* runtime.md: a failing poststart hook is only a warning. */
            if (hooks_run(&spec, SPEC_HOOK_POSTSTART, &c.st, &hook_err) < 0)
                nook_log(g, "warning", "%s", hook_err.msg), fprintf(stderr, "nook: %s: warning: %s\n", id, hook_err.msg);
            spec_free(&spec);
        }
    }
    container_release(&c);
    return r < 0 ? 1 : 0;
}

/* Reap children until init is among them; returns its exit status or -1. */
static int reap(pid_t init)
{
    int status = -1, ws;
    pid_t p;
    while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
        if (p == init)
            status = exit_status_of(ws);
    return status;
}

/* Foreground: pass signals on, proxy the terminal, wait for init. */
static int wait_foreground(const struct created *cr, const sigset_t *set, struct nook_error *err)
{
    /* console_proxy reads SIGWINCH itself (to resize the pty). */
    sigset_t ours = *set;
    if (cr->master >= 0)
        sigdelset(&ours, SIGWINCH);
    int sfd = signalfd(-1, &ours, SFD_CLOEXEC);
    if (sfd < 0)
        return nook_error_sys(err, "signalfd");
    int status = reap(cr->init);
    while (status < 0) {
        if (cr->master >= 0) {
            int r = console_proxy(cr->master, sfd, err);
            if (r < 0) {
                close(sfd);
                return -1;
            }
        }
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof si);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != sizeof si) {
            close(sfd);
            return nook_error_sys(err, "read signalfd");
        }
        if (si.ssi_signo == SIGCHLD)
            status = reap(cr->init);
        else if (si.ssi_signo != SIGWINCH || cr->master < 0)
            kill(cr->init, (int)si.ssi_signo);
    }
    close(sfd);
    return status;
}

/* A start that failed because init died: init's own error says why. */
static void take_init_error(int sync_fd, struct nook_error *err)
{
    struct pollfd p = {.fd = sync_fd, .events = POLLIN};
    struct sync_msg m;
    struct nook_error ignored;
    if (poll(&p, 1, 0) == 1 && sync_recv(sync_fd, &m, NULL, NULL, &ignored) == 0 &&
        m.type == SYNC_ERROR)
        *err = m.err;
}

/* After start: EOF on the sync socket means init exec'd the process; an
 * error message means it could not. */
static int wait_exec(int sync_fd, struct nook_error *err)
{
    struct sync_msg m;
    int r = sync_recv(sync_fd, &m, NULL, NULL, err);
    if (r < 0)
        return -1;
    if (r == 0 && m.type == SYNC_ERROR) {
        *err = m.err;
        return -1;
    }
    return 0;
}

static void run_poststart(const struct nook_globals *g, const struct spec *spec, struct container *c)
{
    struct nook_error hook_err;
    if (hooks_run(spec, SPEC_HOOK_POSTSTART, &c->st, &hook_err) < 0) {
        fprintf(stderr, "nook: %s: warning: %s\n", c->id, hook_err.msg);
        nook_log(g, "warning", "%s", hook_err.msg);
    }
}

static int remove_container(const struct nook_globals *g, const char *id)
{
    struct container c;
    struct nook_error err;
    if (container_load(g, id, &c, &err) < 0)
        return -1;
    int r = container_kill_all(&c, &err);
    if (r == 0)
        r = container_destroy(&c, &err);
    if (r < 0)
        fprintf(stderr, "nook: %s: %s\n", id, err.msg);
    container_release(&c);
    return r;
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
    sigset_t set, old;
    forwarded_signals(&set);
    if (!o.detach)
        sigprocmask(SIG_BLOCK, &set, &old);
    char *abs_bundle = NULL, *json = NULL;
    size_t len;
    struct spec spec;
    if (load_bundle(bundle, &o, &abs_bundle, &spec, &json, &len, err) < 0) {
        free(abs_bundle);
        return 1;
    }
    struct created cr;
    int status = 1;
    if (container_create(g, &spec, json, len, &o, &cr, err) < 0)
        goto out;
    struct container c;
    if (container_load(g, o.id, &c, err) < 0 || container_start(&c, err) < 0 ||
        wait_exec(cr.sync_fd, err) < 0) {
        take_init_error(cr.sync_fd, err);
        if (c.id)
            container_release(&c);
        remove_container(g, o.id);
        goto out_created;
    }
    run_poststart(g, &spec, &c);
    container_release(&c);
    if (o.detach) {
        status = 0;
        goto out_created;
    }
    status = wait_foreground(&cr, &set, err);
    if (status < 0) {
        status = 1;
        goto out_created;
    }
    if (!o.keep)
        remove_container(g, o.id);
out_created:
    close(cr.sync_fd);
    if (cr.master >= 0)
        close(cr.master);
out:
    spec_free(&spec);
    free(json);
    free(abs_bundle);
    return status;
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
    struct container c;
    if (container_load(g, id, &c, err) < 0)
        return 1;
    oom_warn_if_monitor_lost(&c.st);
    if (c.st.status == NOOK_STATUS_STOPPED)
        c.st.pid = 0;
    char *json = spec_state_oci_json(&c.st);
    printf("%s\n", json);
    free(json);
    container_release(&c);
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
    if (*s && !*end)
        return n > 0 && n < NSIG ? (int)n : -1;
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
    struct container c;
    if (container_load(g, id, &c, err) < 0)
        return 1;
    oom_warn_if_monitor_lost(&c.st);
    r = 0;
    if (c.st.status == NOOK_STATUS_STOPPED) {
        r = nook_error_set(err, 0, "kill: container is not running");
    } else if (all && c.st.cgroup_path) {
        struct nook_cgroup cg;
        r = cgroup_open(c.st.cgroup_path, &cg, err);
        if (r == 0) {
            r = cgroup_signal_all(&cg, sig, err);
            cgroup_close(&cg);
        }
    } else {
        /* pidfd: the pid checked by container_load cannot be recycled under us. */
        int pidfd = (int)syscall(SYS_pidfd_open, c.st.pid, 0);
        if (pidfd < 0 || !container_pid_alive(&c.st))
            r = nook_error_set(err, 0, "kill: container is not running");
        else if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
            r = nook_error_sys(err, "kill: send signal %d", sig);
        if (pidfd >= 0)
            close(pidfd);
    }
    container_release(&c);
    return r < 0 ? 1 : 0;
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
    struct container c;
    if (container_load(g, id, &c, err) < 0) {
        /* runc: deleting a container that is not there is fine with --force. */
        return force && !strcmp(err->msg, "container does not exist") ? 0 : 1;
    }
    oom_warn_if_monitor_lost(&c.st);
    enum nook_status s = c.st.status;
    if ((s == NOOK_STATUS_RUNNING || s == NOOK_STATUS_PAUSED) && !force) {
        r = nook_error_set(err, 0, "delete: container is %s, stop it first or use --force",
                           nook_status_names[s]);
    } else {
        r = s == NOOK_STATUS_STOPPED ? 0 : container_kill_all(&c, err);
        if (r == 0)
            r = container_destroy(&c, err);
    }
    container_release(&c);
    return r < 0 ? 1 : 0;
}

static int read_states(const struct nook_globals *g, struct nook_state **out, size_t *n,
                       struct nook_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(g->root);
    if (!d)
        return errno == ENOENT ? 0 : nook_error_sys(err, "open %s", g->root);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s/state.json", g->root, de->d_name);
        char *json;
        size_t len;
        struct nook_error ignored;
        /* A container being created or deleted right now may have no state. */
        if (read_file(path, &json, &len, &ignored) == 0) {
            *out = xrealloc(*out, (*n + 1) * sizeof **out);
            if (spec_state_parse(json, len, &(*out)[*n], &ignored) == 0) {
                (*out)[*n].status = container_status(&(*out)[*n]);
                (*n)++;
            }
            free(json);
        }
        free(path);
    }
    closedir(d);
    return 0;
}

static void print_table(const struct nook_state *v, size_t n)
{
    printf("%-12s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (size_t i = 0; i < n; i++) {
        int pid = v[i].status == NOOK_STATUS_STOPPED ? 0 : v[i].pid;
        printf("%-12s %-8d %-10s %-40s %-31s %u\n", v[i].id, pid, nook_status_names[v[i].status],
               v[i].bundle, v[i].created, (unsigned)v[i].owner);
    }
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
    if (read_states(g, &v, &n, err) < 0)
        return 1;
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
    f.cgroup_v2 = true;
    f.version = NOOK_VERSION;
    char *json = spec_features_json(&f);
    printf("%s\n", json);
    free(json);
    security_features_free(&f);
    return 0;
}
