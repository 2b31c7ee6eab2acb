/* start, kill-all and destroy of an existing container. */
#include "internal.h"
#include "oom.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../rootfs/rootfs.h"

static int pidfd_open_pid(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* After the byte: the init holds its end open until its execve (or death)
 * closes it, so EOF means the process has been started. */
static int wait_for_exec(int fifo, struct nook_error *err)
{
    for (;;) {
        struct pollfd p = {.fd = fifo, .events = POLLIN};
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return nook_error_sys(err, "wait for the container process to start");
        }
        char b;
        ssize_t n = read(fifo, &b, 1);
        if (n == 0)
            return 0;
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return nook_error_sys(err, "read exec.fifo");
    }
}

/* Open exec.fifo for reading (non-blocking: the init may already be gone)
 * and wait for its byte or for the init to die, then for the execve. */
static int release_init(struct container *c, struct nook_error *err)
{
    char *path = xasprintf("%s/exec.fifo", c->dir);
    int fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo < 0) {
        int e = errno;
        free(path);
        return nook_error_set(err, e, "open exec.fifo");
    }
    int pidfd = pidfd_open_pid(c->st.pid);
    int r = 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        if (poll(p, pidfd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            r = nook_error_sys(err, "wait for container init");
            break;
        }
        if (p[0].revents & POLLIN) {
            char b;
            ssize_t n = read(fifo, &b, 1);
            if (n == 1)
                break;
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
        }
        if ((pidfd >= 0 && (p[1].revents & POLLIN)) || (p[0].revents & (POLLHUP | POLLERR))) {
            /* The writer may have written and closed: try one read first. */
            char b;
            if (read(fifo, &b, 1) == 1)
                break;
            if (pidfd >= 0 && (p[1].revents & POLLIN)) {
                r = nook_error_set(err, 0, "start: container init has exited");
                break;
            }
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    if (r == 0)
        r = wait_for_exec(fifo, err);
    close(fifo);
    if (r == 0 && unlink(path) < 0 && errno != ENOENT)
        r = nook_error_sys(err, "remove exec.fifo");
    free(path);
    return r;
}

int container_start(struct container *c, struct nook_error *err)
{
    if (c->st.status != NOOK_STATUS_CREATED)
        return nook_error_set(err, 0, "start: container is %s, not created",
                              nook_status_names[c->st.status]);
    if (release_init(c, err) < 0)
        return -1;
    c->st.status = NOOK_STATUS_RUNNING;
    return container_save(c, err);
}

int container_kill_all(struct container *c, struct nook_error *err)
{
    int pidfd = -1;
    if (container_pid_alive(&c->st))
        pidfd = pidfd_open_pid(c->st.pid);
    int r = 0;
    if (c->st.cgroup_path) {
        struct nook_cgroup cg;
        if (cgroup_open(&c->st, &cg, err) == 0) {
            r = cgroup_kill(&cg, err);
            cgroup_close(&cg);
        } else if (err->code != ENOENT) {
            r = -1;
        }
    }
    if (r == 0 && pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 &&
        errno != ESRCH)
        r = nook_error_sys(err, "kill container init");
    if (pidfd >= 0) {
        /* A pidfd polls readable once the process has exited. */
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        while (r == 0 && poll(&p, 1, 10000) < 0 && errno == EINTR)
            ;
        close(pidfd);
    }
    return r;
}

int container_destroy(struct container *c, struct runtime_warnings *w, struct nook_error *err)
{
    oom_monitor_stop(&c->st);
    struct spec spec;
    bool have_spec = container_load_spec(c, &spec, err) == 0;
    if (c->st.cgroup_path) {
        struct nook_cgroup cg;
        if (cgroup_open(&c->st, &cg, err) == 0) {
            if (cgroup_destroy(&cg, err) < 0) {
                if (have_spec)
                    spec_free(&spec);
                return -1;
            }
        } else if (err->code != ENOENT) {
            if (have_spec)
                spec_free(&spec);
            return -1;
        }
    }
    if (have_spec) {
        struct rootfs_plan plan;
        if (rootfs_plan(&spec, c->st.bundle, c->dir, c->id, &plan, err) == 0) {
            rootfs_cleanup(&plan, err);
            rootfs_plan_free(&plan);
        }
    }
    int r = remove_tree(c->dir, err);
    if (have_spec) {
        struct nook_error hook_err;
        c->st.status = NOOK_STATUS_STOPPED;
        /* runtime.md: a failing poststop hook is only a warning. */
        if (hooks_run(&spec, SPEC_HOOK_POSTSTOP, &c->st, &hook_err) < 0)
            runtime_warn(w, "%s", hook_err.msg);
        spec_free(&spec);
    }
    return r;
}
