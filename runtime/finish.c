/* The end of every container process's setup, shared by the init and by
 * exec: what the process gives up, in the order the kernel needs, then
 * execve. */
#include "internal.h"

#include <sys/stat.h>
#include <unistd.h>

#include "../security/security.h"

static int load_seccomp(const struct spec *spec, const struct spec_process *p,
                        const struct nook_state *st, int notify_sock, struct nook_error *err)
{
    int notify_fd = -1;
    if (security_load_seccomp(&spec->seccomp, p, &notify_fd, err) < 0)
        return -1;
    if (notify_fd < 0)
        return 0;
    int r = security_send_notify_fd(notify_sock, &spec->seccomp, notify_fd, st, err);
    close(notify_fd);
    close(notify_sock);
    return r;
}

int process_finish_and_exec(const struct spec *spec, const struct spec_process *p,
                            const struct nook_state *st, int keep_fds, int listen_fds,
                            int notify_sock, struct nook_error *err)
{
    umask(p->user.has_umask ? p->user.umask : 022);
    if (process_enter_cwd(p, err) < 0)
        return -1;
    /* Without no_new_privileges the kernel only lets a process with
     * CAP_SYS_ADMIN load a filter, so it goes in before the capabilities are
     * dropped (as runc does); with it, as late as possible, so nook's own
     * work is not filtered. */
    bool early = spec->has_seccomp && !p->no_new_privileges;
    if (early && load_seccomp(spec, p, st, notify_sock, err) < 0)
        return -1;
    if (security_set_lsm_labels(p, err) < 0 || security_set_user_and_caps(p, err) < 0 ||
        security_set_no_new_privs(p, err) < 0 || process_cloexec_from(3 + keep_fds, err) < 0)
        return -1;
    if (spec->has_seccomp && !early && load_seccomp(spec, p, st, notify_sock, err) < 0)
        return -1;
    char **env = process_build_env(p, listen_fds);
    process_exec(p, env, err);
    process_env_free(env);
    return -1;
}
