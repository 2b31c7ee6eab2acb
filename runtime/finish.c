/* The end of every container process's setup, shared by the init and by
 * exec: what the process gives up, in the order the kernel needs, then
 * execve.
 *
 * Everything nook itself does in the process (cwd, close-on-exec, the PATH
 * lookup, LSM labels) comes before the seccomp filter, so no profile can
 * break nook's own work: a profile older than close_range or faccessat2
 * still starts its container. After the filter only the calls that give
 * privileges up (setgroups, setresuid, capset, prctl; when
 * noNewPrivileges is off) and the startContainer hooks run, as in runc. The
 * program itself was compiled by nook before the process existed
 * (process_prepare_seccomp). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../security/security.h"

int process_prepare_seccomp(const struct nook_globals *g, const struct spec *spec,
                            struct security_seccomp_prog *prog, struct nook_error *err)
{
    memset(prog, 0, sizeof *prog);
    if (!spec->has_seccomp)
        return 0;
    char *cache = xasprintf("%s/%s", g->root, SECCOMP_CACHE_DIR);
    int r = security_seccomp_prepare(&spec->seccomp, cache, prog, err);
    free(cache);
    if (r == 0)
        nook_log(g, "debug", "seccomp: %s", prog->note);
    return r;
}

static int load_seccomp(const struct spec *spec, const struct spec_process *p,
                        const struct finish_opts *f, struct nook_error *err)
{
    int notify_fd = -1;
    if (security_seccomp_load(f->seccomp, p, &notify_fd, err) < 0)
        return -1;
    if (notify_fd < 0)
        return 0;
    int r = security_send_notify_fd(f->notify_sock, &spec->seccomp, notify_fd, f->st, err);
    close(notify_fd);
    close(f->notify_sock);
    return r;
}

static int give_up_privileges(const struct spec *spec, const struct spec_process *p,
                              const struct finish_opts *f, struct nook_error *err)
{
    bool filter = f->seccomp && f->seccomp->len > 0;
    /* Without no_new_privileges the kernel only lets a process with
     * CAP_SYS_ADMIN load a filter, so it goes in before the capabilities are
     * dropped (as runc and crun do); with it, last. */
    bool early = filter && !p->no_new_privileges;
    if (security_set_lsm_labels(p, err) < 0)
        return -1;
    if (early && load_seccomp(spec, p, f, err) < 0)
        return -1;
    if (security_set_user_and_caps(p, err) < 0 || security_set_no_new_privs(p, err) < 0)
        return -1;
    if (filter && !early && load_seccomp(spec, p, f, err) < 0)
        return -1;
    return 0;
}

int process_finish_and_exec(const struct spec *spec, const struct spec_process *p,
                            const struct finish_opts *f, struct nook_error *err)
{
    umask(p->user.has_umask ? p->user.umask : 022);
    if (process_enter_cwd(p, err) < 0 || process_cloexec_from(3 + f->keep_fds, err) < 0)
        return -1;
    char **env = process_build_env(p, f->listen_fds);
    char *file = process_find_exec(p, env, err);
    /* Traced before the filter is loaded: nothing the profile forbids. */
    if (file && nook_trace_sink_fn) {
        char args[1024];
        /* "setns_init": runc's name for the process exec sets up in the
         * joined namespaces, whose "about to exec" line tools look for. */
        NOOK_TRACE("%s: about to exec %s [%s] as %u:%u in %s",
                   f->start_hooks ? "init" : "setns_init", file,
                   nook_trace_argv(p->args.v, p->args.n, args, sizeof args),
                   (unsigned)p->user.uid, (unsigned)p->user.gid, p->cwd);
    }
    int r = file ? give_up_privileges(spec, p, f, err) : -1;
    /* startContainer hooks run with the filter in place (runc's "seccomp
     * (startContainer hook)"), as the container's user. */
    if (r == 0 && f->start_hooks)
        r = hooks_run(spec, SPEC_HOOK_START_CONTAINER, f->st, err);
    if (r == 0 && f->under_init) {
        process_exec_under_init(file, p->args.v, env, p->terminal, err);
    } else if (r == 0) {
        execve(file, p->args.v, env);
        nook_error_sys(err, "exec %s", file);
    }
    free(file);
    process_env_free(env);
    return -1;
}
