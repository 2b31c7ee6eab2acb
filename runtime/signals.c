/* What a foreground nook (run, exec) passes on to its container process,
 * and how a wait status becomes nook's exit status. */
#include "internal.h"

#include <signal.h>
#include <sys/wait.h>

/* Signals a foreground run passes on to the container (all but those that
 * stop or crash nook itself). */
void forwarded_signals(sigset_t *set)
{
    sigfillset(set);
    sigdelset(set, SIGKILL);
    sigdelset(set, SIGSTOP);
    sigdelset(set, SIGSEGV);
    sigdelset(set, SIGBUS);
    sigdelset(set, SIGILL);
    sigdelset(set, SIGFPE);
    sigdelset(set, SIGABRT);
    sigdelset(set, SIGTTIN);
    sigdelset(set, SIGTTOU);
}

int exit_status_of(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return 255;
}
