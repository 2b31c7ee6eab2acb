/* v2: freezing and thawing through cgroup.freeze, waiting on cgroup.events;
 * killing through cgroup.kill. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long a freeze may take: tasks in uninterruptible sleep (slow IO, a
 * TCG VM) delay it; a container that cannot freeze in this time is thawed. */
#define FREEZE_TIMEOUT_MS 10000

/* Whether cgroup.events (read from the start of fd) has the line "key value". */
static int events_match(int fd, const char *key, const char *value, bool *match,
                        struct nook_error *err)
{
    char buf[512];
    ssize_t n;
    do
        n = pread(fd, buf, sizeof buf - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return nook_error_sys(err, "read cgroup.events");
    buf[n] = '\0';
    char want[128];
    snprintf(want, sizeof want, "%s %s", key, value);
    size_t wl = strlen(want);
    *match = false;
    for (char *line = buf; *line;) {
        char *nl = strchrnul(line, '\n');
        if ((size_t)(nl - line) == wl && strncmp(line, want, wl) == 0)
            *match = true;
        line = *nl ? nl + 1 : nl;
    }
    return 0;
}

/* cgroup.events is a kernfs file that signals changes with POLLPRI: read it,
 * poll, read again, until it says what we wait for or time runs out. */
int cg_wait_events(int dirfd, const char *key, const char *value, int timeout_ms,
                   struct nook_error *err)
{
    int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open cgroup.events");
    long deadline = cg_now_ms() + timeout_ms;
    int r;
    for (;;) {
        bool match;
        if ((r = events_match(fd, key, value, &match, err)) < 0 || match)
            break;
        long left = deadline - cg_now_ms();
        if (left <= 0) {
            r = nook_error_set(err, ETIMEDOUT,
                               "waited %d ms for \"%s %s\" in cgroup.events", timeout_ms, key,
                               value);
            break;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLPRI};
        if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
            r = nook_error_sys(err, "poll cgroup.events");
            break;
        }
    }
    close(fd);
    return r;
}

int cg_v2_freeze(const struct nook_cgroup *cg, bool frozen, struct nook_error *err)
{
    const char *what = frozen ? "freeze" : "thaw";
    if (write_string_at(cg->dirfd, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
        return nook_error_wrap(err, "%s cgroup %s", what, cg->path);
    if (cg_wait_events(cg->dirfd, "frozen", frozen ? "1" : "0", FREEZE_TIMEOUT_MS, err) == 0)
        return 0;
    nook_error_wrap(err, "%s cgroup %s", what, cg->path);
    if (frozen) {
        /* Half-frozen is the worst state to leave a container in. */
        struct nook_error ignored;
        if (write_string_at(cg->dirfd, "cgroup.freeze", "0", &ignored) == 0)
            snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
                     " (thawed it again)");
    }
    return -1;
}

int cg_v2_is_frozen(const struct nook_cgroup *cg, bool *frozen, struct nook_error *err)
{
    int fd = openat(cg->dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open %s/cgroup.events", cg->path);
    int r = events_match(fd, "frozen", "1", frozen, err);
    close(fd);
    if (r < 0)
        return nook_error_wrap(err, "%s", cg->path);
    return 0;
}

int cg_v2_kill(const struct nook_cgroup *cg, struct nook_error *err)
{
    if (write_string_at(cg->dirfd, "cgroup.kill", "1", err) == 0)
        return 0;
    if (err->code != ENOENT)
        return nook_error_wrap(err, "kill cgroup %s", cg->path);
    /* Before Linux 5.14: freeze, SIGKILL everything, thaw (frozen tasks die
     * on thaw; none can fork in between). */
    bool froze = cg_v2_freeze(cg, true, err) == 0;
    int r = cg_tree_signal(cg->dirfd, cg->path, SIGKILL, err);
    if (froze) {
        struct nook_error thaw_err;
        if (cg_v2_freeze(cg, false, &thaw_err) < 0 && r == 0) {
            *err = thaw_err;
            r = -1;
        }
    }
    if (r < 0)
        return nook_error_wrap(err, "kill cgroup %s", cg->path);
    return 0;
}
