/* runtime/criu_proto.c: the criu RPC messages nook writes and reads, byte
 * for byte against the protobuf encoding of criu's rpc.proto (worked out
 * by hand from the wire format). */
#include "unit.h"
#include "../../runtime/criu.h"

#include <sched.h>
#include <stdlib.h>

static void test_encode_dump_request(void)
{
    struct criu_opts o = {.images_dir_fd = 5, .work_dir_fd = -1, .pid = 300,
                          .leave_running = true, .log_file = "d.log",
                          .has_empty_ns = true, .empty_ns = CLONE_NEWNET};
    criu_pairs_add(&o.ext_mnt, "/a", "/b", -1);
    criu_pairs_add(&o.inherit_fd, "k", NULL, 7);
    struct pbuf b = {0};
    criu_encode_request(CRIU_REQ_DUMP, &o, &b);
    static const unsigned char want[] = {
        0x08, 0x01,                                     /* type = DUMP */
        0x12, 0x28,                                     /* opts, 40 bytes */
        0x08, 0x05,                                     /* images_dir_fd = 5 */
        0x10, 0xac, 0x02,                               /* pid = 300 */
        0x18, 0x01,                                     /* leave_running */
        0x52, 0x05, 'd', '.', 'l', 'o', 'g',            /* log_file */
        0xba, 0x01, 0x08, 0x0a, 0x02, '/', 'a', 0x12, 0x02, '/', 'b', /* ext_mnt */
        0xda, 0x01, 0x05, 0x0a, 0x01, 'k', 0x10, 0x07,  /* inherit_fd */
        0xb0, 0x02, 0x80, 0x80, 0x80, 0x80, 0x04,       /* empty_ns = CLONE_NEWNET */
    };
    CHECK(b.len == sizeof want);
    CHECK(b.len == sizeof want && memcmp(b.p, want, sizeof want) == 0);
    pbuf_free(&b);
    criu_pairs_free(&o.ext_mnt);
    criu_pairs_free(&o.inherit_fd);
    CHECK(o.ext_mnt.n == 0 && o.ext_mnt.v == NULL);
}

static void test_encode_notify_ack(void)
{
    struct pbuf b = {0};
    criu_encode_notify_ack(&b);
    static const unsigned char want[] = {0x08, 0x06, 0x18, 0x01};
    CHECK(b.len == sizeof want && memcmp(b.p, want, sizeof want) == 0);
    pbuf_free(&b);
}

static void test_decode_restore_response(void)
{
    /* type RESTORE, success, restore{pid 1234}, and a version message
     * (field 10) nook does not read. */
    static const unsigned char msg[] = {0x08, 0x02, 0x10, 0x01, 0x22, 0x03, 0x08, 0xd2,
                                        0x09, 0x52, 0x02, 0x08, 0x03};
    struct criu_resp r;
    CHECK(criu_decode_response(msg, sizeof msg, &r) == 0);
    CHECK(r.type == CRIU_REQ_RESTORE);
    CHECK(r.success);
    CHECK(r.restore_pid == 1234);
}

static void test_decode_notify(void)
{
    static const unsigned char msg[] = {0x08, 0x06, 0x10, 0x01, 0x2a, 0x10, 0x0a, 0x0c,
                                        'p', 'o', 's', 't', '-', 'r', 'e', 's', 't', 'o',
                                        'r', 'e', 0x10, 0x07};
    struct criu_resp r;
    CHECK(criu_decode_response(msg, sizeof msg, &r) == 0);
    CHECK(r.type == CRIU_REQ_NOTIFY);
    CHECK_STR(r.script, "post-restore");
    CHECK(r.notify_pid == 7);
}

static void test_decode_failure(void)
{
    static const unsigned char msg[] = {0x08, 0x01, 0x10, 0x00, 0x38, 0x02,
                                        0x4a, 0x03, 'b', 'a', 'd'};
    struct criu_resp r;
    CHECK(criu_decode_response(msg, sizeof msg, &r) == 0);
    CHECK(!r.success);
    CHECK(r.cr_errno == 2);
    CHECK_STR(r.errmsg, "bad");
}

static void test_decode_malformed(void)
{
    struct criu_resp r;
    /* A length past the end. */
    static const unsigned char cut[] = {0x08, 0x02, 0x10, 0x01, 0x22, 0x09, 0x08};
    CHECK(criu_decode_response(cut, sizeof cut, &r) < 0);
    /* No success field: required. */
    static const unsigned char partial[] = {0x08, 0x02};
    CHECK(criu_decode_response(partial, sizeof partial, &r) < 0);
    /* A varint that never ends. */
    static const unsigned char endless[] = {0x08, 0x80, 0x80};
    CHECK(criu_decode_response(endless, sizeof endless, &r) < 0);
}

int main(void)
{
    test_encode_dump_request();
    test_encode_notify_ack();
    test_decode_restore_response();
    test_decode_notify();
    test_decode_failure();
    test_decode_malformed();
    return unit_report("test_runtime_criu");
}
