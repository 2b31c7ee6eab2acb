/* criu(8) as checkpoint and restore use it: `criu swrk 3`, criu's RPC mode,
 * spoken over a SOCK_SEQPACKET socket on its fd 3, one protobuf message
 * (criu's images/rpc.proto, /usr/include/criu/rpc.proto) per packet. The
 * RPC mode, not criu's command line, because only it hands the runtime the
 * new pty master of a restored terminal (orphan_pts_master) and reports the
 * steps (setup-namespaces for the hooks, post-restore). The few messages
 * nook sends and reads are encoded here by hand (criu_proto.c, pure and
 * unit-tested): no protobuf library. Internal to runtime/. */
#ifndef NOOK_RUNTIME_CRIU_H
#define NOOK_RUNTIME_CRIU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

/* criu_req_type */
enum criu_req_type {
    CRIU_REQ_DUMP = 1,
    CRIU_REQ_RESTORE = 2,
    CRIU_REQ_PRE_DUMP = 4,
    CRIU_REQ_NOTIFY = 6,
};

/* criu_cg_mode: --manage-cgroups-mode */
enum criu_cg_mode { CRIU_CG_SOFT = 3, CRIU_CG_FULL = 4, CRIU_CG_STRICT = 5 };

/* A repeated pair field: ext_mnt (key, val), join_ns (ns, ns_file),
 * cg_root (ctrl, path), inherit_fd (key, fd), external (a only). */
struct criu_pair {
    char *a, *b;
    int fd;
};
struct criu_pairs {
    struct criu_pair *v;
    size_t n;
};
void criu_pairs_add(struct criu_pairs *l, const char *a, const char *b, int fd);
void criu_pairs_free(struct criu_pairs *l);

/* criu_opts, the fields nook sets (-1 / NULL / false / 0: not sent). */
struct criu_opts {
    int images_dir_fd;
    int work_dir_fd;
    pid_t pid;
    bool leave_running, ext_unix_sk, tcp_established, evasive_devices, shell_job, file_locks;
    int log_level;
    const char *log_file;
    const char *ps_address; /* page server (ps_port with it) */
    int ps_port;
    bool notify_scripts;
    const char *root;
    const char *parent_img;
    bool track_mem, auto_dedup;
    bool manage_cgroups;
    int manage_cgroups_mode; /* enum criu_cg_mode, 0: criu's default */
    bool rst_sibling;
    bool has_empty_ns;
    uint32_t empty_ns;       /* CLONE_NEW* flags */
    const char *freeze_cgroup;
    bool orphan_pts_master;
    const char *config_file;
    struct criu_pairs ext_mnt, cg_root, inherit_fd, external, join_ns;
};

/* A growable byte buffer. */
struct pbuf {
    unsigned char *p;
    size_t len, cap;
};
void pbuf_free(struct pbuf *b);

/* criu_req{type, opts} (opts NULL: none) and criu_req{NOTIFY,
 * notify_success}. */
void criu_encode_request(int type, const struct criu_opts *o, struct pbuf *out);
void criu_encode_notify_ack(struct pbuf *out);

/* The parts of criu_resp nook reads. */
struct criu_resp {
    int type;
    bool success;
    int cr_errno;
    char errmsg[256];     /* cr_errmsg, or "" */
    pid_t restore_pid;    /* restore.pid, or 0 */
    char script[64];      /* notify.script, or "" */
    pid_t notify_pid;     /* notify.pid, or 0 */
};
/* Decode one criu_resp; -1 (errno EPROTO) on a malformed message. */
int criu_decode_response(const unsigned char *p, size_t len, struct criu_resp *r);

/* One conversation with `criu swrk`. */
struct criu_call {
    int type;                   /* CRIU_REQ_DUMP/PRE_DUMP/RESTORE */
    struct criu_opts *opts;
    const int *extra_fds;       /* given to criu as fds 4, 5, ... */
    size_t n_extra_fds;
    const char *log_path;       /* for the error message */
    /* Called once criu runs, before the request is sent (restore: put criu
     * in the container's cgroups, fill cg_root). */
    int (*started)(void *arg, pid_t criu, struct criu_opts *o, struct nook_error *err);
    /* A notification: script name, its pid, an fd criu attached (or -1;
     * the callee owns it). */
    int (*notify)(void *arg, const char *script, pid_t pid, int fd, struct nook_error *err);
    void *arg;
};
/* Run criu swrk with call's request and answer its notifications until the
 * final response. Returns 0 with *final filled (restore_pid for a restore),
 * or -1: err says what criu said, with the first error line of its log.
 * criu has exited when this returns. */
int criu_run(const struct nook_globals *g, struct criu_call *call, struct criu_resp *final,
             struct nook_error *err);

/* ---- criu_common.c ---- */

/* The image directory (made when make_images) and the work directory. */
struct criu_dirs {
    char *images;
    int images_fd, work_fd;
    const char *log_dir; /* where criu writes its log */
};
int criu_open_dirs(const struct criu_cli_opts *c, bool make_images, struct criu_dirs *d,
                   struct nook_error *err);
void criu_close_dirs(struct criu_dirs *d);
/* The shared options into o (errors name the option). */
int criu_parse_cli(const struct criu_cli_opts *c, struct criu_opts *o, struct nook_error *err);
/* The criu config file for the container, or NULL. */
const char *criu_config_file(const struct spec *spec);

/* The key criu knows an external namespace by, the same at dump and
 * restore (runc's, so checkpoints move between the two). */
#define CRIU_NET_NS_KEY "extRootNetNS"
#define CRIU_PID_NS_KEY "extRootPidNS"
/* Where the init's fds 0, 1, 2 pointed, in the image directory. */
#define CRIU_DESCRIPTORS "descriptors.json"

#endif
