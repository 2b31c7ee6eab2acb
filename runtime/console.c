/* Terminals and fd passing: SCM_RIGHTS helpers, the --console-socket
 * connection, the container's pty (made inside the container so the slave
 * lives on its own devpts), and the foreground `run` pty proxy. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ---- fd passing ------------------------------------------------------- */

int fd_send(int sock, int fd, const void *data, size_t len, struct nook_error *err)
{
    if (unix_send_fd(sock, fd, data, len) < 0)
        return nook_error_sys(err, "send fd");
    return 0;
}

/* The first fd of an SCM_RIGHTS message; any extra ones are closed. */
static int take_fd(struct msghdr *msg)
{
    int got = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfds; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (got < 0)
                got = fd;
            else
                close(fd);
        }
    }
    return got;
}

int fd_recv(int sock, int *fd, void *data, size_t len, struct nook_error *err)
{
    *fd = -1;
    char dummy;
    struct iovec iov = {.iov_base = len ? data : &dummy, .iov_len = len ? len : 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return nook_error_sys(err, "receive fd");
    if (n == 0)
        return nook_error_set(err, 0, "receive fd: connection closed by peer");
    int got = take_fd(&msg);
    if (msg.msg_flags & MSG_CTRUNC) {
        if (got >= 0)
            close(got);
        return nook_error_set(err, 0, "receive fd: more than one fd in the message");
    }
    if (got < 0)
        return nook_error_set(err, 0, "receive fd: no fd in the message");
    /* The rest of a payload split by a stream socket. */
    if ((size_t)n < iov.iov_len) {
        ssize_t m = read_all(sock, (char *)iov.iov_base + n, iov.iov_len - (size_t)n);
        if (m < 0 || (size_t)m != iov.iov_len - (size_t)n) {
            if (m < 0)
                nook_error_sys(err, "receive fd");
            else
                nook_error_set(err, 0, "receive fd: short message");
            close(got);
            return -1;
        }
    }
    *fd = got;
    return 0;
}

/* How long a --console-socket that is missing or not listening yet is
 * retried, and how often. */
#define CONSOLE_SOCKET_WAIT_MS 1000
#define CONSOLE_SOCKET_STEP_MS 10

int console_socket_connect(const char *path, int *sock, struct nook_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    *sock = -1;
    if (strlen(path) >= sizeof sa.sun_path)
        return nook_error_set(err, ENAMETOOLONG, "connect to console socket %s", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nook_error_sys(err, "connect to console socket %s: socket", path);
    int r;
    for (int waited = 0;; waited += CONSOLE_SOCKET_STEP_MS) {
        r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
        if (r == 0 || (errno != ENOENT && errno != ECONNREFUSED && errno != EINTR) ||
            waited >= CONSOLE_SOCKET_WAIT_MS)
            break;
        struct timespec step = {0, CONSOLE_SOCKET_STEP_MS * 1000000L};
        nanosleep(&step, NULL);
    }
    if (r < 0) {
        nook_error_sys(err, "connect to console socket %s", path);
        close(fd);
        return -1;
    }
    *sock = fd;
    return 0;
}

/* ---- the container's pty ---------------------------------------------- */

/* The slave of master, opened through the master (TIOCGPTPEER, 4.13+) so no
 * path is looked up; by path on older kernels. */
static int open_slave(int master, const char *path, struct nook_error *err)
{
    int s = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0 && (errno == EINVAL || errno == ENOTTY))
        s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return nook_error_sys(err, "open pty slave %s", path);
    return s;
}

/* The mount point for the console: /dev/console, created when missing,
 * opened without following a symlink and required to be a file or a device.
 * A /dev the image or a process sharing it controls can have /dev/console
 * as a symlink to a file the container must not write (a masked or
 * read-only file under /proc or /sys): mounting on the path would put the
 * pty, writable, over that file (CVE-2025-52565). */
static int open_console_mount_point(struct nook_error *err)
{
    int fd = open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                  0600);
    if (fd < 0 && errno != EEXIST)
        return nook_error_sys(err, "create /dev/console");
    if (fd >= 0)
        close(fd);
    fd = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open /dev/console");
    struct stat st;
    if (fstat(fd, &st) < 0) {
        nook_error_sys(err, "stat /dev/console");
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
        close(fd);
        return nook_error_set(err, 0, "/dev/console is not a file or a device (a symlink?), "
                              "refusing to mount the console on it");
    }
    return fd;
}

/* Programs that write to /dev/console (init systems, syslog) must reach the
 * container's terminal, not the host's: bind the slave over it. Both ends go
 * through /proc/self/fd, so neither a symlink at /dev/console nor one
 * swapped in for /dev/pts/N can redirect the mount (CVE-2025-52565). */
static int mount_dev_console(int slave, const char *slave_path, struct nook_error *err)
{
    int target = open_console_mount_point(err);
    if (target < 0)
        return -1;
    char src[32], dst[32];
    snprintf(src, sizeof src, "/proc/self/fd/%d", slave);
    snprintf(dst, sizeof dst, "/proc/self/fd/%d", target);
    /* The type is ignored for MS_BIND; "none" as mount(8) passes (some
     * checkers, valgrind among them, reject NULL). */
    int r = mount(src, dst, "none", MS_BIND, NULL);
    int e = errno;
    close(target);
    if (r < 0)
        return nook_error_set(err, e, "bind mount %s on /dev/console", slave_path);
    return 0;
}

/* Become a session leader (unless the caller already made us one) so the
 * slave can become our controlling terminal. */
static int take_controlling_tty(int slave, struct nook_error *err)
{
    if (getsid(0) != getpid() && setsid() < 0)
        return nook_error_sys(err, "setsid");
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return nook_error_sys(err, "set the pty as controlling terminal");
    return 0;
}

static int slave_to_stdio(int slave, struct nook_error *err)
{
    for (int fd = 0; fd <= 2; fd++) {
        /* dup2(fd, fd) would keep O_CLOEXEC: clear it instead. */
        int r = fd == slave ? fcntl(fd, F_SETFD, 0) : dup2(slave, fd);
        if (r < 0)
            return nook_error_sys(err, "make the pty fd %d", fd);
    }
    return 0;
}

int console_setup(const struct spec_process *p, int *master, struct nook_error *err)
{
    *master = -1;
    int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return nook_error_sys(err, "open /dev/ptmx");
    /* grantpt() has nothing to do on devpts (the mount's uid/gid/mode
     * options set the slave's owner); unlockpt() is TIOCSPTLCK. */
    int unlock = 0;
    unsigned ptn;
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0) {
        nook_error_sys(err, "unlock pty");
        goto fail_master;
    }
    if (ioctl(m, TIOCGPTN, &ptn) < 0) {
        nook_error_sys(err, "get pty number");
        goto fail_master;
    }
    char slave_path[32];
    snprintf(slave_path, sizeof slave_path, "/dev/pts/%u", ptn);
    int s = open_slave(m, slave_path, err);
    if (s < 0)
        goto fail_master;
    /* The process's own terminal, as runc: its user owns the slave (the
     * group stays devpts' gid= option, "tty"), so it may chmod it, and mesg
     * and write work. EINVAL: the uid has no mapping in the user
     * namespace; the pty then stays root's. */
    if (fchown(s, p->user.uid, (gid_t)-1) < 0 && errno != EINVAL) {
        nook_error_sys(err, "chown pty %s to uid %u", slave_path, (unsigned)p->user.uid);
        goto fail_slave;
    }
    if (p->has_console_size) {
        struct winsize ws = {.ws_row = (unsigned short)p->console_height,
                             .ws_col = (unsigned short)p->console_width};
        if (ioctl(s, TIOCSWINSZ, &ws) < 0) {
            nook_error_sys(err, "set console size %ux%u", p->console_height,
                           p->console_width);
            goto fail_slave;
        }
    }
    if (mount_dev_console(s, slave_path, err) < 0 || take_controlling_tty(s, err) < 0 ||
        slave_to_stdio(s, err) < 0)
        goto fail_slave;
    if (s > 2)
        close(s);
    *master = m;
    return 0;

fail_slave:
    if (s > 2)
        close(s);
fail_master:
    close(m);
    return -1;
}

/* ---- foreground pty proxy --------------------------------------------- */

/* Best effort: a size that cannot be read or set leaves the old one, which
 * is no reason to stop the session. */
static void copy_winsize(int from, int to)
{
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        (void)ioctl(to, TIOCSWINSZ, &ws);
}

/* Pending input for the master, kept while the master cannot take it so
 * that a container not reading its terminal never blocks its output. */
struct proxy {
    int master;
    bool stdin_tty, stdin_open;
    char in[4096];
    size_t in_len, in_off;
};

enum step { STEP_MORE, STEP_DONE, STEP_FAILED };

/* One read from the master to our stdout. EIO: every slave fd is closed. */
static enum step master_to_stdout(struct proxy *px, struct nook_error *err)
{
    char buf[4096];
    ssize_t n = read(px->master, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return STEP_MORE;
    if (n < 0 && errno != EIO) {
        nook_error_sys(err, "console: read from pty");
        return STEP_FAILED;
    }
    if (n <= 0)
        return STEP_DONE;
    if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
        nook_error_sys(err, "console: write to stdout");
        return STEP_FAILED;
    }
    return STEP_MORE;
}

static enum step drain_master(struct proxy *px, struct nook_error *err)
{
    enum step s;
    for (;;) {
        struct pollfd pfd = {.fd = px->master, .events = POLLIN};
        int r = poll(&pfd, 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return STEP_DONE;
        if ((s = master_to_stdout(px, err)) != STEP_MORE)
            return s;
    }
}

static enum step stdin_to_buffer(struct proxy *px)
{
    ssize_t n = read(STDIN_FILENO, px->in, sizeof px->in);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return STEP_MORE;
    /* EOF or a broken stdin: stop reading it, the container goes on. */
    if (n <= 0) {
        px->stdin_open = false;
        return STEP_MORE;
    }
    px->in_len = (size_t)n;
    px->in_off = 0;
    return STEP_MORE;
}

static enum step buffer_to_master(struct proxy *px, struct nook_error *err)
{
    ssize_t n = write(px->master, px->in + px->in_off, px->in_len - px->in_off);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return STEP_MORE;
    if (n < 0 && errno == EIO)
        return STEP_DONE;
    if (n < 0) {
        nook_error_sys(err, "console: write to pty");
        return STEP_FAILED;
    }
    px->in_off += (size_t)n;
    if (px->in_off == px->in_len)
        px->in_len = px->in_off = 0;
    return STEP_MORE;
}

static void forward_winch(struct proxy *px, int sfd)
{
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
        ;
    if (px->stdin_tty)
        copy_winsize(STDIN_FILENO, px->master);
}

static enum step proxy_loop(struct proxy *px, int stop_fd, int sfd, struct nook_error *err)
{
    for (;;) {
        struct pollfd pfd[4] = {
            {.fd = px->stdin_open && px->in_len == 0 ? STDIN_FILENO : -1, .events = POLLIN},
            {.fd = px->master, .events = POLLIN | (px->in_len ? POLLOUT : 0)},
            {.fd = stop_fd, .events = POLLIN},
            {.fd = sfd, .events = POLLIN},
        };
        if (poll(pfd, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            nook_error_sys(err, "console: poll");
            return STEP_FAILED;
        }
        enum step s = STEP_MORE;
        if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
            s = master_to_stdout(px, err);
        if (s == STEP_MORE && px->in_len && (pfd[1].revents & POLLOUT))
            s = buffer_to_master(px, err);
        if (s == STEP_MORE && pfd[0].revents)
            s = stdin_to_buffer(px);
        if (s == STEP_MORE && pfd[3].revents)
            forward_winch(px, sfd);
        if (s == STEP_MORE && pfd[2].revents)
            return drain_master(px, err);
        if (s != STEP_MORE)
            return s;
    }
}

/* Quiet this long after the process is gone: the drain is over. */
#define DRAIN_IDLE_MS 200

int console_drain(int master, struct nook_error *err)
{
    char buf[4096];
    for (;;) {
        struct pollfd pfd = {.fd = master, .events = POLLIN};
        int r = poll(&pfd, 1, DRAIN_IDLE_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return nook_error_sys(err, "console: poll");
        if (r == 0)
            return 0;
        ssize_t n = read(master, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        /* EIO: every slave fd is closed and the buffer is empty. */
        if (n < 0 && errno == EIO)
            return 0;
        if (n < 0)
            return nook_error_sys(err, "console: read from pty");
        if (n == 0)
            return 0;
        if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
            return nook_error_sys(err, "console: write to stdout");
    }
}

int console_proxy(int master, int stop_fd, struct nook_error *err)
{
    struct proxy px = {.master = master, .stdin_open = true};
    struct termios saved;
    px.stdin_tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (px.stdin_tty) {
        /* Raw: keys (^C included) go to the container's terminal, whose own
         * line discipline handles them. */
        struct termios raw = saved;
        cfmakeraw(&raw);
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
            return nook_error_sys(err, "console: set stdin raw");
        copy_winsize(STDIN_FILENO, master);
    }

    int rc = -1;
    sigset_t winch, old_mask;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    int mflags, sfd;
    if (sigprocmask(SIG_BLOCK, &winch, &old_mask) < 0) {
        nook_error_sys(err, "console: block SIGWINCH");
        goto out_tty;
    }
    sfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        nook_error_sys(err, "console: signalfd");
        goto out_mask;
    }
    mflags = fcntl(master, F_GETFL);
    if (mflags < 0 || fcntl(master, F_SETFL, mflags | O_NONBLOCK) < 0) {
        nook_error_sys(err, "console: set pty non-blocking");
        goto out_sfd;
    }
    rc = proxy_loop(&px, stop_fd, sfd, err) == STEP_FAILED ? -1 : 0;
    fcntl(master, F_SETFL, mflags);
out_sfd:
    close(sfd);
out_mask:
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
out_tty:
    if (px.stdin_tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    return rc;
}

int console_hand_over(const struct spec_process *p, int console_sock, int sync_fd,
                      struct nook_error *err)
{
    int master;
    if (console_setup(p, &master, err) < 0)
        return -1;
    int r = console_sock >= 0 ? fd_send(console_sock, master, "/dev/ptmx", 9, err)
                              : sync_send(sync_fd, SYNC_MASTER, 0, NULL, master, err);
    close(master);
    return r;
}
