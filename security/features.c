/* The capability and seccomp parts of `nook features` (runtime-spec
 * features.md): names this build understands, and the seccomp flags this
 * kernel and libseccomp can actually apply. */
#include "internal.h"

#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

struct strv_builder {
    char **v;
    size_t n, cap;
};

static void strv_push(struct strv_builder *b, const char *s)
{
    if (b->n + 2 > b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->v = xrealloc(b->v, b->cap * sizeof *b->v);
    }
    b->v[b->n++] = xstrdup(s);
    b->v[b->n] = NULL;
}

static struct spec_strv strv_done(struct strv_builder *b)
{
    return (struct spec_strv){.v = b->v, .n = b->n};
}

static struct spec_strv capability_names(void)
{
    struct strv_builder b = {0};
    /* Every name libcap knows, whether or not this kernel has it (config
     * names the kernel lacks are accepted and skipped). */
    for (int cap = 0; cap < 64; cap++) {
        char name[SEC_CAP_NAME_MAX];
        sec_cap_name(cap, name);
        /* libcap prints values it has no name for as numbers. */
        if (name[0] < '0' || name[0] > '9')
            strv_push(&b, name);
    }
    return strv_done(&b);
}

static struct spec_strv name_list(const char *const *names, size_t n)
{
    struct strv_builder b = {0};
    for (size_t i = 0; i < n; i++)
        strv_push(&b, names[i]);
    return strv_done(&b);
}

static struct spec_strv arch_names(void)
{
    struct strv_builder b = {0};
    for (size_t i = 0; sec_arch_names[i]; i++)
        if (sec_arch_token(sec_arch_names[i]) != 0)
            strv_push(&b, sec_arch_names[i]);
    return strv_done(&b);
}

static struct spec_strv flag_names(bool only_supported)
{
    struct strv_builder b = {0};
    for (int i = 0; sec_flag_names[i]; i++)
        if (!only_supported || sec_flag_supported(i))
            strv_push(&b, sec_flag_names[i]);
    return strv_done(&b);
}

void security_fill_features(struct spec_features *f)
{
    f->capabilities = capability_names();
    /* PR_GET_SECCOMP fails (EINVAL) on a kernel built without seccomp. */
    f->seccomp_enabled = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
    f->seccomp_actions = name_list(spec_seccomp_action_names, SPEC_SCMP_ACTIONS);
    f->seccomp_operators = name_list(spec_seccomp_op_names, SPEC_SCMP_OPS);
    f->seccomp_archs = arch_names();
    f->seccomp_flags = flag_names(false);
    f->seccomp_supported_flags = flag_names(true);
    /* As runc: whether nook can apply the label (it always can), not
     * whether this host runs the LSM; validation checks the host. */
    f->apparmor = true;
    f->selinux = true;
}

static void strv_free(struct spec_strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
    v->v = NULL;
    v->n = 0;
}

void security_features_free(struct spec_features *f)
{
    strv_free(&f->capabilities);
    strv_free(&f->seccomp_actions);
    strv_free(&f->seccomp_operators);
    strv_free(&f->seccomp_archs);
    strv_free(&f->seccomp_flags);
    strv_free(&f->seccomp_supported_flags);
}

const char *security_libseccomp_version(void)
{
    static char buf[32];
    const struct scmp_version *v = seccomp_version();
    snprintf(buf, sizeof buf, "%u.%u.%u", v->major, v->minor, v->micro);
    return buf;
}
