#include "unit.h"
#include "../../util/util.h"

#include <errno.h>
#include <stdlib.h>

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

int main(void)
{
    test_error_format();
    test_files();
    return unit_report("test_util");
}
