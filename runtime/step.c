/* Steps of create, start and delete, for the crash tests: with --debug and
 * NOOK_DEBUG_KILL_AT_STEP set, each step is logged, numbered, and nook kills
 * itself with SIGKILL right after step n when the variable is
 * "<command>:<n>" (any other value only logs: to count the steps), to show
 * that a nook killed at any point leaves nothing `delete -f` cannot remove.
 * Both are needed, so no ordinary run reads the variable. */
#include "internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void runtime_step(const struct nook_globals *g, const char *cmd, const char *what)
{
    static int n;
    const char *at;
    if (!g || !g->debug || !(at = getenv("NOOK_DEBUG_KILL_AT_STEP")))
        return;
    n++;
    nook_log(g, "debug", "%s step %d: %s", cmd, n, what);
    char want[64];
    snprintf(want, sizeof want, "%s:%d", cmd, n);
    if (strcmp(at, want) == 0)
        kill(getpid(), SIGKILL);
}
