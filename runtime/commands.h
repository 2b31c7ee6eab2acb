/* The CLI's commands; main.c dispatches to them. They parse arguments,
 * call the library (runtime.h) and print what it returns. */
#ifndef NOOK_RUNTIME_COMMANDS_H
#define NOOK_RUNTIME_COMMANDS_H

#include <stdio.h>

#include "runtime.h"

/* The id the error line names: set by each command as soon as it knows it. */
extern const char *nook_current_id;

/* A command: argv[0] is the command name; options follow. Returns the exit
 * status; on failure fills err (main prints it) and returns 1, or returns 2
 * for a usage error after printing usage itself. */
typedef int nook_command_fn(struct nook_globals *g, int argc, char **argv,
                            struct nook_error *err);

struct command {
    const char *name;
    nook_command_fn *fn;
    const char *usage;
    const char *summary;
};

nook_command_fn cmd_create, cmd_start, cmd_run, cmd_state, cmd_kill, cmd_delete, cmd_list,
    cmd_exec, cmd_ps, cmd_pause, cmd_resume, cmd_update, cmd_events, cmd_spec, cmd_features,
    cmd_sandbox, cmd_oom, cmd_checkpoint, cmd_restore;

extern const struct command commands[];
extern const size_t n_commands;
/* The global usage text. */
void print_usage(FILE *f);

/* Print "nook: <fmt>" and the command's usage to stderr; returns 2. */
int usage_error(const char *cmd, const char *fmt, const char *arg);
/* Print the command's usage to stdout; returns 0. */
int command_help(const char *cmd);
/* The ID operand at argv[optind] (and up to extra_max more operands; -1: any
 * number); sets nook_current_id. Returns 0, or 2 after a usage error. */
int take_id(const char *cmd, int argc, char **argv, int extra_max, const char **id);
/* The usage error for the option getopt just rejected; returns 2. */
int bad_option(const char *cmd, int argc, char **argv);
/* Print each warning as "nook: <id>: warning: <msg>" (and log it), then
 * free them. */
void print_warnings(const struct nook_globals *g, struct runtime_warnings *w);

#endif
