/* Releasing everything the parsers allocate. Each *_free leaves its struct
 * zeroed, so freeing twice or freeing an empty struct is harmless. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void sp_strv_free(struct spec_strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
    v->v = NULL;
    v->n = 0;
}

void spec_kvlist_free(struct spec_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

void spec_process_free(struct spec_process *p)
{
    free(p->user.additional_gids);
    free(p->user.username);
    sp_strv_free(&p->args);
    sp_strv_free(&p->env);
    free(p->cwd);
    sp_strv_free(&p->capabilities.bounding);
    sp_strv_free(&p->capabilities.effective);
    sp_strv_free(&p->capabilities.inheritable);
    sp_strv_free(&p->capabilities.permitted);
    sp_strv_free(&p->capabilities.ambient);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
    memset(p, 0, sizeof *p);
}

void spec_resources_free(struct spec_resources *r)
{
    free(r->devices);
    free(r->cpu.cpus);
    free(r->cpu.mems);
    free(r->block_io.weight_device);
    free(r->block_io.throttle_read_bps);
    free(r->block_io.throttle_write_bps);
    free(r->block_io.throttle_read_iops);
    free(r->block_io.throttle_write_iops);
    for (size_t i = 0; i < r->n_hugepage_limits; i++)
        free(r->hugepage_limits[i].page_size);
    free(r->hugepage_limits);
    for (size_t i = 0; i < r->network.n_priorities; i++)
        free(r->network.priorities[i].name);
    free(r->network.priorities);
    spec_kvlist_free(&r->unified);
    memset(r, 0, sizeof *r);
}

void sp_seccomp_free(struct spec_seccomp *s)
{
    sp_strv_free(&s->architectures);
    sp_strv_free(&s->flags);
    free(s->listener_path);
    free(s->listener_metadata);
    for (size_t i = 0; i < s->n_syscalls; i++) {
        sp_strv_free(&s->syscalls[i].names);
        free(s->syscalls[i].args);
    }
    free(s->syscalls);
    memset(s, 0, sizeof *s);
}

static void mount_free(struct spec_mount *m)
{
    free(m->destination);
    free(m->type);
    free(m->source);
    sp_strv_free(&m->options);
    free(m->data);
}

static void hook_list_free(struct spec_hook_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        sp_strv_free(&l->v[i].args);
        sp_strv_free(&l->v[i].env);
    }
    free(l->v);
}

void spec_free(struct spec *spec)
{
    free(spec->oci_version);
    spec_process_free(&spec->process);
    free(spec->root.path);
    free(spec->hostname);
    free(spec->domainname);
    for (size_t i = 0; i < spec->n_mounts; i++)
        mount_free(&spec->mounts[i]);
    free(spec->mounts);
    for (int k = 0; k < SPEC_HOOK_KINDS; k++)
        hook_list_free(&spec->hooks[k]);
    spec_kvlist_free(&spec->annotations);
    for (size_t i = 0; i < spec->n_namespaces; i++)
        free(spec->namespaces[i].path);
    free(spec->namespaces);
    free(spec->uid_mappings);
    free(spec->gid_mappings);
    for (size_t i = 0; i < spec->n_devices; i++)
        free(spec->devices[i].path);
    free(spec->devices);
    free(spec->cgroups_path);
    spec_resources_free(&spec->resources);
    sp_strv_free(&spec->masked_paths);
    sp_strv_free(&spec->readonly_paths);
    spec_kvlist_free(&spec->sysctl);
    sp_seccomp_free(&spec->seccomp);
    free(spec->mount_label);
    memset(spec, 0, sizeof *spec);
}
