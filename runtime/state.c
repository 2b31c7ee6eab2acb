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

static int read_state(const char *dir, struct nook_state *st, struct nook_error *err)
{
    char *path = xasprintf("%s/state.json", dir);
    char *json;
    size_t len;
    int r = read_file(path, &json, &len, err);
    free(path);
    if (r < 0) {
        if (err->code == ENOENT)
            return nook_error_set(err, 0, "container does not exist");
        return -1;
    }
    r = spec_state_parse(json, len, st, err);
    free(json);
    if (r < 0)
        return nook_error_wrap(err, "read state.json");
    return 0;
}

int container_load(const struct nook_globals *g, const char *id, struct container *c,
                   struct nook_error *err)
{
    memset(c, 0, sizeof *c);
    c->lock_fd = -1;
    c->id = xstrdup(id);
    c->dir = xasprintf("%s/%s", g->root, id);
    if (lock_dir(c->dir, LOCK_EX, &c->lock_fd, err) < 0 || read_state(c->dir, &c->st, err) < 0) {
        container_release(c);
        return -1;
    }
    c->st.status = container_status(&c->st);
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

void container_release(struct container *c)
{
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

/* Field 22 of /proc/<pid>/stat (start time in clock ticks) and the state
 * letter; the comm field may hold spaces and parentheses, so parse after the
 * last ')'. */
int proc_stat_start_time(pid_t pid, unsigned long long *start, char *state)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read_all(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    char st;
    unsigned long long t;
    /* after ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt
     * majflt cmajflt utime stime cutime cstime priority nice num_threads
     * itrealvalue starttime(22) */
    if (sscanf(p + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
               &st, &t) != 2)
        return -1;
    *start = t;
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

enum nook_status container_status(const struct nook_state *st)
{
    switch (st->status) {
    case NOOK_STATUS_CREATED:
    case NOOK_STATUS_RUNNING:
    case NOOK_STATUS_PAUSED:
        break;
    default:
        return st->status;
    }
    if (!container_pid_alive(st))
        return NOOK_STATUS_STOPPED;
    if (st->status != NOOK_STATUS_CREATED && st->cgroup_path) {
        struct nook_cgroup cg;
        struct nook_error ignored;
        bool frozen = false;
        if (cgroup_open(st, &cg, &ignored) == 0) {
            if (cgroup_is_frozen(&cg, &frozen, &ignored) < 0)
                frozen = false;
            cgroup_close(&cg);
        }
        return frozen ? NOOK_STATUS_PAUSED : NOOK_STATUS_RUNNING;
    }
    return st->status;
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
