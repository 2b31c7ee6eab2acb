/* What checkpoint and restore set up alike for criu: the image and work
 * directories, the options they share, the config file. */
#include "criu.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_dir(const char *what, const char *path, bool make, int *fd,
                    struct nook_error *err)
{
    /* A container can be checkpointed and restored many times: the
     * directory may already exist. */
    if (make && mkdir(path, 0700) < 0 && errno != EEXIST)
        return nook_error_sys(err, "create %s %s", what, path);
    *fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0)
        return nook_error_sys(err, "open %s %s", what, path);
    return 0;
}

int criu_open_dirs(const struct criu_cli_opts *c, bool make_images, struct criu_dirs *d,
                   struct nook_error *err)
{
    d->images_fd = d->work_fd = -1;
    d->images = xstrdup(c->image_path ? c->image_path : "checkpoint");
    if (open_dir("image directory", d->images, make_images, &d->images_fd, err) < 0)
        return -1;
    if (c->work_path && open_dir("work directory", c->work_path, true, &d->work_fd, err) < 0)
        return -1;
    d->log_dir = c->work_path ? c->work_path : d->images;
    return 0;
}

void criu_close_dirs(struct criu_dirs *d)
{
    if (d->images_fd >= 0)
        close(d->images_fd);
    if (d->work_fd >= 0)
        close(d->work_fd);
    free(d->images);
    d->images = NULL;
    d->images_fd = d->work_fd = -1;
}

int criu_parse_cli(const struct criu_cli_opts *c, struct criu_opts *o, struct nook_error *err)
{
    o->tcp_established = c->tcp_established;
    o->ext_unix_sk = c->ext_unix_sk;
    o->shell_job = c->shell_job;
    o->file_locks = c->file_locks;
    o->auto_dedup = c->auto_dedup;
    /* Lazy migration needs the page server and a restore side that runs
     * while the dump still serves pages: not done (yet). */
    if (c->lazy_pages)
        return nook_error_set(err, ENOTSUP, "--lazy-pages is not supported by nook");
    if (c->manage_cgroups_mode) {
        const char *m = c->manage_cgroups_mode;
        if (strcmp(m, "soft") == 0)
            o->manage_cgroups_mode = CRIU_CG_SOFT;
        else if (strcmp(m, "full") == 0)
            o->manage_cgroups_mode = CRIU_CG_FULL;
        else if (strcmp(m, "strict") == 0)
            o->manage_cgroups_mode = CRIU_CG_STRICT;
        else
            return nook_error_set(err, 0, "--manage-cgroups-mode: \"%s\" is not soft, full or "
                                  "strict", m);
    }
    /* nook does not configure network devices: criu never restores the
     * network namespace's properties (as runc). */
    o->has_empty_ns = true;
    o->empty_ns = CLONE_NEWNET;
    for (size_t i = 0; i < c->n_empty_ns; i++)
        if (strcmp(c->empty_ns[i], "network") != 0)
            return nook_error_set(err, 0, "--empty-ns: namespace \"%s\" is not supported "
                                  "(only network)", c->empty_ns[i]);
    return 0;
}

const char *criu_config_file(const struct spec *spec)
{
    /* criu reads its own default configs, then this one (which need not
     * exist); the annotation names another, or none when empty (as runc). */
    const char *a = spec_annotation(spec, "org.criu.config");
    if (a)
        return *a ? a : NULL;
    return "/etc/criu/nook.conf";
}
