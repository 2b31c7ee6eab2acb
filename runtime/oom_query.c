/* What the CLI asks of a container's OOM freeze: its snapshot (now, or at
 * the next freeze), whether its monitor is gone, the monitor's event lines
 * for `nook events`, and what this host supports. */
#include "oom.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* Rootless v2 needs a cgroup delegated to the user: for a user, say
 * whether it has one. */
static char *rootless_support(const struct cgroup_oom_support *s)
{
    if (!s->v2)
        return xstrdup("no");
    const char *how = "memory.high = limit, memory.max = limit + 16M";
    if (geteuid() == 0)
        return xasprintf("yes, in a cgroup delegated to the user (%s)", how);
    if (s->delegated)
        return xasprintf("yes, in %s, delegated to you: linux.cgroupsPath \"%s/NAME\" (%s)",
                         s->delegated, s->delegated, how);
    return xstrdup("no: the parent of your cgroup is not delegated to you with the memory "
                   "controller (systemd delegates user@UID.service's)");
}

char *runtime_oom_support_text(void)
{
    struct cgroup_oom_support s;
    cgroup_oom_host_support(&s);
    char *rootless = rootless_support(&s);
    char *text = xasprintf(
        "OOM freeze on this host (%s):\n"
        "  cgroup v2, root:     %s\n"
        "  cgroup v2, rootless: %s\n"
        "  cgroup v1 / hybrid:  %s\n"
        "Opt in with the annotation org.nook.oom=freeze (or disableOOMKiller: true);\n"
        "org.nook.oom.timeout, org.nook.oom.fallback=kill|kill-all|thaw and\n"
        "org.nook.oom.handler=/abs/path tune it. --wait blocks until the next freeze.\n",
        s.summary,
        s.v2 ? "yes (memory.max, oom_score_adj -1000, freeze on memory.events oom)"
             : "no (no memory controller on cgroup v2)",
        rootless,
        s.v1 ? "yes (memory.oom_control = 1, eventfd; frozen = frozen or in the OOM wait)"
             : "no (no v1 memory controller)");
    free(rootless);
    free(s.delegated);
    return text;
}

char *runtime_oom_support_summary(void)
{
    struct cgroup_oom_support s;
    cgroup_oom_host_support(&s);
    free(s.delegated);
    if (s.v2 && s.v1)
        return xstrdup("cgroup v2 (root, rootless), cgroup v1");
    if (s.v2)
        return xstrdup("cgroup v2 (root, rootless)");
    if (s.v1)
        return xstrdup("cgroup v1 (memory.oom_control)");
    return xasprintf("none on this host (%s)", s.summary);
}

void runtime_oom_monitor_warn(const struct nook_state *st, struct runtime_warnings *w)
{
    if (st->oom_monitor_pid <= 0 || oom_monitor_alive(st) ||
        container_status(NULL, st) == NOOK_STATUS_STOPPED)
        return;
    runtime_warn(w, "the OOM monitor (pid %d) is gone: the container is no longer frozen at "
                 "its memory limit%s", (int)st->oom_monitor_pid,
                 container_status(NULL, st) == NOOK_STATUS_PAUSED
                     ? " and stays frozen until `nook resume` or `nook delete -f`"
                     : "");
}

static int read_snapshot(const char *path, char **json, struct nook_error *err)
{
    if (read_file(path, json, NULL, err) < 0)
        return nook_error_wrap(err, "oom: read the snapshot");
    return 0;
}

/* Until the monitor renames a new oom.json into the state directory, or the
 * container stops or loses its monitor. st is a copy: the state lock is not
 * held while waiting (the handler and the user's decisions need it). */
static int wait_next_snapshot(const struct nook_state *st, const char *dir, const char *path,
                              char **json, struct nook_error *err)
{
    int in = inotify_init1(IN_CLOEXEC);
    if (in < 0)
        return nook_error_sys(err, "oom --wait: inotify");
    if (inotify_add_watch(in, dir, IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF) < 0) {
        close(in);
        return nook_error_sys(err, "oom --wait: watch %s", dir);
    }
    int r = 1;
    /* It may have come between the caller's look and the watch. */
    if (access(path, F_OK) == 0)
        r = read_snapshot(path, json, err);
    while (r == 1) {
        struct pollfd p = {.fd = in, .events = POLLIN};
        int n = poll(&p, 1, 1000);
        if (n < 0 && errno != EINTR) {
            r = nook_error_sys(err, "oom --wait: poll");
        } else if (n > 0) {
            char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
            ssize_t len = read(in, buf, sizeof buf);
            for (char *q = buf; len > 0 && q < buf + len && r == 1;) {
                struct inotify_event *e = (struct inotify_event *)q;
                if (e->mask & IN_DELETE_SELF)
                    r = nook_error_set(err, 0, "oom --wait: the container was deleted");
                else if (e->len && strcmp(e->name, OOM_SNAPSHOT_FILE) == 0)
                    r = read_snapshot(path, json, err);
                q += sizeof *e + e->len;
            }
        } else if (container_status(NULL, st) == NOOK_STATUS_STOPPED) {
            r = nook_error_set(err, 0, "oom --wait: the container stopped");
        } else if (!oom_monitor_alive(st)) {
            r = nook_error_set(err, 0, "oom --wait: the OOM monitor (pid %d) is gone",
                               (int)st->oom_monitor_pid);
        }
    }
    close(in);
    return r;
}

int runtime_oom_snapshot(const struct nook_globals *g, const char *id, bool wait, char **json,
                         struct nook_error *err)
{
    struct container c;
    if (container_load(g, id, &c, err) < 0)
        return -1;
    if (c.st.oom_monitor_pid <= 0) {
        container_release(&c);
        return nook_error_set(err, 0, "oom: the container does not freeze at its memory limit "
                              "(no org.nook.oom=freeze)");
    }
    char *path = xasprintf("%s/%s", c.dir, OOM_SNAPSHOT_FILE);
    char *dir = xstrdup(c.dir);
    struct nook_state st = c.st;
    memset(&c.st, 0, sizeof c.st);
    container_release(&c);
    int r;
    if (access(path, F_OK) == 0)
        r = read_snapshot(path, json, err);
    else if (wait)
        r = wait_next_snapshot(&st, dir, path, json, err);
    else
        r = nook_error_set(err, 0, "oom: the container is not frozen by OOM (%s)",
                           oom_monitor_alive(&st) ? "its OOM monitor is watching"
                                                  : "and its OOM monitor is gone");
    free(path);
    free(dir);
    spec_state_free(&st);
    return r;
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
