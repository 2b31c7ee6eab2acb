/* `nook sandbox`'s spec: what only the host can tell (bind sources, the
 * caller's environment and directory, unprivileged or not, a fresh id),
 * checked and filled in here; spec_sandbox_config (spec/sandbox.c) turns it
 * into the config.json that runtime_run then runs like any bundle's. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *mount_option(const struct spec_sandbox_mount *m)
{
    return m->tmpfs ? "--tmpfs" : m->readonly ? "--ro-bind" : "--bind";
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A copy of the mounts with bind sources resolved on the host (they must
 * exist) into *owned, freed by the caller; destinations absolute. */
static int resolve_mounts(const struct spec_sandbox_mount *given, size_t n,
                          struct spec_sandbox_mount **v, char ***owned, struct nook_error *err)
{
    *owned = xcalloc(n + 1, sizeof **owned);
    *v = xcalloc(n + 1, sizeof **v);
    for (size_t i = 0; i < n; i++) {
        struct spec_sandbox_mount *m = &(*v)[i];
        *m = given[i];
        if (m->destination[0] != '/')
            return nook_error_set(err, 0, "%s %s: the destination must be an absolute path",
                                  mount_option(m), m->destination);
        if (m->tmpfs)
            continue;
        char *src = realpath(m->source, NULL);
        if (!src)
            return nook_error_sys(err, "%s %s", mount_option(m), m->source);
        (*owned)[i] = src;
        m->source = src;
    }
    return 0;
}

/* The caller's environment, less all of it with --clearenv (PATH then
 * stays `nook spec`'s, so a command name is still found), then --env K=V
 * (replacing a variable of the same name). */
static char **build_env(char *const *caller, bool clearenv, char *const *set, size_t n_set,
                        size_t *n)
{
    size_t cap = n_set + 2;
    for (size_t i = 0; !clearenv && caller && caller[i]; i++)
        cap++;
    char **env = xcalloc(cap, sizeof *env);
    *n = 0;
    if (clearenv)
        env[(*n)++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (size_t i = 0; !clearenv && caller && caller[i]; i++)
        env[(*n)++] = caller[i];
    for (size_t i = 0; i < n_set; i++) {
        size_t klen = strcspn(set[i], "=");
        size_t j;
        for (j = 0; j < *n; j++)
            if (!strncmp(env[j], set[i], klen) && env[j][klen] == '=')
                break;
        env[j] = set[i];
        if (j == *n)
            (*n)++;
    }
    return env;
}

/* The directory the command starts in: --chdir, else the caller's own when
 * the sandbox shows it (under the root's lower layer, not hidden by a fresh
 * /proc, /dev or /tmp), else /. */
static char *pick_cwd(const struct sandbox_opts *o, const char *lower)
{
    if (o->chdir)
        return xstrdup(o->chdir);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return xstrdup("/");
    static const char *const fresh[] = {"/proc", "/dev", "/tmp", "/sys"};
    for (size_t i = 0; i < sizeof fresh / sizeof fresh[0]; i++) {
        size_t l = strlen(fresh[i]);
        if (!strncmp(cwd, fresh[i], l) && (cwd[l] == '/' || !cwd[l])) {
            free(cwd);
            return xstrdup("/");
        }
    }
    char *inside = strcmp(lower, "/") ? xasprintf("%s%s", lower, cwd) : xstrdup(cwd);
    bool seen = is_dir(inside);
    free(inside);
    if (!seen) {
        free(cwd);
        return xstrdup("/");
    }
    return cwd;
}

static void fresh_id(char *buf, size_t len)
{
    unsigned char r[6];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        pid_t p = getpid();
        memcpy(r, &p, sizeof p < sizeof r ? sizeof p : sizeof r);
    }
    snprintf(buf, len, "sandbox-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

int runtime_sandbox_spec(struct sandbox_opts *o, struct runtime_spec *rs, struct nook_error *err)
{
    struct spec_sandbox sb = o->sb;
    memset(rs, 0, sizeof *rs);
    if (o->name) {
        o->id = o->name;
    } else {
        fresh_id(o->id_buf, sizeof o->id_buf);
        o->id = o->id_buf;
    }
    char *lower = NULL, *upper = NULL, *cwd = NULL, **owned = NULL, **env = NULL;
    struct spec_sandbox_mount *mounts = NULL;
    char host[256];
    int r = -1;
    lower = realpath(o->rootfs ? o->rootfs : "/", NULL);
    if (!lower || !is_dir(lower)) {
        if (lower)
            errno = ENOTDIR;
        nook_error_sys(err, "--rootfs %s", o->rootfs);
        goto out;
    }
    if (o->overlay_dir) {
        /* The writes go to DIR/upper; overlayfs's work dir must be next to
         * it, on the same filesystem, and DIR is where the user may write. */
        char *dir = realpath(o->overlay_dir, NULL);
        if (!dir || !is_dir(dir)) {
            if (dir)
                errno = ENOTDIR;
            free(dir);
            nook_error_sys(err, "--overlay-dir %s", o->overlay_dir);
            goto out;
        }
        upper = xasprintf("%s/upper", dir);
        free(dir);
        if (mkdir(upper, 0755) < 0 && errno != EEXIST) {
            nook_error_sys(err, "--overlay-dir %s: create %s", o->overlay_dir, upper);
            goto out;
        }
    }
    sb.lower = lower;
    sb.upper = upper;
    if (resolve_mounts(o->mounts, o->n_mounts, &mounts, &owned, err) < 0)
        goto out;
    sb.mounts = mounts;
    sb.n_mounts = o->n_mounts;
    cwd = pick_cwd(o, lower);
    sb.cwd = cwd;
    env = build_env(o->caller_env, o->clearenv, o->set_env, o->n_set_env, &sb.n_env);
    sb.env = env;
    /* The host's name unless --hostname: a sandbox is not another machine. */
    if (!sb.hostname && gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        sb.hostname = host;
    }
    sb.rootless = geteuid() != 0;
    sb.host_uid = geteuid();
    sb.host_gid = getegid();
    char *json;
    if (spec_sandbox_config(&sb, &json, err) < 0)
        goto out;
    r = runtime_spec_from_json(json, strlen(json), rs, err);
    free(json);
out:
    for (size_t i = 0; owned && i < o->n_mounts; i++)
        free(owned[i]);
    free(owned);
    free(mounts);
    free(env);
    free(cwd);
    free(upper);
    free(lower);
    return r;
}
