/* ns/join.c: namespaces given by path: open them in the parent (so a bad
 * path fails before anything is created), setns() into them later. */
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void joins_init(struct ns_joins *j)
{
    for (int t = 0; t < SPEC_NS_TYPES; t++)
        j->fd[t] = -1;
}

void ns_close_joins(struct ns_joins *j)
{
    for (int t = 0; t < SPEC_NS_TYPES; t++) {
        if (j->fd[t] >= 0)
            close(j->fd[t]);
        j->fd[t] = -1;
    }
}

/* "an ipc namespace", "a network namespace". */
static const char *article(const char *name)
{
    return name[0] == 'i' ? "an" : "a";
}

/* The path could name any file, or a namespace of another type (a
 * /run/netns/ entry given as "ipc"); setns() would only say EINVAL much
 * later, in the child. */
static int check_namespace_type(int fd, size_t i, const struct spec_namespace *ns,
                                struct nook_error *err)
{
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0 && errno != ENOTTY)
        return nook_error_sys(err, "linux.namespaces[%zu].path: get type of %s", i, ns->path);
    if (type != ns_clone_flag(ns->type))
        return nook_error_set(err, 0, "linux.namespaces[%zu].path: %s is not %s %s namespace",
                              i, ns->path, article(spec_ns_type_names[ns->type]),
                              spec_ns_type_names[ns->type]);
    return 0;
}

static int open_join(size_t i, const struct spec_namespace *ns, struct ns_joins *j,
                     struct nook_error *err)
{
    /* spec_parse refuses duplicates, but a spec built in memory (nook
     * sandbox) has not been through it; a second fd would leak. */
    if (j->fd[ns->type] >= 0)
        return nook_error_set(err, 0, "linux.namespaces[%zu].type: duplicate namespace \"%s\"",
                              i, spec_ns_type_names[ns->type]);
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nook_error_sys(err, "linux.namespaces[%zu].path: open %s", i, ns->path);
    if (check_namespace_type(fd, i, ns, err) < 0) {
        close(fd);
        return -1;
    }
    j->fd[ns->type] = fd;
    NOOK_TRACE("join %s namespace %s", spec_ns_type_names[ns->type], ns->path);
    return 0;
}

int ns_open_joins(const struct spec *spec, struct ns_joins *j, struct nook_error *err)
{
    joins_init(j);
    for (size_t i = 0; i < spec->n_namespaces; i++) {
        const struct spec_namespace *ns = &spec->namespaces[i];
        if (ns->path == NULL)
            continue;
        if (open_join(i, ns, j, err) < 0) {
            ns_close_joins(j);
            return -1;
        }
    }
    return 0;
}

bool ns_joins_need_child_setns(const struct ns_joins *j)
{
    for (int t = 0; t < SPEC_NS_TYPES; t++)
        if (t != SPEC_NS_PID && t != SPEC_NS_TIME && j->fd[t] >= 0)
            return true;
    return false;
}

/* setns() the joined namespace of type t, if any, and close its fd. */
static int join_one(struct ns_joins *j, enum spec_ns_type t, struct nook_error *err)
{
    if (j->fd[t] < 0)
        return 0;
    int r = setns(j->fd[t], ns_clone_flag(t));
    int saved = errno;
    close(j->fd[t]);
    j->fd[t] = -1;
    if (r < 0)
        return nook_error_set(err, saved, "join %s namespace", spec_ns_type_names[t]);
    return 0;
}

int ns_enter_for_children(struct ns_joins *j, struct nook_error *err)
{
    if (join_one(j, SPEC_NS_PID, err) < 0 || join_one(j, SPEC_NS_TIME, err) < 0)
        return -1;
    return 0;
}

int ns_join_all(struct ns_joins *j, struct nook_error *err)
{
    /* The user namespace first: it gives the capabilities the other setns()
     * calls need over namespaces it owns (rootless joins). */
    int r = join_one(j, SPEC_NS_USER, err);
    for (int t = 0; r == 0 && t < SPEC_NS_TYPES; t++)
        if (t != SPEC_NS_PID && t != SPEC_NS_TIME)
            r = join_one(j, (enum spec_ns_type)t, err);
    ns_close_joins(j);
    return r;
}
