/* The -ENOSYS prefix of a seccomp program. A profile names the syscalls it
 * knows; a syscall newer than all of them (close_range, faccessat2, clone3
 * under a profile written before they existed) would get the profile's
 * default errno, EPERM usually, and libc takes EPERM as a real refusal
 * rather than falling back to an older call. Like runc, nook answers ENOSYS
 * for every syscall number above the largest one the profile names on that
 * architecture, so a program behaves as on a kernel without that syscall.
 *
 * The prefix, for each architecture the filter covers:
 *     ld  [arch]
 *     jeq <audit arch>, 0, <next architecture>
 *     ld  [nr]
 *     jgt <largest nr>, ENOSYS, FILTER
 *     ...
 *     ja  FILTER            (an architecture without a section)
 *   ENOSYS: ret ERRNO(ENOSYS)
 *   FILTER: libseccomp's program (which loads what it needs itself)
 * x86_64 and x32 share one audit arch and differ by bit 30 of the number;
 * on s390 syscall 0 multiplexes numbers the kernel does not know, so it is
 * ENOSYS too. */
#include "internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>

#define X32_SYSCALL_BIT 0x40000000u

/* One audit arch: the largest syscall per mode (0: the profile names none). */
struct arch_section {
    uint32_t audit;
    uint32_t max;     /* the arch itself (x86_64 mode on x86_64) */
    uint32_t max_x32; /* x32 mode, only on x86_64 */
};

static uint32_t largest_syscall(const struct spec_seccomp *s, uint32_t token)
{
    uint32_t max = 0;
    for (size_t i = 0; i < s->n_syscalls; i++)
        for (size_t j = 0; j < s->syscalls[i].names.n; j++) {
            int nr = seccomp_syscall_resolve_name_arch(token, s->syscalls[i].names.v[j]);
            /* Negative: unknown, or a pseudo number for a multiplexed call. */
            if (nr >= 0 && (uint32_t)nr > max)
                max = (uint32_t)nr;
        }
    return max;
}

static struct arch_section *section_for(struct arch_section *v, size_t *n, uint32_t audit)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i].audit == audit)
            return &v[i];
    v[*n] = (struct arch_section){.audit = audit};
    return &v[(*n)++];
}

/* The filter's architectures: the native one and those the profile lists
 * (libseccomp's tokens are the kernel's audit arch values, but for x32). */
static size_t collect_sections(const struct spec_seccomp *s, struct arch_section *v)
{
    size_t n = 0;
    uint32_t native = seccomp_arch_native();
    for (size_t i = 0; i <= s->architectures.n; i++) {
        uint32_t tok = i == s->architectures.n ? native : sec_arch_token(s->architectures.v[i]);
        if (tok == 0)
            continue;
        uint32_t max = largest_syscall(s, tok);
        if (tok == SCMP_ARCH_X32) {
            struct arch_section *a = section_for(v, &n, AUDIT_ARCH_X86_64);
            a->max_x32 = max;
        } else {
            struct arch_section *a = section_for(v, &n, tok);
            a->max = max;
        }
    }
    return n;
}

struct stub {
    struct sock_filter *insns;
    size_t len, cap;
};

static void emit(struct stub *st, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    if (st->len == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 64;
        st->insns = xrealloc(st->insns, st->cap * sizeof *st->insns);
    }
    st->insns[st->len++] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
}

/* Jumps to ENOSYS or FILTER are written with placeholder offsets and a
 * marker in jt/jf; fix_jumps() resolves them once the stub's length is
 * known. */
#define TO_ENOSYS 0xfe
#define TO_FILTER 0xff

/* "nr > max: ENOSYS, else FILTER"; with max 0 (no syscall named in this
 * mode) straight to FILTER. One instruction either way. */
static void emit_mode(struct stub *st, uint32_t max)
{
    if (max == 0)
        emit(st, BPF_JMP | BPF_JA, 0, 0, TO_FILTER);
    else
        emit(st, BPF_JMP | BPF_JGT | BPF_K, TO_ENOSYS, TO_FILTER, max);
}

static void emit_section(struct stub *st, const struct arch_section *a)
{
    size_t jeq = st->len;
    emit(st, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, a->audit);
    emit(st, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
    if (a->audit == AUDIT_ARCH_S390 || a->audit == AUDIT_ARCH_S390X)
        emit(st, BPF_JMP | BPF_JEQ | BPF_K, TO_ENOSYS, 0, 0);
    if (a->audit == AUDIT_ARCH_X86_64) {
        /* Bit 30 set: x32, one instruction further on. */
        emit(st, BPF_JMP | BPF_JSET | BPF_K, 1, 0, X32_SYSCALL_BIT);
        emit_mode(st, a->max);
        emit_mode(st, a->max_x32);
    } else {
        emit_mode(st, a->max);
    }
    st->insns[jeq].jf = (uint8_t)(st->len - jeq - 1);
}

/* Resolve the markers; -1 if a conditional jump cannot reach (more than 255
 * instructions: some 40 architectures, more than Linux has). */
static int fix_jumps(struct stub *st, size_t enosys)
{
    for (size_t pc = 0; pc < enosys; pc++) {
        struct sock_filter *f = &st->insns[pc];
        if (BPF_CLASS(f->code) != BPF_JMP)
            continue;
        if (BPF_OP(f->code) == BPF_JA) {
            f->k = (uint32_t)(enosys + 1 - pc - 1);
            continue;
        }
        uint8_t *targets[2] = {&f->jt, &f->jf};
        for (int t = 0; t < 2; t++) {
            if (*targets[t] != TO_ENOSYS && *targets[t] != TO_FILTER)
                continue;
            size_t to = *targets[t] == TO_ENOSYS ? enosys : enosys + 1;
            if (to - pc - 1 > 255)
                return -1;
            *targets[t] = (uint8_t)(to - pc - 1);
        }
    }
    return 0;
}

bool sec_enosys_wanted(const struct spec_seccomp *s)
{
    switch (s->default_action) {
    /* A default that lets the call through already gives the kernel's
     * ENOSYS for a syscall it lacks (and tracers/loggers see the call). */
    case SPEC_SCMP_ACT_ALLOW:
    case SPEC_SCMP_ACT_LOG:
    case SPEC_SCMP_ACT_TRACE:
        return false;
    case SPEC_SCMP_ACT_ERRNO:
        return !(s->has_default_errno_ret && s->default_errno_ret == ENOSYS);
    default:
        return true;
    }
}

int sec_enosys_stub(const struct spec_seccomp *s, struct sock_filter **out, size_t *len,
                    struct nook_error *err)
{
    struct arch_section sections[64];
    size_t n = collect_sections(s, sections);
    struct stub st = {0};
    emit(&st, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
    for (size_t i = 0; i < n; i++)
        emit_section(&st, &sections[i]);
    emit(&st, BPF_JMP | BPF_JA, 0, 0, TO_FILTER);
    size_t enosys = st.len;
    emit(&st, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
    if (fix_jumps(&st, enosys) < 0) {
        free(st.insns);
        return nook_error_set(err, E2BIG, "seccomp: ENOSYS prefix for %zu architectures", n);
    }
    *out = st.insns;
    *len = st.len;
    return 0;
}
