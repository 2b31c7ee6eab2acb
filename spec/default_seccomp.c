/* The seccomp profile `nook spec` writes: an allow-list modelled on Docker's
 * default profile (moby profiles/seccomp), reduced to what applies to the
 * default spec's capabilities (AUDIT_WRITE, KILL, NET_BIND_SERVICE).
 *
 * Everything not listed fails with EPERM. Among what that blocks: keyctl,
 * add_key and request_key (the kernel keyring is not namespaced), bpf,
 * perf_event_open, kexec_load/kexec_file_load, open_by_handle_at (the
 * "shocker" escape), mount/umount/pivot_root/the new mount API, unshare and
 * setns (new user namespaces are the usual door to kernel attack surface),
 * module loading, swapon, reboot, acct, clock setting, iopl/ioperm, kcmp,
 * pidfd_getfd, process_madvise, userfaultfd, lookup_dcookie, quotactl,
 * syslog, vhangup and the NUMA policy calls.
 *
 * Docker also allows groups of those when the container holds the matching
 * capability (CAP_SYS_ADMIN, CAP_SYS_PTRACE, ...). None of them is in the
 * default set, so whoever adds such a capability to config.json must widen
 * the profile too, as with a Docker profile generated for other caps. */
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/socket.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Allowed with any arguments. Names of other architectures than the one
 * running are harmless: the runtime skips names libseccomp cannot resolve and
 * adds the others only where they exist. */
static const char *const allowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
    "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
    "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
    "copy_file_range", "creat", "dup", "dup2", "dup3",
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
    "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
    "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
    "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
    "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
    "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
    "futex", "futex_time64", "futex_waitv", "futimesat",
    "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
    "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
    "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
    "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
    "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
    "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
    "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
    "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
    "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill",
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
    "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr",
    "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
    "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
    "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
    "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
    "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
    "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
    "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
    "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64",
    "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
    "pselect6_time64", "pwrite64", "pwritev", "pwritev2",
    "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
    "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
    "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
    "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
    "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
    "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
    "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
    "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address",
    "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
    "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall",
    "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
    "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo",
    "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
    "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
    "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid",
    "write", "writev",
    /* Since Linux 4.8 the kernel re-checks seccomp after a tracer rewrites a
     * syscall, so ptrace no longer bypasses the filter (Docker allows these
     * from 4.8 on). Tracing processes outside the container is prevented by
     * the pid namespace, and of the container's other processes by the
     * missing CAP_SYS_PTRACE together with Yama. */
    "process_vm_readv", "process_vm_writev", "ptrace",
};

/* The filter's architectures and the calls only they have: the native one and
 * the compat ABIs its kernel can also run, so a 32-bit binary cannot go
 * around the filter. Elsewhere the filter covers the native ABI only. */
struct arch_profile {
    const char *archs[4];
    const char *extra[8];
};

static const struct arch_profile native_profile = {
#if defined(__x86_64__)
    {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL},
    {"arch_prctl", "modify_ldt", NULL},
#elif defined(__i386__)
    {"SCMP_ARCH_X86", NULL},
    {"modify_ldt", NULL},
#elif defined(__aarch64__)
    {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL},
    {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
     "cacheflush", "set_tls", NULL},
#elif defined(__arm__)
    {"SCMP_ARCH_ARM", NULL},
    {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
     "cacheflush", "set_tls", NULL},
#else
    {NULL},
    {NULL},
#endif
};

/* The namespace flags clone must not carry: creating namespaces needs
 * CAP_SYS_ADMIN except for a user namespace, which is exactly the one that
 * would give the container a fresh set of capabilities to attack the kernel
 * with. */
#define NEW_NAMESPACE_FLAGS                                                                  \
    ((uint64_t)(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |  \
                CLONE_NEWNET | CLONE_NEWCGROUP))

/* A syscall allowed only when one argument compares as given. Several rules
 * for one name are alternatives. */
struct arg_rule {
    const char *name;
    unsigned index;
    uint64_t value, value_two;
    const char *op;
};

static const struct arg_rule arg_rules[] = {
    /* vsock reaches the hypervisor and other VMs' services. */
    {"socket", 0, AF_VSOCK, 0, "SCMP_CMP_NE"},
    /* The personalities libc and `linux32` use, and the 0xffffffff query;
     * others switch off ASLR or make data executable. */
    {"personality", 0, PER_LINUX, 0, "SCMP_CMP_EQ"},
    {"personality", 0, PER_LINUX32, 0, "SCMP_CMP_EQ"},
    {"personality", 0, UNAME26, 0, "SCMP_CMP_EQ"},
    {"personality", 0, UNAME26 | PER_LINUX32, 0, "SCMP_CMP_EQ"},
    {"personality", 0, 0xffffffffu, 0, "SCMP_CMP_EQ"},
    /* fork and threads, but no new namespaces (value is the mask, valueTwo
     * what the masked flags must equal). s390 swaps clone's first two
     * arguments. */
#if defined(__s390__) || defined(__s390x__)
    {"clone", 1, NEW_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ"},
#else
    {"clone", 0, NEW_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ"},
#endif
};

static json_t *allow_names_json(const char *const *names, size_t n)
{
    return json_pack("{s:o, s:s}", "names", sp_json_str_array(names, n), "action",
                     "SCMP_ACT_ALLOW");
}

static json_t *arg_rule_json(const struct arg_rule *r)
{
    return json_pack("{s:[s], s:s, s:[{s:i, s:I, s:I, s:s}]}", "names", r->name, "action",
                     "SCMP_ACT_ALLOW", "args", "index", (int)r->index, "value",
                     (json_int_t)r->value, "valueTwo", (json_int_t)r->value_two, "op", r->op);
}

static size_t count_null_terminated(const char *const *v)
{
    size_t n = 0;
    while (v[n])
        n++;
    return n;
}

json_t *sp_default_seccomp_json(void)
{
    json_t *syscalls = json_array();
    json_array_append_new(syscalls, allow_names_json(allowed, COUNT(allowed)));
    size_t n_extra = count_null_terminated(native_profile.extra);
    if (n_extra > 0)
        json_array_append_new(syscalls, allow_names_json(native_profile.extra, n_extra));
    for (size_t i = 0; i < COUNT(arg_rules); i++)
        json_array_append_new(syscalls, arg_rule_json(&arg_rules[i]));
    /* clone3 passes its flags in a struct seccomp cannot read: ENOSYS makes
     * libc fall back to clone, whose flags the rule above checks. */
    json_array_append_new(syscalls, json_pack("{s:[s], s:s, s:i}", "names", "clone3", "action",
                                              "SCMP_ACT_ERRNO", "errnoRet", ENOSYS));

    json_t *archs = sp_json_str_array(native_profile.archs,
                                      count_null_terminated(native_profile.archs));
    return json_pack("{s:s, s:i, s:o, s:o}", "defaultAction", "SCMP_ACT_ERRNO",
                     "defaultErrnoRet", EPERM, "architectures", archs, "syscalls", syscalls);
}
