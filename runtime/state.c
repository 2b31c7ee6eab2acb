/* The state store: <root>/<id>/ holds state.json, the config.json the
 * container was created with, and exec.fifo while it waits to start. The
 * directory itself is the lock (flock), so commands on one id serialise. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"

static int lock_dir(const char *dir, int how, int *fd_out, struct nook_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return nook_error_set(err, 0, "container does not exist");
        return nook_error_sys(err, "open state directory %s", dir);
    }
    while (flock(fd, how) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(fd);
        return nook_error_set(err, e, "lock state directory %s", dir);
    }
    *fd_out = fd;
    return 0;
}

/* One of the records in the state dir (state.json, resources.json). */
static int read_record(const char *dir, const char *name, struct nook_state *st,
                       struct nook_error *err)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *json;
    size_t len;
    int r = read_regular_file(path, SPEC_FILE_MAX, &json, &len, err);
    free(path);
    if (r < 0)
        return -1;
    r = spec_state_parse(json, len, st, err);
    free(json);
    if (r < 0)
        return nook_error_wrap(err, "read %s", name);
    return 0;
}

/* The init of a container whose pid was never recorded (state.json lost):
 * the process in its cgroup whose parent is outside it. */
static void find_init_in_cgroup(struct nook_state *st)
{
    struct nook_cgroup cg;
    struct nook_error ignored;
    if (cgroup_open(st, &cg, &ignored) < 0)
        return;
    pid_t *pids = NULL;
    size_t n = 0;
    if (cgroup_pids(&cg, &pids, &n, &ignored) == 0) {
        for (size_t i = 0; i < n && st->pid == 0; i++) {
            pid_t ppid = proc_parent(pids[i]);
            bool inside = false;
            for (size_t j = 0; j < n && !inside; j++)
                inside = pids[j] == ppid;
            if (ppid > 0 && !inside &&
                proc_stat_start_time(pids[i], &st->pid_start_time, NULL) == 0)
                st->pid = pids[i];
        }
        free(pids);
    }
    cgroup_close(&cg);
}

/* What the state dir says, in order of trust: state.json (written once
 * the init is created), else resources.json (written before anything was
 * made), else nothing but the dir itself (create died before making
 * anything). Never fails on a missing or corrupt record: delete -f must be
 * able to remove whatever a killed nook left. */
static void read_state(const char *dir, const char *id, struct nook_state *st, bool *recorded)
{
    struct nook_error ignored;
    *recorded = true;
    if (read_record(dir, "state.json", st, &ignored) == 0)
        return;
    if (read_record(dir, "resources.json", st, &ignored) == 0) {
        find_init_in_cgroup(st);
    } else {
        memset(st, 0, sizeof *st);
        *recorded = false;
    }
    free(st->id);
    st->id = xstrdup(id);
    st->status = NOOK_STATUS_CREATING;
}

static enum nook_status status_of(const char *dir, const struct nook_state *st,
                                  struct nook_cgroup **keep);

int container_load(const struct nook_globals *g, const char *id, struct container *c,
                   struct nook_error *err)
{
    memset(c, 0, sizeof *c);
    c->g = g;
    c->lock_fd = -1;
    c->id = xstrdup(id);
    c->dir = xasprintf("%s/%s", g->root, id);
    if (lock_dir(c->dir, LOCK_EX, &c->lock_fd, err) < 0) {
        container_release(c);
        return -1;
    }
    read_state(c->dir, id, &c->st, &c->recorded);
    /* The cgroup opened to see whether it is frozen stays open for what the
     * command does next (exec joins it, delete -f kills and removes it). */
    c->st.status = status_of(c->dir, &c->st, &c->cg);
    return 0;
}

int container_save(struct container *c, struct nook_error *err)
{
    char *json = spec_state_file_json(&c->st);
    char *path = xasprintf("%s/state.json", c->dir);
    int r = write_file_atomic(path, json, strlen(json), 0600, err);
    free(path);
    free(json);
    return r;
}

int container_read_unlocked(const struct nook_globals *g, const char *id, struct nook_state *st)
{
    char *dir = xasprintf("%s/%s", g->root, id);
    struct stat sb;
    if (lstat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        free(dir);
        return -1;
    }
    bool recorded;
    read_state(dir, id, st, &recorded);
    /* No state.json yet: being created, or left by a killed nook. The
     * lock tells which. */
    int fd = -1;
    struct nook_error ignored;
    bool busy = false;
    if (st->status == NOOK_STATUS_CREATING && lock_dir(dir, LOCK_SH | LOCK_NB, &fd, &ignored) < 0)
        busy = ignored.code == EWOULDBLOCK;
    if (fd >= 0)
        close(fd);
    if (!busy)
        st->status = container_status(dir, st);
    free(dir);
    return 0;
}

void container_release(struct container *c)
{
    if (c->cg) {
        cgroup_close(c->cg);
        free(c->cg);
    }
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    spec_state_free(&c->st);
    free(c->id);
    free(c->dir);
    memset(c, 0, sizeof *c);
    c->lock_fd = -1;
}

int container_load_spec(const struct container *c, struct spec *spec, struct nook_error *err)
{
    char *path = xasprintf("%s/config.json", c->dir);
    int r = spec_load(path, spec, err);
    free(path);
    return r;
}

/* /proc/<pid>/stat read into buf, returning what follows the comm field:
 * comm may hold spaces and parentheses, so that is after the last ')'. */
static const char *proc_stat_after_comm(pid_t pid, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read_all(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return strrchr(buf, ')');
}

int proc_stat_fields(pid_t pid, char *state, unsigned long *flags, unsigned long long *start)
{
    char buf[1024];
    const char *p = proc_stat_after_comm(pid, buf, sizeof buf);
    if (!p)
        return -1;
    /* after ")": state(3) ppid pgrp session tty_nr tpgid flags(9) minflt
     * cminflt majflt cmajflt utime stime cutime cstime priority nice
     * num_threads itrealvalue starttime(22) */
    if (sscanf(p + 1, " %c %*s %*s %*s %*s %*s %lu %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
               state, flags, start) != 3)
        return -1;
    return 0;
}

int proc_stat_start_time(pid_t pid, unsigned long long *start, char *state)
{
    char st;
    unsigned long flags;
    if (proc_stat_fields(pid, &st, &flags, start) < 0)
        return -1;
    if (state)
        *state = st;
    return 0;
}

bool container_pid_alive(const struct nook_state *st)
{
    unsigned long long start;
    char s;
    if (st->pid <= 0 || proc_stat_start_time(st->pid, &start, &s) < 0)
        return false;
    return start == st->pid_start_time && s != 'Z' && s != 'X';
}

/* From facts only, never from what was last written (a nook killed or
 * out of disk space after it acted may not have written it): an init that
 * is gone (or whose pid another process now has) is stopped; one that still
 * waits on exec.fifo is created; a frozen cgroup is paused. */
static enum nook_status status_of(const char *dir, const struct nook_state *st,
                                  struct nook_cgroup **keep)
{
    if (!container_pid_alive(st))
        return NOOK_STATUS_STOPPED;
    if (dir) {
        char *fifo = xasprintf("%s/exec.fifo", dir);
        struct stat sb;
        bool waiting = lstat(fifo, &sb) == 0;
        free(fifo);
        if (waiting)
            return NOOK_STATUS_CREATED;
    }
    bool frozen = false;
    {
        struct nook_cgroup cg;
        struct nook_error ignored;
        if (cgroup_open(st, &cg, &ignored) == 0) {
            if (cgroup_is_frozen(&cg, &frozen, &ignored) < 0)
                frozen = false;
            if (keep) {
                *keep = xmalloc(sizeof cg);
                **keep = cg;
            } else {
                cgroup_close(&cg);
            }
        }
    }
    return frozen ? NOOK_STATUS_PAUSED : NOOK_STATUS_RUNNING;
}

enum nook_status container_status(const char *dir, const struct nook_state *st)
{
    return status_of(dir, st, NULL);
}

pid_t proc_parent(pid_t pid)
{
    char buf[1024];
    const char *p = proc_stat_after_comm(pid, buf, sizeof buf);
    int ppid;
    if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

/* rm -r of the state directory: it holds only regular files, the fifo and the
 * (unmounted on the host) overlay mountpoint directories. */
int remove_tree(const char *path, struct nook_error *err)
{
    struct stat sb;
    if (lstat(path, &sb) < 0) {
        if (errno == ENOENT)
            return 0;
        return nook_error_sys(err, "stat %s", path);
    }
    if (S_ISDIR(sb.st_mode)) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return nook_error_sys(err, "open %s", path);
        DIR *d = fdopendir(fd);
        if (!d) {
            close(fd);
            return nook_error_sys(err, "open %s", path);
        }
        struct dirent *de;
        int r = 0;
        while (r == 0 && (de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char *child = xasprintf("%s/%s", path, de->d_name);
            r = remove_tree(child, err);
            free(child);
        }
        closedir(d);
        if (r < 0)
            return r;
        if (rmdir(path) < 0 && errno != ENOENT)
            return nook_error_sys(err, "remove %s", path);
        return 0;
    }
    if (unlink(path) < 0 && errno != ENOENT)
        return nook_error_sys(err, "remove %s", path);
    return 0;
}
