/* recvtty: the other end of `--console-socket` for the behaviour tests.
 *
 *   recvtty SOCKET
 *
 * Listens on the unix socket SOCKET, accepts one connection, receives the pty
 * master the runtime sends with SCM_RIGHTS, and copies everything the
 * container writes to its terminal to stdout until the last slave fd is closed
 * (read() on the master then fails with EIO). Exits 0 after that, 1 on error.
 *
 * The socket is bound under a temporary name and renamed into place only
 * once it listens, so a test that waits for SOCKET to exist never connects
 * too early. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "recvtty: %s: %s\n", what, strerror(errno));
    return -1;
}

static int listen_at(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    char tmp[sizeof(addr.sun_path)];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return fail(path);
    }
    memcpy(addr.sun_path, tmp, (size_t)n + 1);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail("socket");
    if (unlink(tmp) < 0 && errno != ENOENT) {
        fail(tmp);
        close(fd);
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0 ||
        rename(tmp, path) < 0) {
        fail(path);
        close(fd);
        return -1;
    }
    return fd;
}

/* Receive one message carrying one fd (the pty master). */
static int recv_fd(int conn)
{
    char name[4096];
    struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = ctl.buf,
        .msg_controllen = sizeof(ctl.buf),
    };
    ssize_t n;
    do {
        n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return fail("recvmsg");

    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(sizeof(int))) {
        fprintf(stderr, "recvtty: message carries no file descriptor\n");
        return -1;
    }
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(fd));
    return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return fail("write stdout");
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Copy the master's output to stdout. EIO means every slave fd is closed:
 * the container and its terminal are gone, which is the normal end. */
static int copy_out(int master)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(master, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno == EIO))
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail("read pty master");
        }
        if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
            return -1;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: recvtty SOCKET\n");
        return 2;
    }
    int lfd = listen_at(argv[1]);
    if (lfd < 0)
        return 1;
    int conn;
    do {
        conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    } while (conn < 0 && errno == EINTR);
    if (conn < 0) {
        fail("accept");
        close(lfd);
        return 1;
    }
    int master = recv_fd(conn);
    close(conn);
    close(lfd);
    if (master < 0)
        return 1;
    int rc = copy_out(master);
    close(master);
    return rc < 0 ? 1 : 0;
}
