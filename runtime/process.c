/* Process setup shared by the container's init and `exec`: rlimits,
 * oom_score_adj, close-on-exec of inherited fds, the environment, and the
 * final execve with a PATH lookup done against the container's environment. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *rlimit_name(int resource)
{
    static const char *const names[RLIM_NLIMITS] = {
        [RLIMIT_CPU] = "RLIMIT_CPU",         [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
        [RLIMIT_DATA] = "RLIMIT_DATA",       [RLIMIT_STACK] = "RLIMIT_STACK",
        [RLIMIT_CORE] = "RLIMIT_CORE",       [RLIMIT_RSS] = "RLIMIT_RSS",
        [RLIMIT_NPROC] = "RLIMIT_NPROC",     [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
        [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK", [RLIMIT_AS] = "RLIMIT_AS",
        [RLIMIT_LOCKS] = "RLIMIT_LOCKS",     [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
        [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
        [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",   [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
    };
    if (resource >= 0 && resource < RLIM_NLIMITS && names[resource])
        return names[resource];
    return "unknown rlimit";
}

/* config.json uses 2^64-1 for "unlimited", which is RLIM_INFINITY on Linux. */
static rlim_t to_rlim(uint64_t v)
{
    return v >= (uint64_t)RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)v;
}

int process_set_rlimits(const struct spec_process *p, struct nook_error *err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const struct spec_rlimit *r = &p->rlimits[i];
        struct rlimit rl = {.rlim_cur = to_rlim(r->soft), .rlim_max = to_rlim(r->hard)};
        if (setrlimit(r->resource, &rl) < 0)
            return nook_error_sys(err, "set rlimit %s (soft %llu, hard %llu)",
                                  rlimit_name(r->resource), (unsigned long long)r->soft,
                                  (unsigned long long)r->hard);
    }
    return 0;
}

int process_write_oom_score_adj(int adj, struct nook_error *err)
{
    static const char path[] = "/proc/self/oom_score_adj";
    /* Callers write it before they enter the container's mount namespace,
     * through the host's /proc (CVE-2025-52881: in the container's, a mount
     * over the file would take the value elsewhere); still, only a procfs
     * file will do. */
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return nook_error_sys(err, "open %s", path);
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0) {
        nook_error_sys(err, "statfs %s", path);
        close(fd);
        return -1;
    }
    if (sfs.f_type != PROC_SUPER_MAGIC) {
        close(fd);
        return nook_error_set(err, 0, "open %s: not on procfs", path);
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", adj);
    ssize_t w = write(fd, buf, (size_t)n);
    if (w != n) {
        if (w >= 0)
            errno = EIO;
        nook_error_sys(err, "write %d to %s", adj, path);
        close(fd);
        return -1;
    }
    if (close(fd) < 0)
        return nook_error_sys(err, "close %s", path);
    return 0;
}

int process_set_oom_score_adj(const struct spec_process *p, struct nook_error *err)
{
    return p->has_oom_score_adj ? process_write_oom_score_adj(p->oom_score_adj, err) : 0;
}

int process_enter_cwd(const struct spec_process *p, struct nook_error *err)
{
    if (chdir(p->cwd) < 0)
        return nook_error_sys(err, "chdir to process.cwd %s", p->cwd);
    /* A directory fd of the host that is still open (whatever leaks it)
     * reached as "/proc/self/fd/N" puts the cwd outside the root
     * (CVE-2024-21626); the kernel then has no path for it from our root,
     * and getcwd fails with ENOENT. */
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf))
        return nook_error_sys(err, "process.cwd %s is outside the container", p->cwd);
    return 0;
}

/* For kernels without close_range(CLOSE_RANGE_CLOEXEC) (before 5.11). */
static int cloexec_walk_proc(int first_fd, struct nook_error *err)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return nook_error_sys(err, "mark fds close-on-exec: open /proc/self/fd");
    int self = dirfd(d);
    struct dirent *de;
    int rc = 0;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        if (fd < first_fd || fd == self)
            continue;
        int flags = fcntl(fd, F_GETFD);
        /* EBADF: an fd that was only open while the directory was read. */
        if (flags < 0 && errno == EBADF)
            continue;
        if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
            rc = nook_error_sys(err, "mark fd %d close-on-exec", fd);
            break;
        }
        errno = 0;
    }
    if (rc == 0 && errno != 0)
        rc = nook_error_sys(err, "mark fds close-on-exec: read /proc/self/fd");
    closedir(d);
    return rc;
}

int process_cloexec_from(int first_fd, struct nook_error *err)
{
    if (syscall(SYS_close_range, (unsigned)first_fd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return 0;
    /* ENOSYS: no close_range (before 5.9); EINVAL: no CLOSE_RANGE_CLOEXEC. */
    if (errno != ENOSYS && errno != EINVAL)
        return nook_error_sys(err, "mark fds >= %d close-on-exec", first_fd);
    return cloexec_walk_proc(first_fd, err);
}

static bool env_is(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

char **process_build_env(const struct spec_process *p, int listen_fds)
{
    char **env = xcalloc(p->env.n + 3, sizeof *env);
    size_t n = 0;
    for (size_t i = 0; i < p->env.n; i++) {
        /* Our socket-activation values replace any the config carries, so
         * getenv() in the container sees the fds it really has. */
        if (listen_fds > 0 &&
            (env_is(p->env.v[i], "LISTEN_FDS") || env_is(p->env.v[i], "LISTEN_PID")))
            continue;
        env[n++] = xstrdup(p->env.v[i]);
    }
    if (listen_fds > 0) {
        env[n++] = xasprintf("LISTEN_FDS=%d", listen_fds);
        env[n++] = xstrdup("LISTEN_PID=1");
    }
    env[n] = NULL;
    return env;
}

void process_env_free(char **env)
{
    if (!env)
        return;
    for (char **e = env; *e; e++)
        free(*e);
    free(env);
}

static const char *env_path(char **env)
{
    for (char **e = env; e && *e; e++)
        if (env_is(*e, "PATH"))
            return *e + 5;
    return DEFAULT_PATH;
}

/* Like Go's exec.LookPath (what runc uses): only a regular file we may
 * execute is a match, so a directory or a non-executable file of the same
 * name earlier in PATH does not hide the real one. */
static bool is_executable_file(const char *path)
{
    struct stat stbuf;
    return stat(path, &stbuf) == 0 && S_ISREG(stbuf.st_mode) &&
           faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0;
}

/* The first executable "<dir>/<name>" of the PATH list, or NULL. An empty
 * element means the current directory, as for execvp. */
static char *lookup_path(const char *name, const char *path)
{
    const char *dir = path;
    for (;;) {
        const char *end = strchrnul(dir, ':');
        int dlen = (int)(end - dir);
        char *cand = dlen ? xasprintf("%.*s/%s", dlen, dir, name) : xasprintf("./%s", name);
        if (is_executable_file(cand))
            return cand;
        free(cand);
        if (*end == '\0')
            return NULL;
        dir = end + 1;
    }
}

char *process_find_exec(const struct spec_process *p, char **env, struct nook_error *err)
{
    if (p->args.n == 0 || !p->args.v || !p->args.v[0]) {
        nook_error_set(err, 0, "exec: process.args is empty");
        return NULL;
    }
    const char *name = p->args.v[0];
    if (strchr(name, '/'))
        return xstrdup(name);
    char *file = lookup_path(name, env_path(env));
    if (!file) {
        nook_error_set(err, 0, "exec \"%s\": executable file not found in $PATH", name);
        err->code = ENOENT;
    }
    return file;
}

pid_t process_clone(unsigned long flags, int cgroup_fd, bool *in_cgroup)
{
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (unsigned long long)cgroup_fd;
    }
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) {
        *in_cgroup = args.flags & CLONE_INTO_CGROUP;
        return pid;
    }
    if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
        return -1;
    *in_cgroup = false;
    return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}
