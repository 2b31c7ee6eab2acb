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
#include <time.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../rootfs/rootfs.h"

static int pidfd_open_pid(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* After the byte: the init holds its end open until its execve (or death)
 * closes it, so EOF means the process has been started, unless the init
 * wrote what failed first (runtime/init.c fail()): then start fails with
 * that. */
static int wait_for_exec(int fifo, struct nook_error *err)
{
    char msg[NOOK_ERRMSG_MAX];
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fifo, .events = POLLIN};
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return nook_error_sys(err, "wait for the container process to start");
        }
        ssize_t n = read(fifo, msg + len, sizeof msg - 1 - len);
        if (n == 0)
            break;
        if (n > 0) {
            len += (size_t)n;
            if (len == sizeof msg - 1)
                break; /* as much as an error holds */
        } else if (errno != EAGAIN && errno != EINTR) {
            return nook_error_sys(err, "read exec.fifo");
        }
    }
    if (len == 0)
        return 0;
    msg[len] = '\0';
    return nook_error_set(err, 0, "%s", msg);
}

/* Open exec.fifo for reading (non-blocking: the init may already be gone),
 * which lets the init go on, and wait for its byte or for the init to die,
 * then for the execve.
 * Once the fifo is gone the container counts as running (container_status),
 * whatever happens to this nook. */
static int release_init(struct container *c, struct nook_error *err)
{
    char *path = xasprintf("%s/exec.fifo", c->dir);
    int fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo < 0) {
        int e = errno;
        free(path);
        return nook_error_set(err, e, "open exec.fifo");
    }
    runtime_step(c->g, "start", "exec.fifo opened");
    int r = 0;
    /* Without pidfd_open (Linux < 5.3, valgrind) look at the init now and
     * then instead. */
    int pidfd = pidfd_open_pid(c->st.pid);
    for (;;) {
        struct pollfd p[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        int n = poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 50);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = nook_error_sys(err, "wait for container init");
            break;
        }
        char b;
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && read(fifo, &b, 1) == 1)
            break;
        /* The writer may have written and closed: the read above came first. */
        bool gone = pidfd >= 0 ? (p[1].revents & POLLIN) != 0
                               : n == 0 && !container_pid_alive(&c->st);
        if (gone) {
            r = nook_error_set(err, 0, "start: container init has exited");
            break;
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    if (r == 0)
        r = wait_for_exec(fifo, err);
    close(fifo);
    if (r == 0)
        runtime_step(c->g, "start", "init released");
    /* The init removes it once released (where it may: in a user namespace
     * the state dir is not its to change); else here. */
    if (r == 0 && unlink(path) < 0 && errno != ENOENT)
        r = nook_error_sys(err, "remove exec.fifo");
    if (r == 0)
        runtime_step(c->g, "start", "exec.fifo removed");
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
    /* Nothing to write: with exec.fifo gone the status is "running" by
     * itself (container_status), so a full disk cannot leave it "created". */
    c->st.status = NOOK_STATUS_RUNNING;
    return 0;
}

int container_signal_init(const struct container *c, int sig, struct nook_error *err)
{
    /* A pidfd opened before the check pins the process: the pid cannot be
     * recycled between the check and the signal. */
    int pidfd = pidfd_open_pid(c->st.pid);
    if (pidfd < 0 && errno != ENOSYS)
        return nook_error_set(err, 0, "container is not running");
    int r = 0;
    if (!container_pid_alive(&c->st))
        r = nook_error_set(err, 0, "container is not running");
    else if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
        r = nook_error_sys(err, "send signal %d", sig);
    /* Without pidfd_open (Linux < 5.3, valgrind) the start time check just
     * made is the guard against a recycled pid. */
    else if (pidfd < 0 && kill(c->st.pid, sig) < 0)
        r = errno == ESRCH ? nook_error_set(err, 0, "container is not running")
                           : nook_error_sys(err, "send signal %d", sig);
    if (pidfd >= 0)
        close(pidfd);
    return r;
}

/* Wait until the init is gone: its pidfd polls readable when it exits;
 * without one, look at /proc every few milliseconds. */
static void wait_init_gone(const struct container *c, int pidfd)
{
    if (pidfd >= 0) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        while (poll(&p, 1, 10000) < 0 && errno == EINTR)
            ;
        return;
    }
    for (int i = 0; i < 2000 && container_pid_alive(&c->st); i++) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int container_kill_all(struct container *c, struct nook_error *err)
{
    bool alive = container_pid_alive(&c->st);
    int pidfd = alive ? pidfd_open_pid(c->st.pid) : -1;
    int r = 0;
    /* A shared cgroup (see cgroup.h) also holds processes that are not the
     * container's: only the init is killed then (with its pid namespace, the
     * kernel kills the rest of the container). */
    if (!c->st.cgroup_shared) {
        struct nook_cgroup cg;
        if (c->cg || cgroup_open(&c->st, &cg, err) == 0) {
            /* Kept open for container_destroy, which usually comes next. */
            if (!c->cg) {
                c->cg = xmalloc(sizeof cg);
                *c->cg = cg;
            }
            r = cgroup_kill(c->cg, err);
        } else if (err->code != ENOENT) {
            r = -1;
        }
    }
    if (r == 0 && alive) {
        struct nook_error gone;
        /* "not running" here: the cgroup kill got it first. */
        if (container_signal_init(c, SIGKILL, &gone) < 0 && container_pid_alive(&c->st))
            r = nook_error_set(err, gone.code, "kill container init: %s", gone.msg);
    }
    if (r == 0 && alive)
        wait_init_gone(c, pidfd);
    if (pidfd >= 0)
        close(pidfd);
    if (r == 0)
        runtime_step(c->g, "delete", "processes killed");
    return r;
}

/* The overlay directories create made, as recorded (no need for the config
 * or the lower layers to still be there). */
static int cleanup_rootfs(const struct container *c, struct nook_error *err)
{
    if (!c->st.overlay || !c->st.rootfs)
        return 0;
    struct rootfs_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.overlay = true;
    plan.overlay_volatile = c->st.overlay_volatile;
    plan.mountpoint = xstrdup(c->st.rootfs);
    plan.work = c->st.overlay_work ? xstrdup(c->st.overlay_work) : NULL;
    plan.volatile_dir = c->st.overlay_volatile ? xasprintf("%s/volatile", c->dir) : NULL;
    int r = rootfs_cleanup(&plan, err);
    rootfs_plan_free(&plan);
    return r;
}

static int destroy_cgroup(struct container *c, struct nook_error *err)
{
    struct nook_cgroup cg;
    bool opened = c->cg != NULL;
    if (opened) {
        cg = *c->cg;
        free(c->cg);
        c->cg = NULL;
    } else {
        opened = cgroup_open(&c->st, &cg, err) == 0;
    }
    if (opened) {
        if (!c->st.cgroup_shared)
            return cgroup_destroy(&cg, err);
        cgroup_release_shared(&cg);
        return 0;
    }
    /* Recorded before it was made, and create died first: nothing to do. */
    return err->code == ENOENT ? 0 : -1;
}

/* What is made is removed first and the records last, so a delete killed
 * half-way leaves enough for the next one: state.json, then resources.json
 * and the config copy with the dir. */
int container_destroy(struct container *c, const struct spec *known, struct runtime_warnings *w,
                      struct nook_error *err)
{
    struct spec stored;
    struct nook_error spec_err;
    const struct spec *spec = known;
    oom_monitor_stop(&c->st);
    if (!spec && c->recorded && container_load_spec(c, &stored, &spec_err) == 0)
        spec = &stored;
    int r = destroy_cgroup(c, err);
    if (r == 0) {
        runtime_step(c->g, "delete", "cgroup removed");
        r = cleanup_rootfs(c, err);
    }
    if (r == 0) {
        runtime_step(c->g, "delete", "rootfs directories removed");
        char *state = xasprintf("%s/state.json", c->dir);
        if (unlink(state) < 0 && errno != ENOENT)
            r = nook_error_sys(err, "remove %s", state);
        free(state);
    }
    if (r == 0) {
        runtime_step(c->g, "delete", "state.json removed");
        r = remove_tree(c->dir, err);
    }
    if (r == 0)
        runtime_step(c->g, "delete", "state directory removed");
    if (spec && r == 0) {
        struct nook_error hook_err;
        c->st.status = NOOK_STATUS_STOPPED;
        /* runtime.md: a failing poststop hook is only a warning. */
        if (hooks_run(spec, SPEC_HOOK_POSTSTOP, &c->st, &hook_err) < 0)
            runtime_warn(w, "%s", hook_err.msg);
    }
    if (spec == &stored)
        spec_free(&stored);
    return r;
}
