/* spec/ internals: JSON loading and typed getters that name the JSON path of
 * whatever is wrong. Only the spec/ sources include this (and so jansson). */
#ifndef NOOK_SPEC_INTERNAL_H
#define NOOK_SPEC_INTERNAL_H

#include <jansson.h>

#include "spec.h"

/* The ociVersion nook writes and the highest it claims to implement. */
#define SPEC_OCI_VERSION "1.2.0"

/* Longest JSON path kept in messages; deeper paths are truncated, which only
 * shortens a message. */
#define SP_PATH_MAX 512

/* "parent.key" (or "key" when parent is empty), "parent[i]", parent["key"]. */
void sp_path(char *out, const char *parent, const char *key);
void sp_path_idx(char *out, const char *parent, size_t i);
void sp_path_mapkey(char *out, const char *parent, const char *key);

/* Parse a JSON document. what names it in syntax errors
 * ("config.json: invalid JSON at line 3 column 5: ..."); NULL gives the bare
 * "invalid JSON at ...". Integers above INT64_MAX (rlimit "unlimited" is
 * 18446744073709551615) are kept exactly for sp_u64. */
json_t *sp_load_json(const char *text, size_t len, const char *what, struct nook_error *err);
/* Read a file and parse it; see sp_load_json. */
json_t *sp_load_json_file(const char *path, const char *what, struct nook_error *err);

/* "<path>: <problem>" with code 0; returns -1. */
int sp_err(struct nook_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A member of obj; JSON null counts as absent (as Go's decoder treats it). */
json_t *sp_member(json_t *obj, const char *key);

/* Getters for obj[key]; parent is the path of obj. Absent members leave *out
 * (and *has) untouched and succeed, unless the getter says "required". */
int sp_require(json_t *obj, const char *key, const char *parent, struct nook_error *err);
int sp_object(json_t *obj, const char *key, const char *parent, json_t **out,
              struct nook_error *err);
int sp_array(json_t *obj, const char *key, const char *parent, json_t **out,
             struct nook_error *err);
int sp_string(json_t *obj, const char *key, const char *parent, char **out,
              struct nook_error *err);
int sp_bool(json_t *obj, const char *key, const char *parent, bool *out, bool *has,
            struct nook_error *err);
int sp_int(json_t *obj, const char *key, const char *parent, int64_t min, int64_t max,
           int64_t *out, bool *has, struct nook_error *err);
int sp_u64(json_t *obj, const char *key, const char *parent, uint64_t *out, bool *has,
           struct nook_error *err);
int sp_strv(json_t *obj, const char *key, const char *parent, struct spec_strv *out,
            struct nook_error *err);
/* An object whose values are all strings (annotations, sysctl, unified). */
int sp_kvlist(json_t *obj, const char *key, const char *parent, struct spec_kvlist *out,
              struct nook_error *err);
/* A string that must be an absolute path. */
int sp_abs_path(json_t *obj, const char *key, const char *parent, char **out,
                struct nook_error *err);

/* Value-level checks used by the getters and by array walkers. */
int sp_value_int(json_t *v, const char *path, int64_t min, int64_t max, int64_t *out,
                 struct nook_error *err);
int sp_value_u64(json_t *v, const char *path, uint64_t *out, struct nook_error *err);
/* Run each element of an array member through fn with its path. */
typedef int (*sp_elem_fn)(json_t *elem, const char *path, void *out, size_t i,
                          struct nook_error *err);
int sp_each(json_t *obj, const char *key, const char *parent, size_t elem_size,
            void **out, size_t *n, sp_elem_fn fn, struct nook_error *err);

/* Section parsers (one file each); parent is the path of the object. */
int sp_parse_process(json_t *obj, const char *path, struct spec_process *p,
                     struct nook_error *err);
int sp_parse_mounts(json_t *root, struct spec *spec, struct nook_error *err);
int sp_parse_hooks(json_t *root, struct spec *spec, struct nook_error *err);
int sp_parse_linux(json_t *linux_obj, const char *path, struct spec *spec, struct nook_error *err);
int sp_parse_resources(json_t *obj, const char *path, struct spec_resources *r,
                       struct nook_error *err);
int sp_parse_seccomp(json_t *obj, const char *path, struct spec_seccomp *s,
                     struct nook_error *err);

/* Frees for sub-structures, shared by free.c and the parsers. */
void sp_strv_free(struct spec_strv *v);
void sp_seccomp_free(struct spec_seccomp *s);

/* JSON building helpers for writers. */
json_t *sp_json_strv(const struct spec_strv *v);
json_t *sp_json_str_array(const char *const *v, size_t n);
/* Dump v (stealing the reference) with flags; caller frees the text. */
char *sp_dump(json_t *v, size_t flags);

/* linux.seccomp of `nook spec` (default_seccomp.c). */
json_t *sp_default_seccomp_json(void);

/* The mount options nook understands, for `features`. */
json_t *sp_json_mount_options(void);

#endif
