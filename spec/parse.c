/* Core of the config parser: loading JSON and typed getters that report the
 * JSON path of a bad value ("process.user.uid: must be an integer"). */
#include "internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson stores integers as long long and rejects larger literals, but OCI
 * configs carry uint64 values such as 18446744073709551615 (RLIM_INFINITY).
 * Before parsing, such literals are rewritten into strings that start with
 * this marker (a control character, which a JSON string cannot hold raw), and
 * sp_value_u64 reads them back exactly. */
#define BIGINT_MARK "\x01"
#define BIGINT_MARK_ESCAPED "\\u0001"

/* Paths longer than SP_PATH_MAX end in "..." (only the message is shorter). */
static void path_fit(char *out, int n)
{
    if (n >= SP_PATH_MAX)
        memcpy(out + SP_PATH_MAX - 4, "...", 4);
}

void sp_path(char *out, const char *parent, const char *key)
{
    if (parent[0] == '\0')
        path_fit(out, snprintf(out, SP_PATH_MAX, "%s", key));
    else
        path_fit(out, snprintf(out, SP_PATH_MAX, "%s.%s", parent, key));
}

void sp_path_idx(char *out, const char *parent, size_t i)
{
    path_fit(out, snprintf(out, SP_PATH_MAX, "%s[%zu]", parent, i));
}

void sp_path_mapkey(char *out, const char *parent, const char *key)
{
    path_fit(out, snprintf(out, SP_PATH_MAX, "%s[\"%s\"]", parent, key));
}

int sp_err(struct nook_error *err, const char *path, const char *fmt, ...)
{
    char problem[NOOK_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    return nook_error_set(err, 0, "%s: %s", path, problem);
}

/* A digits-only literal in (INT64_MAX, UINT64_MAX]? */
static bool is_big_unsigned(const char *s, size_t n)
{
    static const char i64max[] = "9223372036854775807";
    static const char u64max[] = "18446744073709551615";
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    if (n == 0 || s[0] == '0')
        return false;
    bool above_i64 = n > 19 || (n == 19 && strncmp(s, i64max, n) > 0);
    bool within_u64 = n < 20 || (n == 20 && strncmp(s, u64max, n) <= 0);
    return above_i64 && within_u64;
}

/* Copy text, turning big unsigned literals into marked strings. Returns NULL
 * when there is none (the common case: parse the original). */
static char *rewrite_big_integers(const char *text, size_t len, size_t *out_len)
{
    char *out = NULL;
    size_t cap = 0, n = 0, copied = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
            continue;
        }
        if (c < '0' || c > '9')
            continue;
        size_t end = i;
        while (end < len && strchr("0123456789.eE+-", text[end]) != NULL)
            end++;
        bool negative = i > 0 && text[i - 1] == '-';
        if (!negative && is_big_unsigned(text + i, end - i)) {
            size_t need = n + (i - copied) + (end - i) + sizeof BIGINT_MARK_ESCAPED + 2;
            if (need > cap) {
                cap = need + len;
                out = xrealloc(out, cap);
            }
            memcpy(out + n, text + copied, i - copied);
            n += i - copied;
            n += (size_t)sprintf(out + n, "\"%s%.*s\"", BIGINT_MARK_ESCAPED, (int)(end - i),
                                 text + i);
            copied = end;
        }
        i = end - 1;
    }
    if (!out)
        return NULL;
    out = xrealloc(out, n + (len - copied) + 1);
    memcpy(out + n, text + copied, len - copied);
    n += len - copied;
    out[n] = '\0';
    *out_len = n;
    return out;
}

static json_t *load_or_report(const char *text, size_t len, const char *what,
                              struct nook_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root)
        nook_error_set(err, 0, "%s%sinvalid JSON at line %d column %d: %s", what ? what : "",
                       what ? ": " : "", jerr.line, jerr.column, jerr.text);
    return root;
}

json_t *sp_load_json(const char *text, size_t len, const char *what, struct nook_error *err)
{
    size_t rlen = 0;
    char *rewritten = rewrite_big_integers(text, len, &rlen);
    if (!rewritten)
        return load_or_report(text, len, what, err);
    json_error_t jerr;
    json_t *root = json_loadb(rewritten, rlen, 0, &jerr);
    free(rewritten);
    if (root)
        return root;
    /* Report positions in the text the user wrote. */
    return load_or_report(text, len, what, err);
}

json_t *sp_load_json_file(const char *path, const char *what, struct nook_error *err)
{
    char *text;
    size_t len;
    if (read_regular_file(path, SPEC_FILE_MAX, &text, &len, err) < 0)
        return NULL;
    json_t *root = sp_load_json(text, len, what, err);
    free(text);
    return root;
}

json_t *sp_member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

static bool is_bigint(json_t *v)
{
    return json_is_string(v) && strncmp(json_string_value(v), BIGINT_MARK, 1) == 0;
}

/* "<parent>.<key>: <problem>" */
static int member_err(struct nook_error *err, const char *parent, const char *key,
                      const char *problem)
{
    char p[SP_PATH_MAX];
    sp_path(p, parent, key);
    return sp_err(err, p, "%s", problem);
}

int sp_require(json_t *obj, const char *key, const char *parent, struct nook_error *err)
{
    return sp_member(obj, key) ? 0 : member_err(err, parent, key, "is required");
}

/* The member key of obj when it is of type t, NULL when absent or null. */
static int typed_member(json_t *obj, const char *key, const char *parent, json_type t,
                        const char *problem, json_t **out, struct nook_error *err)
{
    json_t *v = sp_member(obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (json_typeof(v) != t)
        return member_err(err, parent, key, problem);
    *out = v;
    return 0;
}

int sp_object(json_t *obj, const char *key, const char *parent, json_t **out,
              struct nook_error *err)
{
    return typed_member(obj, key, parent, JSON_OBJECT, "must be an object", out, err);
}

int sp_array(json_t *obj, const char *key, const char *parent, json_t **out,
             struct nook_error *err)
{
    return typed_member(obj, key, parent, JSON_ARRAY, "must be an array", out, err);
}

int sp_string(json_t *obj, const char *key, const char *parent, char **out,
              struct nook_error *err)
{
    json_t *v = sp_member(obj, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || is_bigint(v))
        return member_err(err, parent, key, "must be a string");
    free(*out);
    *out = xstrdup(json_string_value(v));
    return 0;
}

int sp_abs_path(json_t *obj, const char *key, const char *parent, char **out,
                struct nook_error *err)
{
    if (sp_string(obj, key, parent, out, err) < 0)
        return -1;
    if (*out && (*out)[0] != '/') {
        char p[SP_PATH_MAX];
        sp_path(p, parent, key);
        return sp_err(err, p, "must be an absolute path, got \"%s\"", *out);
    }
    return 0;
}

int sp_bool(json_t *obj, const char *key, const char *parent, bool *out, bool *has,
            struct nook_error *err)
{
    json_t *v = sp_member(obj, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return member_err(err, parent, key, "must be a boolean");
    *out = json_is_true(v);
    if (has)
        *has = true;
    return 0;
}

int sp_value_int(json_t *v, const char *path, int64_t min, int64_t max, int64_t *out,
                 struct nook_error *err)
{
    if (is_bigint(v))
        return sp_err(err, path, "must be between %" PRId64 " and %" PRId64 ", got %s", min,
                      max, json_string_value(v) + 1);
    if (!json_is_integer(v))
        return sp_err(err, path, "must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return sp_err(err, path, "must be between %" PRId64 " and %" PRId64 ", got %lld", min,
                      max, (long long)x);
    *out = x;
    return 0;
}

int sp_value_u64(json_t *v, const char *path, uint64_t *out, struct nook_error *err)
{
    if (is_bigint(v)) {
        *out = strtoull(json_string_value(v) + 1, NULL, 10);
        return 0;
    }
    if (!json_is_integer(v))
        return sp_err(err, path, "must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < 0)
        return sp_err(err, path, "must be a non-negative integer, got %lld", (long long)x);
    *out = (uint64_t)x;
    return 0;
}

int sp_int(json_t *obj, const char *key, const char *parent, int64_t min, int64_t max,
           int64_t *out, bool *has, struct nook_error *err)
{
    json_t *v = sp_member(obj, key);
    if (!v)
        return 0;
    char p[SP_PATH_MAX];
    sp_path(p, parent, key);
    if (sp_value_int(v, p, min, max, out, err) < 0)
        return -1;
    if (has)
        *has = true;
    return 0;
}

int sp_u64(json_t *obj, const char *key, const char *parent, uint64_t *out, bool *has,
           struct nook_error *err)
{
    json_t *v = sp_member(obj, key);
    if (!v)
        return 0;
    char p[SP_PATH_MAX];
    sp_path(p, parent, key);
    if (sp_value_u64(v, p, out, err) < 0)
        return -1;
    if (has)
        *has = true;
    return 0;
}

int sp_strv(json_t *obj, const char *key, const char *parent, struct spec_strv *out,
            struct nook_error *err)
{
    json_t *arr = NULL;
    if (sp_array(obj, key, parent, &arr, err) < 0)
        return -1;
    if (!arr)
        return 0;
    char p[SP_PATH_MAX], ep[SP_PATH_MAX];
    sp_path(p, parent, key);
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (!json_is_string(e) || is_bigint(e)) {
            sp_path_idx(ep, p, i);
            return sp_err(err, ep, "must be a string");
        }
    }
    sp_strv_free(out);
    out->v = xcalloc(n + 1, sizeof *out->v);
    out->n = n;
    for (size_t i = 0; i < n; i++)
        out->v[i] = xstrdup(json_string_value(json_array_get(arr, i)));
    return 0;
}

int sp_kvlist(json_t *obj, const char *key, const char *parent, struct spec_kvlist *out,
              struct nook_error *err)
{
    json_t *o = NULL;
    if (sp_object(obj, key, parent, &o, err) < 0)
        return -1;
    if (!o)
        return 0;
    char p[SP_PATH_MAX], ep[SP_PATH_MAX];
    sp_path(p, parent, key);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        if (!json_is_string(v) || is_bigint(v)) {
            sp_path_mapkey(ep, p, k);
            return sp_err(err, ep, "must be a string");
        }
    }
    spec_kvlist_free(out);
    out->v = xcalloc(json_object_size(o), sizeof *out->v);
    /* Keys in the order written, so output and application are predictable. */
    json_object_foreach(o, k, v) {
        out->v[out->n].key = xstrdup(k);
        out->v[out->n].value = xstrdup(json_string_value(v));
        out->n++;
    }
    return 0;
}

int sp_each(json_t *obj, const char *key, const char *parent, size_t elem_size,
            void **out, size_t *n, sp_elem_fn fn, struct nook_error *err)
{
    json_t *arr = NULL;
    if (sp_array(obj, key, parent, &arr, err) < 0)
        return -1;
    if (!arr)
        return 0;
    char p[SP_PATH_MAX], ep[SP_PATH_MAX];
    sp_path(p, parent, key);
    size_t count = json_array_size(arr);
    /* Elements are stored as they are parsed, so on error the caller's free
     * function sees exactly the ones that were filled in. */
    *out = xcalloc(count, elem_size);
    *n = 0;
    for (size_t i = 0; i < count; i++) {
        json_t *e = json_array_get(arr, i);
        sp_path_idx(ep, p, i);
        if (!json_is_object(e))
            return sp_err(err, ep, "must be an object");
        (*n)++;
        if (fn(e, ep, (char *)*out + i * elem_size, i, err) < 0)
            return -1;
    }
    return 0;
}

json_t *sp_json_str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *sp_json_strv(const struct spec_strv *v)
{
    return sp_json_str_array((const char *const *)v->v, v->n);
}

char *sp_dump(json_t *v, size_t flags)
{
    /* With allocation fatal (below), json_dumps fails only on a string that
     * is not UTF-8, which the writers' callers report. */
    char *s = json_dumps(v, flags);
    json_decref(v);
    return s;
}

/* nook treats running out of memory as fatal; make jansson's allocations
 * follow the same rule so no JSON call needs an out-of-memory path. */
__attribute__((constructor)) static void sp_set_json_allocator(void)
{
    json_set_alloc_funcs(xmalloc, free);
}
