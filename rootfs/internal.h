/* rootfs/ internals shared by its files; only rootfs/ sources include this. */
#ifndef NOOK_ROOTFS_INTERNAL_H
#define NOOK_ROOTFS_INTERNAL_H

#include "rootfs.h"

#include <sys/mount.h>
#include <sys/stat.h>

/* Propagation bits a mount(2) call must carry alone (not mixed with other
 * flags), and the atime modes that replace one another. */
#define ROOTFS_PROPAGATION_FLAGS (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)
#define ROOTFS_ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME)

/* mount(2) for binds, remounts, moves and propagation changes, where the
 * kernel ignores the type. valgrind 3.19 reads the type string even then, so
 * pass an empty one rather than NULL. */
static inline int rootfs_mount_change(const char *src, const char *target,
                                      unsigned long flags)
{
    return mount(src, target, "", flags, NULL);
}

/* ---- pathname.c: lexical path helpers (no filesystem access) ---------------- */

/* Lexically clean an absolute path like Go's filepath.Clean: collapse "//",
 * drop ".", resolve ".." (never above "/"), no trailing "/". */
char *rootfs_path_clean(const char *path);
/* path when absolute, else base/path; cleaned. base must be absolute. */
char *rootfs_path_resolve(const char *base, const char *path);
/* The directory part of a clean absolute path ("/" for "/x"). */
char *rootfs_path_dirname(const char *path);
/* True when two absolute paths are the same once cleaned. */
int rootfs_path_equal(const char *a, const char *b);

/* ---- resolve.c: open and create paths inside the root --------------------
 * Every helper takes rootfd (an O_PATH fd of the container root) and a path
 * read as if rootfd were "/": openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)
 * keeps symlinks ("/evil -> /etc") and ".." inside the root, so an image
 * cannot redirect a mount onto the host. They return an O_PATH fd, or -1 with
 * errno set (callers add the context). */
int rootfs_open_in_root(int rootfd, const char *path, int flags);
/* The same in userspace, one O_NOFOLLOW step at a time: what
 * rootfs_open_in_root falls back to without openat2. flags: 0 or
 * O_DIRECTORY. Exposed for unit tests. */
int rootfs_open_in_root_walk(int rootfd, const char *path, int flags);
/* mkdir -p inside the root; returns the directory. */
int rootfs_mkdir_in_root(int rootfd, const char *path, mode_t mode);
/* The file at path, created empty (and its parents) when missing. */
int rootfs_mkfile_in_root(int rootfd, const char *path, mode_t mode);

/* The path mount(2) can be given for an fd: "/proc/self/fd/<fd>". */
#define ROOTFS_FD_PATH_MAX 32
void rootfs_fd_path(int fd, char buf[ROOTFS_FD_PATH_MAX]);

/* MS_RDONLY/NOSUID/NODEV/NOEXEC and atime flags the mount holding fd has now
 * (fstatvfs), or -1 with errno set. */
long rootfs_mount_flags_of(int fd);
/* Flags for a MS_REMOUNT|MS_BIND of the mount at fd that sets `set`, clears
 * `clear` and keeps every other per-mount flag as it is: in a user namespace
 * the kernel refuses to drop locked flags (nosuid, nodev, ro, atime...), and
 * elsewhere keeping them is what a user expects from "bind,ro". */
int rootfs_remount_flags(int fd, unsigned long set, unsigned long clear,
                         unsigned long *out);

/* ---- mountinfo.c --------------------------------------------------------- */

/* The mount point of the first mount of this filesystem type in
 * /proc/self/mountinfo; 0 with *out NULL when there is none. */
int rootfs_mountinfo_find_fstype(const char *fstype, char **out, struct nook_error *err);
/* Mount points of every whole procfs and sysfs (root "/") not at or below
 * except_under, in mountinfo order. Caller frees the strings and v. */
int rootfs_mountinfo_full_kernel_fs(const char *except_under, struct spec_strv *out,
                                    struct nook_error *err);
/* The mount point (the topmost one) holding path. */
int rootfs_mountinfo_containing(const char *path, char **out, struct nook_error *err);
/* Every mount point, in mountinfo order (free each and v). */
int rootfs_mountinfo_points(struct spec_strv *out, struct nook_error *err);

/* ---- the steps of rootfs_mount() and rootfs_pivot() ---------------------- */

/* overlay.c: the overlay root at plan->mountpoint (and the volatile tmpfs). */
int rootfs_mount_overlay(const struct rootfs_plan *plan, const struct rootfs_opts *o,
                         struct nook_error *err);
/* mounts.c: spec->mounts in order. */
int rootfs_mount_config_mounts(const struct spec *spec, const struct rootfs_plan *plan,
                               int rootfd, const struct rootfs_opts *o,
                               struct nook_error *err);
/* mounts.c, after rootfs_setup_dev: read-only mounts that had others made
 * below them, and the recursive options ("rro", ...). */
int rootfs_finish_config_mounts(const struct spec *spec, int rootfd, struct nook_error *err);
/* copyup.c: copy the contents of directory src into directory dst (both
 * readable directory fds): files, directories, symlinks and nodes, with
 * their mode, owner and times; what "tmpcopyup" puts in a new tmpfs. */
int rootfs_copy_tree(int src, int dst, const char *what, struct nook_error *err);
/* mounts.c: bind src onto the already-created target dest (inside rootfd),
 * then remount it so set/clear flags really apply. */
int rootfs_bind_onto(const char *src, int rootfd, const char *dest, bool recursive,
                     unsigned long set, unsigned long clear, struct nook_error *err);
/* The same onto fd, dest as already opened in the root (no second lookup). */
int rootfs_bind_onto_fd(const char *src, int fd, int rootfd, const char *dest, bool recursive,
                        unsigned long set, unsigned long clear, struct nook_error *err);
/* dev.c: default devices and links in a config /dev, then linux.devices. */
int rootfs_setup_dev(const struct spec *spec, int rootfd, const struct rootfs_opts *o,
                     struct nook_error *err);
/* paths.c: readonlyPaths, maskedPaths, root.readonly (after the pivot). */
int rootfs_apply_readonly_paths(const struct spec *spec, struct nook_error *err);
int rootfs_apply_masked_paths(const struct spec *spec, struct nook_error *err);
int rootfs_remount_root_readonly(struct nook_error *err);

#endif
