/* The command table and the usage texts; shared by main() and the
 * commands (kept out of main.c so unit tests can link the commands). */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *nook_current_id;

const struct command commands[] = {
    {"create", cmd_create, "create [--bundle DIR] [--pid-file F] [--console-socket PATH] [--no-pivot] [--preserve-fds N] ID", "create a container"},
    {"start", cmd_start, "start ID", "start a created container"},
    {"run", cmd_run, "run [-d] [--keep] [--bundle DIR] [--pid-file F] [--console-socket PATH] [--no-pivot] [--preserve-fds N] ID", "create and start a container"},
    {"state", cmd_state, "state ID", "print the state of a container"},
    {"kill", cmd_kill, "kill [--all] ID [SIGNAL]", "send a signal to a container's init (or all its processes)"},
    {"delete", cmd_delete, "delete [--force] ID", "delete a container"},
    {"list", cmd_list, "list [--quiet] [--format table|json]", "list containers"},
    {"exec", cmd_exec, "exec [-t] [-d] [--console-socket P] [--cwd D] [-e K=V]... [-u UID[:GID]] [-g GID]... [--cap CAP]... [--no-new-privs] [--apparmor P] [--process-label L] [--cgroup PATH] [--ignore-paused] [--process FILE] [--pid-file F] [--preserve-fds N] ID [CMD ARG...]", "run a process in a container"},
    {"ps", cmd_ps, "ps [--format table|json] ID", "list a container's processes"},
    {"pause", cmd_pause, "pause ID", "freeze every process of a container"},
    {"resume", cmd_resume, "resume ID", "thaw a paused container"},
    {"update", cmd_update, "update [--memory N] [--memory-swap N] [--cpu-quota N] [--cpu-period N] [--cpu-share N] [--cpuset-cpus L] [--pids-limit N] [-r FILE] ID", "change a container's resource limits"},
    {"oom", cmd_oom, "oom [--wait] ID", "print the snapshot of a container frozen at its memory limit (org.nook.oom=freeze)"},
    {"events", cmd_events, "events [--stats] [--interval D] ID", "print a container's events and stats"},
    {"checkpoint", cmd_checkpoint, "checkpoint [--image-path DIR] [--work-path DIR] [--parent-path DIR] [--leave-running] [--pre-dump] [--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks] [--auto-dedup] [--page-server ADDR:PORT] [--manage-cgroups-mode soft|full|strict] [--empty-ns network] ID", "checkpoint a running container with criu(8)"},
    {"restore", cmd_restore, "restore [-d] [--bundle DIR] [--image-path DIR] [--work-path DIR] [--console-socket PATH] [--pid-file F] [--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks] [--auto-dedup] [--manage-cgroups-mode soft|full|strict] [--empty-ns network] ID", "restore a container from a checkpoint with criu(8)"},
    {"spec", cmd_spec, "spec [--bundle DIR] [--rootless]", "write a default config.json"},
    {"sandbox", cmd_sandbox, "sandbox [OPTIONS] -- CMD [ARG...]", "run CMD in a throw-away sandbox of the host (nook sandbox --help)"},
    {"features", cmd_features, "features", "print what this build supports (OCI features JSON)"},
};

const size_t n_commands = sizeof commands / sizeof commands[0];

/* The layout of runc's help (urfave/cli): NAME, USAGE, COMMANDS, so tools
 * and people that read runc's find their way. */
void print_usage(FILE *f)
{
    fprintf(f, "NAME:\n   nook - Open Container Initiative runtime\n\n"
               "USAGE:\n   nook [global options] command [command options] [arguments...]\n\n"
               "COMMANDS:\n");
    for (size_t i = 0; i < n_commands; i++)
        fprintf(f, "   %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nGLOBAL OPTIONS:\n   --root DIR, --log FILE, --log-format text|json, --debug, "
               "--version, --help\n");
    char *oom = runtime_oom_support_summary();
    fprintf(f, "\nOOM freeze (nook oom --help) on this host: %s\n", oom);
    free(oom);
    fprintf(f, "nook COMMAND --help shows a command's options.\n");
}

int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "nook: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    for (size_t i = 0; cmd && i < n_commands; i++)
        if (!strcmp(commands[i].name, cmd))
            fprintf(stderr, "usage: nook %s\n", commands[i].usage);
    return 2;
}

int command_help(const char *cmd)
{
    for (size_t i = 0; i < n_commands; i++)
        if (!strcmp(commands[i].name, cmd))
            printf("NAME:\n   nook %s - %s\n\nUSAGE:\n   nook %s\n", commands[i].name,
                   commands[i].summary, commands[i].usage);
    return 0;
}

/* s with every byte that is not printable ASCII (or is a backslash or a
 * quote) as \xNN. Caller frees. */
static char *escape_for_terminal(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(4 * n + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\\' && *p != '"')
            *o++ = (char)*p;
        else
            o += sprintf(o, "\\x%02x", *p);
    }
    *o = '\0';
    return out;
}

int take_id(const char *cmd, int argc, char **argv, int extra_max, const char **id)
{
    int left = argc - optind;
    if (left < 1)
        return usage_error(cmd, "%s: missing container ID", cmd);
    if (extra_max >= 0 && left > 1 + extra_max)
        return usage_error(cmd, "%s: too many arguments", cmd);
    *id = argv[optind];
    if (!runtime_id_valid(*id)) {
        /* Shown escaped: an id is not to put control characters or a
         * second line on the caller's terminal. */
        char *shown = escape_for_terminal(*id);
        int r = usage_error(cmd, "invalid container ID \"%s\" (letters, digits and \"_+-.\" "
                            "only, not \".\" or \"..\")", shown);
        free(shown);
        return r;
    }
    nook_current_id = *id;
    return 0;
}

int bad_option(const char *cmd, int argc, char **argv)
{
    return usage_error(cmd, "unknown or incomplete option \"%s\"",
                       argv[optind - 1 < argc ? optind - 1 : argc - 1]);
}

void print_warnings(const struct nook_globals *g, struct runtime_warnings *w)
{
    for (size_t i = 0; i < w->n; i++) {
        nook_log(g, "warning", "%s", w->v[i]);
        if (nook_current_id)
            fprintf(stderr, "nook: %s: warning: %s\n", nook_current_id, w->v[i]);
        else
            fprintf(stderr, "nook: warning: %s\n", w->v[i]);
    }
    runtime_warnings_free(w);
}
