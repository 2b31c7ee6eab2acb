/* AppArmor and SELinux: whether the host has them, and the exec label for
 * the next execve. The label is written into /proc; inside the container
 * /proc was mounted from the container's root, so every file is reached
 * through a procfs fd that is checked to be procfs, with openat2 refusing
 * symlinks and mount crossings (a bind mount or symlink planted over
 * /proc/.../attr cannot redirect the write). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

/* The inode number of the root of every procfs instance. */
#define PROC_ROOT_INO 1

bool sec_apparmor_enabled(void)
{
    if (access("/sys/kernel/security/apparmor", F_OK) < 0)
        return false;
    char *data = NULL;
    struct nook_error e;
    if (read_file("/sys/module/apparmor/parameters/enabled", &data, NULL, &e) < 0)
        return false;
    bool on = data[0] == 'Y';
    free(data);
    return on;
}

bool sec_selinux_enabled(void)
{
    struct statfs sfs;
    return statfs("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == SELINUX_MAGIC;
}

static int check_procfs(int fd, const char *what, struct nook_error *err)
{
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0)
        return nook_error_sys(err, "fstatfs %s", what);
    if (sfs.f_type != PROC_SUPER_MAGIC)
        return nook_error_set(err, EXDEV, "%s is not on procfs", what);
    return 0;
}

static int open_procfs_root(struct nook_error *err)
{
    int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "open /proc");
    struct stat st;
    if (check_procfs(fd, "/proc", err) < 0)
        goto fail;
    if (fstat(fd, &st) < 0) {
        nook_error_sys(err, "fstat /proc");
        goto fail;
    }
    if (st.st_ino != PROC_ROOT_INO) {
        nook_error_set(err, EXDEV, "/proc is not the root of a procfs mount");
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

/* Open <procfs>/thread-self/<attr> for writing. "thread-self" is itself a
 * symlink, so it is read (the kernel writes it: "<pid>/task/<tid>") and the
 * rest is resolved without following any link. */
static int open_thread_attr(int procfd, const char *attr, struct nook_error *err)
{
    char self[64];
    ssize_t n = readlinkat(procfd, "thread-self", self, sizeof self - 1);
    if (n < 0)
        return nook_error_sys(err, "readlink /proc/thread-self");
    self[n] = '\0';
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", self, attr);
    struct open_how how = {
        .flags = O_WRONLY | O_CLOEXEC,
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV |
                   RESOLVE_BENEATH,
    };
    int fd = (int)syscall(SYS_openat2, procfd, path, &how, sizeof how);
    if (fd < 0)
        return nook_error_sys(err, "open /proc/thread-self/%s", attr);
    char what[PATH_MAX + 32];
    snprintf(what, sizeof what, "/proc/thread-self/%s", attr);
    if (check_procfs(fd, what, err) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_attr(int fd, const char *attr, const char *value, struct nook_error *err)
{
    size_t len = strlen(value);
    ssize_t n;
    do
        n = write(fd, value, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return nook_error_sys(err, "write \"%s\" to /proc/thread-self/%s", value, attr);
    if ((size_t)n != len)
        return nook_error_set(err, EIO, "write \"%s\" to /proc/thread-self/%s: short write",
                              value, attr);
    return 0;
}

static int set_apparmor(int procfd, const char *profile, struct nook_error *err)
{
    /* Kernels with stacked LSMs (5.8+) have AppArmor's own attr directory;
     * older ones only the shared attr/exec. */
    const char *attr = "attr/apparmor/exec";
    int fd = open_thread_attr(procfd, attr, err);
    if (fd < 0 && err->code == ENOENT) {
        attr = "attr/exec";
        fd = open_thread_attr(procfd, attr, err);
    }
    if (fd < 0)
        return nook_error_wrap(err, "set AppArmor profile \"%s\"", profile);
    char *cmd = xasprintf("exec %s", profile);
    int r = write_attr(fd, attr, cmd, err);
    free(cmd);
    close(fd);
    if (r < 0)
        return nook_error_wrap(err, "set AppArmor profile \"%s\"", profile);
    return 0;
}

static int set_selinux(int procfd, const char *label, struct nook_error *err)
{
    const char *attr = "attr/exec";
    int fd = open_thread_attr(procfd, attr, err);
    if (fd < 0)
        return nook_error_wrap(err, "set SELinux label \"%s\"", label);
    int r = write_attr(fd, attr, label, err);
    close(fd);
    if (r < 0)
        return nook_error_wrap(err, "set SELinux label \"%s\"", label);
    return 0;
}

int security_set_lsm_labels(const struct spec_process *p, struct nook_error *err)
{
    if (!p->apparmor_profile && !p->selinux_label)
        return 0;
    int procfd = open_procfs_root(err);
    if (procfd < 0)
        return -1;
    int r = 0;
    if (p->apparmor_profile)
        r = set_apparmor(procfd, p->apparmor_profile, err);
    if (r == 0 && p->selinux_label)
        r = set_selinux(procfd, p->selinux_label, err);
    close(procfd);
    return r;
}
