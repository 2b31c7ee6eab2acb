/* The CLI of checkpoint and restore, with runc's options
 * (runtime_checkpoint, runtime_restore). */
#include "commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_IMAGE = 256, OPT_WORK, OPT_PARENT, OPT_LEAVE, OPT_TCP, OPT_EXT_UNIX, OPT_SHELL, OPT_LAZY,
    OPT_STATUS_FD, OPT_PAGE_SERVER, OPT_FILE_LOCKS, OPT_PRE_DUMP, OPT_CG_MODE, OPT_EMPTY_NS,
    OPT_DEDUP, OPT_CONSOLE, OPT_PID_FILE, OPT_NO_SUBREAPER, OPT_NO_PIVOT, OPT_LSM_PROFILE,
    OPT_LSM_MOUNT,
};

/* --empty-ns may be given more than once. */
struct ns_list {
    const char **v;
    size_t n;
};

/* An option both commands take; 0 when c is not one. */
static int shared_option(int c, struct criu_cli_opts *o, struct ns_list *ns)
{
    switch (c) {
    case OPT_IMAGE: o->image_path = optarg; return 1;
    case OPT_WORK: o->work_path = optarg; return 1;
    case OPT_TCP: o->tcp_established = true; return 1;
    case OPT_EXT_UNIX: o->ext_unix_sk = true; return 1;
    case OPT_SHELL: o->shell_job = true; return 1;
    case OPT_FILE_LOCKS: o->file_locks = true; return 1;
    case OPT_DEDUP: o->auto_dedup = true; return 1;
    case OPT_LAZY: o->lazy_pages = true; return 1;
    case OPT_CG_MODE: o->manage_cgroups_mode = optarg; return 1;
    case OPT_EMPTY_NS:
        ns->v = xrealloc(ns->v, (ns->n + 1) * sizeof *ns->v);
        ns->v[ns->n++] = optarg;
        o->empty_ns = ns->v;
        o->n_empty_ns = ns->n;
        return 1;
    default: return 0;
    }
}

#define SHARED_OPTIONS                                                                        \
    {"image-path", required_argument, NULL, OPT_IMAGE},                                       \
        {"work-path", required_argument, NULL, OPT_WORK},                                     \
        {"tcp-established", no_argument, NULL, OPT_TCP},                                      \
        {"ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX},                                     \
        {"shell-job", no_argument, NULL, OPT_SHELL},                                          \
        {"file-locks", no_argument, NULL, OPT_FILE_LOCKS},                                    \
        {"auto-dedup", no_argument, NULL, OPT_DEDUP},                                         \
        {"lazy-pages", no_argument, NULL, OPT_LAZY},                                          \
        {"manage-cgroups-mode", required_argument, NULL, OPT_CG_MODE},                        \
        {"empty-ns", required_argument, NULL, OPT_EMPTY_NS},                                  \
        {"help", no_argument, NULL, 'h'}

int cmd_checkpoint(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {
        SHARED_OPTIONS,
        {"parent-path", required_argument, NULL, OPT_PARENT},
        {"leave-running", no_argument, NULL, OPT_LEAVE},
        {"pre-dump", no_argument, NULL, OPT_PRE_DUMP},
        {"page-server", required_argument, NULL, OPT_PAGE_SERVER},
        {"status-fd", required_argument, NULL, OPT_STATUS_FD},
        {0, 0, 0, 0},
    };
    struct checkpoint_opts o = {0};
    struct ns_list ns = {0};
    int c, r = 0;
    while (r == 0 && (c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (shared_option(c, &o.c, &ns))
            continue;
        switch (c) {
        case OPT_PARENT: o.parent_path = optarg; break;
        case OPT_LEAVE: o.leave_running = true; break;
        case OPT_PRE_DUMP: o.pre_dump = true; break;
        case OPT_PAGE_SERVER: o.page_server = optarg; break;
        /* Only meaningful with --lazy-pages, which is refused. */
        case OPT_STATUS_FD: break;
        case 'h': r = command_help("checkpoint") - 1; break;
        default: r = bad_option("checkpoint", argc, argv); break;
        }
    }
    if (r == 0)
        r = take_id("checkpoint", argc, argv, 0, &o.id);
    if (r == 0) {
        struct runtime_warnings w = {0};
        r = runtime_checkpoint(g, &o, &w, err) < 0 ? 1 : 0;
        print_warnings(g, &w);
    }
    free(ns.v);
    return r < 0 ? 0 : r;
}

int cmd_restore(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {
        SHARED_OPTIONS,
        {"console-socket", required_argument, NULL, OPT_CONSOLE},
        {"bundle", required_argument, NULL, 'b'},
        {"detach", no_argument, NULL, 'd'},
        {"pid-file", required_argument, NULL, OPT_PID_FILE},
        {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
        {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
        {"lsm-profile", required_argument, NULL, OPT_LSM_PROFILE},
        {"lsm-mount-context", required_argument, NULL, OPT_LSM_MOUNT},
        {0, 0, 0, 0},
    };
    struct create_opts o = {0};
    struct criu_cli_opts co = {0};
    struct ns_list ns = {0};
    const char *bundle = ".";
    int c, r = 0;
    while (r == 0 && (c = getopt_long(argc, argv, "+b:dh", opts, NULL)) != -1) {
        if (shared_option(c, &co, &ns))
            continue;
        switch (c) {
        case OPT_CONSOLE: o.console_socket = optarg; break;
        case 'b': bundle = optarg; break;
        case 'd': o.detach = true; break;
        case OPT_PID_FILE: o.pid_file = optarg; break;
        /* The restored mounts come from the checkpoint (no pivot_root to
         * skip), and nook is no subreaper of a restored init. */
        case OPT_NO_SUBREAPER: break;
        case OPT_NO_PIVOT: o.no_pivot = true; break;
        case OPT_LSM_PROFILE:
        case OPT_LSM_MOUNT:
            r = usage_error("restore", "--lsm-profile and --lsm-mount-context are not "
                            "supported (given \"%s\")", optarg);
            break;
        case 'h': r = command_help("restore") - 1; break;
        default: r = bad_option("restore", argc, argv); break;
        }
    }
    if (r == 0)
        r = take_id("restore", argc, argv, 0, &o.id);
    if (r == 0) {
        struct runtime_spec rs;
        if (runtime_spec_load(bundle, &rs, err) < 0) {
            free(ns.v);
            return 1;
        }
        struct runtime_warnings w = {0};
        struct runtime_exit ex = {0};
        r = runtime_restore(g, &rs, &o, &co, &ex, &w, err) < 0 ? 1 : o.detach ? 0 : ex.status;
        print_warnings(g, &w);
        runtime_spec_free(&rs);
    }
    free(ns.v);
    return r < 0 ? 0 : r;
}
