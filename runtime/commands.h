/* The CLI's commands; main.c dispatches to them. */
#ifndef NOOK_RUNTIME_COMMANDS_H
#define NOOK_RUNTIME_COMMANDS_H

#include "internal.h"

struct command {
    const char *name;
    nook_command_fn *fn;
    const char *usage;
    const char *summary;
};

nook_command_fn cmd_create, cmd_start, cmd_run, cmd_state, cmd_kill, cmd_delete, cmd_list,
    cmd_exec, cmd_ps, cmd_pause, cmd_resume, cmd_update, cmd_events, cmd_spec, cmd_features;

/* Print "nook: <fmt>" and the command's usage to stderr; returns 2. */
int usage_error(const char *cmd, const char *fmt, const char *arg);
/* Print the command's usage to stdout; returns 0. */
int command_help(const char *cmd);

#endif
