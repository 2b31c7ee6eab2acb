/* spec/: valid documents into structs, mount options, the default and example
 * configs, state/features/list JSON. Malformed configs: test_spec_errors.c. */
#include <linux/magic.h>
#include <sys/statfs.h>

#include "unit.h"
#include "../../spec/spec.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

static const char full_config[] =
    "{\"ociVersion\": \"1.1.0\", \"unknownTopLevel\": {\"x\": 1},\n"
    " \"process\": {\"terminal\": true, \"consoleSize\": {\"height\": 24, \"width\": 80},\n"
    "  \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [5, 6],"
    "   \"username\": \"u\"},\n"
    "  \"args\": [\"sh\", \"-c\", \"true\"], \"env\": [\"A=1\", \"B=2\"], \"cwd\": \"/work\",\n"
    "  \"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"], \"effective\": [\"CAP_KILL\"],"
    "   \"inheritable\": [], \"permitted\": [\"CAP_KILL\"], \"ambient\": [\"CAP_KILL\"]},\n"
    "  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 4096},"
    "   {\"type\": \"RLIMIT_CORE\", \"soft\": 18446744073709551615, \"hard\": 18446744073709551615}],\n"
    "  \"noNewPrivileges\": true, \"apparmorProfile\": \"prof\", \"selinuxLabel\": \"lbl\","
    "  \"oomScoreAdj\": -500, \"scheduler\": {\"policy\": \"SCHED_OTHER\"}},\n"
    " \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    " \"hostname\": \"box\", \"domainname\": \"example.org\",\n"
    " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "  {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv\", \"options\": [\"ro\"]},\n"
    "  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
    "   \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"gid=5\"]}],\n"
    " \"hooks\": {\"prestart\": [{\"path\": \"/bin/hook\", \"args\": [\"hook\", \"pre\"],"
    "   \"env\": [\"X=1\"], \"timeout\": 5}],\n"
    "  \"poststop\": [{\"path\": \"/bin/a\"}, {\"path\": \"/bin/b\"}]},\n"
    " \"annotations\": {\"a.b\": \"c\", \"d\": \"e\"},\n"
    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": "
    "\"/var/run/netns/x\"}, {\"type\": \"user\"}, {\"type\": \"time\"}],\n"
    "  \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
    "  \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 1}],\n"
    "  \"devices\": [{\"type\": \"c\", \"path\": \"/dev/fuse\", \"major\": 10, \"minor\": 229,"
    "   \"fileMode\": 438, \"uid\": 0, \"gid\": 0}, {\"type\": \"p\", \"path\": \"/dev/fifo\"}],\n"
    "  \"cgroupsPath\": \"/nook/x\",\n"
    "  \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
    "   {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rw\"},"
    "   {\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 11, \"access\": \"mwwa\"}],\n"
    "   \"memory\": {\"limit\": 536870912, \"reservation\": 1024, \"swap\": -1, \"swappiness\": 10,"
    "    \"disableOOMKiller\": true},\n"
    "   \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0-1\","
    "    \"mems\": \"0\", \"idle\": 1},\n"
    "   \"pids\": {\"limit\": 100},\n"
    "   \"blockIO\": {\"weight\": 500, \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 300}],"
    "    \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}],"
    "    \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 100}]},\n"
    "   \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}],\n"
    "   \"unified\": {\"memory.high\": \"400M\"}, \"network\": {\"classID\": 1}},\n"
    "  \"rootfsPropagation\": \"rslave\",\n"
    "  \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\", \"/proc/bus\"],\n"
    "  \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
    "  \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
    "   \"architectures\": [\"SCMP_ARCH_X86_64\"], \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
    "   \"listenerPath\": \"/run/agent.sock\", \"listenerMetadata\": \"meta\",\n"
    "   \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
    "    {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_NOTIFY\", \"errnoRet\": 38, \"args\":"
    "     [{\"index\": 0, \"value\": 8, \"valueTwo\": 18446744073709551615, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]},\n"
    "  \"personality\": {\"domain\": \"LINUX32\"},\n"
    "  \"timeOffsets\": {\"monotonic\": {\"secs\": -10, \"nanosecs\": 5}, \"boottime\": {\"secs\": 7}},\n"
    "  \"mountLabel\": \"system_u:object_r:container_file_t:s0\"}}\n";

static void test_full_config_process(const struct spec *s)
{
    const struct spec_process *p = &s->process;
    CHECK(s->has_process);
    CHECK(p->terminal && p->has_console_size);
    CHECK(p->console_height == 24 && p->console_width == 80);
    CHECK(p->user.uid == 1000 && p->user.gid == 100);
    CHECK(p->user.has_umask && p->user.umask == 022);
    CHECK(p->user.n_additional_gids == 2 && p->user.additional_gids[1] == 6);
    CHECK_STR(p->user.username, "u");
    CHECK(p->args.n == 3 && p->args.v[3] == NULL);
    CHECK_STR(p->args.v[2], "true");
    CHECK(p->env.n == 2);
    CHECK_STR(p->env.v[1], "B=2");
    CHECK_STR(p->cwd, "/work");
    CHECK(p->has_capabilities);
    CHECK(p->capabilities.bounding.n == 2);
    CHECK_STR(p->capabilities.bounding.v[1], "CAP_CHOWN");
    CHECK(p->capabilities.inheritable.n == 0);
    CHECK(p->capabilities.ambient.n == 1);
    CHECK(p->n_rlimits == 2);
    CHECK(p->rlimits[0].resource == RLIMIT_NOFILE);
    CHECK(p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096);
    CHECK(p->rlimits[1].resource == RLIMIT_CORE);
    CHECK(p->rlimits[1].soft == UINT64_MAX && p->rlimits[1].hard == UINT64_MAX);
    CHECK(p->no_new_privileges);
    CHECK_STR(p->apparmor_profile, "prof");
    CHECK_STR(p->selinux_label, "lbl");
    CHECK(p->has_oom_score_adj && p->oom_score_adj == -500);
}

static void test_full_config_top(const struct spec *s)
{
    CHECK_STR(s->oci_version, "1.1.0");
    CHECK_STR(s->root.path, "rootfs");
    CHECK(s->root.readonly);
    CHECK_STR(s->hostname, "box");
    CHECK_STR(s->domainname, "example.org");
    CHECK(s->n_mounts == 3);
    CHECK_STR(s->mounts[0].destination, "/proc");
    CHECK(s->mounts[0].flags == 0 && s->mounts[0].data == NULL && !s->mounts[0].bind);
    CHECK(s->mounts[1].bind && s->mounts[1].flags == (MS_BIND | MS_RDONLY));
    CHECK_STR(s->mounts[1].source, "/srv");
    CHECK(s->mounts[2].flags == (MS_NOSUID | MS_NOEXEC));
    CHECK_STR(s->mounts[2].data, "newinstance,ptmxmode=0666,gid=5");
    CHECK(s->mounts[2].options.n == 5);
    const struct spec_hook_list *pre = &s->hooks[SPEC_HOOK_PRESTART];
    CHECK(pre->n == 1);
    CHECK_STR(pre->v[0].path, "/bin/hook");
    CHECK(pre->v[0].args.n == 2 && pre->v[0].env.n == 1);
    CHECK(pre->v[0].has_timeout && pre->v[0].timeout == 5);
    CHECK(s->hooks[SPEC_HOOK_POSTSTOP].n == 2);
    CHECK_STR(s->hooks[SPEC_HOOK_POSTSTOP].v[1].path, "/bin/b");
    CHECK(!s->hooks[SPEC_HOOK_POSTSTOP].v[1].has_timeout);
    CHECK(s->hooks[SPEC_HOOK_CREATE_RUNTIME].n == 0);
    CHECK(s->annotations.n == 2);
    CHECK_STR(s->annotations.v[0].key, "a.b");
    CHECK_STR(spec_annotation(s, "d"), "e");
    CHECK(spec_annotation(s, "nope") == NULL);
}

static void test_full_config_linux(const struct spec *s)
{
    CHECK(s->n_namespaces == 4);
    CHECK(s->namespaces[3].type == SPEC_NS_TIME);
    const struct spec_namespace *net = spec_find_namespace(s, SPEC_NS_NETWORK);
    CHECK(net != NULL && net->path != NULL);
    CHECK_STR(net ? net->path : NULL, "/var/run/netns/x");
    CHECK(spec_find_namespace(s, SPEC_NS_PID)->path == NULL);
    CHECK(spec_find_namespace(s, SPEC_NS_IPC) == NULL);
    CHECK(s->n_uid_mappings == 1 && s->uid_mappings[0].host_id == 100000 &&
          s->uid_mappings[0].size == 65536);
    CHECK(s->n_gid_mappings == 1 && s->gid_mappings[0].host_id == 200000);
    CHECK(s->n_devices == 2);
    CHECK(s->devices[0].type == 'c' && s->devices[0].major == 10 && s->devices[0].minor == 229);
    CHECK(s->devices[0].has_file_mode && s->devices[0].file_mode == 0666);
    CHECK(s->devices[0].has_uid && s->devices[0].has_gid);
    CHECK(s->devices[1].type == 'p' && !s->devices[1].has_file_mode);
    CHECK_STR(s->cgroups_path, "/nook/x");
    CHECK(s->rootfs_propagation == (MS_SLAVE | MS_REC));
    CHECK(s->masked_paths.n == 1 && s->readonly_paths.n == 2);
    CHECK_STR(s->readonly_paths.v[1], "/proc/bus");
    CHECK(s->sysctl.n == 1);
    CHECK_STR(s->sysctl.v[0].value, "1");
    CHECK(s->has_personality && s->personality == PER_LINUX32);
    CHECK(s->time_monotonic.set && s->time_monotonic.secs == -10 && s->time_monotonic.nanosecs == 5);
    CHECK(s->time_boottime.set && s->time_boottime.secs == 7);
    CHECK_STR(s->mount_label, "system_u:object_r:container_file_t:s0");
}

static void test_full_config_resources(const struct spec *s)
{
    const struct spec_resources *r = &s->resources;
    CHECK(s->has_resources);
    CHECK(r->n_devices == 3);
    CHECK(!r->devices[0].allow && r->devices[0].type == 'a' && r->devices[0].major == -1);
    CHECK_STR(r->devices[0].access, "rwm");
    CHECK(r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].minor == 229);
    CHECK_STR(r->devices[1].access, "rw");
    /* As runc reads it: the set of r, w, m in the string. */
    CHECK_STR(r->devices[2].access, "wm");
    CHECK(r->memory.has_limit && r->memory.limit == 536870912);
    CHECK(r->memory.has_swap && r->memory.swap == -1);
    CHECK(r->memory.has_swappiness && r->memory.swappiness == 10);
    CHECK(r->memory.has_disable_oom_killer && r->memory.disable_oom_killer);
    CHECK(!r->memory.has_kernel);
    CHECK(r->cpu.has_shares && r->cpu.shares == 512);
    CHECK(r->cpu.has_quota && r->cpu.quota == 50000 && r->cpu.period == 100000);
    CHECK(r->cpu.has_idle && r->cpu.idle == 1 && !r->cpu.has_burst);
    CHECK_STR(r->cpu.cpus, "0-1");
    CHECK(r->pids.has_limit && r->pids.limit == 100);
    CHECK(r->block_io.has_weight && r->block_io.weight == 500);
    CHECK(r->block_io.n_weight_device == 1 && r->block_io.weight_device[0].weight == 300);
    CHECK(!r->block_io.weight_device[0].has_leaf_weight);
    CHECK(r->block_io.n_throttle_read_bps == 1 && r->block_io.throttle_read_bps[0].rate == 1048576);
    CHECK(r->block_io.n_throttle_write_iops == 1 && r->block_io.throttle_write_iops[0].minor == 16);
    CHECK(r->block_io.n_throttle_write_bps == 0);
    CHECK(r->n_hugepage_limits == 1 && r->hugepage_limits[0].limit == 4194304);
    CHECK_STR(r->hugepage_limits[0].page_size, "2MB");
    CHECK(r->unified.n == 1);
    CHECK_STR(r->unified.v[0].key, "memory.high");
}

static void test_full_config_seccomp(const struct spec *s)
{
    const struct spec_seccomp *sc = &s->seccomp;
    CHECK(s->has_seccomp);
    CHECK(sc->default_action == SPEC_SCMP_ACT_ERRNO);
    CHECK(sc->has_default_errno_ret && sc->default_errno_ret == 1);
    CHECK_STR(sc->architectures.v[0], "SCMP_ARCH_X86_64");
    CHECK_STR(sc->flags.v[0], "SECCOMP_FILTER_FLAG_LOG");
    CHECK_STR(sc->listener_path, "/run/agent.sock");
    CHECK_STR(sc->listener_metadata, "meta");
    CHECK(sc->n_syscalls == 2);
    CHECK(sc->syscalls[0].names.n == 2 && sc->syscalls[0].action == SPEC_SCMP_ACT_ALLOW);
    CHECK(!sc->syscalls[0].has_errno_ret);
    CHECK(sc->syscalls[1].action == SPEC_SCMP_ACT_NOTIFY);
    CHECK(sc->syscalls[1].has_errno_ret && sc->syscalls[1].errno_ret == 38);
    CHECK(sc->syscalls[1].n_args == 1);
    CHECK(sc->syscalls[1].args[0].value == 8 && sc->syscalls[1].args[0].value_two == UINT64_MAX);
    CHECK(sc->syscalls[1].args[0].op == SPEC_SCMP_CMP_MASKED_EQ);
    CHECK_STR(spec_seccomp_action_names[sc->default_action], "SCMP_ACT_ERRNO");
    CHECK_STR(spec_seccomp_op_names[SPEC_SCMP_CMP_GE], "SCMP_CMP_GE");
}

static void test_full_config(void)
{
    struct spec s;
    struct nook_error err = {0};
    int r = spec_parse(full_config, strlen(full_config), &s, &err);
    CHECK(r == 0);
    if (r < 0) {
        fprintf(stderr, "full config: %s\n", err.msg);
        return;
    }
    test_full_config_top(&s);
    test_full_config_process(&s);
    test_full_config_linux(&s);
    test_full_config_resources(&s);
    test_full_config_seccomp(&s);
    spec_free(&s);
    CHECK(s.oci_version == NULL && s.n_mounts == 0);
    spec_free(&s); /* freeing an emptied spec is harmless */
}

static struct spec_mount mount_with(const char *type, const char *const *opts, size_t n)
{
    struct spec_mount m = {0};
    m.type = type ? xstrdup(type) : NULL;
    m.options.v = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        m.options.v[i] = xstrdup(opts[i]);
    m.options.n = n;
    return m;
}

static void mount_clear(struct spec_mount *m)
{
    for (size_t i = 0; i < m->options.n; i++)
        free(m->options.v[i]);
    free(m->options.v);
    free(m->type);
    free(m->data);
}

static void test_mount_options(void)
{
    struct nook_error err;
    const char *a[] = {"rbind", "ro", "nosuid", "nodev", "noexec", "rshared", "size=64k", "mode=755"};
    struct spec_mount m = mount_with("none", a, 8);
    CHECK(spec_parse_mount_options(&m, "mounts[0]", &err) == 0);
    CHECK(m.bind);
    CHECK(m.flags == (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
    CHECK(m.clear_flags == 0);
    CHECK(m.propagation == (MS_SHARED | MS_REC));
    CHECK_STR(m.data, "size=64k,mode=755");
    mount_clear(&m);

    /* Later options win; clearing options are recorded. */
    const char *b[] = {"ro", "rw", "suid", "dev", "exec", "atime", "diratime", "norelatime",
                       "nostrictatime", "async", "nomand", "symfollow"};
    m = mount_with("tmpfs", b, 12);
    CHECK(spec_parse_mount_options(&m, "mounts[1]", &err) == 0);
    CHECK(m.flags == 0 && !m.bind && m.data == NULL && m.propagation == 0);
    CHECK(m.clear_flags == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                            MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_SYNCHRONOUS |
                            MS_MANDLOCK | MS_NOSYMFOLLOW));
    mount_clear(&m);

    const char *c[] = {"sync", "dirsync", "remount", "mand", "noatime", "nodiratime", "relatime",
                       "strictatime", "nosymfollow", "private", "slave", "defaults"};
    m = mount_with(NULL, c, 12);
    CHECK(spec_parse_mount_options(&m, "mounts[2]", &err) == 0);
    CHECK(m.flags == (MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK | MS_NOATIME |
                      MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW));
    CHECK(m.propagation == MS_SLAVE && m.data == NULL);
    mount_clear(&m);

    const struct {
        const char *opt;
        unsigned long propagation;
    } props[] = {{"shared", MS_SHARED},         {"rslave", MS_SLAVE | MS_REC},
                 {"rprivate", MS_PRIVATE | MS_REC}, {"unbindable", MS_UNBINDABLE},
                 {"runbindable", MS_UNBINDABLE | MS_REC}};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        m = mount_with(NULL, &props[i].opt, 1);
        CHECK(spec_parse_mount_options(&m, "m", &err) == 0);
        CHECK(m.propagation == props[i].propagation && m.flags == 0);
        mount_clear(&m);
    }

    /* Type "bind" alone means a (non-recursive) bind mount. */
    m = mount_with("bind", NULL, 0);
    CHECK(spec_parse_mount_options(&m, "m", &err) == 0);
    CHECK(m.bind && m.flags == MS_BIND);
    mount_clear(&m);

    const char *bad[] = {"ro", ""};
    m = mount_with("tmpfs", bad, 2);
    CHECK(spec_parse_mount_options(&m, "mounts[4]", &err) == -1);
    CHECK_STR(err.msg, "mounts[4].options[1]: must not be empty");
    mount_clear(&m);
}

/* The rule for name in the default profile: ALLOW without args, or (with
 * want_args) the first rule naming it that has args. NULL when none. */
static const struct spec_seccomp_syscall *find_rule(const struct spec_seccomp *sc,
                                                     const char *name, bool want_args)
{
    for (size_t i = 0; i < sc->n_syscalls; i++) {
        const struct spec_seccomp_syscall *r = &sc->syscalls[i];
        if ((r->n_args > 0) != want_args)
            continue;
        for (size_t j = 0; j < r->names.n; j++)
            if (strcmp(r->names.v[j], name) == 0)
                return r;
    }
    return NULL;
}

static bool allowed_outright(const struct spec_seccomp *sc, const char *name)
{
    const struct spec_seccomp_syscall *r = find_rule(sc, name, false);
    return r && r->action == SPEC_SCMP_ACT_ALLOW;
}

/* Every name is one libseccomp knows (so a typo, which the runtime would
 * silently skip, is caught here) and none is listed twice. */
static void check_profile_names(const struct spec_seccomp *sc)
{
    size_t unknown = 0, dups = 0;
    for (size_t i = 0; i < sc->n_syscalls; i++) {
        const struct spec_strv *n = &sc->syscalls[i].names;
        for (size_t j = 0; j < n->n; j++) {
            if (seccomp_syscall_resolve_name(n->v[j]) == __NR_SCMP_ERROR) {
                fprintf(stderr, "default profile: unknown syscall \"%s\"\n", n->v[j]);
                unknown++;
            }
            for (size_t k = j + 1; k < n->n; k++)
                if (strcmp(n->v[j], n->v[k]) == 0) {
                    fprintf(stderr, "default profile: \"%s\" listed twice\n", n->v[j]);
                    dups++;
                }
        }
    }
    CHECK(unknown == 0);
    CHECK(dups == 0);
}

/* Docker-like: deny by default with EPERM, allow the ordinary calls, keep the
 * dangerous ones out, and guard clone, clone3, socket and personality. */
static void check_default_seccomp(const struct spec *s)
{
    CHECK(s->has_seccomp);
    if (!s->has_seccomp)
        return;
    const struct spec_seccomp *sc = &s->seccomp;
    CHECK(sc->default_action == SPEC_SCMP_ACT_ERRNO);
    CHECK(sc->has_default_errno_ret && sc->default_errno_ret == EPERM);
#if defined(__x86_64__)
    CHECK(sc->architectures.n == 3);
    CHECK_STR(sc->architectures.v[0], "SCMP_ARCH_X86_64");
    CHECK(allowed_outright(sc, "arch_prctl"));
#elif defined(__aarch64__)
    CHECK(sc->architectures.n == 2);
    CHECK_STR(sc->architectures.v[0], "SCMP_ARCH_AARCH64");
#endif
    CHECK(sc->listener_path == NULL && sc->flags.n == 0);
    check_profile_names(sc);

    const char *ok[] = {"read", "write", "openat", "execve", "exit_group", "wait4",
                        "rt_sigaction", "mmap", "getdents64", "statx", "prctl",
                        "setresuid", "capset", "kill", "pipe2", "ioctl"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!allowed_outright(sc, ok[i])) {
            fprintf(stderr, "default profile does not allow %s\n", ok[i]);
            CHECK(false);
        }
    const char *denied[] = {"keyctl", "add_key", "request_key", "bpf", "perf_event_open",
                            "kexec_load", "kexec_file_load", "open_by_handle_at", "mount",
                            "umount2", "pivot_root", "unshare", "setns", "init_module",
                            "finit_module", "delete_module", "userfaultfd", "swapon",
                            "reboot", "acct", "settimeofday", "clock_settime", "iopl",
                            "kcmp", "pidfd_getfd", "fsopen", "move_mount", "open_tree",
                            "syslog", "chroot"};
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++)
        if (find_rule(sc, denied[i], false) || find_rule(sc, denied[i], true)) {
            fprintf(stderr, "default profile has a rule for %s\n", denied[i]);
            CHECK(false);
        }

    const struct spec_seccomp_syscall *clone = find_rule(sc, "clone", true);
    CHECK(clone && clone->action == SPEC_SCMP_ACT_ALLOW && clone->n_args == 1);
    CHECK(!allowed_outright(sc, "clone"));
    if (clone && clone->n_args == 1) {
        const struct spec_seccomp_arg *a = &clone->args[0];
        CHECK(a->op == SPEC_SCMP_CMP_MASKED_EQ && a->value_two == 0);
        CHECK((a->value & CLONE_NEWUSER) && (a->value & CLONE_NEWNS) && (a->value & CLONE_NEWNET));
        CHECK(!(a->value & (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)));
    }
    const struct spec_seccomp_syscall *clone3 = find_rule(sc, "clone3", false);
    CHECK(clone3 && clone3->action == SPEC_SCMP_ACT_ERRNO && clone3->has_errno_ret &&
          clone3->errno_ret == ENOSYS);
    const struct spec_seccomp_syscall *sock = find_rule(sc, "socket", true);
    CHECK(sock && sock->n_args == 1 && sock->args[0].op == SPEC_SCMP_CMP_NE &&
          sock->args[0].value == 40 /* AF_VSOCK */);
    CHECK(!allowed_outright(sc, "personality"));
    size_t personalities = 0;
    for (size_t i = 0; i < sc->n_syscalls; i++) {
        const struct spec_seccomp_syscall *r = &sc->syscalls[i];
        if (r->names.n == 1 && strcmp(r->names.v[0], "personality") == 0 && r->n_args == 1 &&
            r->args[0].op == SPEC_SCMP_CMP_EQ &&
            (r->args[0].value == PER_LINUX || r->args[0].value == PER_LINUX32 ||
             r->args[0].value == 0xffffffffu))
            personalities++;
    }
    CHECK(personalities == 3);
}

static void check_default_config(bool rootless)
{
    char *text = spec_default_config(rootless);
    CHECK(text[strlen(text) - 1] == '\n');
    CHECK(strstr(text, "\n  \"process\": {\n    \"terminal\": true,") != NULL);
    struct spec s;
    struct nook_error err = {0};
    int r = spec_parse(text, strlen(text), &s, &err);
    CHECK(r == 0);
    free(text);
    if (r < 0) {
        fprintf(stderr, "default config (rootless=%d): %s\n", rootless, err.msg);
        return;
    }
    CHECK_STR(s.hostname, "nook");
    CHECK_STR(s.process.args.v[0], "sh");
    CHECK(s.process.args.n == 1 && s.process.terminal && s.process.no_new_privileges);
    CHECK(s.process.env.n == 2);
    CHECK(s.process.capabilities.bounding.n == 3);
    CHECK_STR(s.process.capabilities.bounding.v[2], "CAP_NET_BIND_SERVICE");
    CHECK(s.process.n_rlimits == 1 && s.process.rlimits[0].soft == 1024);
    CHECK(s.root.readonly);
    CHECK_STR(s.root.path, "rootfs");
    CHECK(s.n_mounts == 7);
    CHECK(s.masked_paths.n >= 10 && s.readonly_paths.n == 5);
    CHECK(spec_find_namespace(&s, SPEC_NS_PID) && spec_find_namespace(&s, SPEC_NS_MOUNT) &&
          spec_find_namespace(&s, SPEC_NS_IPC) && spec_find_namespace(&s, SPEC_NS_UTS));
    /* As runc: a cgroup namespace only where /sys/fs/cgroup is cgroup2 alone. */
    struct statfs cgfs;
    bool pure_v2 = statfs("/sys/fs/cgroup", &cgfs) == 0 && cgfs.f_type == CGROUP2_SUPER_MAGIC;
    CHECK((spec_find_namespace(&s, SPEC_NS_CGROUP) != NULL) == pure_v2);
    const struct spec_mount *sys = &s.mounts[5], *pts = &s.mounts[2];
    CHECK_STR(sys->destination, "/sys");
    CHECK_STR(pts->destination, "/dev/pts");
    if (rootless) {
        CHECK(spec_find_namespace(&s, SPEC_NS_USER) != NULL);
        CHECK(spec_find_namespace(&s, SPEC_NS_NETWORK) == NULL);
        CHECK(s.n_uid_mappings == 1 && s.uid_mappings[0].host_id == geteuid() &&
              s.uid_mappings[0].container_id == 0 && s.uid_mappings[0].size == 1);
        CHECK(s.n_gid_mappings == 1 && s.gid_mappings[0].host_id == getegid());
        CHECK(sys->bind && (sys->flags & MS_REC) && (sys->flags & MS_RDONLY));
        CHECK_STR(sys->source, "/sys");
        CHECK_STR(pts->data, "newinstance,ptmxmode=0666,mode=0620");
        CHECK(!s.has_resources);
    } else {
        CHECK(spec_find_namespace(&s, SPEC_NS_USER) == NULL);
        CHECK(spec_find_namespace(&s, SPEC_NS_NETWORK) != NULL);
        CHECK(s.n_uid_mappings == 0);
        CHECK_STR(sys->type, "sysfs");
        CHECK(!sys->bind);
        CHECK_STR(pts->data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        CHECK(s.has_resources && s.resources.n_devices == 1 && !s.resources.devices[0].allow);
    }
    check_default_seccomp(&s);
    spec_free(&s);
}

static void test_example_config(void)
{
    struct spec s;
    struct nook_error err = {0};
    int r = spec_load("config.json.example", &s, &err);
    CHECK(r == 0);
    if (r < 0) {
        fprintf(stderr, "config.json.example (run from the repository top): %s\n", err.msg);
        return;
    }
    CHECK(!s.process.terminal);
    CHECK(s.process.args.n == 3);
    CHECK_STR(s.process.args.v[2], "echo hello from nook; hostname");
    CHECK(s.process.no_new_privileges);
    CHECK_STR(s.root.path, "rootfs");
    CHECK(s.n_namespaces == 6 && spec_find_namespace(&s, SPEC_NS_CGROUP));
    /* No resources: the example must run on hosts without cgroup v2
     * controllers (such as the hybrid CI host); tests/vm covers limits. */
    CHECK(!s.has_resources);
    CHECK(s.annotations.n > 0);
    spec_free(&s);
}

static char *write_temp(const char *content)
{
    char *path = xstrdup("/tmp/nook-test-spec-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write_all(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
    return path;
}

static void test_load_files(void)
{
    struct nook_error err = {0};
    struct spec s;
    char *bad = write_temp("{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {\"path\": \"r\"\n}\n");
    CHECK(spec_load(bad, &s, &err) == -1);
    CHECK_STR(err.msg, "config.json: invalid JSON at line 5 column 0: '}' expected near end of file");
    CHECK(spec_load("/nonexistent/config.json", &s, &err) == -1);
    CHECK(err.code != 0);
    unlink(bad);
    free(bad);

    struct spec_process p;
    char *proc = write_temp("{\"args\": [\"ps\", \"aux\"], \"cwd\": \"/tmp\", \"env\": [\"A=B\"],"
                            " \"user\": {\"uid\": 5, \"gid\": 5}, \"terminal\": false}");
    CHECK(spec_process_load(proc, &p, &err) == 0);
    CHECK_STR(p.args.v[1], "aux");
    CHECK_STR(p.cwd, "/tmp");
    CHECK(p.user.uid == 5);
    spec_process_free(&p);
    unlink(proc);
    free(proc);
    proc = write_temp("{\"args\": [\"ps\"], \"cwd\": \"tmp\"}");
    CHECK(spec_process_load(proc, &p, &err) == -1);
    CHECK_STR(err.msg, "cwd: must be an absolute path, got \"tmp\"");
    CHECK(p.args.v == NULL);
    unlink(proc);
    free(proc);

    struct spec_resources r;
    char *res = write_temp("{\"memory\": {\"limit\": 1048576, \"swap\": -1},"
                           " \"pids\": {\"limit\": 7}, \"cpu\": {\"cpus\": \"1\"}}");
    CHECK(spec_resources_load(res, &r, &err) == 0);
    CHECK(r.memory.has_limit && r.memory.limit == 1048576 && r.memory.swap == -1);
    CHECK(r.pids.limit == 7 && !r.cpu.has_shares);
    CHECK_STR(r.cpu.cpus, "1");
    spec_resources_free(&r);
    unlink(res);
    free(res);
    res = write_temp("{\"pids\": {\"limit\": 7}, \"memory\": {\"limit\": \"1G\"}}");
    CHECK(spec_resources_load(res, &r, &err) == -1);
    CHECK_STR(err.msg, "memory.limit: must be an integer");
    CHECK(r.pids.has_limit == false);
    unlink(res);
    free(res);
}

static struct nook_state sample_state(void)
{
    struct nook_state st = {0};
    st.oci_version = xstrdup("1.2.0");
    st.id = xstrdup("c1");
    st.status = NOOK_STATUS_RUNNING;
    st.pid = 4242;
    st.bundle = xstrdup("/bundles/c1");
    st.annotations.v = xcalloc(1, sizeof *st.annotations.v);
    st.annotations.v[0].key = xstrdup("k");
    st.annotations.v[0].value = xstrdup("v");
    st.annotations.n = 1;
    st.rootfs = xstrdup("/bundles/c1/rootfs");
    st.created = xstrdup("2024-05-01T10:00:00.123456789Z");
    st.owner = 0;
    st.pid_start_time = 123456789ULL;
    st.cgroup_path = xstrdup("/sys/fs/cgroup/nook/c1");
    st.overlay = true;
    st.overlay_upper = xstrdup("/run/nook/c1/upper");
    return st;
}

static void test_state(void)
{
    struct nook_state st = sample_state();
    char *file = spec_state_file_json(&st);
    struct nook_state back;
    struct nook_error err = {0};
    CHECK(spec_state_parse(file, strlen(file), &back, &err) == 0);
    CHECK_STR(back.oci_version, "1.2.0");
    CHECK_STR(back.id, "c1");
    CHECK(back.status == NOOK_STATUS_RUNNING && back.pid == 4242);
    CHECK_STR(back.bundle, "/bundles/c1");
    CHECK(back.annotations.n == 1);
    CHECK_STR(back.annotations.v[0].value, "v");
    CHECK_STR(back.rootfs, "/bundles/c1/rootfs");
    CHECK_STR(back.created, "2024-05-01T10:00:00.123456789Z");
    CHECK(back.pid_start_time == 123456789ULL);
    CHECK_STR(back.cgroup_path, "/sys/fs/cgroup/nook/c1");
    CHECK(back.overlay && !back.overlay_volatile);
    CHECK_STR(back.overlay_upper, "/run/nook/c1/upper");
    CHECK(back.overlay_work == NULL);
    /* Writing what was read gives the same document. */
    char *again = spec_state_file_json(&back);
    CHECK_STR(again, file);
    free(again);
    spec_state_free(&back);
    free(file);

    char *oci = spec_state_oci_json(&st);
    CHECK_STR(oci, "{\n  \"ociVersion\": \"1.2.0\",\n  \"id\": \"c1\",\n  \"pid\": 4242,\n"
                   "  \"status\": \"running\",\n  \"bundle\": \"/bundles/c1\",\n"
                   "  \"rootfs\": \"/bundles/c1/rootfs\",\n"
                   "  \"created\": \"2024-05-01T10:00:00.123456789Z\",\n"
                   "  \"annotations\": {\n    \"k\": \"v\"\n  },\n  \"owner\": \"\"\n}");
    free(oci);

    char *list = spec_state_list_json(&st, 1);
    CHECK(strstr(list, "[{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"pid\":4242") == list);
    CHECK(strstr(list, "\"owner\":\"root\"}]") != NULL);
    free(list);
    list = spec_state_list_json(NULL, 0);
    CHECK_STR(list, "[]");
    free(list);

    char *sc = spec_seccomp_state_json(&st, "meta");
    CHECK_STR(sc, "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":4242,"
                  "\"metadata\":\"meta\",\"state\":{\"ociVersion\":\"1.2.0\",\"id\":\"c1\","
                  "\"status\":\"running\",\"pid\":4242,\"bundle\":\"/bundles/c1\","
                  "\"annotations\":{\"k\":\"v\"}}}");
    free(sc);
    spec_state_free(&st);

    const char *bad = "{\"id\": \"x\", \"bundle\": \"/b\", \"status\": \"dancing\"}";
    CHECK(spec_state_parse(bad, strlen(bad), &back, &err) == -1);
    CHECK_STR(err.msg, "status: unknown status \"dancing\"");
    CHECK(back.id == NULL);
    CHECK(spec_state_parse("{", 1, &back, &err) == -1);
    CHECK(strncmp(err.msg, "state.json: invalid JSON at line 1", 34) == 0);
    CHECK_STR(nook_status_names[NOOK_STATUS_PAUSED], "paused");
    CHECK_STR(nook_status_names[NOOK_STATUS_CREATING], "creating");
}

static void test_features(void)
{
    char *caps[] = {"CAP_CHOWN", "CAP_KILL", NULL};
    char *acts[] = {"SCMP_ACT_ALLOW", NULL};
    struct spec_features f = {
        .capabilities = {caps, 2},
        .seccomp_enabled = true,
        .seccomp_actions = {acts, 1},
        .cgroup_v2 = true,
        .version = "0.1.0",
    };
    char *j = spec_features_json(&f);
    CHECK(strstr(j, "\"ociVersionMin\": \"1.0.0\"") != NULL);
    CHECK(strstr(j, "\"ociVersionMax\": \"1.2.0\"") != NULL);
    CHECK(strstr(j, "\"createRuntime\",") != NULL);
    CHECK(strstr(j, "\"rbind\",") != NULL && strstr(j, "\"nosymfollow\",") != NULL);
    CHECK(strstr(j, "\"time\"\n") != NULL);
    CHECK(strstr(j, "\"CAP_KILL\"") != NULL);
    CHECK(strstr(j, "\"v1\": false,\n      \"v2\": true,") != NULL);
    CHECK(strstr(j, "\"enabled\": true,\n      \"actions\": [\n        \"SCMP_ACT_ALLOW\"") != NULL);
    CHECK(strstr(j, "\"knownFlags\": []") != NULL);
    CHECK(strstr(j, "\"intelRdt\": {\n      \"enabled\": false\n    }") != NULL);
    CHECK(strstr(j, "\"mountExtensions\": {\n      \"idmap\": {\n        \"enabled\": false") != NULL);
    CHECK(strstr(j, "\"org.nook.version\": \"0.1.0\"") != NULL);
    free(j);

    int pids[] = {1, 23, 456};
    char *a = spec_json_int_array(pids, 3);
    CHECK_STR(a, "[1,23,456]");
    free(a);
    a = spec_json_int_array(NULL, 0);
    CHECK_STR(a, "[]");
    free(a);
    CHECK_STR(spec_ns_type_names[SPEC_NS_NETWORK], "network");
    CHECK_STR(spec_hook_names[SPEC_HOOK_START_CONTAINER], "startContainer");
}

static void test_events(void)
{
    char *oom = spec_event_json("oom", "c\"1");
    CHECK_STR(oom, "{\"type\":\"oom\",\"id\":\"c\\\"1\"}");
    free(oom);
    struct nook_stats st = {.cpu_usage_usec = 5, .cpu_user_usec = 3, .cpu_system_usec = 2,
                            .has_pids = true, .pids_current = 4, .pids_max = UINT64_MAX};
    char *j = spec_event_stats_json("c1", &st);
    CHECK_STR(j, "{\"type\":\"stats\",\"id\":\"c1\",\"data\":{\"cpu\":{\"usage\":"
                 "{\"total\":5000,\"kernel\":2000,\"user\":3000},\"throttling\":"
                 "{\"periods\":0,\"throttledPeriods\":0,\"throttledTime\":0}},"
                 "\"pids\":{\"current\":4,\"limit\":0}}}");
    free(j);
    st.has_memory = true;
    st.memory_max = 1048576;
    j = spec_event_stats_json("c1", &st);
    CHECK(j && strstr(j, "\"memory\":{\"usage\":{\"limit\":1048576,"));
    free(j);
}

int main(void)
{
    test_events();
    test_full_config();
    test_mount_options();
    check_default_config(false);
    check_default_config(true);
    test_example_config();
    test_load_files();
    test_state();
    test_features();
    return unit_report("test_spec");
}
