/* rootfs/ for real: each scenario runs in a forked child in its own mount
 * namespace (and pid namespace, forking again to be pid 1 so proc mounts),
 * builds a busybox root in a temp dir, calls rootfs_mount + rootfs_pivot and
 * checks from inside; results come back over a pipe. Needs root. Nothing is
 * mounted in the host's namespace: the host's mountinfo is compared before
 * and after. */
#include "unit.h"
#include "../../rootfs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp[] = "/tmp/nook-rootfs-live-XXXXXX";
static char *bundle, *rootdir;
/* "/evil" in the image is a symlink to the host's /tmp; a mount at
 * /evil/<evil_name> must land in the root's /tmp, never the host's. */
static char *evil_dest, *evil_name;
static bool host_has_kcore;

/* ---- results from inside the container -------------------------------- */

struct result {
    int ok;
    char what[240];
};
static int result_fd = -1;

static void expect(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void expect(int ok, const char *fmt, ...)
{
    struct result r = {.ok = ok};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r.what, sizeof r.what, fmt, ap);
    va_end(ap);
    if (write_all(result_fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(3);
}

/* Run fn in a child with a new mount (and pid) namespace; collect what it
 * expects. The child's own exit status must be 0. */
static void run_contained(const char *name, bool pidns, void (*fn)(void *), void *arg)
{
    int p[2];
    if (pipe(p) < 0) {
        perror("pipe");
        exit(1);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        result_fd = p[1];
        if (unshare(CLONE_NEWNS | (pidns ? CLONE_NEWPID : 0)) < 0)
            _exit(10);
        /* Belt and braces: nothing below may propagate to the host. */
        if (rootfs_mount_change(NULL, "/", MS_SLAVE | MS_REC) < 0)
            _exit(11);
        if (!pidns) {
            fn(arg);
            _exit(0);
        }
        pid_t init = fork();
        if (init == 0) {
            fn(arg);
            _exit(0);
        }
        int st;
        if (init < 0 || waitpid(init, &st, 0) != init)
            _exit(12);
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
    close(p[1]);
    struct result r;
    int n = 0;
    while (read_all(p[0], &r, sizeof r) == (ssize_t)sizeof r) {
        n++;
        if (!r.ok)
            fprintf(stderr, "%s: inside: FAILED: %s\n", name, r.what);
        CHECK(r.ok);
    }
    close(p[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "%s: child status 0x%x\n", name, st);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(n > 0);
}

/* ---- helpers ---------------------------------------------------------- */

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    CHECK(rc == 0);
}

static char *slurp(const char *path)
{
    struct nook_error err;
    char *data;
    size_t len;
    if (read_file(path, &data, &len, &err) < 0)
        return NULL;
    return data;
}

static bool file_is(const char *path, const char *want)
{
    char *got = slurp(path);
    bool same = got && strcmp(got, want) == 0;
    free(got);
    return same;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Is there a mount at path (of fstype, unless NULL) in our mountinfo? */
static bool mounted(const char *path, const char *fstype)
{
    char *mi = slurp("/proc/self/mountinfo");
    bool found = false;
    char *save = NULL;
    for (char *l = mi ? strtok_r(mi, "\n", &save) : NULL; l && !found;
         l = strtok_r(NULL, "\n", &save)) {
        char mp[1024], fs[64];
        if (sscanf(l, "%*s %*s %*s %*s %1023s", mp) != 1)
            continue;
        char *dash = strstr(l, " - ");
        if (dash == NULL || sscanf(dash, " - %63s", fs) != 1)
            continue;
        found = strcmp(mp, path) == 0 && (fstype == NULL || strcmp(fs, fstype) == 0);
    }
    free(mi);
    return found;
}

static int run_sh(const char *script)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", script, (char *)NULL);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int errno_of_create(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
        close(fd);
        unlink(path);
        return 0;
    }
    return errno;
}

static struct spec_mount mnt(const char *dest, const char *type, const char *src,
                             unsigned long flags, const char *data)
{
    struct spec_mount m = {
        .destination = (char *)dest,
        .type = (char *)type,
        .source = (char *)src,
        .flags = flags,
        .bind = (flags & MS_BIND) != 0,
        .data = (char *)data,
    };
    return m;
}

static void make_busybox_root(const char *r)
{
    sh("mkdir -p %s/bin %s/proc %s/dev %s/sys %s/tmp %s/etc %s/secret %s/rodir", r, r, r, r,
       r, r, r, r);
    sh("cp /bin/busybox %s/bin/busybox", r);
    sh("cd %s/bin && for a in sh cat ls mount echo test stat; do ln -s busybox $a; done", r);
    sh("echo s > %s/secret/s", r);
}

static void plan_plain(struct rootfs_plan *p)
{
    memset(p, 0, sizeof *p);
    p->bundle = bundle;
    p->root = rootdir;
    p->mountpoint = rootdir;
}

/* ---- scenario 1: the usual container ---------------------------------- */

static struct spec main_spec(struct spec_mount *m, size_t *n, struct spec_device *devs,
                             char **masked, char **ro)
{
    static char data_dev[] = "mode=755,size=65536k";
    size_t i = 0;
    m[i++] = mnt("/proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
    m[i++] = mnt("/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, data_dev);
    m[i++] = mnt("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,gid=5");
    m[i++] = mnt("/dev/shm", "tmpfs", "shm", MS_NOSUID | MS_NOEXEC | MS_NODEV,
                 "mode=1777,size=65536k");
    m[i++] = mnt("/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
    m[i++] = mnt("/sys", "sysfs", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY,
                 NULL);
    m[i++] = mnt("/sys/fs/cgroup", "cgroup", "cgroup",
                 MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY, NULL);
    m[i++] = mnt("/ro", NULL, "../hostro", MS_BIND | MS_REC | MS_RDONLY, NULL);
    m[i++] = mnt("/etc/hostfile", "bind", "../hostfile", MS_BIND | MS_RDONLY, NULL);
    m[i++] = mnt("/sized", "tmpfs", "tmpfs", 0, "size=64k");
    m[i++] = mnt(evil_dest, "tmpfs", "tmpfs", 0, NULL);
    *n = i;

    devs[0] = (struct spec_device){.type = 'c', .path = "/dev/fuse", .major = 10, .minor = 229,
                                   .has_file_mode = true, .file_mode = 0600, .has_uid = true,
                                   .uid = 1000, .has_gid = true, .gid = 1001};
    devs[1] = (struct spec_device){.type = 'p', .path = "/dev/sub/fifo"};
    /* /proc/kcore is missing on kernels without CONFIG_PROC_KCORE (as here):
     * skipped then, like /no/such/path; /proc/timer_list is always there. */
    masked[0] = "/proc/kcore";
    masked[1] = "/proc/timer_list";
    masked[2] = "/secret";
    masked[3] = "/no/such/path";
    masked[4] = NULL;
    ro[0] = "/rodir";
    ro[1] = "/proc/sys";
    ro[2] = NULL;

    struct spec s = {0};
    s.root.path = "rootfs";
    s.mounts = m;
    s.n_mounts = *n;
    s.devices = devs;
    s.n_devices = 2;
    s.masked_paths = (struct spec_strv){masked, 4};
    s.readonly_paths = (struct spec_strv){ro, 2};
    return s;
}

static void check_dev(void)
{
    struct stat st;
    expect(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) &&
               st.st_rdev == makedev(1, 3) && (st.st_mode & 0777) == 0666,
           "/dev/null is the 1:3 node, mode 0666");
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    expect(fd >= 0 && write(fd, "abc", 3) == 3, "write to /dev/null");
    if (fd >= 0)
        close(fd);
    char buf[4] = {1, 1, 1, 1};
    fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    expect(fd >= 0 && read(fd, buf, 4) == 4 && !buf[0] && !buf[3], "read /dev/zero");
    if (fd >= 0)
        close(fd);
    fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    expect(fd >= 0 && write(fd, "x", 1) < 0 && errno == ENOSPC, "/dev/full is full");
    if (fd >= 0)
        close(fd);
    const char *nodes[] = {"/dev/random", "/dev/urandom", "/dev/tty"};
    for (size_t i = 0; i < 3; i++)
        expect(stat(nodes[i], &st) == 0 && S_ISCHR(st.st_mode), "%s exists", nodes[i]);

    char link[64] = {0};
    expect(readlink("/dev/ptmx", link, sizeof link - 1) > 0 && !strcmp(link, "pts/ptmx"),
           "/dev/ptmx -> pts/ptmx (got %s)", link);
    memset(link, 0, sizeof link);
    expect(readlink("/dev/fd", link, sizeof link - 1) > 0 && !strcmp(link, "/proc/self/fd"),
           "/dev/fd -> /proc/self/fd");
    memset(link, 0, sizeof link);
    expect(readlink("/dev/stderr", link, sizeof link - 1) > 0 &&
               !strcmp(link, "/proc/self/fd/2"),
           "/dev/stderr -> /proc/self/fd/2");
    memset(link, 0, sizeof link);
    if (host_has_kcore)
        expect(readlink("/dev/core", link, sizeof link - 1) > 0 &&
                   !strcmp(link, "/proc/kcore"),
               "/dev/core -> /proc/kcore");
    else
        expect(!exists("/dev/core"), "no /dev/core without a host /proc/kcore");
    fd = posix_openpt(O_RDWR | O_NOCTTY);
    expect(fd >= 0, "open a pty through /dev/ptmx: %s", strerror(errno));
    if (fd >= 0) {
        char *name = ptsname(fd);
        expect(name && !strcmp(name, "/dev/pts/0"), "first pty of a new devpts is /dev/pts/0");
        close(fd);
    }
    expect(stat("/dev/fuse", &st) == 0 && S_ISCHR(st.st_mode) &&
               st.st_rdev == makedev(10, 229) && (st.st_mode & 07777) == 0600 &&
               st.st_uid == 1000 && st.st_gid == 1001,
           "linux.devices /dev/fuse: 10:229 0600 1000:1001");
    expect(stat("/dev/sub/fifo", &st) == 0 && S_ISFIFO(st.st_mode) &&
               (st.st_mode & 0777) == 0666,
           "linux.devices fifo in a new subdir");
}

static void check_mounts(void)
{
    expect(mounted("/proc", "proc"), "proc at /proc");
    expect(mounted("/dev", "tmpfs"), "tmpfs at /dev");
    expect(mounted("/dev/pts", "devpts"), "devpts at /dev/pts");
    expect(mounted("/dev/shm", "tmpfs"), "tmpfs at /dev/shm");
    expect(mounted("/dev/mqueue", "mqueue"), "mqueue at /dev/mqueue");
    expect(mounted("/sys", "sysfs"), "sysfs at /sys");
    expect(mounted("/ro", NULL), "bind at /ro");
    expect(mounted("/etc/hostfile", NULL), "file bind at /etc/hostfile");
    expect(mounted("/sized", "tmpfs"), "tmpfs at /sized");
    expect(mounted("/proc/kcore", NULL) == host_has_kcore, "/proc/kcore masked if present");
    expect(mounted("/proc/timer_list", NULL), "/proc/timer_list masked");
    expect(mounted("/secret", "tmpfs"), "/secret masked by a tmpfs");
    expect(!mounted(evil_dest, NULL), "nothing mounted at %s literally", evil_dest);
    char *redirected = xasprintf("/tmp/%s", evil_name);
    expect(mounted(redirected, "tmpfs"), "%s followed /evil -> /tmp inside the root",
           evil_dest);
    free(redirected);
    char cwd[64];
    expect(getcwd(cwd, sizeof cwd) && !strcmp(cwd, "/"), "cwd is /");
    struct stat a, b;
    expect(stat("/", &a) == 0 && stat("/..", &b) == 0 && a.st_ino == b.st_ino &&
               a.st_dev == b.st_dev,
           "/.. is / (pivoted)");
    char self[16] = {0};
    expect(readlink("/proc/self", self, sizeof self - 1) > 0 && !strcmp(self, "1"),
           "proc of the new pid namespace (self is %s)", self);
}

static void check_restrictions(void)
{
    expect(file_is("/ro/f", "hello"), "read the ro bind");
    expect(errno_of_create("/ro/new") == EROFS, "write to the ro bind fails with EROFS");
    expect(file_is("/etc/hostfile", "filebind"), "read the file bind");
    int fd = open("/etc/hostfile", O_WRONLY | O_CLOEXEC);
    expect(fd < 0 && errno == EROFS, "ro file bind is not writable");
    if (fd >= 0)
        close(fd);

    struct stat st;
    expect(stat("/proc/timer_list", &st) == 0 && st.st_rdev == makedev(1, 3),
           "/proc/timer_list is /dev/null");
    char buf[16];
    fd = open("/proc/timer_list", O_RDONLY | O_CLOEXEC);
    expect(fd >= 0 && read(fd, buf, sizeof buf) == 0, "/proc/timer_list reads nothing");
    if (fd >= 0)
        close(fd);
    expect(!exists("/secret/s"), "/secret is hidden");
    expect(errno_of_create("/secret/n") == EROFS, "/secret mask is read-only");
    expect(errno_of_create("/rodir/n") == EROFS, "readonlyPaths /rodir");
    struct statvfs sv;
    expect(statvfs("/proc/sys", &sv) == 0 && (sv.f_flag & ST_RDONLY), "/proc/sys read-only");
    expect(statvfs("/proc/sys", &sv) == 0 && (sv.f_flag & ST_NOSUID),
           "/proc/sys keeps nosuid from /proc");
    expect(statvfs("/proc", &sv) == 0 && !(sv.f_flag & ST_RDONLY), "/proc itself rw");
    expect(statvfs("/sized", &sv) == 0 && sv.f_blocks * sv.f_bsize == 65536,
           "tmpfs size=64k");
    struct statfs sf;
    expect(statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC,
           "\"cgroup\" at /sys/fs/cgroup is cgroup2 here");
    expect(statvfs("/sys/fs/cgroup", &sv) == 0 && (sv.f_flag & ST_RDONLY),
           "cgroup mount read-only");
    expect(statvfs("/dev/shm", &sv) == 0 && (sv.f_flag & ST_NOEXEC) && (sv.f_flag & ST_NODEV),
           "/dev/shm noexec,nodev");
    expect(errno_of_create("/tmp/rw") == 0, "the root stays writable");
    expect(run_sh("echo hi > /tmp/out && test \"$(cat /tmp/out)\" = hi && ls /dev/pts "
                  ">/dev/null && test -c /dev/null") == 0,
           "busybox sh runs inside");
}

static void scenario_main(void *arg)
{
    struct spec_mount m[16];
    struct spec_device devs[2];
    char *masked[5], *ro[3];
    size_t n;
    struct spec s = main_spec(m, &n, devs, masked, ro);
    struct rootfs_plan p;
    plan_plain(&p);
    struct rootfs_opts o = {0};
    struct nook_error err;
    if (rootfs_mount(&s, &p, &o, &err) < 0) {
        expect(0, "rootfs_mount: %s", err.msg);
        return;
    }
    expect(1, "rootfs_mount");
    if (rootfs_pivot(&s, &p, &o, &err) < 0) {
        expect(0, "rootfs_pivot: %s", err.msg);
        return;
    }
    expect(1, "rootfs_pivot");
    check_mounts();
    check_dev();
    check_restrictions();
}

/* ---- scenario 2: errors name the mount -------------------------------- */

static void scenario_errors(void *arg)
{
    struct rootfs_plan p;
    plan_plain(&p);
    struct rootfs_opts o = {0};
    struct nook_error err;
    struct spec_mount m[2] = {mnt("/ok", "tmpfs", "tmpfs", 0, NULL),
                              mnt("/bad", "nookfs", "none", 0, NULL)};
    struct spec s = {.mounts = m, .n_mounts = 2};
    expect(rootfs_mount(&s, &p, &o, &err) == -1 &&
               !strcmp(err.msg, "mounts[1]: mount nookfs on /bad: No such device"),
           "unknown fs type: %s", err.msg);

    m[0] = mnt("/x", NULL, "nope", MS_BIND, NULL);
    s.n_mounts = 1;
    char *want = xasprintf("mounts[0]: bind-mount %s/nope on /x: No such file or directory",
                           bundle);
    expect(rootfs_mount(&s, &p, &o, &err) == -1 && !strcmp(err.msg, want),
           "missing bind source: %s", err.msg);
    free(want);

    m[0] = mnt("/sized", "tmpfs", "tmpfs", 0, "size=nonsense");
    expect(rootfs_mount(&s, &p, &o, &err) == -1 &&
               !strcmp(err.msg, "mounts[0]: mount tmpfs on /sized: Invalid argument"),
           "bad tmpfs option: %s", err.msg);

    /* A file bind onto a directory the image has. */
    char *src = xasprintf("%s/hostfile", tmp);
    m[0] = mnt("/etc", NULL, src, MS_BIND, NULL);
    expect(rootfs_mount(&s, &p, &o, &err) == -1 && strstr(err.msg, "mounts[0]: ") == err.msg,
           "file over a directory fails: %s", err.msg);
    free(src);
}

/* ---- scenario 3: no_pivot, read-only root, devices bound (userns path) - */

static void scenario_nopivot(void *arg)
{
    struct rootfs_plan p;
    plan_plain(&p);
    struct rootfs_opts o = {.userns = true, .no_pivot = true};
    struct nook_error err;
    struct spec_mount m[3] = {
        mnt("/proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL),
        mnt("/dev", "tmpfs", "tmpfs", MS_NOSUID, "mode=755"),
        mnt("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, NULL),
    };
    struct spec s = {.mounts = m, .n_mounts = 3};
    s.root.readonly = true;
    s.rootfs_propagation = MS_PRIVATE | MS_REC;
    if (rootfs_mount(&s, &p, &o, &err) < 0 || rootfs_pivot(&s, &p, &o, &err) < 0) {
        expect(0, "mount/pivot: %s", err.msg);
        return;
    }
    expect(errno_of_create("/newfile") == EROFS, "root.readonly: / is read-only");
    struct statvfs sv;
    expect(statvfs("/", &sv) == 0 && (sv.f_flag & ST_RDONLY), "/ has ST_RDONLY");
    expect(errno_of_create("/dev/newfile") == 0, "/dev tmpfs still writable");
    expect(mounted("/dev/null", NULL) && mounted("/dev/tty", NULL),
           "devices are bind mounts of the host's nodes");
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    expect(fd >= 0 && write(fd, "x", 1) == 1, "bound /dev/null works");
    if (fd >= 0)
        close(fd);
    char cwd[64];
    expect(getcwd(cwd, sizeof cwd) && !strcmp(cwd, "/"), "cwd is / after chroot");
    expect(exists("/bin/busybox") && exists("/proc/self"), "chrooted into the root");
    expect(run_sh("test -c /dev/zero && ls / >/dev/null") == 0, "busybox runs");
}

/* ---- scenario 4: the default config (`nook spec`), through spec_parse --- */

static void scenario_default_config(void *arg)
{
    const struct spec *s = arg;
    struct rootfs_plan p;
    struct rootfs_opts o = {0};
    struct nook_error err;
    if (rootfs_plan(s, bundle, "/nonexistent-state", "def", &p, &err) < 0) {
        expect(0, "rootfs_plan: %s", err.msg);
        return;
    }
    int rc = rootfs_mount(s, &p, &o, &err);
    if (rc == 0)
        rc = rootfs_pivot(s, &p, &o, &err);
    rootfs_plan_free(&p);
    expect(rc == 0, "default config: %s", rc ? err.msg : "ok");
    if (rc < 0)
        return;
    struct statfs sf;
    expect(statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC,
           "default config: cgroup2 at /sys/fs/cgroup");
    struct statvfs sv;
    expect(statvfs("/proc/sys", &sv) == 0 && (sv.f_flag & ST_RDONLY),
           "default config: /proc/sys read-only");
    expect(run_sh("test -c /dev/null && test -L /dev/ptmx && ls /dev/shm /dev/mqueue "
                  "/dev/pts >/dev/null") == 0,
           "default config: /dev complete");
}

static void test_default_config(void)
{
    char *json = spec_default_config(false);
    struct spec s;
    struct nook_error err;
    int rc = spec_parse(json, strlen(json), &s, &err);
    if (rc < 0)
        fprintf(stderr, "spec_parse of the default config: %s\n", err.msg);
    CHECK(rc == 0);
    free(json);
    if (rc < 0)
        return;
    run_contained("default-config", true, scenario_default_config, &s);
    spec_free(&s);
}

/* ---- scenario 5/6: overlay root ----------------------------------------- */

struct overlay_case {
    struct spec *spec;
    struct rootfs_plan *plan;
};

static void scenario_overlay(void *arg)
{
    struct overlay_case *c = arg;
    struct rootfs_opts o = {0};
    struct nook_error err;
    if (rootfs_mount(c->spec, c->plan, &o, &err) < 0 ||
        rootfs_pivot(c->spec, c->plan, &o, &err) < 0) {
        expect(0, "overlay mount/pivot: %s", err.msg);
        return;
    }
    expect(mounted("/", "overlay"), "/ is an overlay");
    expect(file_is("/a", "l1\n"), "top layer wins for /a");
    expect(file_is("/b", "l2b\n"), "/b from the bottom layer");
    expect(c->plan->overlay_volatile || file_is("/u", "u\n"), "/u from the upper layer");
    struct nook_error e2;
    expect(write_file("/new", "n", 1, 0644, &e2) == 0, "write a new file");
    expect(write_file("/b", "changed", 7, 0644, &e2) == 0, "modify a lower file");
    expect(unlink("/onlyl2") == 0, "delete a lower file");
    expect(!exists("/onlyl2"), "deleted file gone in the union");
}

static void overlay_layers(const char *ov)
{
    sh("rm -rf %s && mkdir -p %s/l1 %s/l2 %s/upper %s/state", ov, ov, ov, ov, ov);
    sh("echo l1 > %s/l1/a && echo l2 > %s/l2/a && echo l2b > %s/l2/b && echo x > %s/l2/onlyl2 "
       "&& echo u > %s/upper/u",
       ov, ov, ov, ov, ov);
}

static void test_overlay(bool vol)
{
    char *ov = xasprintf("%s/ov", tmp);
    overlay_layers(ov);
    struct spec_kv kv[2] = {{ROOTFS_ANNOT_LOWER, "l1:l2"},
                            {ROOTFS_ANNOT_VOLATILE, vol ? "true" : "false"}};
    struct spec_mount m[1] = {mnt("/proc", "proc", "proc", MS_NOSUID | MS_NODEV, NULL)};
    struct spec s = {0};
    s.root.path = "upper";
    s.annotations = (struct spec_kvlist){kv, 2};
    s.mounts = m;
    s.n_mounts = 1;
    char *state = xasprintf("%s/state", ov);
    struct rootfs_plan p;
    struct nook_error err;
    CHECK(rootfs_plan(&s, ov, state, "ov1", &p, &err) == 0);
    CHECK(rootfs_prepare_dirs(&p, &err) == 0);

    struct overlay_case c = {&s, &p};
    run_contained(vol ? "overlay-volatile" : "overlay", false, scenario_overlay, &c);

    char path[1024];
#define P(rel) (snprintf(path, sizeof path, "%s/%s", ov, rel), path)
    CHECK(!exists(P("l1/new")) && !exists(P("l2/new")));
    CHECK(file_is(P("l2/b"), "l2b\n"));
    CHECK(exists(P("l2/onlyl2")));
    CHECK(file_is(P("l1/a"), "l1\n"));
    if (vol) {
        CHECK(!exists(P("upper/new")) && !exists(P("upper/b")));
        CHECK(p.work == NULL && exists(p.volatile_dir));
        CHECK(rmdir(p.volatile_dir) < 0 && errno == ENOENT ? 0 : 1); /* empty on the host */
        CHECK(mkdir(p.volatile_dir, 0700) == 0);
    } else {
        CHECK(file_is(P("upper/new"), "n"));
        CHECK(file_is(P("upper/b"), "changed"));
        CHECK(exists(p.work));
        snprintf(path, sizeof path, "%s/work", p.work);
        CHECK(exists(path)); /* what overlayfs left in the workdir */
    }
#undef P
    CHECK(exists(p.mountpoint));
    CHECK(rootfs_cleanup(&p, &err) == 0);
    CHECK(!exists(p.mountpoint));
    CHECK(p.work == NULL || !exists(p.work));
    CHECK(p.volatile_dir == NULL || !exists(p.volatile_dir));
    rootfs_plan_free(&p);
    free(state);
    free(ov);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test_rootfs_live: needs root (mount namespaces)\n");
        return 1;
    }
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char *host_mounts = slurp("/proc/self/mountinfo");
    host_has_kcore = exists("/proc/kcore");
    bundle = xasprintf("%s/bundle", tmp);
    rootdir = xasprintf("%s/rootfs", bundle);
    make_busybox_root(rootdir);
    sh("mkdir -p %s/hostro && echo -n hello > %s/hostro/f && "
       "echo -n filebind > %s/hostfile && ln -s /tmp %s/evil",
       tmp, tmp, tmp, rootdir);
    evil_name = xasprintf("%s-x", strrchr(tmp, '/') + 1);
    evil_dest = xasprintf("/evil/%s", evil_name);

    run_contained("main", true, scenario_main, NULL);
    /* The planted symlink did not take the mount (or its mkdir) to the host. */
    char *host_x = xasprintf("/tmp/%s", evil_name);
    CHECK(!exists(host_x));
    free(host_x);
    char *in_root = xasprintf("%s/tmp/%s", rootdir, evil_name);
    CHECK(exists(in_root));
    free(in_root);
    char *ro_new = xasprintf("%s/hostro/new", tmp);
    CHECK(!exists(ro_new));
    free(ro_new);
    char *out = xasprintf("%s/tmp/out", rootdir);
    CHECK(file_is(out, "hi\n"));
    free(out);

    run_contained("errors", false, scenario_errors, NULL);
    run_contained("no-pivot", true, scenario_nopivot, NULL);
    test_default_config();
    test_overlay(false);
    test_overlay(true);

    char *after = slurp("/proc/self/mountinfo");
    CHECK(host_mounts && after && strcmp(host_mounts, after) == 0);
    free(after);
    free(host_mounts);

    sh("rm -rf '%s'", tmp);
    free(evil_dest);
    free(evil_name);
    free(rootdir);
    free(bundle);
    return unit_report("test_rootfs_live");
}
