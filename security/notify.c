/* Hand the seccomp listener fd to the agent at listenerPath: one connection,
 * the container process state as JSON with the fd in SCM_RIGHTS on the
 * first sendmsg, then close (runtime-spec config-linux.md, "The Container
 * Process State"). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_agent(const char *path, struct nook_error *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return nook_error_set(err, ENAMETOOLONG, "failed to connect with seccomp agent %s", path);
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nook_error_sys(err, "failed to connect with seccomp agent %s: socket", path);
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        nook_error_sys(err, "failed to connect with seccomp agent %s", path);
        close(fd);
        return -1;
    }
    return fd;
}

int security_notify_connect(const struct spec_seccomp *s, int *sock, struct nook_error *err)
{
    if (!s->listener_path)
        return nook_error_set(err, 0, "linux.seccomp.listenerPath: needed to send the notify fd");
    *sock = connect_agent(s->listener_path, err);
    return *sock < 0 ? -1 : 0;
}

int security_send_notify_fd(int sock, const struct spec_seccomp *s, int notify_fd,
                            const struct nook_state *st, struct nook_error *err)
{
    char *json = spec_seccomp_state_json(st, s->listener_metadata);
    size_t len = strlen(json);
    /* The spec allows more sends after the first; only it carries the fd. */
    int r = 0;
    if (unix_send_fd(sock, notify_fd, json, len) < 0)
        r = nook_error_sys(err, "send seccomp state to agent %s", s->listener_path);
    free(json);
    return r;
}
