/* security/ private: helpers shared by the files of this folder only (the
 * folder's interface is security.h). Capability and seccomp names are mapped
 * in exactly one place each, so validation, apply and features agree. */
#ifndef NOOK_SECURITY_INTERNAL_H
#define NOOK_SECURITY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "security.h"

/* ---- capabilities (caps.c) ---- */

/* One bit per capability value; the kernel has fewer than 64. */
struct cap_masks {
    uint64_t bounding, effective, permitted, inheritable, ambient;
};

/* libcap's value for "CAP_NET_ADMIN"; -1 when libcap does not know the name. */
int sec_cap_from_name(const char *name);
/* "CAP_NET_ADMIN" for a value libcap names, else the number ("41"). */
#define SEC_CAP_NAME_MAX 64
char *sec_cap_name(int cap, char buf[SEC_CAP_NAME_MAX]);
/* The running kernel has this capability (PR_CAPBSET_READ succeeds). */
bool sec_cap_supported(int cap);
/* It is in the calling process' bounding set, so it can be passed on. */
bool sec_cap_grantable(int cap);
/* Errors name json_prefix (e.g. "process.capabilities"). */
int sec_caps_validate(const struct spec_capabilities *c, const char *json_prefix,
                      struct nook_error *err);
/* The five sets as bit masks, without the names this kernel lacks. Names
 * were validated before (unknown ones are an error here too). */
int sec_caps_masks(const struct spec_capabilities *c, struct cap_masks *m,
                   struct nook_error *err);
int sec_caps_drop_bounding(uint64_t keep, struct nook_error *err);
int sec_caps_set_proc(const struct cap_masks *m, struct nook_error *err);
int sec_caps_set_ambient(uint64_t ambient, struct nook_error *err);
/* The calling thread has cap in its effective set. */
bool sec_cap_effective(int cap);

/* ---- seccomp names (seccomp.c) ---- */

/* Linux system calls take at most six arguments. */
#define SYSCALL_MAX_ARGS 6

/* libseccomp's token for "SCMP_ARCH_X86_64", 0 when unknown. */
uint32_t sec_arch_token(const char *oci_name);
/* The OCI architecture names nook knows (NULL-terminated). */
extern const char *const sec_arch_names[];

/* A known SECCOMP_FILTER_FLAG_* name: its index in sec_flag_names, else -1. */
int sec_flag_index(const char *name);
extern const char *const sec_flag_names[]; /* NULL-terminated */
/* This libseccomp and kernel can apply flag sec_flag_names[i]. */
bool sec_flag_supported(int i);

/* ---- seccomp program (seccomp.c, seccomp_enosys.c, seccomp_cache.c) ---- */

/* How sec_seccomp_compile asks libseccomp to lay a program out; part of the
 * cache key, so a change of layout (2: binary tree for long profiles)
 * replaces the programs cached by an earlier nook. */
#define SEC_PROGRAM_LAYOUT 2u

/* Compile with libseccomp: fills insns, len and notify. */
int sec_seccomp_compile(const struct spec_seccomp *s, struct security_seccomp_prog *prog,
                        struct nook_error *err);
/* The default action is one for which unknown syscalls get ENOSYS. */
bool sec_enosys_wanted(const struct spec_seccomp *s);
/* The -ENOSYS prefix for s's architectures (caller frees *out). */
int sec_enosys_stub(const struct spec_seccomp *s, struct sock_filter **out, size_t *len,
                    struct nook_error *err);
/* The program for s from cache_dir, else compiled (and stored there). */
int sec_cache_get_or_compile(const struct spec_seccomp *s, const char *cache_dir,
                             struct security_seccomp_prog *prog, struct nook_error *err);

/* ---- LSMs (lsm.c) ---- */

bool sec_apparmor_enabled(void);
bool sec_selinux_enabled(void);

#endif
