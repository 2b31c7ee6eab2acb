/* rootfs/: the plan (paths, overlay annotations), the lexical path helpers,
 * mountinfo lookups and the host-side directories. No mounts here; see
 * test_rootfs_live.c for those. */
#include "unit.h"
#include "../../rootfs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/nook-rootfs-unit-XXXXXX";

/* A spec with just root.path and up to two annotations. */
struct fake {
    struct spec spec;
    struct spec_kv kv[2];
};

static void fake_init(struct fake *f, const char *root, const char *lower, const char *vol)
{
    memset(f, 0, sizeof *f);
    f->spec.root.path = (char *)root;
    f->spec.annotations.v = f->kv;
    if (lower)
        f->kv[f->spec.annotations.n++] = (struct spec_kv){(char *)ROOTFS_ANNOT_LOWER,
                                                          (char *)lower};
    if (vol)
        f->kv[f->spec.annotations.n++] = (struct spec_kv){(char *)ROOTFS_ANNOT_VOLATILE,
                                                          (char *)vol};
}

static void mkdir_in_tmp(const char *rel)
{
    char *p = xasprintf("%s/%s", tmp, rel);
    struct nook_error err;
    CHECK(mkdir_p(p, 0755, &err) == 0);
    free(p);
}

static void test_path_clean(void)
{
    static const char *cases[][2] = {
        {"/", "/"},           {"//a//b/", "/a/b"},     {"/a/./b/.", "/a/b"},
        {"/a/b/../c", "/a/c"}, {"/../../x", "/x"},      {"/a/..", "/"},
        {"/a/b/../..", "/"},  {"/dev/", "/dev"},       {"/a/b/c/../../d", "/a/d"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *c = rootfs_path_clean(cases[i][0]);
        CHECK_STR(c, cases[i][1]);
        free(c);
    }
    char *r = rootfs_path_resolve("/bundle", "./rootfs/");
    CHECK_STR(r, "/bundle/rootfs");
    free(r);
    r = rootfs_path_resolve("/bundle", "/abs/../root");
    CHECK_STR(r, "/root");
    free(r);
    r = rootfs_path_resolve("/bundle/x", "../rootfs");
    CHECK_STR(r, "/bundle/rootfs");
    free(r);
    r = rootfs_path_dirname("/a/b");
    CHECK_STR(r, "/a");
    free(r);
    r = rootfs_path_dirname("/a");
    CHECK_STR(r, "/");
    free(r);
    CHECK(rootfs_path_equal("/dev/", "/dev"));
    CHECK(rootfs_path_equal("/x/../dev", "//dev"));
    CHECK(!rootfs_path_equal("/dev/pts", "/dev"));
}

static void test_plain_root(void)
{
    struct fake f;
    struct rootfs_plan p;
    struct nook_error err;

    fake_init(&f, "rootfs", NULL, NULL);
    CHECK(rootfs_plan(&f.spec, "/bundles/b1/", "/run/nook/c1", "c1", &p, &err) == 0);
    CHECK_STR(p.bundle, "/bundles/b1");
    CHECK_STR(p.root, "/bundles/b1/rootfs");
    CHECK_STR(p.mountpoint, "/bundles/b1/rootfs");
    CHECK(!p.overlay && !p.overlay_volatile);
    CHECK(p.lowers.n == 0 && p.upper == NULL && p.work == NULL && p.volatile_dir == NULL);
    /* Nothing to create or remove for a plain root. */
    CHECK(rootfs_prepare_dirs(&p, &err) == 0);
    CHECK(rootfs_cleanup(&p, &err) == 0);
    rootfs_plan_free(&p);

    fake_init(&f, "/srv/images/alpine/", NULL, NULL);
    CHECK(rootfs_plan(&f.spec, "/bundles/b1", "/run/nook/c1", "c1", &p, &err) == 0);
    CHECK_STR(p.root, "/srv/images/alpine");
    rootfs_plan_free(&p);

    /* A relative bundle is taken from the cwd. */
    char *cwd = getcwd(NULL, 0);
    CHECK(chdir(tmp) == 0);
    fake_init(&f, "./rootfs", NULL, NULL);
    CHECK(rootfs_plan(&f.spec, "bundle", "/run/nook/c1", "c1", &p, &err) == 0);
    char *want = xasprintf("%s/bundle/rootfs", tmp);
    CHECK_STR(p.root, want);
    free(want);
    rootfs_plan_free(&p);
    CHECK(chdir(cwd) == 0);
    free(cwd);

    fake_init(&f, NULL, NULL, NULL);
    CHECK(rootfs_plan(&f.spec, "/b", "/s", "c1", &p, &err) == -1);
    CHECK_STR(err.msg, "root.path: required");
    fake_init(&f, "rootfs", NULL, NULL);
    CHECK(rootfs_plan(&f.spec, "/b", "/s", "../x", &p, &err) == -1);
    CHECK_STR(err.msg, "container id \"../x\": not usable in a path");
}

static void test_overlay_plan(void)
{
    struct fake f;
    struct rootfs_plan p;
    struct nook_error err;
    char *lower = xasprintf("layers/top:%s/layers/base", tmp);

    fake_init(&f, "upper", lower, NULL);
    CHECK(rootfs_plan(&f.spec, tmp, "/run/nook/c1", "c1", &p, &err) == 0);
    CHECK(p.overlay && !p.overlay_volatile);
    CHECK(p.lowers.n == 2 && p.lowers.v[2] == NULL);
    char *want = xasprintf("%s/layers/top", tmp);
    CHECK_STR(p.lowers.v[0], want);
    free(want);
    want = xasprintf("%s/layers/base", tmp);
    CHECK_STR(p.lowers.v[1], want);
    free(want);
    want = xasprintf("%s/upper", tmp);
    CHECK_STR(p.upper, want);
    CHECK_STR(p.root, want);
    free(want);
    want = xasprintf("%s/.nook-work-c1", tmp);
    CHECK_STR(p.work, want);
    free(want);
    CHECK_STR(p.mountpoint, "/run/nook/c1/rootfs");
    CHECK(p.volatile_dir == NULL);
    rootfs_plan_free(&p);

    /* The workdir sits next to a nested upper layer. */
    fake_init(&f, "nested/dir/upper", lower, "false");
    CHECK(rootfs_plan(&f.spec, tmp, "/run/nook/c1/", "c2", &p, &err) == 0);
    want = xasprintf("%s/nested/dir/.nook-work-c2", tmp);
    CHECK_STR(p.work, want);
    free(want);
    CHECK(!p.overlay_volatile);
    rootfs_plan_free(&p);

    fake_init(&f, "upper", lower, "true");
    CHECK(rootfs_plan(&f.spec, tmp, "/run/nook/c1", "c1", &p, &err) == 0);
    CHECK(p.overlay && p.overlay_volatile);
    CHECK(p.upper == NULL && p.work == NULL);
    CHECK_STR(p.volatile_dir, "/run/nook/c1/volatile");
    CHECK_STR(p.mountpoint, "/run/nook/c1/rootfs");
    CHECK(p.lowers.n == 2);
    rootfs_plan_free(&p);
    free(lower);
}

static void test_overlay_errors(void)
{
    struct fake f;
    struct rootfs_plan p;
    struct nook_error err;
    char *want;

    fake_init(&f, "upper", "layers/top:missing", NULL);
    CHECK(rootfs_plan(&f.spec, tmp, "/s", "c1", &p, &err) == -1);
    want = xasprintf("annotations[\"org.nook.rootfs.lower\"]: %s/missing: "
                     "No such file or directory", tmp);
    CHECK_STR(err.msg, want);
    CHECK(err.code == ENOENT);
    free(want);
    CHECK(p.lowers.n == 0 && p.root == NULL); /* nothing left to free */

    fake_init(&f, "upper", "/x/y", NULL);
    CHECK(rootfs_plan(&f.spec, tmp, "/s", "c1", &p, &err) == -1);
    CHECK_STR(err.msg, "annotations[\"org.nook.rootfs.lower\"]: /x/y: No such file or directory");

    fake_init(&f, "upper", "layers/file", NULL);
    CHECK(rootfs_plan(&f.spec, tmp, "/s", "c1", &p, &err) == -1);
    want = xasprintf("annotations[\"org.nook.rootfs.lower\"]: %s/layers/file: Not a directory",
                     tmp);
    CHECK_STR(err.msg, want);
    free(want);

    fake_init(&f, "upper", "layers/top::layers/base", NULL);
    CHECK(rootfs_plan(&f.spec, tmp, "/s", "c1", &p, &err) == -1);
    CHECK_STR(err.msg, "annotations[\"org.nook.rootfs.lower\"]: empty layer in "
                       "\"layers/top::layers/base\"");
    fake_init(&f, "upper", "layers/top:", NULL);
    CHECK(rootfs_plan(&f.spec, tmp, "/s", "c1", &p, &err) == -1);
    fake_init(&f, "upper", "", NULL);
    CHECK(rootfs_plan(&f.spec, tmp, "/s", "c1", &p, &err) == -1);
    CHECK_STR(err.msg, "annotations[\"org.nook.rootfs.lower\"]: empty layer list");

    fake_init(&f, "upper", "layers/top", "yes");
    CHECK(rootfs_plan(&f.spec, tmp, "/s", "c1", &p, &err) == -1);
    CHECK_STR(err.msg, "annotations[\"org.nook.rootfs.volatile\"]: must be \"true\" or "
                       "\"false\", got \"yes\"");
    fake_init(&f, "upper", NULL, "true");
    CHECK(rootfs_plan(&f.spec, tmp, "/s", "c1", &p, &err) == -1);
    CHECK_STR(err.msg, "annotations[\"org.nook.rootfs.volatile\"]: needs "
                       "annotations[\"org.nook.rootfs.lower\"]");
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_dirs(void)
{
    struct fake f;
    struct rootfs_plan p;
    struct nook_error err;
    char *state = xasprintf("%s/state", tmp);
    mkdir_in_tmp("state");

    fake_init(&f, "upper", "layers/top", NULL);
    CHECK(rootfs_plan(&f.spec, tmp, state, "c1", &p, &err) == 0);
    /* The upper layer must exist. */
    CHECK(rootfs_prepare_dirs(&p, &err) == -1);
    char *want = xasprintf("root.path: overlay upper layer %s/upper: No such file or directory",
                           tmp);
    CHECK_STR(err.msg, want);
    free(want);
    mkdir_in_tmp("upper");
    CHECK(rootfs_prepare_dirs(&p, &err) == 0);
    CHECK(rootfs_prepare_dirs(&p, &err) == 0); /* again: fine */
    CHECK(exists(p.mountpoint) && exists(p.work));

    /* What overlayfs leaves: work/work mode 000 with content, plus a
     * symlink out of the tree that rm -r must not follow. */
    char *outside = xasprintf("%s/outside", tmp);
    mkdir_in_tmp("outside");
    char *keep = xasprintf("%s/keep", outside);
    CHECK(write_file(keep, "x", 1, 0644, &err) == 0);
    char *ww = xasprintf("%s/work", p.work);
    CHECK(mkdir(ww, 0755) == 0);
    char *inner = xasprintf("%s/file", ww);
    CHECK(write_file(inner, "x", 1, 0644, &err) == 0);
    CHECK(chmod(ww, 0) == 0);
    char *link = xasprintf("%s/link", p.work);
    CHECK(symlink(outside, link) == 0);

    CHECK(rootfs_cleanup(&p, &err) == 0);
    CHECK(!exists(p.work) && !exists(p.mountpoint));
    CHECK(exists(keep));
    CHECK(rootfs_cleanup(&p, &err) == 0); /* idempotent */

    /* The mountpoint is only rmdir'ed: never recursively emptied. */
    CHECK(rootfs_prepare_dirs(&p, &err) == 0);
    char *inmp = xasprintf("%s/precious", p.mountpoint);
    CHECK(write_file(inmp, "x", 1, 0644, &err) == 0);
    CHECK(rootfs_cleanup(&p, &err) == -1);
    CHECK(err.code == ENOTEMPTY);
    CHECK(exists(inmp) && !exists(p.work));
    CHECK(unlink(inmp) == 0);
    CHECK(rootfs_cleanup(&p, &err) == 0);
    rootfs_plan_free(&p);

    fake_init(&f, "upper", "layers/top", "true");
    CHECK(rootfs_plan(&f.spec, tmp, state, "c1", &p, &err) == 0);
    CHECK(rootfs_prepare_dirs(&p, &err) == 0);
    CHECK(exists(p.volatile_dir) && exists(p.mountpoint));
    CHECK(rootfs_cleanup(&p, &err) == 0);
    CHECK(!exists(p.volatile_dir) && !exists(p.mountpoint));
    rootfs_plan_free(&p);

    free(inmp);
    free(link);
    free(inner);
    free(ww);
    free(keep);
    free(outside);
    free(state);
}

/* Both resolvers give the same answers on an image's symlink tricks. */
static void check_resolver(int (*open_in)(int, const char *, int), const char *name)
{
    char *r = xasprintf("%s/img", tmp);
    int rootfd = open(r, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(rootfd >= 0);
    struct stat want_b, want_root, got;
    char *b = xasprintf("%s/a/b", r);
    CHECK(stat(b, &want_b) == 0 && stat(r, &want_root) == 0);
    static const struct {
        const char *path;
        int flags;
        int err;   /* 0: resolves */
        bool is_b; /* ...to a/b, else to the root */
    } cases[] = {
        {"/a/b", O_DIRECTORY, 0, true},
        {"a/./b/", 0, 0, true},
        {"/abs/b", O_DIRECTORY, 0, true},     /* abs -> /a: the image's /a */
        {"/up/a/b", 0, 0, true},              /* up -> ../../..: stays at the root */
        {"../../../a/b", 0, 0, true},
        {"/a/b/../../a/b", 0, 0, true},
        {"/tob", 0, 0, true},                 /* trailing symlink followed */
        {"/rel/b", 0, 0, true},               /* rel -> a/../a */
        {"/", O_DIRECTORY, 0, false},
        {"/up", 0, 0, false},
        {"/procself/cwd", 0, ENOENT, false},  /* magic-link text stays in the root */
        {"/loop", 0, ELOOP, false},
        {"/dangling", 0, ENOENT, false},
        {"/file/x", 0, ENOTDIR, false},
        {"/file", O_DIRECTORY, ENOTDIR, false},
        {"/hostetc/passwd", 0, ENOENT, false}, /* hostetc -> /etc: not the host's */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        errno = 0;
        int fd = open_in(rootfd, cases[i].path, cases[i].flags);
        bool ok;
        if (cases[i].err) {
            ok = fd < 0 && errno == cases[i].err;
        } else {
            const struct stat *w = cases[i].is_b ? &want_b : &want_root;
            ok = fd >= 0 && fstat(fd, &got) == 0 && got.st_ino == w->st_ino &&
                 got.st_dev == w->st_dev;
        }
        if (!ok)
            fprintf(stderr, "%s: %s: fd %d errno %d\n", name, cases[i].path, fd, errno);
        CHECK(ok);
        if (fd >= 0)
            close(fd);
    }
    close(rootfd);
    free(b);
    free(r);
}

static void test_resolve(void)
{
    mkdir_in_tmp("img/a/b");
    char *r = xasprintf("%s/img", tmp);
    char *cmd = xasprintf("cd '%s' && ln -s /a abs && ln -s ../../.. up && ln -s loop loop && "
                          "ln -s /nonexistent dangling && touch file && ln -s a/b tob && "
                          "ln -s a/../a rel && ln -s /proc/self procself && ln -s /etc hostetc",
                          r);
    CHECK(system(cmd) == 0);
    free(cmd);
    check_resolver(rootfs_open_in_root, "openat2");
    check_resolver(rootfs_open_in_root_walk, "walk");

    /* mkdir -p and file creation follow symlinks inside the root only. */
    int rootfd = open(r, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = rootfs_mkdir_in_root(rootfd, "/abs/new/deeper", 0755);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    char *made = xasprintf("%s/a/new/deeper", r);
    struct stat st;
    CHECK(stat(made, &st) == 0 && S_ISDIR(st.st_mode));
    free(made);
    fd = rootfs_mkfile_in_root(rootfd, "/up/x/file", 0600);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    made = xasprintf("%s/x/file", r);
    CHECK(stat(made, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
    free(made);
    /* Through a dangling symlink: its target is made inside the root (real
     * images have etc/resolv.conf -> ../run/...), never on the host. */
    fd = rootfs_mkdir_in_root(rootfd, "/dangling/x", 0755);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK(stat("/nonexistent", &st) == -1);
    made = xasprintf("%s/nonexistent/x", r);
    CHECK(stat(made, &st) == 0 && S_ISDIR(st.st_mode));
    free(made);
    /* Only the last component missing, its parent through a symlink: made
     * in the parent as resolved in the root (a/one, not the host's /a). */
    fd = rootfs_mkdir_in_root(rootfd, "/abs/one", 0700);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    made = xasprintf("%s/a/one", r);
    CHECK(stat(made, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
    free(made);
    /* The last component itself a dangling symlink: its target is made,
     * inside the root. */
    cmd = xasprintf("cd '%s' && ln -s /nonexistent-last dangling-last", r);
    CHECK(system(cmd) == 0);
    free(cmd);
    fd = rootfs_mkdir_in_root(rootfd, "/dangling-last", 0755);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK(stat("/nonexistent-last", &st) == -1);
    made = xasprintf("%s/nonexistent-last", r);
    CHECK(stat(made, &st) == 0 && S_ISDIR(st.st_mode));
    free(made);
    cmd = xasprintf("cd '%s' && mkdir etc && ln -s ../run/resolve/stub.conf etc/resolv.conf && "
                    "ln -s ../../../../../../../../../nowhere-i10 esc", r);
    CHECK(system(cmd) == 0);
    free(cmd);
    fd = rootfs_mkfile_in_root(rootfd, "/etc/resolv.conf", 0644);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    made = xasprintf("%s/run/resolve/stub.conf", r);
    CHECK(stat(made, &st) == 0 && S_ISREG(st.st_mode));
    free(made);
    fd = rootfs_mkfile_in_root(rootfd, "/esc", 0644);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK(stat("/nowhere-i10", &st) == -1);
    made = xasprintf("%s/nowhere-i10", r);
    CHECK(stat(made, &st) == 0 && S_ISREG(st.st_mode));
    free(made);
    CHECK(rootfs_mkfile_in_root(rootfd, "/loop", 0644) == -1 && errno == ELOOP);
    CHECK(rootfs_mkdir_in_root(rootfd, "/file/x", 0755) == -1 && errno == ENOTDIR);
    close(rootfd);
    free(r);
}

static void test_mountinfo(void)
{
    struct nook_error err;
    char *mp;
    CHECK(rootfs_mountinfo_find_fstype("proc", &mp, &err) == 0);
    CHECK_STR(mp, "/proc");
    free(mp);
    CHECK(rootfs_mountinfo_find_fstype("nook-no-such-fs", &mp, &err) == 0);
    CHECK(mp == NULL);
    CHECK(rootfs_mountinfo_containing("/proc/self/fd", &mp, &err) == 0);
    CHECK_STR(mp, "/proc");
    free(mp);
    CHECK(rootfs_mountinfo_containing("/proc", &mp, &err) == 0);
    CHECK_STR(mp, "/proc");
    free(mp);
    /* "/procfoo" is not under "/proc". */
    CHECK(rootfs_mountinfo_containing("/procfoo/x", &mp, &err) == 0);
    CHECK_STR(mp, "/");
    free(mp);
}

int main(void)
{
    struct nook_error err;
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    mkdir_in_tmp("layers/top");
    mkdir_in_tmp("layers/base");
    char *file = xasprintf("%s/layers/file", tmp);
    CHECK(write_file(file, "", 0, 0644, &err) == 0);
    free(file);

    test_path_clean();
    test_plain_root();
    test_overlay_plan();
    test_overlay_errors();
    test_dirs();
    test_resolve();
    test_mountinfo();

    char *cmd = xasprintf("rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0);
    free(cmd);
    return unit_report("test_rootfs");
}
