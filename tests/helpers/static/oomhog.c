/* oomhog: memory hogs for the OOM-freeze tests, run inside containers
 * (static: the test root is busybox). Every page is written with a
 * pattern and read back at the end, so a run that was frozen and resumed
 * proves its data intact.
 *
 *   oomhog proc MB            one process allocates MB MiB
 *   oomhog procs N MB         N processes, MB MiB in all, held at once
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
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* mmap, like fork, fails with ENOMEM at the memory limit when the kernel
 * cannot charge its own bookkeeping (it does not wait there): retry, as a
 * program under memory pressure would. */
static void *map_retrying(size_t bytes)
{
    void *p;
    while ((p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) ==
               MAP_FAILED &&
           (errno == ENOMEM || errno == EAGAIN))
        nap_ms(10);
    return p;
}

static int alloc(struct region *r, size_t mib, unsigned seed)
{
    r->mib = mib;
    r->seed = seed;
    r->p = map_retrying(mib * MIB);
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
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
            ++*killed;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            /* Said here: a child at the limit may not manage to write. */
            if (WIFSIGNALED(st))
                fprintf(stderr, "oomhog: a child was killed by signal %d\n", WTERMSIG(st));
            else
                fprintf(stderr, "oomhog: a child exited with %d\n", WEXITSTATUS(st));
            failed++;
        }
    }
    return failed;
}

/* A child of run_procs: fill its share, say so on filled, and keep it until
 * hold reaches end of file (every share filled), then verify. */
static int proc_share(size_t mib, unsigned seed, int filled, int hold)
{
    struct region r;
    char c;
    if (alloc(&r, mib, seed) < 0)
        return -1;
    fill(&r, 0, mib);
    /* A pipe's first write allocates its buffer: ENOMEM at the limit too. */
    ssize_t w;
    while ((w = write(filled, "x", 1)) < 0 && (errno == ENOMEM || errno == EINTR))
        nap_ms(10);
    if (w != 1 || read(hold, &c, 1) != 0)
        return -1;
    return verify(&r);
}

/* n processes that hold mib MiB in all at once: each keeps its share until
 * every share is filled, else a fast child could be done before a slow one
 * starts and the group would never reach its limit. */
static int run_procs(int n, size_t mib)
{
    int filled[2], hold[2];
    if (pipe(filled) < 0 || pipe(hold) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork_retrying();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            close(filled[0]);
            close(hold[1]);
            _exit(proc_share(mib / (size_t)n, (unsigned)i, filled[1], hold[0]) == 0 ? 0 : 1);
        }
    }
    close(filled[1]);
    close(hold[0]);
    /* Until every child filled its share, or one exited before it did (the
     * others hold filled open: no end of file tells). */
    int ready = 0;
    struct pollfd p = {.fd = filled[0], .events = POLLIN};
    while (ready < n) {
        char c;
        siginfo_t si = {0};
        int r = poll(&p, 1, 100);
        if (r > 0 && read(filled[0], &c, 1) == 1)
            ready++;
        else if ((r < 0 && errno != EINTR) || r > 0 ||
                 (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0))
            break;
    }
    close(hold[1]);
    close(filled[0]);
    int killed;
    return wait_children(n, &killed) == 0 && ready == n ? 0 : -1;
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
            unsigned char *q = map_retrying(256 * 1024);
            if (q == MAP_FAILED)
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

/* glibc's restartable sequences (rseq): the kernel writes the thread's rseq
 * area on return to user space. Right after a fork that page is shared
 * copy-on-write; at the memory limit the kernel cannot charge the copy from
 * that write (it is not the task's own page fault, so it neither waits in
 * the v1 OOM wait nor retries) and kills the task with SIGSEGV. A hog is
 * about its own page faults: run without rseq (re-exec once with the glibc
 * tunable that turns it off). */
static void without_rseq(char **argv)
{
    if (getenv("OOMHOG_NO_RSEQ"))
        return;
    setenv("OOMHOG_NO_RSEQ", "1", 1);
    setenv("GLIBC_TUNABLES", "glibc.pthread.rseq=0", 1);
    execv("/proc/self/exe", argv);
    /* No /proc: run as is. */
}

int main(int argc, char **argv)
{
    without_rseq(argv);
    /* The re-exec named us "exe": the snapshot's command and the tests'
     * hog_running look for "oomhog". */
    (void)!prctl(PR_SET_NAME, "oomhog");
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
