/* syscall_errno NR...: make raw syscall NR (all arguments 0) for each
 * number given and print "NR=<errno>" (0 when it succeeded). Static, so it
 * runs inside a busybox container; raw syscall(2), so libc cannot turn an
 * ENOSYS into a fallback before we see it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        long nr = strtol(argv[i], NULL, 10);
        errno = 0;
        long r = syscall(nr, 0, 0, 0, 0, 0, 0);
        printf("%ld=%d\n", nr, r < 0 ? errno : 0);
    }
    return 0;
}
