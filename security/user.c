/* Change to the container user and leave exactly the configured
 * capabilities, in runc's order: the bounding set is dropped while we are
 * still privileged, permitted is kept across the uid change (KEEPCAPS), and
 * the final sets are applied once the ids are in place. */
#include "internal.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* In a user namespace whose gid map was written without CAP_SETGID the
 * kernel requires setgroups to be denied; /proc/self/setgroups says so. */
static int setgroups_denied(bool *denied, struct nook_error *err)
{
    char *data = NULL;
    size_t len = 0;
    struct nook_error e2;
    *denied = false;
    if (read_file("/proc/self/setgroups", &data, &len, &e2) < 0) {
        if (e2.code == ENOENT) /* kernel before 3.19, or no /proc: try setgroups */
            return 0;
        *err = e2;
        return -1;
    }
    *denied = len >= 4 && strncmp(data, "deny", 4) == 0;
    free(data);
    return 0;
}

static int set_groups(const struct spec_user *u, struct nook_error *err)
{
    bool denied;
    if (setgroups_denied(&denied, err) < 0)
        return -1;
    if (denied) {
        if (u->n_additional_gids > 0)
            return nook_error_set(err, EPERM, "set additionalGids: setgroups is denied in "
                                  "this user namespace");
        return 0;
    }
    /* With no additionalGids this clears the groups inherited from nook. */
    if (setgroups(u->n_additional_gids, u->additional_gids) < 0)
        return nook_error_sys(err, "setgroups");
    return 0;
}

static int set_ids(const struct spec_user *u, struct nook_error *err)
{
    if (set_groups(u, err) < 0)
        return -1;
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return nook_error_sys(err, "setresgid(%u)", (unsigned)u->gid);
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return nook_error_sys(err, "setresuid(%u)", (unsigned)u->uid);
    return 0;
}

int security_set_user_and_caps(const struct spec_process *p, struct nook_error *err)
{
    /* No capabilities object means none at all, as in runc. */
    struct cap_masks m = {0};
    if (p->has_capabilities && sec_caps_masks(&p->capabilities, &m, err) < 0)
        return -1;
    if (sec_caps_drop_bounding(m.bounding, err) < 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return nook_error_sys(err, "prctl(PR_SET_KEEPCAPS, 1)");
    if (set_ids(&p->user, err) < 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return nook_error_sys(err, "prctl(PR_SET_KEEPCAPS, 0)");
    if (sec_caps_set_proc(&m, err) < 0)
        return -1;
    return sec_caps_set_ambient(m.ambient, err);
}

int security_set_no_new_privs(const struct spec_process *p, struct nook_error *err)
{
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return nook_error_sys(err, "prctl(PR_SET_NO_NEW_PRIVS)");
    return 0;
}
