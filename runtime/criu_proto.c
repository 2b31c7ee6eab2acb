/* The protobuf wire format of the criu RPC messages nook sends and reads
 * (field numbers from criu's rpc.proto, proto2). Only what the format needs
 * for them: varints (wire type 0) and length-delimited strings and nested
 * messages (wire type 2); unknown fields of a response are skipped. */
#include "criu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void criu_pairs_add(struct criu_pairs *l, const char *a, const char *b, int fd)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n].a = a ? xstrdup(a) : NULL;
    l->v[l->n].b = b ? xstrdup(b) : NULL;
    l->v[l->n].fd = fd;
    l->n++;
}

void criu_pairs_free(struct criu_pairs *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].a);
        free(l->v[i].b);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

void pbuf_free(struct pbuf *b)
{
    free(b->p);
    *b = (struct pbuf){0};
}

static void put_bytes(struct pbuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = xrealloc(b->p, b->cap);
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put_varint(struct pbuf *b, uint64_t v)
{
    unsigned char c[10];
    size_t n = 0;
    do {
        c[n] = v & 0x7f;
        v >>= 7;
        if (v)
            c[n] |= 0x80;
        n++;
    } while (v);
    put_bytes(b, c, n);
}

enum { WT_VARINT = 0, WT_LEN = 2 };

static void put_tag(struct pbuf *b, unsigned field, unsigned wt)
{
    put_varint(b, (uint64_t)field << 3 | wt);
}

/* int32 and enums: a negative value is sign-extended to 64 bits. */
static void put_int(struct pbuf *b, unsigned field, int64_t v)
{
    put_tag(b, field, WT_VARINT);
    put_varint(b, (uint64_t)v);
}

static void put_bool(struct pbuf *b, unsigned field, bool v)
{
    if (v)
        put_int(b, field, 1);
}

static void put_len(struct pbuf *b, unsigned field, const void *p, size_t n)
{
    put_tag(b, field, WT_LEN);
    put_varint(b, n);
    put_bytes(b, p, n);
}

static void put_string(struct pbuf *b, unsigned field, const char *s)
{
    if (s)
        put_len(b, field, s, strlen(s));
}

static void put_message(struct pbuf *b, unsigned field, struct pbuf *sub)
{
    put_len(b, field, sub->p, sub->len);
    pbuf_free(sub);
}

/* Each pair as a nested message: a as field 1 (string), b as field 2
 * (string, or fd as int32 when b is NULL). */
static void put_pairs(struct pbuf *b, unsigned field, const struct criu_pairs *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct pbuf sub = {0};
        put_string(&sub, 1, l->v[i].a);
        if (l->v[i].b)
            put_string(&sub, 2, l->v[i].b);
        else
            put_int(&sub, 2, l->v[i].fd);
        put_message(b, field, &sub);
    }
}

static void encode_opts(const struct criu_opts *o, struct pbuf *b)
{
    put_int(b, 1, o->images_dir_fd);
    if (o->pid > 0)
        put_int(b, 2, o->pid);
    put_bool(b, 3, o->leave_running);
    put_bool(b, 4, o->ext_unix_sk);
    put_bool(b, 5, o->tcp_established);
    put_bool(b, 6, o->evasive_devices);
    put_bool(b, 7, o->shell_job);
    put_bool(b, 8, o->file_locks);
    if (o->log_level > 0)
        put_int(b, 9, o->log_level);
    put_string(b, 10, o->log_file);
    if (o->ps_address) {
        struct pbuf ps = {0};
        put_string(&ps, 1, o->ps_address);
        put_int(&ps, 2, o->ps_port);
        put_message(b, 11, &ps);
    }
    put_bool(b, 12, o->notify_scripts);
    put_string(b, 13, o->root);
    put_string(b, 14, o->parent_img);
    put_bool(b, 15, o->track_mem);
    put_bool(b, 16, o->auto_dedup);
    if (o->work_dir_fd >= 0)
        put_int(b, 17, o->work_dir_fd);
    put_pairs(b, 23, &o->ext_mnt);
    put_bool(b, 24, o->manage_cgroups);
    put_pairs(b, 25, &o->cg_root);
    put_bool(b, 26, o->rst_sibling);
    put_pairs(b, 27, &o->inherit_fd);
    if (o->manage_cgroups_mode)
        put_int(b, 34, o->manage_cgroups_mode);
    for (size_t i = 0; i < o->external.n; i++)
        put_string(b, 37, o->external.v[i].a);
    if (o->has_empty_ns)
        put_int(b, 38, o->empty_ns);
    put_pairs(b, 39, &o->join_ns);
    put_string(b, 44, o->freeze_cgroup);
    put_bool(b, 50, o->orphan_pts_master);
    put_string(b, 51, o->config_file);
}

void criu_encode_request(int type, const struct criu_opts *o, struct pbuf *out)
{
    put_int(out, 1, type);
    if (o) {
        struct pbuf sub = {0};
        encode_opts(o, &sub);
        put_message(out, 2, &sub);
    }
}

void criu_encode_notify_ack(struct pbuf *out)
{
    put_int(out, 1, CRIU_REQ_NOTIFY);
    put_int(out, 3, 1);
}

/* ---- decoding ---- */

struct reader {
    const unsigned char *p, *end;
};

static int get_varint(struct reader *r, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return -1;
        unsigned char c = *r->p++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return 0;
    }
    return -1;
}

/* The next field: number, wire type, and its varint value or bytes. */
struct field {
    unsigned num, wt;
    uint64_t v;
    struct reader bytes;
};

static int next_field(struct reader *r, struct field *f)
{
    uint64_t tag, n;
    if (get_varint(r, &tag) < 0)
        return -1;
    f->num = (unsigned)(tag >> 3);
    f->wt = (unsigned)(tag & 7);
    switch (f->wt) {
    case WT_VARINT:
        return get_varint(r, &f->v);
    case WT_LEN:
        if (get_varint(r, &n) < 0 || n > (uint64_t)(r->end - r->p))
            return -1;
        f->bytes = (struct reader){r->p, r->p + n};
        r->p += n;
        return 0;
    case 1: /* 64-bit */
        if (r->end - r->p < 8)
            return -1;
        r->p += 8;
        return 0;
    case 5: /* 32-bit */
        if (r->end - r->p < 4)
            return -1;
        r->p += 4;
        return 0;
    default:
        return -1;
    }
}

static void copy_string(char *dst, size_t size, const struct reader *s)
{
    size_t n = (size_t)(s->end - s->p);
    if (n >= size)
        n = size - 1;
    memcpy(dst, s->p, n);
    dst[n] = '\0';
}

/* criu_restore_resp{pid = 1} and criu_notify{script = 1, pid = 2}. */
static int decode_restore(struct reader r, struct criu_resp *out)
{
    struct field f;
    while (r.p < r.end) {
        if (next_field(&r, &f) < 0)
            return -1;
        if (f.num == 1 && f.wt == WT_VARINT)
            out->restore_pid = (pid_t)f.v;
    }
    return 0;
}

static int decode_notify(struct reader r, struct criu_resp *out)
{
    struct field f;
    while (r.p < r.end) {
        if (next_field(&r, &f) < 0)
            return -1;
        if (f.num == 1 && f.wt == WT_LEN)
            copy_string(out->script, sizeof out->script, &f.bytes);
        else if (f.num == 2 && f.wt == WT_VARINT)
            out->notify_pid = (pid_t)f.v;
    }
    return 0;
}

int criu_decode_response(const unsigned char *p, size_t len, struct criu_resp *out)
{
    memset(out, 0, sizeof *out);
    struct reader r = {p, p + len};
    bool have_type = false, have_success = false;
    struct field f;
    while (r.p < r.end) {
        if (next_field(&r, &f) < 0)
            goto bad;
        switch (f.num) {
        case 1:
            if (f.wt != WT_VARINT)
                goto bad;
            out->type = (int)f.v;
            have_type = true;
            break;
        case 2:
            if (f.wt != WT_VARINT)
                goto bad;
            out->success = f.v != 0;
            have_success = true;
            break;
        case 4:
            if (f.wt != WT_LEN || decode_restore(f.bytes, out) < 0)
                goto bad;
            break;
        case 5:
            if (f.wt != WT_LEN || decode_notify(f.bytes, out) < 0)
                goto bad;
            break;
        case 7:
            if (f.wt != WT_VARINT)
                goto bad;
            out->cr_errno = (int)(int32_t)f.v;
            break;
        case 9:
            if (f.wt != WT_LEN)
                goto bad;
            copy_string(out->errmsg, sizeof out->errmsg, &f.bytes);
            break;
        default:
            break;
        }
    }
    if (have_type && have_success)
        return 0;
bad:
    errno = EPROTO;
    return -1;
}
