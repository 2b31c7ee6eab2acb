/* security: what the container process gives up before execve: user and
 * groups, capabilities (libcap), no_new_privileges, LSM labels, seccomp
 * (libseccomp). The seccomp program is compiled by nook beforehand
 * (security_seccomp_prepare); the container's init (or an exec'd process)
 * makes these calls at the very end, after all its own file work (cwd,
 * close-on-exec, PATH lookup), in this order:
 *   security_set_lsm_labels() (before the uid change, which can make the
 *                              process non-dumpable and /proc/self root's)
 *   security_set_user_and_caps()
 *   security_set_no_new_privs()
 *   security_seccomp_load()   (last: the runtime's own work is not filtered)
 *   execve()
 * except when process.noNewPrivileges is false: then the kernel only accepts
 * a filter from a process with CAP_SYS_ADMIN, so security_seccomp_load()
 * comes before security_set_user_and_caps() drops it (runc and crun do the
 * same; the filter then also sees setgroups/setresuid/capset). */
#ifndef NOOK_SECURITY_H
#define NOOK_SECURITY_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

#include "../spec/spec.h"

/* Check what can be checked before any process exists: capability names
 * known to libcap, seccomp architectures/flags/syscall actions mappable,
 * LSM labels usable on this host. Errors name the JSON path. */
int security_validate(const struct spec *spec, struct nook_error *err);
/* The process part alone (`exec --process`); errors start with json_prefix
 * ("process" for config.json). */
int security_validate_process(const struct spec_process *p, const char *json_prefix,
                              struct nook_error *err);

/* Drop the bounding set, keep caps across the uid change, setgroups
 * (additionalGids), setresgid/setresuid to p->user, then set effective,
 * permitted and inheritable exactly as p->capabilities asks (no
 * capabilities object: none at all, as runc) and raise the ambient ones.
 * Skipped, as runc does: names the running kernel lacks, and ambient
 * capabilities that are not also permitted and inheritable; and, as
 * config.md asks of a restricted host, capabilities outside the calling
 * process' bounding set (see security_caps_ungrantable). */
int security_set_user_and_caps(const struct spec_process *p, struct nook_error *err);

/* How many capabilities p names (any set) that the calling process cannot
 * pass on because its bounding set lacks them; buf gets their names, comma
 * separated (truncated to len). config.md: "Any value which cannot be ...
 * granted otherwise MUST be logged as a warning"; runtimes "SHOULD NOT
 * fail". A process in a new user namespace starts with a full bounding set
 * there, so this only speaks for one that stays in the caller's. */
size_t security_caps_ungrantable(const struct spec_process *p, char *buf, size_t len);

int security_set_no_new_privs(const struct spec_process *p, struct nook_error *err);

/* Apply apparmorProfile / selinuxLabel for the next execve, when set. */
int security_set_lsm_labels(const struct spec_process *p, struct nook_error *err);

/* A profile compiled to the BPF program seccomp(2) takes. nook prepares it
 * before the container process exists (errors come back from create, and
 * the cache is reached through the host's filesystem); the process inherits
 * it and only loads it. */
struct security_seccomp_prog {
    struct sock_filter *insns;
    size_t len;
    unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
    bool notify;    /* loading it hands back a listener fd */
    bool cached;    /* it came from the cache, not from libseccomp */
    /* For --debug: where the program came from, e.g. "program 3f9a0c2e51d7b4a8
     * (812 instructions) from the cache", or why the cache was not used. */
    char note[NOOK_ERRMSG_MAX];
};

/* Compile s (defaultAction, architectures, syscalls; flags only checked), or
 * take the program compiled before from cache_dir: an entry is keyed by the
 * SHA-256 of the profile, the native architecture, the kernel's seccomp API
 * level and libseccomp's version, and checked (owner, mode, size, digest)
 * before use; a bad one is rebuilt. cache_dir is created 0700 when missing
 * and used only if it belongs to this user and nobody else may write it;
 * NULL: no cache. A cache that cannot be used is a note, never an error.
 * Free with security_seccomp_prog_free(). */
int security_seccomp_prepare(const struct spec_seccomp *s, const char *cache_dir,
                             struct security_seccomp_prog *prog, struct nook_error *err);
void security_seccomp_prog_free(struct security_seccomp_prog *prog);

/* Load the program into the calling process; with a NOTIFY rule *notify_fd
 * gets the listener fd (else -1). Without no_new_privileges this needs
 * CAP_SYS_ADMIN, as the kernel requires. */
int security_seccomp_load(const struct security_seccomp_prog *prog,
                          const struct spec_process *p, int *notify_fd, struct nook_error *err);

/* Some rule uses SCMP_ACT_NOTIFY: security_seccomp_load() will hand back a
 * listener fd that must reach the agent. The process that loaded the
 * filter passes it to the runtime with sendmsg(SCM_RIGHTS); until the agent
 * has it, that process must not make a notified syscall, so
 * security_validate() rejects SCMP_ACT_NOTIFY for write, sendmsg, sendto,
 * brk and mmap. */
bool security_seccomp_uses_notify(const struct spec_seccomp *s);

/* Send the seccomp notify fd and the container state (with
 * listenerMetadata) to the agent listening at listenerPath, as
 * runtime-spec's "seccomp state" describes. listenerPath is a path in the
 * runtime's mount namespace, which the container process cannot see after
 * pivot_root: nook connects first (security_notify_connect, before the
 * process starts) and the process sends on that socket once it has loaded
 * its filter. The caller closes the socket. */
int security_notify_connect(const struct spec_seccomp *s, int *sock, struct nook_error *err);
int security_send_notify_fd(int sock, const struct spec_seccomp *s, int notify_fd,
                            const struct nook_state *st, struct nook_error *err);

/* Fill the capability and seccomp parts of `nook features`. Caller frees the
 * lists with security_features_free(). */
void security_fill_features(struct spec_features *f);
void security_features_free(struct spec_features *f);

/* The libseccomp version nook runs with ("2.5.4"), for `nook --version`. */
const char *security_libseccomp_version(void);

#endif
