/* Messages between nook and the container's init over a SOCK_SEQPACKET
 * socketpair: one fixed-size struct per message, with the sender's
 * credentials (so the parent learns pids as seen from its own pid namespace)
 * and at most one fd. */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_send(int sock, int type, pid_t pid, const struct nook_error *payload, int fd,
              struct nook_error *err)
{
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.pid = pid;
    /* Only the message's text: the bytes after its NUL were never written
     * by whoever filled payload, and must not go out uninitialised. */
    if (payload) {
        m.err.code = payload->code;
        memcpy(m.err.msg, payload->msg, strnlen(payload->msg, sizeof m.err.msg - 1));
    }
    /* SOCK_SEQPACKET: the message goes whole or not at all. */
    if (unix_send_fd(sock, fd, &m, sizeof m) < 0)
        return nook_error_sys(err, "send to %s", pid ? "container" : "nook");
    return 0;
}

int sync_recv(int sock, struct sync_msg *m, pid_t *sender, int *fd, struct nook_error *err)
{
    struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    if (sender)
        *sender = 0;
    if (fd)
        *fd = -1;
    ssize_t n;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return nook_error_sys(err, "receive from container");
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_CREDENTIALS && sender) {
            struct ucred uc;
            memcpy(&uc, CMSG_DATA(c), sizeof uc);
            *sender = uc.pid;
        } else if (c->cmsg_type == SCM_RIGHTS) {
            int got;
            memcpy(&got, CMSG_DATA(c), sizeof got);
            if (fd)
                *fd = got;
            else
                close(got);
        }
    }
    if (n == 0)
        return 1;
    if ((size_t)n != sizeof *m)
        return nook_error_set(err, EPROTO, "receive from container: short message");
    m->err.msg[sizeof m->err.msg - 1] = '\0';
    return 0;
}
