/* seccomp-agent: a minimal seccomp notify agent for the bats tests.
 *
 *   seccomp-agent -s SOCKET -o STATE [-l CALLS] [-r REPLY] [-n SYSCALL]
 *
 * Listens on the unix socket SOCKET (it appears only once it accepts
 * connections, so a test can wait for the file), takes one connection from
 * the runtime, writes the container process state JSON it received to STATE
 * (the file appears complete, once the fd has arrived)
 * and answers every notification of the listener fd it got with SCM_RIGHTS:
 *   REPLY "errno:N"  the syscall fails with errno N (default "errno:1")
 *         "value:N"  the syscall returns N without running
 *         "continue" the kernel runs the syscall as usual
 * With -n only notifications for SYSCALL get REPLY; others continue. Each
 * notified syscall's name is appended to CALLS. Exits 0 once no process uses
 * the filter any more, 1 on error. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../util/util.h"

struct reply {
    enum { REPLY_ERRNO, REPLY_VALUE, REPLY_CONTINUE } kind;
    long long n;
};

static void die(const char *what)
{
    fprintf(stderr, "seccomp-agent: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int parse_reply(const char *s, struct reply *r)
{
    char *end;
    if (strcmp(s, "continue") == 0) {
        r->kind = REPLY_CONTINUE;
        return 0;
    }
    if (strncmp(s, "errno:", 6) == 0) {
        r->kind = REPLY_ERRNO;
        s += 6;
    } else if (strncmp(s, "value:", 6) == 0) {
        r->kind = REPLY_VALUE;
        s += 6;
    } else {
        return -1;
    }
    errno = 0;
    r->n = strtoll(s, &end, 0);
    return errno || *s == '\0' || *end != '\0' ? -1 : 0;
}

/* Bind to SOCKET.tmp and rename once listening: the path exists only when
 * a connect can succeed. */
static int listen_at(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    char *tmp = xasprintf("%s.tmp", path);
    if (strlen(tmp) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        die(path);
    }
    strcpy(addr.sun_path, tmp);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    unlink(tmp);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        die(tmp);
    if (listen(fd, 1) < 0)
        die("listen");
    if (rename(tmp, path) < 0)
        die("rename");
    free(tmp);
    return fd;
}

/* Where the JSON object that starts buf ends (one past its closing brace),
 * or 0 while it is incomplete. Runtimes may keep the connection open (runc
 * does), so the end of the object, not EOF, ends the state. */
static size_t json_object_end(const char *buf, size_t len)
{
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        char ch = buf[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (ch == '\\')
                escaped = true;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{') {
            depth++;
        } else if (ch == '}' && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

/* The state JSON, and the fd that came with the first message. */
static int receive_state(int conn, char **json, size_t *len)
{
    size_t cap = 4096, used = 0, end = 0;
    char *buf = xmalloc(cap);
    int fd = -1;
    while (end == 0) {
        if (cap - used < 2)
            buf = xrealloc(buf, cap *= 2);
        union {
            char b[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u;
        struct iovec iov = {.iov_base = buf + used, .iov_len = cap - used - 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
                             .msg_controllen = sizeof u.b};
        ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("recvmsg");
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && fd < 0)
                memcpy(&fd, CMSG_DATA(c), sizeof fd);
        if (n == 0) {
            fprintf(stderr, "seccomp-agent: connection closed before the state was complete\n");
            exit(1);
        }
        used += (size_t)n;
        end = json_object_end(buf, used);
    }
    buf[end] = '\0';
    *json = buf;
    *len = end;
    return fd;
}

static void log_call(const char *calls, const char *name)
{
    if (!calls)
        return;
    FILE *f = fopen(calls, "a");
    if (!f)
        die(calls);
    fprintf(f, "%s\n", name);
    if (fclose(f) != 0)
        die(calls);
}

static void answer(int nfd, const struct reply *r, const char *only, const char *calls)
{
    struct seccomp_notif *req;
    struct seccomp_notif_resp *resp;
    if (seccomp_notify_alloc(&req, &resp) < 0)
        die("seccomp_notify_alloc");
    for (;;) {
        struct pollfd pfd = {.fd = nfd, .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (!(pfd.revents & POLLIN))
            break; /* POLLHUP: no process uses the filter any more */
        memset(req, 0, sizeof *req); /* the kernel wants it zeroed */
        int rc = seccomp_notify_receive(nfd, req);
        if (rc == -ENOENT || rc == -EINTR)
            continue; /* the caller went away meanwhile */
        if (rc < 0) {
            errno = -rc;
            die("seccomp_notify_receive");
        }
        char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
        log_call(calls, name ? name : "?");
        memset(resp, 0, sizeof *resp);
        resp->id = req->id;
        if ((only && (!name || strcmp(name, only) != 0)) || r->kind == REPLY_CONTINUE)
            resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        else if (r->kind == REPLY_ERRNO)
            resp->error = -(int)r->n;
        else
            resp->val = r->n;
        free(name);
        rc = seccomp_notify_respond(nfd, resp);
        if (rc < 0 && rc != -ENOENT) {
            errno = -rc;
            die("seccomp_notify_respond");
        }
    }
    seccomp_notify_free(req, resp);
}

int main(int argc, char **argv)
{
    const char *sock = NULL, *state = NULL, *calls = NULL, *only = NULL;
    struct reply r = {REPLY_ERRNO, 1};
    int c;
    while ((c = getopt(argc, argv, "s:o:l:r:n:")) != -1) {
        switch (c) {
        case 's': sock = optarg; break;
        case 'o': state = optarg; break;
        case 'l': calls = optarg; break;
        case 'n': only = optarg; break;
        case 'r':
            if (parse_reply(optarg, &r) < 0) {
                fprintf(stderr, "seccomp-agent: bad reply \"%s\"\n", optarg);
                return 1;
            }
            break;
        default:
            return 1;
        }
    }
    if (!sock || !state || optind != argc) {
        fprintf(stderr, "usage: seccomp-agent -s SOCKET -o STATE [-l CALLS] "
                        "[-r errno:N|value:N|continue] [-n SYSCALL]\n");
        return 1;
    }
    int lfd = listen_at(sock);
    int conn;
    do
        conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    while (conn < 0 && errno == EINTR);
    if (conn < 0)
        die("accept");
    close(lfd);
    unlink(sock);

    char *json;
    size_t len;
    int nfd = receive_state(conn, &json, &len);
    close(conn);
    struct nook_error err;
    if (write_file_atomic(state, json, len, 0644, &err) < 0) {
        fprintf(stderr, "seccomp-agent: %s\n", err.msg);
        return 1;
    }
    free(json);
    if (nfd < 0) {
        fprintf(stderr, "seccomp-agent: no fd came with the state\n");
        return 1;
    }
    answer(nfd, &r, only, calls);
    close(nfd);
    return 0;
}
