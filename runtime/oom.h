/* OOM freeze, the runtime's side (oom_monitor.c, oom_snapshot.c,
 * oom_query.c, oom_exec.c): the per-container monitor process that create
 * starts, what exec does for it, and what the CLI reads of it (runtime.h
 * has the calls the CLI makes). Internal to runtime/. */
#ifndef NOOK_RUNTIME_OOM_H
#define NOOK_RUNTIME_OOM_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "../cgroup/cgroup.h"
#include "internal.h"

/* Files the monitor keeps in the state directory. */
#define OOM_SNAPSHOT_FILE "oom.json"   /* the snapshot while frozen by OOM */
#define OOM_EVENTS_FILE "oom-events"   /* oom-frozen / oom-resolved lines, appended */
#define OOM_HANDLER_LOG "oom-handler.log" /* the handler program's stdout and stderr */
#define OOM_ADJ_FILE "oom-adj" /* "pid start-time oom_score_adj" of each exec'd process */
#define OOM_DISARMED_FILE "oom-disarmed" /* the policy ended (fallback kill) */

/* What create hands the monitor (it is a fork of create: plain memory). */
struct oom_monitor_args {
    const char *id;
    const char *dir;  /* state directory */
    const char *root; /* --root, for the handler's nook commands */
    const struct nook_cgroup *cg;
    enum cgroup_oom_mechanism mech;
    const struct spec_oom_policy *policy;
    int restore_adj; /* the oom_score_adj to give back when the policy ends */
};

/* The mechanism for this container and, for v2 with root, make the init
 * unkillable by the OOM killer (oom_score_adj -1000) before it execs;
 * rootless v2 moves the limit to memory.high. *restore_adj gets the value
 * the processes would have had. */
int oom_prepare(const struct spec *spec, const struct nook_cgroup *cg, pid_t init,
                enum cgroup_oom_mechanism *mech, int *restore_adj, struct nook_error *err);

/* The oom_score_adj a process of p gets back when the policy ends:
 * process.oomScoreAdj, else the one it inherits from us. */
int oom_restore_value(const struct spec_process *p, int *adj, struct nook_error *err);

/* exec (oom_exec.c): whether the process exec'd into c (in cgroup cg) must
 * get oom_score_adj -1000: the policy is freeze on cgroup v2 with root, the
 * monitor runs and the policy has not ended. */
bool oom_exec_hides(const struct container *c, const struct spec *spec,
                    const struct nook_cgroup *cg);
/* Record the exec'd process pid and the oom_score_adj it gets back (adj);
 * when the policy ended meanwhile, give it back now. */
int oom_exec_record(const struct container *c, pid_t pid, int adj, struct nook_error *err);
/* The policy ended (OOM_DISARMED_FILE exists). */
bool oom_disarmed(const char *dir);
/* The monitor, when the policy ends: mark it ended, then give every process
 * of cg back its oom_score_adj: an exec'd one (or its descendant) the
 * recorded value, the others dflt. */
void oom_restore_scores(const char *dir, const struct nook_cgroup *cg, int dflt);

/* Fork the monitor (double fork: not our child, not the init's parent, in
 * our cgroup rather than the container's) and wait until it watches the
 * cgroup. *pid and *start_time identify it for state.json. */
int oom_monitor_start(const struct oom_monitor_args *a, pid_t *pid,
                      unsigned long long *start_time, struct nook_error *err);

/* The monitor recorded in st runs (pid with the recorded start time). */
bool oom_monitor_alive(const struct nook_state *st);
/* delete: stop the monitor (it would exit once the cgroup is empty). */
void oom_monitor_stop(const struct nook_state *st);
/* resume, before it thaws: while the cgroup is frozen for OOM, have the
 * monitor settle the incident now (SIGUSR1) and wait (bounded) until it did.
 * Processes the user left alive run on after the thaw and may exit before
 * the monitor could look: only a look while frozen tells them from the
 * killed ones. */
void oom_monitor_resolve_frozen(const struct container *c);
/* resume, after the thaw: wait (bounded) until the monitor ended the
 * incident, so the next `nook oom --wait` waits for the next one (the
 * monitor did not answer oom_monitor_resolve_frozen: it ends it on the
 * thaw). */
void oom_monitor_wait_rearmed(const struct container *c);

/* The processes part of a snapshot, from /proc. */
void oom_snapshot_processes(const pid_t *pids, size_t n, struct nook_oom_snapshot *s);
void oom_snapshot_free(struct nook_oom_snapshot *s);
/* A process of the snapshot counts as killed: gone, its pid another
 * process's, or on its way out (a zombie, a frozen parent cannot reap it
 * yet; exiting; SIGKILL pending: `kill -9` just before `nook resume`). */
bool oom_proc_gone(const struct nook_oom_proc *p);

/* `nook events`: the monitor's event lines. open gives an fd to poll
 * (POLLIN: new lines), -1 when the container has no monitor; print writes
 * the lines appended since the last call. */
struct oom_feed {
    int file;
    int notify;
};
void oom_feed_open(const char *dir, struct oom_feed *f);
void oom_feed_print(struct oom_feed *f, FILE *out);
void oom_feed_close(struct oom_feed *f);

/* RFC 3339 UTC time with milliseconds. Caller frees. */
char *oom_rfc3339_ms(long long epoch_ms);

#endif
