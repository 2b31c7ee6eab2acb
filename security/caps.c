/* Capabilities: names to values (libcap), and the three steps that change
 * them: drop from the bounding set, set E/P/I, raise ambient. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int sec_cap_from_name(const char *name)
{
    cap_value_t v;
    /* libcap also takes numbers ("12"); config.json names capabilities. */
    if (name[0] >= '0' && name[0] <= '9')
        return -1;
    if (cap_from_name(name, &v) != 0 || v < 0)
        return -1;
    return v;
}

char *sec_cap_name(int cap, char buf[SEC_CAP_NAME_MAX])
{
    char *n = cap_to_name((cap_value_t)cap);
    if (!n) {
        snprintf(buf, SEC_CAP_NAME_MAX, "%d", cap);
        return buf;
    }
    size_t i = 0;
    for (; n[i] && i + 1 < SEC_CAP_NAME_MAX; i++)
        buf[i] = (char)toupper((unsigned char)n[i]);
    buf[i] = '\0';
    cap_free(n);
    return buf;
}

bool sec_cap_supported(int cap)
{
    /* A capability beyond the kernel's last one (a newer libcap on an older
     * kernel) cannot be in any set; PR_CAPBSET_READ fails with EINVAL. */
    return cap >= 0 && cap < 64 && prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) >= 0;
}

bool sec_cap_grantable(int cap)
{
    /* PR_CAPBSET_READ is 1 for a capability in the bounding set, 0 for one
     * the kernel has but this process may never pass on, and fails past the
     * kernel's last one. */
    return cap >= 0 && cap < 64 && prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) == 1;
}

bool sec_cap_effective(int cap)
{
    cap_t c = cap_get_proc();
    if (!c)
        return false;
    cap_flag_value_t v = CAP_CLEAR;
    int rc = cap_get_flag(c, (cap_value_t)cap, CAP_EFFECTIVE, &v);
    cap_free(c);
    return rc == 0 && v == CAP_SET;
}

static const char *const cap_set_names[] = {"bounding", "effective", "inheritable",
                                            "permitted", "ambient"};

static const struct spec_strv *cap_set(const struct spec_capabilities *c, int i)
{
    const struct spec_strv *sets[] = {&c->bounding, &c->effective, &c->inheritable,
                                      &c->permitted, &c->ambient};
    return sets[i];
}

int sec_caps_validate(const struct spec_capabilities *c, const char *json_prefix,
                      struct nook_error *err)
{
    for (int s = 0; s < 5; s++) {
        const struct spec_strv *v = cap_set(c, s);
        for (size_t i = 0; i < v->n; i++)
            if (sec_cap_from_name(v->v[i]) < 0)
                return nook_error_set(err, 0, "%s.%s[%zu]: unknown capability \"%s\"",
                                      json_prefix, cap_set_names[s], i, v->v[i]);
    }
    return 0;
}

size_t security_caps_ungrantable(const struct spec_process *p, char *buf, size_t len)
{
    uint64_t seen = 0;
    size_t n = 0, used = 0;
    if (len)
        buf[0] = '\0';
    if (!p->has_capabilities)
        return 0;
    for (int s = 0; s < 5; s++) {
        const struct spec_strv *v = cap_set(&p->capabilities, s);
        for (size_t i = 0; i < v->n; i++) {
            int cap = sec_cap_from_name(v->v[i]);
            if (!sec_cap_supported(cap) || sec_cap_grantable(cap) ||
                (seen & (UINT64_C(1) << cap)))
                continue;
            seen |= UINT64_C(1) << cap;
            n++;
            char name[SEC_CAP_NAME_MAX];
            int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                             sec_cap_name(cap, name));
            if (w > 0 && (size_t)w < len - used)
                used += (size_t)w;
        }
    }
    return n;
}

static int strv_mask(const struct spec_strv *v, const char *set, uint64_t *mask,
                     struct nook_error *err)
{
    *mask = 0;
    for (size_t i = 0; i < v->n; i++) {
        int cap = sec_cap_from_name(v->v[i]);
        if (cap < 0)
            return nook_error_set(err, 0, "capabilities.%s[%zu]: unknown capability \"%s\"",
                                  set, i, v->v[i]);
        /* Left out, as config.md asks (the runtime warns and goes on): a
         * name the running kernel lacks, or a capability outside our own
         * bounding set (a restricted host), which no process we start can
         * have. */
        if (sec_cap_grantable(cap))
            *mask |= UINT64_C(1) << cap;
    }
    return 0;
}

int sec_caps_masks(const struct spec_capabilities *c, struct cap_masks *m,
                   struct nook_error *err)
{
    uint64_t *out[] = {&m->bounding, &m->effective, &m->inheritable, &m->permitted,
                       &m->ambient};
    for (int s = 0; s < 5; s++)
        if (strv_mask(cap_set(c, s), cap_set_names[s], out[s], err) < 0)
            return -1;
    return 0;
}

int sec_caps_drop_bounding(uint64_t keep, struct nook_error *err)
{
    for (int cap = 0; cap < 64; cap++) {
        int in = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);
        if (in < 0)
            break; /* past the kernel's last capability */
        /* Only drop what is there: dropping needs CAP_SETPCAP, which an exec
         * into an already restricted container may not have. */
        if (in == 0 || (keep & (UINT64_C(1) << cap)))
            continue;
        if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0) {
            int e = errno;
            char name[SEC_CAP_NAME_MAX];
            return nook_error_set(err, e, "drop %s from the bounding set",
                                  sec_cap_name(cap, name));
        }
    }
    return 0;
}

static int cap_t_add(cap_t c, cap_flag_t flag, uint64_t mask)
{
    for (int cap = 0; cap < 64; cap++) {
        cap_value_t v = cap;
        if ((mask & (UINT64_C(1) << cap)) && cap_set_flag(c, flag, 1, &v, CAP_SET) < 0)
            return -1;
    }
    return 0;
}

int sec_caps_set_proc(const struct cap_masks *m, struct nook_error *err)
{
    cap_t c = cap_init();
    if (!c)
        return nook_error_sys(err, "set capabilities: cap_init");
    if (cap_t_add(c, CAP_EFFECTIVE, m->effective) < 0 ||
        cap_t_add(c, CAP_PERMITTED, m->permitted) < 0 ||
        cap_t_add(c, CAP_INHERITABLE, m->inheritable) < 0) {
        nook_error_sys(err, "set capabilities: cap_set_flag");
        cap_free(c);
        return -1;
    }
    if (cap_set_proc(c) < 0) {
        nook_error_sys(err, "set effective, permitted and inheritable capabilities");
        cap_free(c);
        return -1;
    }
    cap_free(c);
    return 0;
}

int sec_caps_set_ambient(uint64_t ambient, struct nook_error *err)
{
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
        /* Kernels before 4.3 have no ambient set: fine unless some is asked. */
        if (errno == EINVAL && ambient == 0)
            return 0;
        return nook_error_sys(err, "clear ambient capabilities");
    }
    for (int cap = 0; cap < 64; cap++) {
        if (!(ambient & (UINT64_C(1) << cap)))
            continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0, 0) < 0) {
            int e = errno;
            char name[SEC_CAP_NAME_MAX];
            /* The kernel only raises what is both permitted and inheritable.
             * runc's default spec lists ambient caps without inheritable ones
             * and runc only warns: skip them likewise, so those bundles run. */
            if (e == EPERM)
                continue;
            return nook_error_set(err, e, "raise ambient capability %s",
                                  sec_cap_name(cap, name));
        }
    }
    return 0;
}
