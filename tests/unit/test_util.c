#include "unit.h"
#include "../../util/util.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <stdlib.h>
#include <time.h>

static void test_error_format(void)
{
    struct nook_error err;
    CHECK(nook_error_set(&err, EPERM, "mount %s on %s", "proc", "/proc") == -1);
    CHECK_STR(err.msg, "mount proc on /proc: Operation not permitted");
    CHECK(err.code == EPERM);
    nook_error_set(&err, 0, "root.path: must be a string");
    CHECK_STR(err.msg, "root.path: must be a string");
    nook_error_wrap(&err, "load %s", "config.json");
    CHECK_STR(err.msg, "load config.json: root.path: must be a string");
}

static void test_files(void)
{
    struct nook_error err;
    char dir[] = "/tmp/nook-unit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *nested = xasprintf("%s/a/b/c", dir);
    CHECK(mkdir_p(nested, 0700, &err) == 0);
    char *f = xasprintf("%s/x", nested);
    CHECK(write_file_atomic(f, "hello", 5, 0600, &err) == 0);
    char *data;
    size_t len;
    CHECK(read_file(f, &data, &len, &err) == 0 && len == 5);
    CHECK_STR(data, "hello");
    free(data);
    CHECK(read_file("/nonexistent/nook", &data, &len, &err) == -1);
    CHECK(err.code == ENOENT);
    char *cmd = xasprintf("rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    free(cmd);
    free(f);
    free(nested);
}

static const char *sha256_of(const char *data, size_t len, size_t chunk)
{
    static char hex[2 * SHA256_LEN + 1];
    struct sha256 s;
    unsigned char d[SHA256_LEN];
    sha256_init(&s);
    for (size_t off = 0; off < len; off += chunk)
        sha256_update(&s, data + off, len - off < chunk ? len - off : chunk);
    sha256_final(&s, d);
    sha256_hex(d, hex);
    return hex;
}

/* FIPS 180-4 example vectors, fed whole and in pieces that cross the
 * 64-byte blocks. */
static void test_sha256(void)
{
    CHECK_STR(sha256_of("", 0, 1),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_STR(sha256_of("abc", 3, 3),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK_STR(sha256_of(two, strlen(two), 7),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = xmalloc(1000000);
    memset(million, 'a', 1000000);
    CHECK_STR(sha256_of(million, 1000000, 4096),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

static const char *traced;
static void record_trace(const char *msg)
{
    free((char *)traced);
    traced = xstrdup(msg);
}

static void test_trace(void)
{
    char buf[256];
    CHECK_STR(nook_trace_mount_flags(0, buf, sizeof buf), "0");
    CHECK_STR(nook_trace_mount_flags(MS_BIND | MS_REC | MS_RDONLY, buf, sizeof buf),
              "MS_RDONLY|MS_BIND|MS_REC");
    CHECK_STR(nook_trace_mount_flags(MS_NOSUID | (1UL << 31), buf, sizeof buf),
              "MS_NOSUID|0x80000000");
    CHECK_STR(nook_trace_ns_flags(0, buf, sizeof buf), "none");
    CHECK_STR(nook_trace_ns_flags(CLONE_NEWUSER | CLONE_NEWNET, buf, sizeof buf), "user|network");
    char *argv[] = {"sh", "-c", "echo hi", NULL};
    CHECK_STR(nook_trace_argv(argv, 3, buf, sizeof buf), "sh -c echo hi");
    CHECK_STR(nook_trace_argv(argv, 0, buf, sizeof buf), "");
    /* A small buffer cuts the list instead of overflowing. */
    CHECK_STR(nook_trace_mount_flags(MS_BIND | MS_REC, buf, 10), "MS_BIND");

    /* No sink: NOOK_TRACE evaluates nothing. */
    int evaluated = 0;
    nook_trace_set_sink(NULL);
    NOOK_TRACE("x %d", ++evaluated);
    CHECK(evaluated == 0);
    nook_trace_set_sink(record_trace);
    NOOK_TRACE("mount %s on %s", "proc", "/proc");
    CHECK(traced && strcmp(traced, "mount proc on /proc") == 0);
    nook_trace_set_sink(NULL);
    free((char *)traced);
    traced = NULL;
}

/* utc_format is what gmtime_r + strftime("%Y-%m-%dT%H:%M:%S") give: the
 * epoch, leap days, century years, the end of a year, before 1970, now. */
static void test_utc_format(void)
{
    const time_t points[] = {0, -1, 59, 86399, 86400, 951782400 /* 2000-02-29 */,
                             951868800, 4107542400 /* 2100-03-01 */, 4107455999,
                             1104537599 /* 2004-12-31T23:59:59 */, 1104537600,
                             -2208988800 /* 1900-01-01 */, 253402300799 /* 9999-12-31 */,
                             time(NULL)};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        char got[UTC_FORMAT_LEN], want[64];
        struct tm tm;
        utc_format(points[i], got);
        CHECK(gmtime_r(&points[i], &tm) != NULL);
        strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
        CHECK_STR(got, want);
    }
    /* Every day from 1900 to 2102, a second earlier each day, so the time of
     * day goes round too. */
    int bad = 0;
    for (time_t t = -2208988800 + 86399; t < 4107542400 + 86400 * 800; t += 86400 - 1) {
        char got[UTC_FORMAT_LEN], want[64];
        struct tm tm;
        utc_format(t, got);
        gmtime_r(&t, &tm);
        strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
        bad += strcmp(got, want) != 0;
    }
    CHECK(bad == 0);
}

int main(void)
{
    test_utc_format();
    test_trace();
    test_error_format();
    test_files();
    test_sha256();
    return unit_report("test_util");
}
