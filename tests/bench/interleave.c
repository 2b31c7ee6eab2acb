/* interleave: time commands round-robin, so drift of a busy machine hits
 * every command alike (hyperfine runs each command's runs together).
 *
 *   interleave RUNS WARMUP NAME 'PREPARE' 'COMMAND' [NAME 'PREPARE' 'COMMAND']...
 *
 * COMMAND is split on spaces and run directly (fork + execvp, stdin from
 * /dev/null, stdout and stderr discarded); its wall time, from fork to the
 * end of waitpid, is what is measured. PREPARE, when not empty, runs through
 * /bin/sh -c before each timed run and is not timed (e.g. emptying a cache).
 * A failing command stops everything: its time would mean nothing.
 * Prints one line per command: NAME, median, min and max in ms. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cmd {
    const char *name, *prepare;
    char **argv;
    double *ms;
};

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static char **split(const char *s)
{
    char *copy = strdup(s);
    size_t n = 0;
    char **v = calloc(strlen(s) / 2 + 2, sizeof *v);
    if (!copy || !v) {
        perror("interleave: allocate");
        exit(2);
    }
    for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " "))
        v[n++] = tok;
    v[n] = NULL;
    return v;
}

/* Wall time of one run in ms, or exit on failure. */
static double run(const struct cmd *c)
{
    if (c->prepare[0]) {
        int st = system(c->prepare);
        if (st != 0) {
            fprintf(stderr, "interleave: %s: prepare failed (%d): %s\n", c->name, st, c->prepare);
            exit(1);
        }
    }
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        perror("interleave: fork");
        exit(2);
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
            _exit(126);
        execvp(c->argv[0], c->argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        perror("interleave: waitpid");
        exit(2);
    }
    double t = now_ms() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "interleave: %s failed (status %d): %s\n", c->name, st, c->argv[0]);
        exit(1);
    }
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 6 || (argc - 3) % 3 != 0) {
        fprintf(stderr, "usage: %s RUNS WARMUP NAME PREPARE COMMAND [NAME PREPARE COMMAND]...\n",
                argv[0]);
        return 2;
    }
    int runs = atoi(argv[1]), warmup = atoi(argv[2]);
    size_t n = (size_t)(argc - 3) / 3;
    struct cmd *cmds = calloc(n, sizeof *cmds);
    if (!cmds || runs < 1)
        return 2;
    for (size_t i = 0; i < n; i++) {
        cmds[i].name = argv[3 + 3 * i];
        cmds[i].prepare = argv[4 + 3 * i];
        cmds[i].argv = split(argv[5 + 3 * i]);
        cmds[i].ms = calloc((size_t)runs, sizeof(double));
        if (!cmds[i].ms)
            return 2;
    }
    for (int r = 0; r < warmup; r++)
        for (size_t i = 0; i < n; i++)
            run(&cmds[i]);
    for (int r = 0; r < runs; r++)
        for (size_t i = 0; i < n; i++)
            cmds[i].ms[r] = run(&cmds[i]);
    for (size_t i = 0; i < n; i++) {
        qsort(cmds[i].ms, (size_t)runs, sizeof(double), cmp_double);
        double med = runs % 2 ? cmds[i].ms[runs / 2]
                              : (cmds[i].ms[runs / 2 - 1] + cmds[i].ms[runs / 2]) / 2;
        printf("%s\t%.2f\t%.2f\t%.2f\n", cmds[i].name, med, cmds[i].ms[0], cmds[i].ms[runs - 1]);
    }
    return 0;
}
