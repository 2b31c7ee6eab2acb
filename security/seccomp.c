/* seccomp: config.json's names mapped to libseccomp, the profile compiled
 * with it to a BPF program, and that program loaded with seccomp(2).
 * Compiling follows runc (libcontainer/seccomp): unknown syscall names are
 * skipped, a rule whose action equals the default is dropped, and args that
 * compare the same index twice become one rule per arg (an OR), otherwise
 * one rule with all args (an AND); the program starts with the -ENOSYS
 * prefix (seccomp_enosys.c).
 *
 * Compiling is most of the work (milliseconds for Docker's profile), so nook
 * does it before the container process exists, and once per profile
 * (seccomp_cache.c); the process only makes the one seccomp(2) call. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* libseccomp 2.6 added the attribute for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV. */
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define SEC_HAVE_WAITKILL 1
#endif

const char *const sec_arch_names[] = {
    "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",    "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",      NULL,
};

uint32_t sec_arch_token(const char *oci_name)
{
    static const char prefix[] = "SCMP_ARCH_";
    if (strncmp(oci_name, prefix, sizeof prefix - 1) != 0)
        return 0;
    /* libseccomp names architectures in lower case without the prefix. */
    char lower[32];
    const char *s = oci_name + sizeof prefix - 1;
    size_t i = 0;
    for (; s[i]; i++) {
        if (i + 1 >= sizeof lower)
            return 0;
        lower[i] = (char)tolower((unsigned char)s[i]);
    }
    lower[i] = '\0';
    if (i == 0)
        return 0;
    return seccomp_arch_resolve_name(lower);
}

const char *const sec_flag_names[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    NULL,
};

/* The libseccomp attribute for sec_flag_names[i]; -1 when this libseccomp
 * cannot set the flag. */
static int flag_attr(int i)
{
    switch (i) {
    case 0:
        return SCMP_FLTATR_CTL_TSYNC;
    case 1:
        return SCMP_FLTATR_CTL_LOG;
    case 2:
        return SCMP_FLTATR_CTL_SSB;
#ifdef SEC_HAVE_WAITKILL
    case 3:
        return SCMP_FLTATR_CTL_WAITKILL;
#endif
    default:
        return -1;
    }
}

int sec_flag_index(const char *name)
{
    for (int i = 0; sec_flag_names[i]; i++)
        if (strcmp(sec_flag_names[i], name) == 0)
            return i;
    return -1;
}

bool sec_flag_supported(int i)
{
    int attr = flag_attr(i);
    if (attr < 0)
        return false;
    /* libseccomp probes the kernel when the attribute is set. */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return false;
    bool ok = seccomp_attr_set(ctx, (enum scmp_filter_attr)attr, 1) == 0;
    seccomp_release(ctx);
    return ok;
}

bool security_seccomp_uses_notify(const struct spec_seccomp *s)
{
    for (size_t i = 0; i < s->n_syscalls; i++)
        if (s->syscalls[i].action == SPEC_SCMP_ACT_NOTIFY)
            return true;
    return false;
}

static uint32_t scmp_action(enum spec_seccomp_action a, bool has_errno, unsigned errno_ret)
{
    uint16_t ret = has_errno ? (uint16_t)errno_ret : EPERM;
    switch (a) {
    case SPEC_SCMP_ACT_KILL:
    case SPEC_SCMP_ACT_KILL_THREAD:
        return SCMP_ACT_KILL_THREAD;
    case SPEC_SCMP_ACT_KILL_PROCESS:
        return SCMP_ACT_KILL_PROCESS;
    case SPEC_SCMP_ACT_TRAP:
        return SCMP_ACT_TRAP;
    case SPEC_SCMP_ACT_ERRNO:
        return SCMP_ACT_ERRNO(ret);
    case SPEC_SCMP_ACT_TRACE:
        return SCMP_ACT_TRACE(ret);
    case SPEC_SCMP_ACT_LOG:
        return SCMP_ACT_LOG;
    case SPEC_SCMP_ACT_NOTIFY:
        return SCMP_ACT_NOTIFY;
    case SPEC_SCMP_ACT_ALLOW:
    case SPEC_SCMP_ACTIONS:
        break;
    }
    return SCMP_ACT_ALLOW;
}

static enum scmp_compare scmp_op(enum spec_seccomp_op op)
{
    switch (op) {
    case SPEC_SCMP_CMP_NE:
        return SCMP_CMP_NE;
    case SPEC_SCMP_CMP_LT:
        return SCMP_CMP_LT;
    case SPEC_SCMP_CMP_LE:
        return SCMP_CMP_LE;
    case SPEC_SCMP_CMP_GE:
        return SCMP_CMP_GE;
    case SPEC_SCMP_CMP_GT:
        return SCMP_CMP_GT;
    case SPEC_SCMP_CMP_MASKED_EQ:
        return SCMP_CMP_MASKED_EQ;
    case SPEC_SCMP_CMP_EQ:
    case SPEC_SCMP_OPS:
        break;
    }
    return SCMP_CMP_EQ;
}

static struct scmp_arg_cmp scmp_arg(const struct spec_seccomp_arg *a)
{
    /* For SCMP_CMP_MASKED_EQ libseccomp takes (mask, datum), and OCI's
     * value/valueTwo are mask/datum in that order (runc passes them straight
     * through). Other operators ignore datum_b. */
    return (struct scmp_arg_cmp){
        .arg = a->index,
        .op = scmp_op(a->op),
        .datum_a = a->value,
        .datum_b = a->value_two,
    };
}

static bool args_share_an_index(const struct spec_seccomp_syscall *sc)
{
    unsigned count[SYSCALL_MAX_ARGS] = {0};
    for (size_t i = 0; i < sc->n_args; i++)
        if (sc->args[i].index < SYSCALL_MAX_ARGS && ++count[sc->args[i].index] > 1)
            return true;
    return false;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const char *name,
                    size_t idx, const struct scmp_arg_cmp *cmp, unsigned n,
                    struct nook_error *err)
{
    int rc = seccomp_rule_add_array(ctx, action, nr, n, cmp);
    if (rc < 0)
        return nook_error_set(err, -rc, "linux.seccomp.syscalls[%zu]: add rule for \"%s\"",
                              idx, name);
    return 0;
}

static int add_syscall_rules(scmp_filter_ctx ctx, uint32_t default_action,
                             const struct spec_seccomp_syscall *sc, size_t idx,
                             bool *notify_added, struct nook_error *err)
{
    uint32_t action = scmp_action(sc->action, sc->has_errno_ret, sc->errno_ret);
    /* libseccomp refuses a rule that repeats the default action. */
    if (action == default_action)
        return 0;
    struct scmp_arg_cmp *cmp = xcalloc(sc->n_args, sizeof *cmp);
    for (size_t i = 0; i < sc->n_args; i++)
        cmp[i] = scmp_arg(&sc->args[i]);
    bool one_per_arg = args_share_an_index(sc);

    int r = 0;
    for (size_t i = 0; r == 0 && i < sc->names.n; i++) {
        const char *name = sc->names.v[i];
        int nr = seccomp_syscall_resolve_name(name);
        /* Not a syscall libseccomp knows (newer than it, or of another
         * architecture only): nothing to filter, as runc does. */
        if (nr == __NR_SCMP_ERROR)
            continue;
        if (one_per_arg) {
            for (size_t a = 0; r == 0 && a < sc->n_args; a++)
                r = add_rule(ctx, action, nr, name, idx, &cmp[a], 1, err);
        } else {
            r = add_rule(ctx, action, nr, name, idx, cmp, (unsigned)sc->n_args, err);
        }
        if (r == 0 && action == SCMP_ACT_NOTIFY)
            *notify_added = true;
    }
    free(cmp);
    return r;
}

static int add_architectures(scmp_filter_ctx ctx, const struct spec_seccomp *s,
                             struct nook_error *err)
{
    for (size_t i = 0; i < s->architectures.n; i++) {
        uint32_t tok = sec_arch_token(s->architectures.v[i]);
        if (tok == 0)
            return nook_error_set(err, 0, "linux.seccomp.architectures[%zu]: unknown "
                                  "architecture \"%s\"", i, s->architectures.v[i]);
        int rc = seccomp_arch_add(ctx, tok);
        /* The native architecture is already in every new filter. */
        if (rc < 0 && rc != -EEXIST)
            return nook_error_set(err, -rc, "linux.seccomp.architectures[%zu]: add \"%s\"",
                                  i, s->architectures.v[i]);
    }
    return 0;
}

static int set_attr(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t v,
                    const char *what, struct nook_error *err)
{
    int rc = seccomp_attr_set(ctx, attr, v);
    if (rc < 0)
        return nook_error_set(err, -rc, "seccomp: set %s", what);
    return 0;
}

/* SECCOMP_FILTER_FLAG_* for seccomp(2) from linux.seccomp.flags. A flag is
 * refused when this libseccomp cannot set it either, so `nook features`
 * (which asks libseccomp) and what loads agree. */
static int load_flags(const struct spec_seccomp *s, unsigned *flags, struct nook_error *err)
{
    static const unsigned kernel_flag[] = {
        SECCOMP_FILTER_FLAG_TSYNC,
        SECCOMP_FILTER_FLAG_LOG,
        SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        1U << 5, /* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, Linux 5.19 */
    };
    *flags = 0;
    for (size_t i = 0; i < s->flags.n; i++) {
        int f = sec_flag_index(s->flags.v[i]);
        if (f < 0)
            return nook_error_set(err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i,
                                  s->flags.v[i]);
        if (flag_attr(f) < 0)
            return nook_error_set(err, EOPNOTSUPP, "linux.seccomp.flags[%zu]: %s is not "
                                  "supported by this libseccomp", i, s->flags.v[i]);
        *flags |= kernel_flag[f];
    }
    return 0;
}

static size_t count_syscall_names(const struct spec_seccomp *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_syscalls; i++)
        n += s->syscalls[i].names.n;
    return n;
}

static int build_filter(scmp_filter_ctx ctx, uint32_t default_action,
                        const struct spec_seccomp *s, bool *notify_added,
                        struct nook_error *err)
{
    /* Long profiles (Docker's names ~400 syscalls in a few dozen entries)
     * are faster as a binary tree: the kernel walks the program once per
     * syscall number and architecture when it loads it (to find the
     * always-allowed ones), and for every syscall the container makes. Keep
     * libseccomp's linear default for short ones. */
    if (count_syscall_names(s) > 32 &&
        set_attr(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2, "binary tree optimization", err) < 0)
        return -1;
    if (add_architectures(ctx, s, err) < 0)
        return -1;
    for (size_t i = 0; i < s->n_syscalls; i++)
        if (add_syscall_rules(ctx, default_action, &s->syscalls[i], i, notify_added, err) < 0)
            return -1;
    return 0;
}

/* libseccomp 2.5 writes the program to an fd only. */
static int export_program(scmp_filter_ctx ctx, struct sock_filter **insns, size_t *len,
                          struct nook_error *err)
{
    int fd = memfd_create("nook-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "seccomp: create a memfd for the program");
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0) {
        close(fd);
        return nook_error_set(err, -rc, "seccomp: export the program");
    }
    char *data = NULL;
    size_t n = 0;
    int r = lseek(fd, 0, SEEK_SET) < 0 ? nook_error_sys(err, "seccomp: rewind the program")
                                       : read_fd_all(fd, &data, &n, err);
    close(fd);
    if (r < 0)
        return -1;
    if (n == 0 || n % sizeof **insns != 0) {
        free(data);
        return nook_error_set(err, EINVAL, "seccomp: libseccomp exported %zu bytes", n);
    }
    *insns = (struct sock_filter *)data;
    *len = n / sizeof **insns;
    return 0;
}

/* The -ENOSYS prefix, then libseccomp's program. */
static int prepend_enosys(const struct spec_seccomp *s, struct security_seccomp_prog *prog,
                          struct nook_error *err)
{
    if (!sec_enosys_wanted(s))
        return 0;
    struct sock_filter *stub;
    size_t n;
    if (sec_enosys_stub(s, &stub, &n, err) < 0)
        return -1;
    stub = xrealloc(stub, (n + prog->len) * sizeof *stub);
    memcpy(stub + n, prog->insns, prog->len * sizeof *stub);
    free(prog->insns);
    prog->insns = stub;
    prog->len += n;
    return 0;
}

int sec_seccomp_compile(const struct spec_seccomp *s, struct security_seccomp_prog *prog,
                        struct nook_error *err)
{
    uint32_t default_action = scmp_action(s->default_action, s->has_default_errno_ret,
                                          s->default_errno_ret);
    scmp_filter_ctx ctx = seccomp_init(default_action);
    if (!ctx)
        return nook_error_set(err, EINVAL, "seccomp: init filter with default action");
    bool notify = false;
    int r = build_filter(ctx, default_action, s, &notify, err);
    if (r == 0)
        r = export_program(ctx, &prog->insns, &prog->len, err);
    seccomp_release(ctx);
    if (r < 0)
        return -1;
    /* The listener comes only with a NOTIFY rule that made it into the
     * program (not when all its names were unknown to libseccomp). */
    prog->notify = notify;
    if (prepend_enosys(s, prog, err) < 0)
        return -1;
    if (prog->len > BPF_MAXINSNS)
        return nook_error_set(err, E2BIG, "seccomp: the program has %zu instructions, the "
                              "kernel takes at most %d", prog->len, BPF_MAXINSNS);
    return 0;
}

int security_seccomp_prepare(const struct spec_seccomp *s, const char *cache_dir,
                             struct security_seccomp_prog *prog, struct nook_error *err)
{
    memset(prog, 0, sizeof *prog);
    unsigned flags;
    if (load_flags(s, &flags, err) < 0)
        return -1;
    if (sec_cache_get_or_compile(s, cache_dir, prog, err) < 0) {
        security_seccomp_prog_free(prog);
        return -1;
    }
    prog->flags = flags;
    if (prog->notify) {
        prog->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        /* With TSYNC the kernel returns the listener only if asked to
         * report a thread it could not sync as ESRCH. */
        if (flags & SECCOMP_FILTER_FLAG_TSYNC)
            prog->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    }
    return 0;
}

void security_seccomp_prog_free(struct security_seccomp_prog *prog)
{
    free(prog->insns);
    prog->insns = NULL;
    prog->len = 0;
}

int security_seccomp_load(const struct security_seccomp_prog *prog,
                          const struct spec_process *p, int *notify_fd, struct nook_error *err)
{
    *notify_fd = -1;
    int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    if (nnp < 0)
        return nook_error_sys(err, "prctl(PR_GET_NO_NEW_PRIVS)");
    if (!nnp && !p->no_new_privileges && !sec_cap_effective(CAP_SYS_ADMIN))
        return nook_error_set(err, EPERM, "load seccomp filter: without "
                              "process.noNewPrivileges the kernel requires CAP_SYS_ADMIN, "
                              "which this process does not have");
    struct sock_fprog fp = {.len = (unsigned short)prog->len, .filter = prog->insns};
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog->flags, &fp);
    /* No seccomp(2) (valgrind does not have it): prctl loads the same
     * program when no flag is asked for, as libseccomp falls back. */
    if (r < 0 && errno == ENOSYS && prog->flags == 0)
        r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0);
    if (r < 0)
        return nook_error_sys(err, "load seccomp filter");
    if (prog->notify)
        *notify_fd = (int)r;
    return 0;
}
