/* nook's entry point: global flags, command dispatch, and the one place that
 * prints an error (`nook: <id>: <msg>`) and picks the exit status. */
#include "commands.h"

#include "../security/security.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *default_root(void)
{
    static char buf[4096];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (geteuid() != 0 && xdg && *xdg) {
        snprintf(buf, sizeof buf, "%s/nook", xdg);
        return buf;
    }
    return "/run/nook";
}

/* --debug: the whole command line first, so a log read alone says what the
 * tool asked for (podman, containerd and Docker pass their own flags). */
static void log_command_line(const struct nook_globals *g, int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *line = malloc(len);
    if (!line)
        return;
    line[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(line, " ");
        strcat(line, argv[i]);
    }
    nook_log(g, "debug", "nook %s (pid %d): %s", NOOK_VERSION, (int)getpid(), line);
    free(line);
}

int main(int argc, char **argv)
{
    struct nook_globals g = {.root = default_root()};
    enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_CRIU, OPT_ROOTLESS };
    static const struct option opts[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"log", required_argument, NULL, OPT_LOG},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"debug", no_argument, NULL, OPT_DEBUG},
        {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
        {"criu", required_argument, NULL, OPT_CRIU},
        {"rootless", required_argument, NULL, OPT_ROOTLESS},
        {"version", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT: g.root = optarg; break;
        case OPT_LOG: g.log_path = optarg; break;
        case OPT_LOG_FORMAT:
            if (strcmp(optarg, "text") && strcmp(optarg, "json"))
                return usage_error(NULL, "--log-format must be text or json, not \"%s\"", optarg);
            g.log_json = !strcmp(optarg, "json");
            break;
        case OPT_DEBUG: g.debug = true; break;
        case OPT_CRIU: g.criu = optarg; break;
        /* runc's; accepted for compatibility (nook always uses cgroupfs). */
        case OPT_SYSTEMD: case OPT_ROOTLESS: break;
        case 'v':
            /* runc's layout: tools parse the first line and "spec:". */
            printf("nook version %s\ncommit: %s\nspec: 1.2.0\nlibseccomp: %s\n", NOOK_VERSION,
                   NOOK_COMMIT, security_libseccomp_version());
            return 0;
        case 'h':
            print_usage(stdout);
            return 0;
        default:
            return usage_error(NULL, "unknown global option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        print_usage(stderr);
        return 2;
    }
    const char *name = argv[optind];
    nook_log_setup(&g);
    if (g.debug)
        log_command_line(&g, argc, argv);
    for (size_t i = 0; i < n_commands; i++) {
        if (strcmp(commands[i].name, name))
            continue;
        struct nook_error err = {0};
        int sub_argc = argc - optind;
        char **sub_argv = argv + optind;
        optind = 1; /* restart getopt for the command's own options */
        int status = commands[i].fn(&g, sub_argc, sub_argv, &err);
        if (status != 0 && err.msg[0]) {
            if (nook_current_id)
                fprintf(stderr, "nook: %s: %s\n", nook_current_id, err.msg);
            else
                fprintf(stderr, "nook: %s\n", err.msg);
            nook_log(&g, "error", "%s", err.msg);
        }
        return status;
    }
    /* As runc: "nook foo -h" asks for help on a topic there is none of. */
    for (int i = optind + 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage_error(NULL, "No help topic for '%s'", name);
    return usage_error(NULL, "unknown command \"%s\"", name);
}
