/* What can be refused before any process exists, so `create` fails with a
 * JSON path instead of the container's init failing half-way. */
#include "internal.h"

#include <seccomp.h>
#include <stdio.h>
#include <string.h>

/* Between loading the filter and the agent having the listener fd, the
 * process passes the fd to its parent (sendmsg/sendto), may allocate and
 * may report an error (write): notifying any of those would wait for an
 * agent that has not got the fd yet. */
static const char *const never_notified[] = {"write", "sendmsg", "sendto", "brk", "mmap", NULL};

static bool takes_errno(enum spec_seccomp_action a)
{
    return a == SPEC_SCMP_ACT_ERRNO || a == SPEC_SCMP_ACT_TRACE;
}

int security_validate_process(const struct spec_process *p, const char *json_prefix,
                              struct nook_error *err)
{
    if (p->has_capabilities) {
        char prefix[256];
        snprintf(prefix, sizeof prefix, "%s.capabilities", json_prefix);
        if (sec_caps_validate(&p->capabilities, prefix, err) < 0)
            return -1;
    }
    if (p->apparmor_profile && !sec_apparmor_enabled())
        return nook_error_set(err, 0, "%s.apparmorProfile: AppArmor is not enabled on this host",
                              json_prefix);
    if (p->selinux_label && !sec_selinux_enabled())
        return nook_error_set(err, 0, "%s.selinuxLabel: SELinux is not enabled on this host",
                              json_prefix);
    return 0;
}

static int validate_architectures(const struct spec_seccomp *s, struct nook_error *err)
{
    for (size_t i = 0; i < s->architectures.n; i++)
        if (sec_arch_token(s->architectures.v[i]) == 0)
            return nook_error_set(err, 0, "linux.seccomp.architectures[%zu]: unknown "
                                  "architecture \"%s\"", i, s->architectures.v[i]);
    return 0;
}

static int validate_flags(const struct spec_seccomp *s, struct nook_error *err)
{
    for (size_t i = 0; i < s->flags.n; i++) {
        int f = sec_flag_index(s->flags.v[i]);
        if (f < 0)
            return nook_error_set(err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i,
                                  s->flags.v[i]);
        if (!sec_flag_supported(f))
            return nook_error_set(err, 0, "linux.seccomp.flags[%zu]: %s is not supported by "
                                  "this kernel or libseccomp", i, s->flags.v[i]);
    }
    return 0;
}

static int validate_notify(const struct spec_seccomp *s, const struct spec_seccomp_syscall *sc,
                           size_t i, struct nook_error *err)
{
    if (!s->listener_path)
        return nook_error_set(err, 0, "linux.seccomp.syscalls[%zu].action: SCMP_ACT_NOTIFY "
                              "requires linux.seccomp.listenerPath", i);
    for (size_t n = 0; n < sc->names.n; n++)
        for (size_t k = 0; never_notified[k]; k++)
            if (strcmp(sc->names.v[n], never_notified[k]) == 0)
                return nook_error_set(err, 0, "linux.seccomp.syscalls[%zu].names[%zu]: "
                                      "SCMP_ACT_NOTIFY cannot be used for the %s syscall",
                                      i, n, sc->names.v[n]);
    /* Level 6 is what runc requires too (notify together with TSYNC). */
    unsigned api = seccomp_api_get();
    if (api < 6)
        return nook_error_set(err, 0, "linux.seccomp.syscalls[%zu].action: SCMP_ACT_NOTIFY "
                              "needs libseccomp >= 2.5 and Linux >= 5.7 (API level %u, want 6)",
                              i, api);
    return 0;
}

static int validate_syscall(const struct spec_seccomp *s, size_t i, struct nook_error *err)
{
    const struct spec_seccomp_syscall *sc = &s->syscalls[i];
    if (sc->names.n == 0)
        return nook_error_set(err, 0, "linux.seccomp.syscalls[%zu].names: must contain at "
                              "least one name", i);
    if (sc->has_errno_ret && !takes_errno(sc->action))
        return nook_error_set(err, 0, "linux.seccomp.syscalls[%zu].errnoRet: only valid with "
                              "SCMP_ACT_ERRNO or SCMP_ACT_TRACE", i);
    for (size_t a = 0; a < sc->n_args; a++)
        if (sc->args[a].index >= SYSCALL_MAX_ARGS)
            return nook_error_set(err, 0, "linux.seccomp.syscalls[%zu].args[%zu].index: %u is "
                                  "not below %d", i, a, sc->args[a].index, SYSCALL_MAX_ARGS);
    if (sc->action == SPEC_SCMP_ACT_NOTIFY && validate_notify(s, sc, i, err) < 0)
        return -1;
    return 0;
}

static int validate_seccomp(const struct spec_seccomp *s, struct nook_error *err)
{
    if (s->default_action == SPEC_SCMP_ACT_NOTIFY)
        return nook_error_set(err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be "
                              "the default action");
    if (s->has_default_errno_ret && !takes_errno(s->default_action))
        return nook_error_set(err, 0, "linux.seccomp.defaultErrnoRet: only valid with "
                              "SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
    if (s->listener_metadata && !s->listener_path)
        return nook_error_set(err, 0, "linux.seccomp.listenerMetadata: set without "
                              "linux.seccomp.listenerPath");
    if (validate_architectures(s, err) < 0 || validate_flags(s, err) < 0)
        return -1;
    for (size_t i = 0; i < s->n_syscalls; i++)
        if (validate_syscall(s, i, err) < 0)
            return -1;
    return 0;
}

int security_validate(const struct spec *spec, struct nook_error *err)
{
    if (spec->has_process && security_validate_process(&spec->process, "process", err) < 0)
        return -1;
    if (spec->has_seccomp && validate_seccomp(&spec->seccomp, err) < 0)
        return -1;
    return 0;
}
