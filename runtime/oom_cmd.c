/* `nook oom [--wait] ID`: the snapshot of a container frozen at its memory
 * limit; and the monitor's event lines for `nook events`. */
#include "commands.h"
#include "oom.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* What this host offers, for `oom --help` and `features`. */
static void print_host_support(void)
{
    struct cgroup_oom_support s;
    cgroup_oom_host_support(&s);
    printf("\nOOM freeze on this host (%s):\n", s.summary);
    printf("  cgroup v2, root:     %s\n", s.v2 ? "yes (memory.max, oom_score_adj -1000, freeze on memory.events oom)" : "no (no memory controller in cgroup v2)");
    printf("  cgroup v2, rootless: %s\n", s.v2 ? "yes, in a delegated cgroup (memory.high = limit, memory.max = limit + 16M)" : "no");
    printf("  cgroup v1 / hybrid:  %s\n", s.v1 ? "not in this build" : "no (no v1 memory controller)");
    printf("Opt in with the annotation org.nook.oom=freeze (or disableOOMKiller: true);\n"
           "org.nook.oom.timeout, org.nook.oom.fallback=kill|kill-all|thaw and\n"
           "org.nook.oom.handler=/abs/path tune it. --wait blocks until the next freeze.\n");
}

static int snapshot_path(struct nook_globals *g, const char *id, char **path, char **dir,
                         struct container *c, struct nook_error *err)
{
    if (container_load(g, id, c, err) < 0)
        return -1;
    if (c->st.oom_monitor_pid <= 0) {
        container_release(c);
        return nook_error_set(err, 0, "oom: the container does not freeze at its memory limit "
                              "(no org.nook.oom=freeze)");
    }
    *dir = xstrdup(c->dir);
    *path = xasprintf("%s/%s", c->dir, OOM_SNAPSHOT_FILE);
    return 0;
}

static int print_snapshot(const char *path, struct nook_error *err)
{
    char *text;
    size_t len;
    if (read_file(path, &text, &len, err) < 0)
        return -1;
    fwrite(text, 1, len, stdout);
    if (len && text[len - 1] != '\n')
        putchar('\n');
    free(text);
    return fflush(stdout) == 0 ? 0 : nook_error_sys(err, "oom: write the snapshot");
}

/* Until the monitor renames a new oom.json into the state directory, or the
 * container stops or loses its monitor. */
static int wait_next_snapshot(struct container *c, const char *dir, const char *path,
                              struct nook_error *err)
{
    int in = inotify_init1(IN_CLOEXEC);
    if (in < 0)
        return nook_error_sys(err, "oom --wait: inotify");
    if (inotify_add_watch(in, dir, IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF) < 0) {
        close(in);
        return nook_error_sys(err, "oom --wait: watch %s", dir);
    }
    /* The state lock must not be held while waiting: the monitor's handler
     * and the user's decisions need it. */
    struct nook_state st = c->st;
    memset(&c->st, 0, sizeof c->st);
    container_release(c);
    int r = 1;
    while (r == 1) {
        struct pollfd p = {.fd = in, .events = POLLIN};
        int n = poll(&p, 1, 1000);
        if (n < 0 && errno != EINTR) {
            r = nook_error_sys(err, "oom --wait: poll");
            break;
        }
        if (n > 0) {
            char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
            ssize_t len = read(in, buf, sizeof buf);
            for (char *q = buf; len > 0 && q < buf + len;) {
                struct inotify_event *e = (struct inotify_event *)q;
                if (e->mask & IN_DELETE_SELF)
                    r = nook_error_set(err, 0, "oom --wait: the container was deleted");
                else if (e->len && strcmp(e->name, OOM_SNAPSHOT_FILE) == 0 && r == 1)
                    r = print_snapshot(path, err);
                q += sizeof *e + e->len;
            }
            continue;
        }
        if (container_status(&st) == NOOK_STATUS_STOPPED)
            r = nook_error_set(err, 0, "oom --wait: the container stopped");
        else if (!oom_monitor_alive(&st))
            r = nook_error_set(err, 0, "oom --wait: the OOM monitor (pid %d) is gone",
                               (int)st.oom_monitor_pid);
    }
    close(in);
    spec_state_free(&st);
    return r;
}

int cmd_oom(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {{"wait", no_argument, NULL, 'w'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    bool wait = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "+wh", opts, NULL)) != -1) {
        if (ch == 'w') {
            wait = true;
        } else if (ch == 'h') {
            command_help("oom");
            print_host_support();
            return 0;
        } else {
            return bad_option("oom", argc, argv);
        }
    }
    const char *id;
    int r = take_id("oom", argc, argv, 0, &id);
    if (r)
        return r;
    struct container c;
    char *path = NULL, *dir = NULL;
    if (snapshot_path(g, id, &path, &dir, &c, err) < 0)
        return 1;
    if (access(path, F_OK) == 0) {
        container_release(&c);
        r = print_snapshot(path, err);
    } else if (wait) {
        r = wait_next_snapshot(&c, dir, path, err);
    } else {
        r = nook_error_set(err, 0, "oom: the container is not frozen by OOM (%s)",
                           oom_monitor_alive(&c.st) ? "its OOM monitor is watching"
                                                    : "and its OOM monitor is gone");
        container_release(&c);
    }
    free(path);
    free(dir);
    return r < 0 ? 1 : 0;
}

void oom_warn_if_monitor_lost(const struct nook_state *st)
{
    struct nook_error w;
    if (oom_monitor_lost(st, &w))
        fprintf(stderr, "nook: %s: %s\n", st->id, w.msg);
}

/* ---- the feed for `nook events` ---- */

void oom_feed_open(const char *dir, struct oom_feed *f)
{
    f->file = f->notify = -1;
    char *path = xasprintf("%s/%s", dir, OOM_EVENTS_FILE);
    f->file = open(path, O_RDONLY | O_CLOEXEC);
    if (f->file >= 0) {
        /* Only what happens from now on, as the other events. */
        if (lseek(f->file, 0, SEEK_END) < 0 ||
            (f->notify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0 ||
            inotify_add_watch(f->notify, path, IN_MODIFY) < 0)
            oom_feed_close(f);
    }
    free(path);
}

void oom_feed_print(struct oom_feed *f, FILE *out)
{
    if (f->file < 0)
        return;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(f->notify, buf, sizeof buf) > 0)
        ;
    ssize_t n;
    while ((n = read(f->file, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, out);
    fflush(out);
}

void oom_feed_close(struct oom_feed *f)
{
    if (f->file >= 0)
        close(f->file);
    if (f->notify >= 0)
        close(f->notify);
    f->file = f->notify = -1;
}
