/* Sending an fd over a unix socket with SCM_RIGHTS: one primitive for the
 * runtime's sync socket and console socket and for the seccomp agent, so the
 * cmsg layout, the EINTR retry and the rule that a message with ancillary
 * data must carry a byte live in one place. */
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int unix_send_fd(int sock, int fd, const void *data, size_t len)
{
    static const char dummy = 0;
    struct iovec iov = {.iov_base = len ? (void *)data : (void *)&dummy, .iov_len = len ? len : 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&ctl, 0, sizeof ctl);
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof ctl.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    /* A stream socket may take part of the payload; the fd went with the
     * first byte, the rest follows as plain data. */
    const char *p = iov.iov_base;
    for (size_t off = (size_t)n; off < iov.iov_len;) {
        n = send(sock, p + off, iov.iov_len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        off += (size_t)n;
    }
    return 0;
}
