/* Running `criu swrk 3` and talking to it (see criu.h). criu is --criu, or
 * found in PATH, as runc finds it. */
#include "criu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *type_name(int type)
{
    switch (type) {
    case CRIU_REQ_DUMP: return "dump";
    case CRIU_REQ_PRE_DUMP: return "pre-dump";
    case CRIU_REQ_RESTORE: return "restore";
    default: return "request";
    }
}

/* In the child: the socket at fd 3, the extra fds at 4, 5, ... (moved out
 * of the way first, as any of them may sit where another must go). */
static _Noreturn void exec_criu(const char *criu, int sock, const int *extra, size_t n)
{
    int moved[64];
    if (n > 60)
        _exit(127);
    int s = fcntl(sock, F_DUPFD, 100);
    for (size_t i = 0; i < n; i++)
        moved[i] = fcntl(extra[i], F_DUPFD, 100);
    if (s < 0 || dup2(s, 3) < 0)
        _exit(127);
    for (size_t i = 0; i < n; i++)
        if (moved[i] < 0 || dup2(moved[i], 4 + (int)i) < 0)
            _exit(127);
    /* Everything else nook holds (state lock, dir fds) stays out of criu,
     * which would otherwise dump or complain about them. */
    if (close_range(4 + (unsigned)n, ~0U, 0) < 0)
        for (int fd = 4 + (int)n; fd < 1024; fd++)
            close(fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execl(criu, "criu", "swrk", "3", (char *)NULL);
    _exit(127);
}

/* criu in PATH, or NULL. */
static char *find_criu(void)
{
    const char *path = getenv("PATH");
    char *copy = xstrdup(path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    char *found = NULL, *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *p = xasprintf("%s/criu", dir);
        if (access(p, X_OK) == 0)
            found = p;
        else
            free(p);
    }
    free(copy);
    return found;
}

/* The first error line of criu's log ("Error (criu/...): ..."), or NULL. */
static char *first_log_error(const char *path)
{
    if (!path)
        return NULL;
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char line[512];
    char *found = NULL;
    while (!found && fgets(line, sizeof line, f)) {
        char *e = strstr(line, "Error (");
        if (!e)
            continue;
        e[strcspn(e, "\n")] = '\0';
        found = xstrdup(e);
    }
    fclose(f);
    return found;
}

/* why, and the first error of the log unless why is criu's own message
 * (which names its error already). */
static int criu_failed(const struct criu_call *call, const char *why, bool own_message,
                       struct nook_error *err)
{
    char *line = own_message ? NULL : first_log_error(call->log_path);
    nook_error_set(err, 0, "criu %s failed: %s%s%s (log: %s)", type_name(call->type), why,
                   line ? ": " : "", line ? line : "", call->log_path ? call->log_path : "none");
    free(line);
    return -1;
}

static int send_packet(int sock, struct pbuf *b, struct nook_error *err)
{
    ssize_t n = send(sock, b->p, b->len, MSG_NOSIGNAL);
    int e = errno;
    size_t len = b->len;
    pbuf_free(b);
    if (n < 0 || (size_t)n != len)
        return nook_error_set(err, n < 0 ? e : EIO, "send request to criu");
    return 0;
}

/* One response packet, with an fd criu may attach (orphan-pts-master). */
static int recv_packet(int sock, unsigned char *buf, size_t size, size_t *len, int *fd,
                       struct nook_error *err)
{
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cbuf;
    struct iovec iov = {buf, size};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b,
                        .msg_controllen = sizeof cbuf.b};
    *fd = -1;
    ssize_t n;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return nook_error_sys(err, "read from criu");
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(fd, CMSG_DATA(c), sizeof *fd);
    if (mh.msg_flags & MSG_TRUNC) {
        if (*fd >= 0)
            close(*fd);
        return nook_error_set(err, EMSGSIZE, "read from criu: response too large");
    }
    *len = (size_t)n;
    return 0;
}

/* Requests and notifications until criu's final answer. */
static int converse(struct criu_call *call, int sock, struct criu_resp *final,
                    struct nook_error *err)
{
    struct pbuf req = {0};
    criu_encode_request(call->type, call->opts, &req);
    if (send_packet(sock, &req, err) < 0)
        return -1;
    static unsigned char buf[1 << 16];
    for (;;) {
        size_t len = 0;
        int fd;
        if (recv_packet(sock, buf, sizeof buf, &len, &fd, err) < 0)
            return -1;
        if (len == 0)
            return criu_failed(call, "criu exited without an answer", false, err);
        struct criu_resp r;
        if (criu_decode_response(buf, len, &r) < 0) {
            if (fd >= 0)
                close(fd);
            return nook_error_set(err, EPROTO, "criu %s: malformed response",
                                  type_name(call->type));
        }
        if (!r.success) {
            if (fd >= 0)
                close(fd);
            char why[320];
            if (r.errmsg[0])
                snprintf(why, sizeof why, "%.*s", (int)strcspn(r.errmsg, "\n"), r.errmsg);
            else
                snprintf(why, sizeof why, "errno %d", r.cr_errno);
            return criu_failed(call, why, r.errmsg[0] != '\0', err);
        }
        if (r.type != CRIU_REQ_NOTIFY) {
            if (fd >= 0)
                close(fd);
            *final = r;
            return 0;
        }
        NOOK_TRACE("criu notify: %s (pid %d)", r.script, (int)r.notify_pid);
        if (call->notify && call->notify(call->arg, r.script, r.notify_pid, fd, err) < 0)
            return -1;
        if (!call->notify && fd >= 0)
            close(fd);
        struct pbuf ack = {0};
        criu_encode_notify_ack(&ack);
        if (send_packet(sock, &ack, err) < 0)
            return -1;
    }
}

int criu_run(const struct nook_globals *g, struct criu_call *call, struct criu_resp *final,
             struct nook_error *err)
{
    char *criu = g->criu ? xstrdup(g->criu) : find_criu();
    if (!criu)
        return nook_error_set(err, ENOENT, "criu %s: criu not found in PATH (checkpoint and "
                              "restore run criu(8))", type_name(call->type));
    if (access(criu, X_OK) < 0) {
        nook_error_sys(err, "criu %s: --criu %s", type_name(call->type), criu);
        free(criu);
        return -1;
    }
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
        free(criu);
        return nook_error_sys(err, "criu: socketpair");
    }
    NOOK_TRACE("run %s swrk 3 for a %s", criu, type_name(call->type));
    pid_t pid = fork();
    if (pid < 0) {
        free(criu);
        close(sp[0]);
        close(sp[1]);
        return nook_error_sys(err, "criu: fork");
    }
    if (pid == 0) {
        close(sp[0]);
        exec_criu(criu, sp[1], call->extra_fds, call->n_extra_fds);
    }
    free(criu);
    close(sp[1]);
    int rc = 0;
    if (call->started)
        rc = call->started(call->arg, pid, call->opts, err);
    if (rc == 0)
        rc = converse(call, sp[0], final, err);
    /* criu exits once our end is closed (a pre-dump waits for more
     * requests until then). */
    close(sp[0]);
    if (rc < 0)
        kill(pid, SIGKILL);
    int ws;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR)
            return rc < 0 ? -1 : nook_error_sys(err, "wait for criu");
    }
    if (rc < 0)
        return -1;
    if (call->type != CRIU_REQ_PRE_DUMP && !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0))
        return criu_failed(call, "criu exited with an error", false, err);
    return 0;
}
