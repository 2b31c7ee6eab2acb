/* security/: validation messages and the features lists. Structs are filled
 * by hand so these tests do not depend on the config parser. */
#include "unit.h"

#include "../../security/security.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STRV(...)                                                                   \
    ((struct spec_strv){.v = (char *[]){__VA_ARGS__, NULL},                          \
                        .n = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})


/* Compile (no cache) and load, as nook does in two steps. */
static int load_seccomp(const struct spec_seccomp *s, const struct spec_process *p, int *nfd,
                        struct nook_error *err)
{
    struct security_seccomp_prog prog;
    *nfd = -1;
    if (security_seccomp_prepare(s, NULL, &prog, err) < 0)
        return -1;
    int r = security_seccomp_load(&prog, p, nfd, err);
    security_seccomp_prog_free(&prog);
    return r;
}

static bool strv_has(const struct spec_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], s) == 0)
            return true;
    return false;
}

/* seccomp(2) works in this process. Under valgrind it does not (3.19 has no
 * wrapper for it), and libseccomp then reports no optional flag and no
 * notify support: the expectations follow. */
static bool seccomp_syscall_works(void)
{
    uint32_t action = SECCOMP_RET_ALLOW;
    return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* "Seccomp:" of this process: no filter was loaded by the failing calls. */
static const char *seccomp_status(void)
{
    static char v[16];
    char *data = NULL;
    struct nook_error err;
    if (read_file("/proc/self/status", &data, NULL, &err) < 0)
        return "(unreadable)";
    const char *s = strstr(data, "\nSeccomp:\t");
    snprintf(v, sizeof v, "%.1s", s ? s + strlen("\nSeccomp:\t") : "?");
    free(data);
    return v;
}

/* Validate and return the message ("" when valid). */
static const char *validate(const struct spec *s)
{
    static struct nook_error err;
    memset(&err, 0, sizeof err);
    int r = security_validate(s, &err);
    CHECK((r == 0) == (err.msg[0] == '\0'));
    return r == 0 ? "" : err.msg;
}

static void test_capabilities(void)
{
    struct spec s = {0};
    s.has_process = true;
    s.process.has_capabilities = true;
    struct spec_capabilities *c = &s.process.capabilities;
    c->bounding = STRV("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_FOO");
    CHECK_STR(validate(&s), "process.capabilities.bounding[3]: unknown capability \"CAP_FOO\"");

    c->bounding = STRV("CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE");
    c->effective = c->permitted = c->inheritable = c->bounding;
    c->ambient = STRV("CAP_KILL");
    CHECK_STR(validate(&s), "");

    /* libcap reads numbers as capability values; config.json names them. */
    c->ambient = STRV("CAP_KILL", "12");
    CHECK_STR(validate(&s), "process.capabilities.ambient[1]: unknown capability \"12\"");
    c->ambient = STRV("CAP_KILL");

    c->inheritable = STRV("CAP_");
    CHECK_STR(validate(&s), "process.capabilities.inheritable[0]: unknown capability \"CAP_\"");

    struct nook_error err = {0};
    s.process.capabilities.inheritable = STRV("CAP_NOPE");
    CHECK(security_validate_process(&s.process, "caps", &err) == -1);
    CHECK_STR(err.msg, "caps.capabilities.inheritable[0]: unknown capability \"CAP_NOPE\"");

    /* Without has_capabilities the lists are not looked at. */
    s.process.has_capabilities = false;
    CHECK_STR(validate(&s), "");
}

static void test_lsm(void)
{
    struct spec s = {0};
    s.has_process = true;
    s.process.apparmor_profile = "nook-default";
    bool apparmor = access("/sys/kernel/security/apparmor", F_OK) == 0;
    CHECK_STR(validate(&s),
              apparmor ? "" : "process.apparmorProfile: AppArmor is not enabled on this host");
    s.process.apparmor_profile = NULL;

    s.process.selinux_label = "system_u:system_r:container_t:s0";
    bool selinux = access("/sys/fs/selinux/enforce", F_OK) == 0;
    CHECK_STR(validate(&s),
              selinux ? "" : "process.selinuxLabel: SELinux is not enabled on this host");

    /* Nothing to apply: nothing opened, nothing fails. */
    struct spec_process p = {0};
    struct nook_error err = {0};
    CHECK(security_set_lsm_labels(&p, &err) == 0);
}

static struct spec seccomp_spec(void)
{
    struct spec s = {0};
    s.has_seccomp = true;
    s.seccomp.default_action = SPEC_SCMP_ACT_ERRNO;
    return s;
}

static void test_seccomp_architectures(void)
{
    struct spec s = seccomp_spec();
    s.seccomp.architectures = STRV("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                                   "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_S390X",
                                   "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64");
    CHECK_STR(validate(&s), "");
    s.seccomp.architectures = STRV("SCMP_ARCH_X86_64", "SCMP_ARCH_FOO");
    CHECK_STR(validate(&s), "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\"");
    s.seccomp.architectures = STRV("x86_64");
    CHECK_STR(validate(&s), "linux.seccomp.architectures[0]: unknown architecture \"x86_64\"");
    s.seccomp.architectures = STRV("SCMP_ARCH_");
    CHECK_STR(validate(&s), "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_\"");
}

static void test_seccomp_flags(void)
{
    struct spec s = seccomp_spec();
    s.seccomp.flags = STRV("SECCOMP_FILTER_FLAG_FOO");
    CHECK_STR(validate(&s), "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"");
    s.seccomp.flags = STRV("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                           "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
    CHECK_STR(validate(&s), seccomp_syscall_works()
                                ? ""
                                : "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_TSYNC is not "
                                  "supported by this kernel or libseccomp");

    /* A known flag is accepted exactly when features lists it as supported. */
    struct spec_features f = {0};
    security_fill_features(&f);
    s.seccomp.flags = STRV("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
    if (strv_has(&f.seccomp_supported_flags, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"))
        CHECK_STR(validate(&s), "");
    else
        CHECK_STR(validate(&s), "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV "
                                "is not supported by this kernel or libseccomp");
    security_features_free(&f);
}

static void test_seccomp_notify(void)
{
    struct spec_seccomp_syscall sc[2] = {
        {.names = STRV("getcwd"), .action = SPEC_SCMP_ACT_ALLOW},
        {.names = STRV("mkdir", "mkdirat"), .action = SPEC_SCMP_ACT_NOTIFY},
    };
    struct spec s = seccomp_spec();
    s.seccomp.syscalls = sc;
    s.seccomp.n_syscalls = 2;
    CHECK(security_seccomp_uses_notify(&s.seccomp));
    CHECK_STR(validate(&s), "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY requires "
                            "linux.seccomp.listenerPath");
    s.seccomp.listener_path = "/run/agent.sock";
    const char *ok = seccomp_syscall_works()
                         ? ""
                         : "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY needs libseccomp "
                           ">= 2.5 and Linux >= 5.7 (API level 1, want 6)";
    CHECK_STR(validate(&s), ok);
    s.seccomp.listener_metadata = "opaque";
    CHECK_STR(validate(&s), ok);

    /* The runtime writes and sends the fd after loading the filter. */
    sc[1].names = STRV("mkdir", "write");
    CHECK_STR(validate(&s), "linux.seccomp.syscalls[1].names[1]: SCMP_ACT_NOTIFY cannot be used "
                            "for the write syscall");
    sc[1].names = STRV("sendmsg");
    CHECK_STR(validate(&s), "linux.seccomp.syscalls[1].names[0]: SCMP_ACT_NOTIFY cannot be used "
                            "for the sendmsg syscall");
    /* Agents that proxy connect(2) are a real use: allowed. */
    sc[1].names = STRV("connect", "socket");
    CHECK_STR(validate(&s), ok);
    sc[1].names = STRV("mkdir");

    s.seccomp.default_action = SPEC_SCMP_ACT_NOTIFY;
    CHECK_STR(validate(&s), "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default "
                            "action");
    s.seccomp.default_action = SPEC_SCMP_ACT_ALLOW;

    s.seccomp.listener_path = NULL;
    sc[1].action = SPEC_SCMP_ACT_ERRNO;
    CHECK(!security_seccomp_uses_notify(&s.seccomp));
    CHECK_STR(validate(&s), "linux.seccomp.listenerMetadata: set without "
                            "linux.seccomp.listenerPath");
}

static void test_seccomp_errno_and_args(void)
{
    struct spec_seccomp_arg args[2] = {
        {.index = 0, .value = 1, .op = SPEC_SCMP_CMP_EQ},
        {.index = 5, .value = 3, .value_two = 2, .op = SPEC_SCMP_CMP_MASKED_EQ},
    };
    struct spec_seccomp_syscall sc[1] = {
        {.names = STRV("getcwd"), .action = SPEC_SCMP_ACT_ERRNO, .has_errno_ret = true,
         .errno_ret = 38, .args = args, .n_args = 2},
    };
    struct spec s = seccomp_spec();
    s.seccomp.default_action = SPEC_SCMP_ACT_ALLOW;
    s.seccomp.syscalls = sc;
    s.seccomp.n_syscalls = 1;
    CHECK_STR(validate(&s), "");
    sc[0].action = SPEC_SCMP_ACT_TRACE;
    CHECK_STR(validate(&s), "");
    sc[0].action = SPEC_SCMP_ACT_KILL_PROCESS;
    CHECK_STR(validate(&s), "linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO "
                            "or SCMP_ACT_TRACE");
    sc[0].has_errno_ret = false;
    CHECK_STR(validate(&s), "");

    args[1].index = 6;
    CHECK_STR(validate(&s), "linux.seccomp.syscalls[0].args[1].index: 6 is not below 6");
    args[1].index = 5;

    sc[0].names = (struct spec_strv){0};
    CHECK_STR(validate(&s), "linux.seccomp.syscalls[0].names: must contain at least one name");
    sc[0].names = STRV("getcwd");

    s.seccomp.has_default_errno_ret = true;
    s.seccomp.default_errno_ret = 1;
    CHECK_STR(validate(&s), "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or "
                            "SCMP_ACT_TRACE");
    s.seccomp.default_action = SPEC_SCMP_ACT_ERRNO;
    CHECK_STR(validate(&s), "");

    /* Unknown syscall names are not errors: a newer profile on an older
     * libseccomp still loads. */
    sc[0].names = STRV("getcwd", "nook_no_such_syscall");
    CHECK_STR(validate(&s), "");
}

static void test_features(void)
{
    struct spec_features f = {0};
    security_fill_features(&f);

    CHECK(f.capabilities.n >= 41); /* CAP_CHOWN..CAP_CHECKPOINT_RESTORE */
    CHECK(f.capabilities.v[f.capabilities.n] == NULL);
    CHECK_STR(f.capabilities.v[0], "CAP_CHOWN");
    CHECK(strv_has(&f.capabilities, "CAP_SYS_ADMIN"));
    CHECK(strv_has(&f.capabilities, "CAP_NET_BIND_SERVICE"));
    CHECK(strv_has(&f.capabilities, "CAP_CHECKPOINT_RESTORE"));
    bool all_named = true;
    for (size_t i = 0; i < f.capabilities.n; i++)
        all_named = all_named && strncmp(f.capabilities.v[i], "CAP_", 4) == 0;
    CHECK(all_named);

    CHECK(f.seccomp_enabled);
    CHECK(f.seccomp_actions.n == SPEC_SCMP_ACTIONS);
    CHECK(strv_has(&f.seccomp_actions, "SCMP_ACT_KILL_PROCESS"));
    CHECK(strv_has(&f.seccomp_actions, "SCMP_ACT_NOTIFY"));
    CHECK(strv_has(&f.seccomp_actions, "SCMP_ACT_ERRNO"));
    CHECK(f.seccomp_operators.n == SPEC_SCMP_OPS);
    CHECK(strv_has(&f.seccomp_operators, "SCMP_CMP_MASKED_EQ"));
    CHECK(strv_has(&f.seccomp_operators, "SCMP_CMP_NE"));
    CHECK(strv_has(&f.seccomp_archs, "SCMP_ARCH_X86_64"));
    CHECK(strv_has(&f.seccomp_archs, "SCMP_ARCH_AARCH64"));
    CHECK(strv_has(&f.seccomp_archs, "SCMP_ARCH_RISCV64"));
    CHECK(!strv_has(&f.seccomp_archs, "SCMP_ARCH_FOO"));

    CHECK(f.seccomp_flags.n == 4);
    CHECK(strv_has(&f.seccomp_flags, "SECCOMP_FILTER_FLAG_TSYNC"));
    CHECK(strv_has(&f.seccomp_flags, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
    /* Every kernel nook supports (>= 5.6) has these three. */
    bool works = seccomp_syscall_works();
    CHECK(strv_has(&f.seccomp_supported_flags, "SECCOMP_FILTER_FLAG_TSYNC") == works);
    CHECK(strv_has(&f.seccomp_supported_flags, "SECCOMP_FILTER_FLAG_LOG") == works);
    CHECK(strv_has(&f.seccomp_supported_flags, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == works);
    bool subset = true;
    for (size_t i = 0; i < f.seccomp_supported_flags.n; i++)
        subset = subset && strv_has(&f.seccomp_flags, f.seccomp_supported_flags.v[i]);
    CHECK(subset);

    security_features_free(&f);
    CHECK(f.capabilities.v == NULL && f.capabilities.n == 0);
    CHECK(f.seccomp_supported_flags.v == NULL);
}

/* Errors while building the filter come back before anything is loaded
 * (the filter is released: valgrind checks that). */
static void test_seccomp_build_errors(void)
{
    /* Only ERRNO rules: were one of these loaded by mistake, the rest of
     * this test would still run. */
    struct spec_seccomp_arg args[] = {
        {.index = 1, .op = SPEC_SCMP_CMP_MASKED_EQ, .value = 3, .value_two = 1},
        {.index = 6, .op = SPEC_SCMP_CMP_EQ, .value = 1},
    };
    struct spec_seccomp_syscall sc[] = {
        {.names = STRV("getcwd", "nook_no_such_syscall"), .action = SPEC_SCMP_ACT_ERRNO},
        {.names = STRV("mkdirat"), .action = SPEC_SCMP_ACT_ERRNO, .args = args, .n_args = 1},
        {.names = STRV("rmdir"), .action = SPEC_SCMP_ACT_ERRNO, .args = args, .n_args = 2},
    };
    struct spec_seccomp s = {.default_action = SPEC_SCMP_ACT_ALLOW, .syscalls = sc,
                             .n_syscalls = 3};
    struct spec_process p = {.no_new_privileges = true};
    struct nook_error err = {0};
    int fd = 7;
    /* There is no seventh syscall argument: libseccomp refuses the rule. */
    CHECK(load_seccomp(&s, &p, &fd, &err) == -1);
    CHECK(fd == -1);
    CHECK_STR(err.msg, "linux.seccomp.syscalls[2]: add rule for \"rmdir\": Invalid argument");

    s.architectures = STRV("SCMP_ARCH_X86_64", "SCMP_ARCH_NOPE");
    CHECK(load_seccomp(&s, &p, &fd, &err) == -1);
    CHECK_STR(err.msg, "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_NOPE\"");

    s.architectures = STRV("SCMP_ARCH_X86");
    s.flags = STRV("SECCOMP_FILTER_FLAG_NOPE");
    CHECK(load_seccomp(&s, &p, &fd, &err) == -1);
    CHECK_STR(err.msg, "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"");
    CHECK_STR(seccomp_status(), "0");
}

/* ---- the compiled program, run by a classic-BPF interpreter ---- */

/* What the kernel's seccomp does with a program for one syscall: the
 * instructions libseccomp and the ENOSYS prefix use (loads, ALU, jumps,
 * returns). 0xffffffff for an instruction it does not know. */
/* The program's answer for (arch, nr); *steps, when given, counts the
 * instructions it ran. */
static uint32_t bpf_walk(const struct security_seccomp_prog *prog, uint32_t arch, uint32_t nr,
                         size_t *steps)
{
    struct seccomp_data d = {.nr = (int)nr, .arch = arch};
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
    for (size_t pc = 0; pc < prog->len; pc++) {
        const struct sock_filter *f = &prog->insns[pc];
        if (steps)
            ++*steps;
        uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;
        switch (BPF_CLASS(f->code)) {
        case BPF_LD:
            if (BPF_MODE(f->code) == BPF_ABS && f->k + 4 <= sizeof d)
                memcpy(&a, (const char *)&d + f->k, 4);
            else if (BPF_MODE(f->code) == BPF_IMM)
                a = f->k;
            else if (BPF_MODE(f->code) == BPF_MEM)
                a = mem[f->k % BPF_MEMWORDS];
            else
                return 0xffffffff;
            break;
        case BPF_LDX:
            x = BPF_MODE(f->code) == BPF_MEM ? mem[f->k % BPF_MEMWORDS] : f->k;
            break;
        case BPF_ST:
            mem[f->k % BPF_MEMWORDS] = a;
            break;
        case BPF_STX:
            mem[f->k % BPF_MEMWORDS] = x;
            break;
        case BPF_ALU:
            switch (BPF_OP(f->code)) {
            case BPF_AND: a &= src; break;
            case BPF_OR: a |= src; break;
            case BPF_ADD: a += src; break;
            case BPF_SUB: a -= src; break;
            case BPF_RSH: a >>= src; break;
            case BPF_LSH: a <<= src; break;
            default: return 0xffffffff;
            }
            break;
        case BPF_JMP: {
            bool t;
            switch (BPF_OP(f->code)) {
            case BPF_JA: pc += f->k; continue;
            case BPF_JEQ: t = a == src; break;
            case BPF_JGT: t = a > src; break;
            case BPF_JGE: t = a >= src; break;
            case BPF_JSET: t = (a & src) != 0; break;
            default: return 0xffffffff;
            }
            pc += t ? f->jt : f->jf;
            break;
        }
        case BPF_RET:
            return BPF_RVAL(f->code) == BPF_A ? a : f->k;
        case BPF_MISC:
            if (BPF_MISCOP(f->code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        }
    }
    return 0xffffffff;
}

static uint32_t bpf_run(const struct security_seccomp_prog *prog, uint32_t arch, uint32_t nr)
{
    return bpf_walk(prog, arch, nr, NULL);
}

#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (e))

/* Syscalls above the largest one the profile names get ENOSYS on every
 * architecture of the filter (x32 too, though it shares x86_64's audit
 * arch); those below it that the profile leaves out get the default; an
 * architecture the filter lacks gets libseccomp's bad-arch action. */
static void test_seccomp_enosys_prefix(void)
{
    struct spec_seccomp_syscall sc[] = {
        {.names = STRV("read", "write", "close_range"), .action = SPEC_SCMP_ACT_ALLOW},
    };
    struct spec_seccomp s = {.default_action = SPEC_SCMP_ACT_ERRNO, .syscalls = sc,
                             .n_syscalls = 1};
    s.architectures = STRV("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                           "SCMP_ARCH_AARCH64");
    struct security_seccomp_prog prog;
    struct nook_error err = {0};
    CHECK(security_seccomp_prepare(&s, NULL, &prog, &err) == 0);
    CHECK_STR(err.msg, "");
    const uint32_t x32 = 0x40000000;
    struct {
        uint32_t arch, nr, want;
    } cases[] = {
        {AUDIT_ARCH_X86_64, 0, SECCOMP_RET_ALLOW},            /* read */
        {AUDIT_ARCH_X86_64, 436, SECCOMP_RET_ALLOW},          /* close_range */
        {AUDIT_ARCH_X86_64, 134, RET_ERRNO(EPERM)},           /* uselib: left out */
        {AUDIT_ARCH_X86_64, 437, RET_ERRNO(ENOSYS)},          /* openat2: newer */
        {AUDIT_ARCH_X86_64, 1000, RET_ERRNO(ENOSYS)},
        {AUDIT_ARCH_X86_64, x32 | 0, SECCOMP_RET_ALLOW},      /* x32 read */
        {AUDIT_ARCH_X86_64, x32 | 134, RET_ERRNO(EPERM)},
        {AUDIT_ARCH_X86_64, x32 | 1000, RET_ERRNO(ENOSYS)},
        {AUDIT_ARCH_I386, 3, SECCOMP_RET_ALLOW},              /* i386 read */
        {AUDIT_ARCH_I386, 20, RET_ERRNO(EPERM)},              /* getpid */
        {AUDIT_ARCH_I386, 1000, RET_ERRNO(ENOSYS)},
        {AUDIT_ARCH_AARCH64, 63, SECCOMP_RET_ALLOW},          /* aarch64 read */
        {AUDIT_ARCH_AARCH64, 172, RET_ERRNO(EPERM)},          /* getpid */
        {AUDIT_ARCH_AARCH64, 1000, RET_ERRNO(ENOSYS)},
        {AUDIT_ARCH_ARM, 3, SECCOMP_RET_KILL_THREAD},         /* not in the filter */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t got = bpf_run(&prog, cases[i].arch, cases[i].nr);
        if (got != cases[i].want)
            printf("enosys case %zu: arch %#x nr %#x: got %#x, want %#x\n", i, cases[i].arch,
                   cases[i].nr, got, cases[i].want);
        CHECK(got == cases[i].want);
    }
    security_seccomp_prog_free(&prog);

    /* An allow-by-default profile gets no prefix: the kernel answers ENOSYS
     * itself, and a rule of the profile still applies. */
    sc[0].action = SPEC_SCMP_ACT_ERRNO;
    s.default_action = SPEC_SCMP_ACT_ALLOW;
    CHECK(security_seccomp_prepare(&s, NULL, &prog, &err) == 0);
    CHECK(bpf_run(&prog, AUDIT_ARCH_X86_64, 1000) == SECCOMP_RET_ALLOW);
    CHECK(bpf_run(&prog, AUDIT_ARCH_X86_64, 436) == RET_ERRNO(EPERM));
    security_seccomp_prog_free(&prog);
}

/* `nook spec`'s profile (~360 names) is laid out as a binary tree: the
 * kernel walks the program once per syscall number and architecture when
 * it loads it, and once per syscall the container makes. Laid out linearly
 * the walk took up to 603 instructions (an average of 305 on x86_64), and
 * loading it about 1 ms; as a tree it takes at most a few dozen. */
static void test_seccomp_default_profile_is_a_tree(void)
{
    char *json = spec_default_config(false);
    struct spec sp;
    struct nook_error err = {0};
    CHECK(spec_parse(json, strlen(json), &sp, &err) == 0);
    CHECK_STR(err.msg, "");
    CHECK(sp.has_seccomp);
    struct security_seccomp_prog prog;
    CHECK(security_seccomp_prepare(&sp.seccomp, NULL, &prog, &err) == 0);
    CHECK_STR(err.msg, "");
    const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386};
    size_t longest = 0;
    for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
        for (uint32_t nr = 0; nr < 512; nr++) {
            size_t steps = 0;
            bpf_walk(&prog, arches[i], nr, &steps);
            if (steps > longest)
                longest = steps;
        }
    if (longest > 48)
        printf("default profile: the longest walk is %zu instructions\n", longest);
    CHECK(longest <= 48);
    /* The tree answers as the profile says. */
    CHECK(bpf_run(&prog, AUDIT_ARCH_X86_64, SYS_read) == SECCOMP_RET_ALLOW);
    CHECK(bpf_run(&prog, AUDIT_ARCH_X86_64, SYS_reboot) == RET_ERRNO(EPERM));
    security_seccomp_prog_free(&prog);
    spec_free(&sp);
    free(json);
}

int main(void)
{
    test_capabilities();
    test_lsm();
    test_seccomp_architectures();
    test_seccomp_flags();
    test_seccomp_notify();
    test_seccomp_errno_and_args();
    test_seccomp_build_errors();
    test_seccomp_enosys_prefix();
    test_seccomp_default_profile_is_a_tree();
    test_features();
    return unit_report("test_security");
}
