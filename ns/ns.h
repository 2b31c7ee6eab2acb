/* ns: Linux namespaces for a container: which to create, joining existing
 * ones by path, uid/gid mappings, hostname/domainname, sysctl, time offsets.
 *
 * How runtime/ uses this (see docs/ARCHITECTURE.md, "create"):
 *   parent:  ns_open_joins()  -> fds of every namespace given by path
 *            ns_enter_for_children(pid, time) when those are joined, and
 *            ns_new_time_namespace() for a new time ns (offsets are written
 *            before any process is in it, so the parent unshares it for its
 *            children)
 *   child:   ns_join_all()    -> setns() every joined one, user first
 *            unshare/clone with ns_new_flags()
 *   parent:  ns_write_id_maps() for the child's new user namespace
 *   child:   ns_set_hostname(), later ns_apply_sysctl() once /proc is there */
#ifndef NOOK_NS_H
#define NOOK_NS_H

#include <stdbool.h>
#include <sys/types.h>

#include "../spec/spec.h"

struct ns_joins {
    int fd[SPEC_NS_TYPES]; /* -1 when that type is not joined by path */
};

/* CLONE_NEW* for the namespace type. */
int ns_clone_flag(enum spec_ns_type t);

/* CLONE_NEW* flags of every namespace the spec asks to create (no path). */
int ns_new_flags(const struct spec *spec);

/* Checks that need the whole spec: hostname/domainname need a new uts ns,
 * timeOffsets need a time ns, uid/gid mappings need a user ns (and a user ns
 * needs mappings), sysctl keys must be namespaced and their namespace private.
 * Errors name the JSON path. */
int ns_validate(const struct spec *spec, struct nook_error *err);

/* Open every namespace given by path, checking it is a namespace of that
 * type (ioctl NS_GET_NSTYPE). On error nothing stays open. */
int ns_open_joins(const struct spec *spec, struct ns_joins *j, struct nook_error *err);
void ns_close_joins(struct ns_joins *j);
/* True when any type other than pid and time is joined: the child must then
 * setns() before it creates new namespaces (see ARCHITECTURE.md). */
bool ns_joins_need_child_setns(const struct ns_joins *j);

/* In the parent: join the pid and time namespaces given by path. Both only
 * take effect for children created afterwards. Closes those two fds. */
int ns_enter_for_children(struct ns_joins *j, struct nook_error *err);
/* In the parent: unshare(CLONE_NEWTIME) and write linux.timeOffsets to
 * /proc/self/timens_offsets, so the next child starts in it with them.
 * Does nothing (returns 0) unless the spec asks for a new time ns. */
int ns_new_time_namespace(const struct spec *spec, struct nook_error *err);

/* In the child: setns() into every joined namespace except pid and time,
 * the user namespace first. Closes the fds. */
int ns_join_all(struct ns_joins *j, struct nook_error *err);

/* In the parent: write /proc/<pid>/{uid_map,setgroups,gid_map} from the spec's
 * mappings. setgroups is set to "deny" only when the caller is not root in
 * its user namespace (rootless), as the kernel then requires. */
int ns_write_id_maps(pid_t pid, const struct spec *spec, struct nook_error *err);

/* In the child, inside the new uts ns: sethostname/setdomainname. */
int ns_set_hostname(const struct spec *spec, struct nook_error *err);

/* Child, in its new network namespace (none given by path): bring lo up. */
int ns_loopback_up(const struct spec *spec, struct nook_error *err);

/* In the child, after the container's /proc is mounted (after pivot_root):
 * write every linux.sysctl key under /proc/sys. */
int ns_apply_sysctl(const struct spec *spec, struct nook_error *err);

/* The path under /proc/sys (without that prefix) of a linux.sysctl key, read
 * as sysctl.d(5) says: "net.ipv4.ip_forward" -> "net/ipv4/ip_forward",
 * "net/ipv4/conf/eno2.100/rp_filter" as is, "net.ipv4.conf.eno2/100.rp_filter"
 * -> "net/ipv4/conf/eno2.100/rp_filter". NULL when a component is empty, "."
 * or "..". Caller frees. Exposed for unit tests and ns_validate. */
char *ns_sysctl_path(const char *key);

#endif
