/* config.json: the top level (ociVersion, root, hostname, annotations) and
 * the entry points that tie the section parsers together. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* SemVer "MAJOR.MINOR.PATCH[-pre][+build]": only the major number decides
 * compatibility (the spec keeps it within a major version). */
static int check_oci_version(const char *v, struct nook_error *err)
{
    size_t digits = strspn(v, "0123456789");
    if (digits == 0 || v[digits] != '.')
        return sp_err(err, "ociVersion", "invalid version \"%s\"", v);
    if (digits != 1 || v[0] != '1')
        return sp_err(err, "ociVersion", "unsupported major version in \"%s\"", v);
    return 0;
}

static int parse_root(json_t *doc, struct spec *spec, struct nook_error *err)
{
    json_t *root;
    if (sp_require(doc, "root", "", err) < 0 || sp_object(doc, "root", "", &root, err) < 0)
        return -1;
    if (sp_require(root, "path", "root", err) < 0 ||
        sp_string(root, "path", "root", &spec->root.path, err) < 0 ||
        sp_bool(root, "readonly", "root", &spec->root.readonly, NULL, err) < 0)
        return -1;
    if (spec->root.path[0] == '\0')
        return sp_err(err, "root.path", "must not be empty");
    return 0;
}

static int parse_document(json_t *doc, struct spec *spec, struct nook_error *err)
{
    if (!json_is_object(doc))
        return nook_error_set(err, 0, "config.json: must be a JSON object");
    if (sp_require(doc, "ociVersion", "", err) < 0 ||
        sp_string(doc, "ociVersion", "", &spec->oci_version, err) < 0 ||
        check_oci_version(spec->oci_version, err) < 0)
        return -1;

    json_t *process;
    if (sp_object(doc, "process", "", &process, err) < 0)
        return -1;
    if (process) {
        spec->has_process = true;
        if (sp_parse_process(process, "process", &spec->process, err) < 0)
            return -1;
    }
    if (parse_root(doc, spec, err) < 0 ||
        sp_string(doc, "hostname", "", &spec->hostname, err) < 0 ||
        sp_string(doc, "domainname", "", &spec->domainname, err) < 0 ||
        sp_parse_mounts(doc, spec, err) < 0 || sp_parse_hooks(doc, spec, err) < 0 ||
        sp_kvlist(doc, "annotations", "", &spec->annotations, err) < 0)
        return -1;

    json_t *linux_obj;
    if (sp_object(doc, "linux", "", &linux_obj, err) < 0)
        return -1;
    if (linux_obj && sp_parse_linux(linux_obj, "linux", spec, err) < 0)
        return -1;
    return 0;
}

static int parse_loaded(json_t *doc, struct spec *spec, struct nook_error *err)
{
    memset(spec, 0, sizeof *spec);
    int r = parse_document(doc, spec, err);
    json_decref(doc);
    if (r < 0)
        spec_free(spec);
    return r;
}

int spec_parse(const char *json, size_t len, struct spec *spec, struct nook_error *err)
{
    memset(spec, 0, sizeof *spec);
    json_t *doc = sp_load_json(json, len, NULL, err);
    if (!doc)
        return -1;
    return parse_loaded(doc, spec, err);
}

int spec_load(const char *path, struct spec *spec, struct nook_error *err)
{
    memset(spec, 0, sizeof *spec);
    json_t *doc = sp_load_json_file(path, "config.json", err);
    if (!doc)
        return -1;
    return parse_loaded(doc, spec, err);
}

const struct spec_namespace *spec_find_namespace(const struct spec *spec, enum spec_ns_type t)
{
    for (size_t i = 0; i < spec->n_namespaces; i++)
        if (spec->namespaces[i].type == t)
            return &spec->namespaces[i];
    return NULL;
}

const char *spec_annotation(const struct spec *spec, const char *key)
{
    for (size_t i = 0; i < spec->annotations.n; i++)
        if (strcmp(spec->annotations.v[i].key, key) == 0)
            return spec->annotations.v[i].value;
    return NULL;
}
