/* The CLI of `exec`: options in, runtime_exec (exec.c), exit status out. */
#include "commands.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>

static int parse_exec_opts(int argc, char **argv, struct exec_opts *o)
{
    enum { OPT_CONSOLE = 256, OPT_CWD, OPT_PROCESS, OPT_PID_FILE, OPT_PRESERVE,
           OPT_IGNORE_PAUSED, OPT_CGROUP, OPT_NNP, OPT_APPARMOR, OPT_LABEL };
    static const struct option opts[] = {
        {"tty", no_argument, NULL, 't'},
        {"detach", no_argument, NULL, 'd'},
        {"console-socket", required_argument, NULL, OPT_CONSOLE},
        {"cwd", required_argument, NULL, OPT_CWD},
        {"env", required_argument, NULL, 'e'},
        {"user", required_argument, NULL, 'u'},
        {"process", required_argument, NULL, 'p'},
        {"pid-file", required_argument, NULL, OPT_PID_FILE},
        {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
        {"additional-gids", required_argument, NULL, 'g'},
        {"cap", required_argument, NULL, 'c'},
        {"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED},
        {"cgroup", required_argument, NULL, OPT_CGROUP},
        {"no-new-privs", no_argument, NULL, OPT_NNP},
        {"apparmor", required_argument, NULL, OPT_APPARMOR},
        {"process-label", required_argument, NULL, OPT_LABEL},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "+tde:u:p:g:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': o->tty = o->tty_set = true; break;
        case 'd': o->detach = true; break;
        case OPT_CONSOLE: o->console_socket = optarg; break;
        case OPT_CWD: o->cwd = optarg; break;
        case 'e':
            o->env.v = xrealloc(o->env.v, (o->env.n + 2) * sizeof *o->env.v);
            o->env.v[o->env.n++] = optarg;
            o->env.v[o->env.n] = NULL;
            break;
        case 'u': o->user = optarg; break;
        case 'p': o->process_file = optarg; break;
        case OPT_PID_FILE: o->pid_file = optarg; break;
        case 'g': {
            char *end;
            unsigned long gid = strtoul(optarg, &end, 10);
            if (end == optarg || *end || gid > UINT32_MAX - 1)
                return usage_error("exec", "--additional-gids needs a gid, not \"%s\"", optarg);
            o->gids = xrealloc(o->gids, (o->n_gids + 1) * sizeof *o->gids);
            o->gids[o->n_gids++] = (gid_t)gid;
            break;
        }
        case 'c':
            o->caps.v = xrealloc(o->caps.v, (o->caps.n + 2) * sizeof *o->caps.v);
            o->caps.v[o->caps.n++] = optarg;
            o->caps.v[o->caps.n] = NULL;
            break;
        case OPT_IGNORE_PAUSED: o->ignore_paused = true; break;
        case OPT_CGROUP:
            o->cgroups.v = xrealloc(o->cgroups.v, (o->cgroups.n + 2) * sizeof *o->cgroups.v);
            o->cgroups.v[o->cgroups.n++] = optarg;
            o->cgroups.v[o->cgroups.n] = NULL;
            break;
        case OPT_NNP: o->no_new_privs = true; break;
        case OPT_APPARMOR: o->apparmor = optarg; break;
        case OPT_LABEL: o->process_label = optarg; break;
        case OPT_PRESERVE: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 0 || n > 1024)
                return usage_error("exec", "--preserve-fds needs a count, not \"%s\"", optarg);
            o->preserve_fds = (int)n;
            break;
        }
        case 'h': return command_help("exec") - 1;
        default:
            return usage_error("exec", "unknown or incomplete option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("exec", "exec: missing container ID", NULL);
    o->id = argv[optind++];
    nook_current_id = o->id;
    o->args = argv + optind;
    o->nargs = argc - optind;
    if (!o->process_file && o->nargs == 0)
        return usage_error("exec", "exec: missing command (or --process FILE)", NULL);
    return 0;
}

int cmd_exec(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    struct exec_opts o = {0};
    int r = parse_exec_opts(argc, argv, &o);
    if (r == 0) {
        struct runtime_exit ex;
        /* As runc: an exec that failed before the process ran is 255, so a
         * caller can tell it from the process's own exit status. */
        r = runtime_exec(g, &o, &ex, err) < 0 ? 255 : ex.status;
    } else if (r < 0) {
        r = 0;
    }
    free(o.env.v);
    free(o.caps.v);
    free(o.cgroups.v);
    free(o.gids);
    return r;
}
