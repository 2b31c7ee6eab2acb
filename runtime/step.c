/* Steps of create, start and delete, for --debug: each is logged, and a
 * test can make nook kill itself right after one of them
 * (NOOK_DEBUG_KILL_AT_STEP=create:3 with --debug) to show that a nook killed
 * at any point leaves nothing `delete -f` cannot remove. Only with --debug,
 * so no ordinary run ever reads the variable. */
#include "internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void runtime_step(const struct nook_globals *g, const char *cmd, const char *what)
{
    static int n;
    if (!g || !g->debug)
        return;
    n++;
    nook_log(g, "debug", "%s step %d: %s", cmd, n, what);
    const char *at = getenv("NOOK_DEBUG_KILL_AT_STEP");
    char want[64];
    snprintf(want, sizeof want, "%s:%d", cmd, n);
    if (at && strcmp(at, want) == 0)
        kill(getpid(), SIGKILL);
}
