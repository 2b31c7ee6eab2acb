/* The cache of compiled seccomp programs. Compiling Docker's profile with
 * libseccomp takes milliseconds, about as long as the rest of a container's
 * start; every container of a podman or Docker host carries the same few
 * profiles. So a program is kept in <cache_dir>/<key>, where key is the
 * SHA-256 of everything the program depends on: the profile's default
 * action, architectures and rules (its flags and listener only matter when
 * loading), the native architecture, the kernel's seccomp API level, the
 * libseccomp version, the program layout nook asks of it and this file's
 * entry format. Two profiles share an entry only if they hash alike.
 *
 * An entry is a header (magic, key, instruction count, notify bit, SHA-256
 * of header and program) and the instructions. It is trusted only if the
 * file and its directory belong to this user and nobody else may write them,
 * and the size, key and digest match; anything else is rebuilt. Entries are
 * written to a temporary name and renamed into place, so concurrent creates
 * with one profile each see a whole entry or none (they may both compile and
 * store; the last rename wins, both are right). Nothing is fsynced: an entry
 * a crash cut short fails its digest and is compiled again. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENTRY_MAGIC "NOOKBPF1"

struct entry_header {
    char magic[8];
    unsigned char key[SHA256_LEN];
    uint32_t len;
    uint32_t notify;
    unsigned char digest[SHA256_LEN];
};

/* ---- the key ---- */

static void hash_u32(struct sha256 *h, uint32_t v)
{
    sha256_update(h, &v, sizeof v);
}

static void hash_u64(struct sha256 *h, uint64_t v)
{
    sha256_update(h, &v, sizeof v);
}

/* Length-prefixed, so ["ab","c"] and ["a","bc"] differ. */
static void hash_str(struct sha256 *h, const char *s)
{
    size_t n = strlen(s);
    hash_u64(h, n);
    sha256_update(h, s, n);
}

static void hash_strv(struct sha256 *h, const struct spec_strv *v)
{
    hash_u64(h, v->n);
    for (size_t i = 0; i < v->n; i++)
        hash_str(h, v->v[i]);
}

static void hash_syscall(struct sha256 *h, const struct spec_seccomp_syscall *sc)
{
    hash_strv(h, &sc->names);
    hash_u32(h, sc->action);
    hash_u32(h, sc->has_errno_ret);
    hash_u32(h, sc->errno_ret);
    hash_u64(h, sc->n_args);
    for (size_t i = 0; i < sc->n_args; i++) {
        hash_u32(h, sc->args[i].index);
        hash_u32(h, sc->args[i].op);
        hash_u64(h, sc->args[i].value);
        hash_u64(h, sc->args[i].value_two);
    }
}

static void cache_key(const struct spec_seccomp *s, unsigned char key[SHA256_LEN])
{
    struct sha256 h;
    sha256_init(&h);
    hash_str(&h, ENTRY_MAGIC);
    hash_u32(&h, SEC_PROGRAM_LAYOUT);
    const struct scmp_version *v = seccomp_version();
    hash_u32(&h, v->major);
    hash_u32(&h, v->minor);
    hash_u32(&h, v->micro);
    hash_u32(&h, seccomp_api_get());
    hash_u32(&h, seccomp_arch_native());
    hash_u32(&h, s->default_action);
    hash_u32(&h, s->has_default_errno_ret);
    hash_u32(&h, s->default_errno_ret);
    hash_strv(&h, &s->architectures);
    hash_u64(&h, s->n_syscalls);
    for (size_t i = 0; i < s->n_syscalls; i++)
        hash_syscall(&h, &s->syscalls[i]);
    sha256_final(&h, key);
}

static void entry_digest(const struct entry_header *hd, const struct sock_filter *insns,
                         unsigned char out[SHA256_LEN])
{
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, hd, offsetof(struct entry_header, digest));
    sha256_update(&h, insns, hd->len * sizeof *insns);
    sha256_final(&h, out);
}

/* ---- files ---- */

/* Only this user may have put anything there. */
static const char *not_ours(const struct stat *sb)
{
    if (sb->st_uid != geteuid())
        return "owned by another user";
    if (sb->st_mode & (S_IWGRP | S_IWOTH))
        return "writable by others";
    return NULL;
}

/* The cache directory, or -1 with the reason in why. */
static int open_cache_dir(const char *dir, char *why, size_t whylen)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(why, whylen, "create %s: %s", dir, strerror(errno));
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "open %s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat sb;
    const char *bad = fstat(fd, &sb) < 0 ? strerror(errno) : not_ours(&sb);
    if (bad) {
        snprintf(why, whylen, "%s: %s", dir, bad);
        close(fd);
        return -1;
    }
    return fd;
}

/* 1: prog filled from the entry; 0: no usable entry (why says what was
 * wrong with one that exists, else is empty). */
static int read_entry(int dirfd, const char *name, const unsigned char key[SHA256_LEN],
                      struct security_seccomp_prog *prog, char *why, size_t whylen)
{
    why[0] = '\0';
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            snprintf(why, whylen, "open: %s", strerror(errno));
        return 0;
    }
    struct stat sb;
    const char *bad = fstat(fd, &sb) < 0 ? strerror(errno)
                      : !S_ISREG(sb.st_mode) ? "not a regular file"
                                             : not_ours(&sb);
    size_t max = sizeof(struct entry_header) + BPF_MAXINSNS * sizeof(struct sock_filter);
    if (!bad && ((size_t)sb.st_size <= sizeof(struct entry_header) || (size_t)sb.st_size > max))
        bad = "wrong size";
    char *data = NULL;
    if (!bad) {
        data = xmalloc((size_t)sb.st_size);
        if (read_all(fd, data, (size_t)sb.st_size) != sb.st_size)
            bad = "short read";
    }
    close(fd);
    struct entry_header hd;
    if (!bad) {
        memcpy(&hd, data, sizeof hd);
        if (memcmp(hd.magic, ENTRY_MAGIC, sizeof hd.magic) != 0)
            bad = "not a nook seccomp entry";
        else if (memcmp(hd.key, key, SHA256_LEN) != 0)
            bad = "another profile's key";
        else if (sizeof hd + (size_t)hd.len * sizeof(struct sock_filter) != (size_t)sb.st_size)
            bad = "truncated or extended";
    }
    if (!bad) {
        unsigned char d[SHA256_LEN];
        entry_digest(&hd, (const struct sock_filter *)(data + sizeof hd), d);
        if (memcmp(d, hd.digest, SHA256_LEN) != 0)
            bad = "digest mismatch";
    }
    if (bad) {
        snprintf(why, whylen, "%s", bad);
        free(data);
        return 0;
    }
    prog->len = hd.len;
    prog->notify = hd.notify != 0;
    prog->insns = xmalloc(prog->len * sizeof *prog->insns);
    memcpy(prog->insns, data + sizeof hd, prog->len * sizeof *prog->insns);
    free(data);
    return 1;
}

static int write_entry(int dirfd, const char *name, const unsigned char key[SHA256_LEN],
                       const struct security_seccomp_prog *prog, struct nook_error *err)
{
    struct entry_header hd = {.len = (uint32_t)prog->len, .notify = prog->notify};
    memcpy(hd.magic, ENTRY_MAGIC, sizeof hd.magic);
    memcpy(hd.key, key, SHA256_LEN);
    entry_digest(&hd, prog->insns, hd.digest);

    /* Unique among live processes; one left by a dead process is replaced. */
    char tmp[128];
    snprintf(tmp, sizeof tmp, ".%s.%d", name, (int)getpid());
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return nook_error_sys(err, "create %s", tmp);
    size_t n = prog->len * sizeof *prog->insns;
    int r = 0;
    if (write_all(fd, &hd, sizeof hd) != (ssize_t)sizeof hd ||
        write_all(fd, prog->insns, n) != (ssize_t)n)
        r = nook_error_sys(err, "write %s", tmp);
    if (close(fd) < 0 && r == 0)
        r = nook_error_sys(err, "close %s", tmp);
    if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        r = nook_error_sys(err, "rename %s to %s", tmp, name);
    if (r < 0)
        unlinkat(dirfd, tmp, 0);
    return r;
}

int sec_cache_get_or_compile(const struct spec_seccomp *s, const char *cache_dir,
                             struct security_seccomp_prog *prog, struct nook_error *err)
{
    unsigned char key[SHA256_LEN];
    char name[2 * SHA256_LEN + 1];
    cache_key(s, key);
    sha256_hex(key, name);
    char why[256] = "";
    int dirfd = cache_dir ? open_cache_dir(cache_dir, why, sizeof why) : -1;
    if (dirfd >= 0 && read_entry(dirfd, name, key, prog, why, sizeof why) == 1) {
        close(dirfd);
        prog->cached = true;
        snprintf(prog->note, sizeof prog->note, "program %.16s (%zu instructions) from the cache",
                 name, prog->len);
        return 0;
    }
    if (sec_seccomp_compile(s, prog, err) < 0) {
        if (dirfd >= 0)
            close(dirfd);
        return -1;
    }
    int n = snprintf(prog->note, sizeof prog->note, "program %.16s (%zu instructions) compiled",
                     name, prog->len);
    size_t left = sizeof prog->note - (size_t)n;
    if (dirfd < 0) {
        if (cache_dir)
            snprintf(prog->note + n, left, ", cache not used: %s", why);
        return 0;
    }
    struct nook_error store;
    if (write_entry(dirfd, name, key, prog, &store) < 0)
        snprintf(prog->note + n, left, ", not cached: %.900s", store.msg);
    else if (why[0])
        snprintf(prog->note + n, left, ", cache entry rebuilt (it was bad: %s)", why);
    else
        snprintf(prog->note + n, left, " and cached");
    close(dirfd);
    return 0;
}
