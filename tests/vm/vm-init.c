/* PID 1 of the test VM once the host's root is switched to.
 *
 *   vm-init STATUS-FILE PROGRAM [ARG...]
 *
 * Runs PROGRAM in its own session, reaps every process reparented to it
 * (detached containers' inits end up here: a zombie nobody reaps would look
 * alive to `nook state`), writes PROGRAM's exit status (128+N for a signal) to
 * STATUS-FILE, kills what is left, syncs and powers the VM off. PID 1 must
 * never exit: the kernel would panic instead of powering off. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

static void power_off(void)
{
    sync();
    reboot(RB_POWER_OFF);
    /* Only reached when reboot(2) failed: panicking with -no-reboot also ends qemu. */
    for (;;)
        pause();
}

static void write_status(const char *path, int status)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d\n", status);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "vm-init: open %s: %s\n", path, strerror(errno));
        return;
    }
    if (write(fd, buf, (size_t)n) != n)
        fprintf(stderr, "vm-init: write %s: %s\n", path, strerror(errno));
    if (fsync(fd) < 0 && errno != EINVAL)
        fprintf(stderr, "vm-init: fsync %s: %s\n", path, strerror(errno));
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: vm-init STATUS-FILE PROGRAM [ARG...]\n");
        power_off();
    }
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "vm-init: fork: %s\n", strerror(errno));
        write_status(argv[1], 125);
        power_off();
    }
    if (child == 0) {
        if (setsid() < 0)
            _exit(126);
        execv(argv[2], argv + 2);
        fprintf(stderr, "vm-init: exec %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status = 0, code = 125;
    for (;;) {
        pid_t p = wait(&status);
        if (p == child) {
            code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (p < 0 && errno == ECHILD)
            break;
    }
    write_status(argv[1], code);
    kill(-1, SIGKILL);
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    power_off();
}
