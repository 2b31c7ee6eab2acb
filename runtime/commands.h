/* The CLI's commands; main.c dispatches to them. */
#ifndef NOOK_RUNTIME_COMMANDS_H
#define NOOK_RUNTIME_COMMANDS_H

#include <stdio.h>

#include "internal.h"

struct command {
    const char *name;
    nook_command_fn *fn;
    const char *usage;
    const char *summary;
};

nook_command_fn cmd_create, cmd_start, cmd_run, cmd_state, cmd_kill, cmd_delete, cmd_list,
    cmd_exec, cmd_ps, cmd_pause, cmd_resume, cmd_update, cmd_events, cmd_spec, cmd_features, cmd_oom;

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

#endif
