/* oomhog: memory hogs for the OOM-freeze tests, run inside containers
 * (static: the test root is busybox). Every page is written with a
 * pattern and read back at the end, so a run that was frozen and resumed
 * proves its data intact.
 *
 *   oomhog proc MB            one process allocates MB MiB
 *   oomhog procs N MB         N processes, MB MiB in all
 *   oomhog threads N MB       N threads, MB MiB in all
 *   oomhog forks MB           one process allocates MB MiB, forking a short
 *                             child (that touches 256 KiB) after every MiB
 *   oomhog mix N SMALL BIG    N-1 processes of SMALL MiB allocate first, then
 *                             one of BIG MiB; a child killed by SIGKILL is
 *                             counted, not failed
 *
 * Prints "oomhog: verified ..." and exits 0 when every surviving part read
 * back what it wrote. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1u << 20)
#define PAGE 4096u

struct region {
    unsigned char *p;
    size_t mib;
    unsigned seed;
};

static void fill(struct region *r, size_t from_mib, size_t to_mib)
{
    for (size_t off = from_mib * MIB; off < to_mib * MIB; off += PAGE)
        memset(r->p + off, (int)((off / PAGE + r->seed) & 0xff), PAGE);
}

static int verify(const struct region *r)
{
    for (size_t off = 0; off < r->mib * MIB; off += PAGE) {
        unsigned char want = (unsigned char)((off / PAGE + r->seed) & 0xff);
        for (size_t i = 0; i < PAGE; i += 512)
            if (r->p[off + i] != want)
                return -1;
    }
    return 0;
}

static int alloc(struct region *r, size_t mib, unsigned seed)
{
    r->mib = mib;
    r->seed = seed;
    r->p = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r->p == MAP_FAILED) {
        perror("oomhog: mmap");
        return -1;
    }
    return 0;
}

/* Allocate and fill MiB by MiB, then verify. */
static int hog(size_t mib, unsigned seed)
{
    struct region r;
    if (alloc(&r, mib, seed) < 0)
        return -1;
    fill(&r, 0, mib);
    return verify(&r);
}

static void *thread_hog(void *arg)
{
    size_t mib = (size_t)(uintptr_t)arg;
    return (void *)(intptr_t)hog(mib, (unsigned)mib * 7);
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* fork() fails with ENOMEM at the memory limit (the kernel does not wait):
 * retry, as a program under memory pressure would. */
static pid_t fork_retrying(void)
{
    for (;;) {
        pid_t pid = fork();
        if (pid >= 0 || (errno != ENOMEM && errno != EAGAIN))
            return pid;
        nap_ms(10);
    }
}

/* Wait for every child; killed counts SIGKILLed ones, the rest must exit 0. */
static int wait_children(int n, int *killed)
{
    int failed = 0;
    *killed = 0;
    for (int i = 0; i < n; i++) {
        int st;
        if (wait(&st) < 0)
            return -1;
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
            ++*killed;
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed++;
    }
    return failed;
}

static int run_procs(int n, size_t mib)
{
    for (int i = 0; i < n; i++) {
        pid_t pid = fork_retrying();
        if (pid < 0)
            return -1;
        if (pid == 0)
            _exit(hog(mib / (size_t)n, (unsigned)i) == 0 ? 0 : 1);
    }
    int killed;
    return wait_children(n, &killed) == 0 ? 0 : -1;
}

static int run_threads(int n, size_t mib)
{
    pthread_t t[64];
    if (n > 64)
        return -1;
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, thread_hog, (void *)(uintptr_t)(mib / (size_t)n)) != 0)
            return -1;
    int r = 0;
    for (int i = 0; i < n; i++) {
        void *res;
        pthread_join(t[i], &res);
        r |= (int)(intptr_t)res;
    }
    return r;
}

static int run_forks(size_t mib)
{
    struct region r;
    if (alloc(&r, mib, 3) < 0)
        return -1;
    for (size_t m = 0; m < mib; m++) {
        fill(&r, m, m + 1);
        pid_t pid = fork_retrying();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            unsigned char *q = malloc(256 * 1024);
            if (!q)
                _exit(1);
            memset(q, 0x5a, 256 * 1024);
            /* The child's copy-on-write view of the newest MiB. */
            struct region last = {r.p + m * MIB, 1, r.seed + (unsigned)(m * MIB / PAGE)};
            _exit(q[4096] == 0x5a && verify(&last) == 0 ? 0 : 1);
        }
        int st;
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return -1;
    }
    return verify(&r);
}

static int run_mix(int n, size_t small, size_t big, int *killed)
{
    int ready[2];
    if (pipe(ready) < 0)
        return -1;
    for (int i = 0; i < n - 1; i++) {
        pid_t pid = fork_retrying();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            struct region r;
            if (alloc(&r, small, (unsigned)i) < 0)
                _exit(1);
            fill(&r, 0, small);
            (void)!write(ready[1], "x", 1);
            /* Hold the memory while the big one runs into the limit. */
            nap_ms(3000);
            _exit(verify(&r) == 0 ? 0 : 1);
        }
    }
    for (int i = 0; i < n - 1; i++) {
        char c;
        if (read(ready[0], &c, 1) != 1)
            return -1;
    }
    pid_t pid = fork_retrying();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(hog(big, 99) == 0 ? 0 : 1);
    return wait_children(n, killed) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 3) {
        fprintf(stderr, "usage: oomhog proc MB | procs N MB | threads N MB | forks MB | "
                        "mix N SMALL BIG\n");
        return 2;
    }
    const char *mode = argv[1];
    int r, killed = 0;
    if (!strcmp(mode, "proc"))
        r = hog((size_t)atoi(argv[2]), 1);
    else if (!strcmp(mode, "procs") && argc == 4)
        r = run_procs(atoi(argv[2]), (size_t)atoi(argv[3]));
    else if (!strcmp(mode, "threads") && argc == 4)
        r = run_threads(atoi(argv[2]), (size_t)atoi(argv[3]));
    else if (!strcmp(mode, "forks"))
        r = run_forks((size_t)atoi(argv[2]));
    else if (!strcmp(mode, "mix") && argc == 5)
        r = run_mix(atoi(argv[2]), (size_t)atoi(argv[3]), (size_t)atoi(argv[4]), &killed);
    else {
        fprintf(stderr, "oomhog: bad arguments\n");
        return 2;
    }
    if (r != 0) {
        printf("oomhog: %s: data NOT verified\n", mode);
        return 1;
    }
    printf("oomhog: verified %s", mode);
    for (int i = 2; i < argc; i++)
        printf(" %s", argv[i]);
    printf(killed ? " (%d killed)\n" : "\n", killed);
    return 0;
}
