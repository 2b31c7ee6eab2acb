/* Malformed config.json documents, each with the exact error it must give.
 * A case is one line: a fragment added to a small valid document (a later
 * duplicate key replaces the base one), or a whole document when raw. */
#include "unit.h"
#include "../../spec/spec.h"

#include <stdlib.h>

#define BASE_HEAD "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, " \
                  "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}, "
#define P(x) "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", " x "}"
#define L(x) "\"linux\": {" x "}"
#define R(x) L("\"resources\": {" x "}")
#define S(x) L("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", " x "}")

static const struct bad_case {
    int raw; /* 1: the whole document, 0: a fragment added to the base */
    const char *json;
    const char *msg;
} cases[] = {
    {1, "{\"ociVersion\": }", "invalid JSON at line 1 column 16: unexpected token near '}'"},
    {1, "[]", "config.json: must be a JSON object"},
    {1, "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"x\": 18446744073709551616}",
     "invalid JSON at line 1 column 72: too big integer near '18446744073709551616'"},
    {0, "\"ociVersion\": null", "ociVersion: is required"},
    {0, "\"ociVersion\": 1", "ociVersion: must be a string"},
    {0, "\"ociVersion\": \"2.0.0\"", "ociVersion: unsupported major version in \"2.0.0\""},
    {0, "\"ociVersion\": \"abc\"", "ociVersion: invalid version \"abc\""},
    {0, "\"root\": null", "root: is required"},
    {0, "\"root\": \"rootfs\"", "root: must be an object"},
    {0, "\"root\": {}", "root.path: is required"},
    {0, "\"root\": {\"path\": \"\"}", "root.path: must not be empty"},
    {0, "\"root\": {\"path\": \"r\", \"readonly\": \"yes\"}", "root.readonly: must be a boolean"},
    {0, "\"process\": {\"args\": [], \"cwd\": \"/\"}",
     "process.args: must be a non-empty array of strings"},
    {0, "\"process\": {\"args\": [\"sh\", 1], \"cwd\": \"/\"}",
     "process.args[1]: must be a string"},
    {0, "\"process\": {\"args\": \"sh\", \"cwd\": \"/\"}",
     "process.args: must be a non-empty array of strings"},
    {0, "\"process\": {\"args\": [\"sh\"]}", "process.cwd: is required"},
    {0, "\"process\": {\"args\": [\"sh\"], \"cwd\": \"tmp\"}",
     "process.cwd: must be an absolute path, got \"tmp\""},
    {0, "\"process\": 3", "process: must be an object"},
    {0, P("\"user\": {\"gid\": 0}"), "process.user.uid: is required"},
    {0, P("\"user\": {\"uid\": 0}"), "process.user.gid: is required"},
    {0, P("\"user\": {\"uid\": -1}"), "process.user.uid: must be between 0 and 4294967294, got -1"},
    {0, P("\"user\": {\"uid\": 18446744073709551615}"),
     "process.user.uid: must be between 0 and 4294967294, got 18446744073709551615"},
    {0, P("\"user\": {\"uid\": 0, \"gid\": \"0\"}"), "process.user.gid: must be an integer"},
    {0, P("\"user\": {\"uid\": 0, \"gid\": 0, \"additionalGids\": [1, \"x\"]}"),
     "process.user.additionalGids[1]: must be an integer"},
    {0, P("\"user\": {\"uid\": 0, \"gid\": 0, \"umask\": 1000}"), "process.user.umask: must be between 0 and 511, got 1000"},
    {0, P("\"terminal\": \"true\""), "process.terminal: must be a boolean"},
    {0, P("\"env\": [\"A=1\", 2]"), "process.env[1]: must be a string"},
    {0, P("\"capabilities\": {\"bounding\": [\"NET_ADMIN\"]}"),
     "process.capabilities.bounding[0]: unknown capability \"NET_ADMIN\" (must start with \"CAP_\")"},
    {0, P("\"capabilities\": []"), "process.capabilities: must be an object"},
    {0, P("\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]"),
     "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
    {0, P("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1},"
          "{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 2}]"),
     "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
    {0, P("\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"hard\": 1}]"),
     "process.rlimits[0].soft: is required"},
    {0, P("\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 1, \"hard\": -1}]"),
     "process.rlimits[0].hard: must be a non-negative integer, got -1"},
    {0, P("\"rlimits\": [\"RLIMIT_CORE\"]"), "process.rlimits[0]: must be an object"},
    {0, P("\"oomScoreAdj\": 2000"), "process.oomScoreAdj: must be between -1000 and 1000, got 2000"},
    {0, P("\"consoleSize\": {\"height\": 10}"), "process.consoleSize.width: is required"},
    {0, P("\"apparmorProfile\": true"), "process.apparmorProfile: must be a string"},
    {0, "\"hostname\": 5", "hostname: must be a string"},
    {0, "\"mounts\": {}", "mounts: must be an array"},
    {0, "\"mounts\": [{\"destination\": \"/a\"}, {\"destination\": \"tmp\"}]",
     "mounts[1].destination: must be an absolute path, got \"tmp\""},
    {0, "\"mounts\": [{\"type\": \"tmpfs\"}]", "mounts[0].destination: is required"},
    {0, "\"mounts\": [{\"destination\": \"/a\", \"options\": [\"ro\", 3]}]",
     "mounts[0].options[1]: must be a string"},
    {0, "\"mounts\": [{\"destination\": \"/a\", \"options\": [\"\"]}]",
     "mounts[0].options[0]: must not be empty"},
    {0, "\"mounts\": [{\"destination\": \"/a\", \"uidMappings\": [{\"containerID\": 0}]}]",
     "mounts[0].uidMappings: idmapped mounts are not supported"},
    {0, "\"hooks\": {\"prestart\": [{\"path\": \"hook\"}]}",
     "hooks.prestart[0].path: must be an absolute path, got \"hook\""},
    {0, "\"hooks\": {\"poststop\": [{\"path\": \"/bin/true\", \"timeout\": 0}]}",
     "hooks.poststop[0].timeout: must be greater than 0, got 0"},
    {0, "\"hooks\": {\"startContainer\": [{\"path\": \"/bin/true\", \"timeout\": \"5\"}]}",
     "hooks.startContainer[0].timeout: must be an integer"},
    {0, "\"hooks\": {\"createRuntime\": [{}]}", "hooks.createRuntime[0].path: is required"},
    {0, "\"hooks\": []", "hooks: must be an object"},
    {0, "\"annotations\": {\"a\": 1}", "annotations[\"a\"]: must be a string"},
    {0, "\"linux\": []", "linux: must be an object"},
    {0, L("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"uts\"}, {\"type\": \"foo\"}]"),
     "linux.namespaces[2].type: unknown namespace \"foo\""},
    {0, L("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]"),
     "linux.namespaces[1].type: duplicate namespace \"pid\""},
    {0, L("\"namespaces\": [{\"type\": \"network\", \"path\": \"proc/1/ns/net\"}]"),
     "linux.namespaces[0].path: must be an absolute path, got \"proc/1/ns/net\""},
    {0, L("\"namespaces\": [{\"path\": \"/proc/1/ns/net\"}]"), "linux.namespaces[0].type: is required"},
    {0, L("\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 0}]"),
     "linux.uidMappings[0].size: must be between 1 and 4294967295, got 0"},
    {0, L("\"gidMappings\": [{\"containerID\": 0, \"size\": 1}]"), "linux.gidMappings[0].hostID: is required"},
    {0, L("\"devices\": [{\"type\": \"x\", \"path\": \"/dev/x\"}]"),
     "linux.devices[0].type: unknown device type \"x\""},
    {0, L("\"devices\": [{\"type\": \"c\", \"path\": \"/dev/x\", \"minor\": 1}]"),
     "linux.devices[0].major: is required"},
    {0, L("\"devices\": [{\"type\": \"c\", \"path\": \"dev/null\", \"major\": 1, \"minor\": 3}]"),
     "linux.devices[0].path: must be an absolute path, got \"dev/null\""},
    {0, L("\"devices\": [{\"type\": \"p\", \"path\": \"/dev/f\", \"fileMode\": 65535}]"),
     "linux.devices[0].fileMode: must be between 0 and 4095, got 65535"},
    {0, L("\"rootfsPropagation\": \"sideways\""), "linux.rootfsPropagation: unknown propagation \"sideways\""},
    {0, L("\"maskedPaths\": [\"proc/kcore\"]"),
     "linux.maskedPaths[0]: must be an absolute path, got \"proc/kcore\""},
    {0, L("\"readonlyPaths\": \"/proc/sys\""), "linux.readonlyPaths: must be an array"},
    {0, L("\"sysctl\": {\"net.ipv4.ip_forward\": 1}"),
     "linux.sysctl[\"net.ipv4.ip_forward\"]: must be a string"},
    {0, L("\"personality\": {\"domain\": \"LINUX64\"}"),
     "linux.personality.domain: unknown domain \"LINUX64\" (expected \"LINUX\" or \"LINUX32\")"},
    {0, L("\"personality\": {\"domain\": \"LINUX\", \"flags\": [\"X\"]}"),
     "linux.personality.flags[0]: unsupported flag \"X\""},
    {0, L("\"timeOffsets\": {\"realtime\": {\"secs\": 1}}"),
     "linux.timeOffsets.realtime: unknown clock (expected \"monotonic\" or \"boottime\")"},
    {0, L("\"timeOffsets\": {\"monotonic\": {\"secs\": 1, \"nanosecs\": 1000000000}}"),
     "linux.timeOffsets.monotonic.nanosecs: must be between 0 and 999999999, got 1000000000"},
    {0, L("\"cgroupsPath\": 7"), "linux.cgroupsPath: must be a string"},
    {0, R("\"memory\": {\"limit\": -2}"),
     "linux.resources.memory.limit: must be between -1 and 9223372036854775807, got -2"},
    {0, R("\"memory\": {\"swappiness\": 101}"),
     "linux.resources.memory.swappiness: must be between 0 and 100, got 101"},
    {0, R("\"memory\": {\"disableOOMKiller\": 1}"),
     "linux.resources.memory.disableOOMKiller: must be a boolean"},
    {0, R("\"cpu\": {\"shares\": -1}"), "linux.resources.cpu.shares: must be a non-negative integer, got -1"},
    {0, R("\"cpu\": {\"cpus\": 0}"), "linux.resources.cpu.cpus: must be a string"},
    {0, R("\"devices\": [{\"allow\": true, \"access\": \"\"}]"),
     "linux.resources.devices[0].access: invalid access \"\" (none of r, w, m)"},
    {0, R("\"devices\": [{\"allow\": true, \"access\": \"xa\"}]"),
     "linux.resources.devices[0].access: invalid access \"xa\" (none of r, w, m)"},
    {0, R("\"devices\": [{\"access\": \"rwm\"}]"), "linux.resources.devices[0].allow: is required"},
    {0, R("\"devices\": [{\"allow\": false, \"type\": \"u\"}]"),
     "linux.resources.devices[0].type: unknown device type \"u\" (expected \"a\", \"c\" or \"b\")"},
    {0, R("\"pids\": {\"limit\": \"100\"}"), "linux.resources.pids.limit: must be an integer"},
    {0, R("\"blockIO\": {\"weight\": 2000}"),
     "linux.resources.blockIO.weight: must be between 0 and 1000, got 2000"},
    {0, R("\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0}]}"),
     "linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required"},
    {0, R("\"hugepageLimits\": [{\"limit\": 1}]"), "linux.resources.hugepageLimits[0].pageSize: is required"},
    {0, R("\"unified\": {\"memory.max\": 5}"), "linux.resources.unified[\"memory.max\"]: must be a string"},
    {0, L("\"seccomp\": {}"), "linux.seccomp.defaultAction: is required"},
    {0, L("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_FOO\"}"),
     "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\""},
    {0, S("\"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_ERRNO\"}]"),
     "linux.seccomp.syscalls[0].names: must be a non-empty array of strings"},
    {0, S("\"syscalls\": [{\"names\": [\"kill\"]}]"), "linux.seccomp.syscalls[0].action: is required"},
    {0, S("\"syscalls\": [{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": "
          "[{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_XX\"}]}]"),
     "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\""},
    {0, S("\"syscalls\": [{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": "
          "[{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]"),
     "linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5, got 6"},
    {0, S("\"syscalls\": [{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5000}]"),
     "linux.seccomp.syscalls[0].errnoRet: must be between 0 and 4095, got 5000"},
    {0, S("\"syscalls\": [{\"names\": [\"mount\"], \"action\": \"SCMP_ACT_NOTIFY\"}]"),
     "linux.seccomp.listenerPath: is required when SCMP_ACT_NOTIFY is used"},
    {0, S("\"architectures\": [\"SCMP_ARCH_X86_64\", null]"),
     "linux.seccomp.architectures[1]: must be a string"},
};

static void test_bad_configs(void)
{
    int n = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *doc = cases[i].raw ? xstrdup(cases[i].json)
                                 : xasprintf(BASE_HEAD "%s}", cases[i].json);
        struct spec spec;
        struct nook_error err = {0};
        int r = spec_parse(doc, strlen(doc), &spec, &err);
        CHECK(r == -1);
        CHECK(err.code == 0);
        CHECK_STR(err.msg, cases[i].msg);
        /* Left empty on error: nothing to free, nothing half-filled. */
        CHECK(spec.oci_version == NULL && spec.process.args.v == NULL && spec.mounts == NULL &&
              spec.namespaces == NULL && spec.root.path == NULL);
        free(doc);
        n++;
    }
    printf("test_spec_errors: %d malformed configs\n", n);
    CHECK(n >= 40);
}

/* The base document itself must parse, or every case above proves nothing. */
static void test_base_is_valid(void)
{
    const char *doc = BASE_HEAD "\"hostname\": \"h\"}";
    struct spec spec;
    struct nook_error err;
    CHECK(spec_parse(doc, strlen(doc), &spec, &err) == 0);
    CHECK_STR(spec.hostname, "h");
    spec_free(&spec);
}

int main(void)
{
    test_base_is_valid();
    test_bad_configs();
    return unit_report("test_spec_errors");
}
