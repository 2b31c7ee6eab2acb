/* config.json "mounts", and mount options turned into mount(2) flags. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum opt_kind {
    OPT_SET,
    OPT_CLEAR,
    OPT_PROPAGATION,
    OPT_REC_SET,   /* flag is a MOUNT_ATTR_* for every submount too */
    OPT_REC_CLEAR,
    OPT_TMPCOPYUP,
    OPT_NOTHING,
};

static const struct mount_option {
    const char *name;
    enum opt_kind kind;
    unsigned long flag;
} mount_options[] = {
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"bind", OPT_SET, MS_BIND},
    {"defaults", OPT_NOTHING, 0},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"dirsync", OPT_SET, MS_DIRSYNC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"iversion", OPT_SET, MS_I_VERSION},
    {"lazytime", OPT_SET, MS_LAZYTIME},
    {"loud", OPT_CLEAR, MS_SILENT},
    {"mand", OPT_SET, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},
    {"nodev", OPT_SET, MS_NODEV},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"noexec", OPT_SET, MS_NOEXEC},
    {"noiversion", OPT_CLEAR, MS_I_VERSION},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"nosuid", OPT_SET, MS_NOSUID},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
    {"notmpcopyup", OPT_TMPCOPYUP, 1},
    {"private", OPT_PROPAGATION, MS_PRIVATE},
    {"rbind", OPT_SET, MS_BIND | MS_REC},
    {"rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV},
    {"rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC},
    {"relatime", OPT_SET, MS_RELATIME},
    {"remount", OPT_SET, MS_REMOUNT},
    {"ro", OPT_SET, MS_RDONLY},
    {"rnoatime", OPT_REC_SET, MOUNT_ATTR_NOATIME},
    {"rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV},
    {"rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME},
    {"rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC},
    {"rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID},
    {"rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
    {"rro", OPT_REC_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"rstrictatime", OPT_REC_SET, MOUNT_ATTR_STRICTATIME},
    {"rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID},
    {"rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"shared", OPT_PROPAGATION, MS_SHARED},
    {"silent", OPT_SET, MS_SILENT},
    {"slave", OPT_PROPAGATION, MS_SLAVE},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"sync", OPT_SET, MS_SYNCHRONOUS},
    {"tmpcopyup", OPT_TMPCOPYUP, 0},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
};

#define N_MOUNT_OPTIONS (sizeof mount_options / sizeof mount_options[0])

json_t *sp_json_mount_options(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < N_MOUNT_OPTIONS; i++)
        json_array_append_new(a, json_string(mount_options[i].name));
    return a;
}

static const struct mount_option *find_option(const char *name)
{
    for (size_t i = 0; i < N_MOUNT_OPTIONS; i++)
        if (strcmp(mount_options[i].name, name) == 0)
            return &mount_options[i];
    return NULL;
}

/* Options without a value that filesystems take as mount data (devpts,
 * tmpfs, overlay, cgroup v1/v2, the common block filesystems). Any other
 * bare word is a typo or an option nook does not implement: passed to the
 * kernel it would fail with a bare EINVAL, or be silently ignored. */
static const char *const data_words[] = {
    "acl", "barrier", "blkio", "clone_children", "cpu", "cpuacct", "cpuset", "devices",
    "discard", "favordynmods", "freezer", "hugetlb", "inode32", "inode64", "memory",
    "memory_localevents", "memory_recursiveprot", "misc", "net_cls", "net_prio",
    "newinstance", "noacl", "nobarrier", "nodiscard", "none", "noprefix", "noswap",
    "nouser_xattr", "nouuid", "nsdelegate", "perf_event", "pids", "rdma", "user_xattr",
    "userxattr", "volatile", "xattr",
};

static bool is_data_option(const char *name)
{
    if (strchr(name, '=') != NULL)
        return true;
    for (size_t i = 0; i < sizeof data_words / sizeof data_words[0]; i++)
        if (strcmp(data_words[i], name) == 0)
            return true;
    return false;
}

static void append_data(char **data, const char *opt)
{
    if (!*data) {
        *data = xstrdup(opt);
        return;
    }
    char *joined = xasprintf("%s,%s", *data, opt);
    free(*data);
    *data = joined;
}

int spec_parse_mount_options(struct spec_mount *m, const char *json_path,
                             struct nook_error *err)
{
    m->flags = m->clear_flags = m->propagation = 0;
    m->rec_attr_set = m->rec_attr_clear = 0;
    m->tmpcopyup = false;
    free(m->data);
    m->data = NULL;
    m->bind = m->type && strcmp(m->type, "bind") == 0;
    if (m->bind)
        m->flags |= MS_BIND;
    char op[SP_PATH_MAX], ep[SP_PATH_MAX];
    sp_path(op, json_path, "options");
    for (size_t i = 0; i < m->options.n; i++) {
        const char *name = m->options.v[i];
        if (name[0] == '\0') {
            sp_path_idx(ep, op, i);
            return sp_err(err, ep, "must not be empty");
        }
        const struct mount_option *o = find_option(name);
        if (!o) {
            /* Filesystem-specific ("size=64k", "newinstance"): the kernel
             * gets them as mount data, as runc does. */
            if (!is_data_option(name)) {
                sp_path_idx(ep, op, i);
                return sp_err(err, ep, "unknown mount option \"%s\"", name);
            }
            append_data(&m->data, name);
            continue;
        }
        switch (o->kind) {
        case OPT_SET:
            m->flags |= o->flag;
            m->clear_flags &= ~o->flag;
            if (o->flag & MS_BIND)
                m->bind = true;
            break;
        case OPT_CLEAR:
            m->clear_flags |= o->flag;
            m->flags &= ~o->flag;
            break;
        case OPT_PROPAGATION:
            m->propagation = o->flag;
            break;
        case OPT_REC_SET:
            m->rec_attr_set |= (unsigned int)o->flag;
            m->rec_attr_clear &= ~(unsigned int)o->flag;
            break;
        case OPT_REC_CLEAR:
            m->rec_attr_clear |= (unsigned int)o->flag;
            m->rec_attr_set &= ~(unsigned int)o->flag;
            break;
        case OPT_TMPCOPYUP:
            m->tmpcopyup = o->flag == 0;
            break;
        case OPT_NOTHING:
            break;
        }
    }
    return 0;
}

static int reject_mount_idmap(json_t *o, const char *path, const char *key,
                              struct nook_error *err)
{
    json_t *maps = sp_member(o, key);
    if (!maps || (json_is_array(maps) && json_array_size(maps) == 0))
        return 0;
    char p[SP_PATH_MAX];
    sp_path(p, path, key);
    return sp_err(err, p, "idmapped mounts are not supported");
}

static int parse_mount(json_t *o, const char *path, void *out, size_t i, struct nook_error *err)
{
    struct spec_mount *m = out;
    if (sp_require(o, "destination", path, err) < 0 ||
        sp_abs_path(o, "destination", path, &m->destination, err) < 0 ||
        sp_string(o, "type", path, &m->type, err) < 0 ||
        sp_string(o, "source", path, &m->source, err) < 0 ||
        sp_strv(o, "options", path, &m->options, err) < 0 ||
        reject_mount_idmap(o, path, "uidMappings", err) < 0 ||
        reject_mount_idmap(o, path, "gidMappings", err) < 0)
        return -1;
    return spec_parse_mount_options(m, path, err);
}

int sp_parse_mounts(json_t *doc, struct spec *spec, struct nook_error *err)
{
    return sp_each(doc, "mounts", "", sizeof *spec->mounts, (void **)&spec->mounts,
                   &spec->n_mounts, parse_mount, err);
}
