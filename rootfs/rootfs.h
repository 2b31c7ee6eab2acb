/* rootfs: the container's filesystem view, built inside its new mount
 * namespace: propagation, the root (plain bind or overlay), config mounts,
 * /dev, then pivot_root, masked and read-only paths.
 *
 * Called by the container's init process (runtime/init.c) in this order:
 *   rootfs_mount()    - before createContainer hooks
 *   rootfs_pivot()    - after them
 * Everything it mounts lives in the container's mount namespace, so nothing
 * needs unmounting on the host when the container goes away; directories it
 * makes on the host (overlay workdir) are listed by rootfs_plan() so delete can
 * remove them. */
#ifndef NOOK_ROOTFS_H
#define NOOK_ROOTFS_H

#include <stdbool.h>

#include "../spec/spec.h"

/* Overlay root annotations (issue 2). */
#define ROOTFS_ANNOT_LOWER "org.nook.rootfs.lower"
#define ROOTFS_ANNOT_VOLATILE "org.nook.rootfs.volatile"

/* Where the root comes from, decided in the parent before the child starts
 * (pure path logic, unit-testable; no mounts). All paths absolute. */
struct rootfs_plan {
    char *bundle;      /* the bundle, absolute and clean: relative bind-mount
                          sources are taken from here (added by rootfs/) */
    char *root;        /* root.path resolved against the bundle */
    char *mountpoint;  /* where the root is assembled: root itself for a plain
                          root, <state_dir>/rootfs for an overlay */
    bool overlay;
    bool overlay_volatile;
    struct spec_strv lowers; /* resolved lower layers, topmost first */
    char *upper;       /* root (non-volatile) or NULL (volatile: a tmpfs) */
    char *work;        /* overlay workdir next to upper: <dir>/.nook-work-<id>,
                          or NULL (volatile) */
    char *volatile_dir; /* <state_dir>/volatile for the tmpfs, or NULL */
};

int rootfs_plan(const struct spec *spec, const char *bundle, const char *state_dir,
                const char *id, struct rootfs_plan *plan, struct nook_error *err);
void rootfs_plan_free(struct rootfs_plan *plan);
/* Host-side directories the plan needs (mountpoint, workdir): created by the
 * parent before the child runs; removed by rootfs_cleanup() at delete or
 * after a failed create. */
int rootfs_prepare_dirs(const struct rootfs_plan *plan, struct nook_error *err);
int rootfs_cleanup(const struct rootfs_plan *plan, struct nook_error *err);

/* One of the container's own cgroup directories on a v1 or hybrid host. */
struct rootfs_cgroup_dir {
    const char *name;      /* under the mount: "memory", "cpu,cpuacct", "systemd", "unified" */
    const char *host_path; /* the container's cgroup directory on the host */
};

struct rootfs_opts {
    bool userns;    /* in a new user namespace: bind-mount devices, no mknod */
    bool no_pivot;  /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
    bool shared_mntns; /* no mount namespace in linux.namespaces: the
                          container shares nook's (runtime-spec: inherited),
                          so nothing is mounted (it would be the host's and
                          outlive the container) and the root is a chroot */
    /* v1/hybrid host: a "cgroup" mount is a tmpfs with a bind of each of
     * these (as runc shows v1 cgroups); none: the cgroup2 hierarchy. */
    const struct rootfs_cgroup_dir *cgroups;
    size_t n_cgroups;
    /* When set (root nook, new user namespace): a bind source of mounts[i]
     * the container's root may not reach is opened by nook on the host side
     * as a detached tree (open_tree) for the mount to attach, as runc does
     * with its mount fds. */
    int (*open_source)(void *arg, size_t i, int *tree, struct nook_error *err);
    void *open_source_arg;
};

/* In the child, in its new mount namespace: make / a recursive slave (as
 * runc) or what rootfsPropagation asks, mount the root (bind of plan->root, or overlay),
 * every spec mount in order (destinations resolved inside the root without
 * following symlinks out of it), /dev (default devices, ptmx, pts, shm, fd
 * links, linux.devices). Ends with the cwd unchanged. */
int rootfs_mount(const struct spec *spec, const struct rootfs_plan *plan,
                 const struct rootfs_opts *o, struct nook_error *err);

/* What needs a mount namespace of the container's own (masked and read-only
 * paths, root.readonly, rootfsPropagation, an overlay root); an error naming
 * the field when the spec has none. Config mounts are not made then. */
int rootfs_validate_shared_mntns(const struct spec *spec, struct nook_error *err);

/* In the child, after createContainer hooks: pivot_root (or move+chroot),
 * detach the old root, apply maskedPaths and readonlyPaths, make the root
 * read-only if root.readonly, set the final rootfsPropagation, chdir("/"). */
int rootfs_pivot(const struct spec *spec, const struct rootfs_plan *plan,
                 const struct rootfs_opts *o, struct nook_error *err);

/* criu restore (rootfs/restore.c). In the caller's own private mount
 * namespace: the mount points of the spec's mounts made in plan->root as
 * at create (those under a tmpfs of the spec are left to criu, which
 * restores the tmpfs with its content), each bind mount bound there so the
 * mount points of mounts nested in it can be made in its source. */
int rootfs_prepare_restore(const struct spec *spec, const struct rootfs_plan *plan,
                           struct nook_error *err);
/* A mount destination as the container sees its mount point: symlinks in it
 * followed inside root (dest itself when that fails). Caller frees. */
char *rootfs_resolved_destination(const char *root, const char *dest);

#endif
