/* The device filter: cgroup v2 has no devices.allow file; access to device
 * nodes is decided by an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE
 * attached to the cgroup. nook writes the instructions itself (no libbpf). */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* runc's AllowedDevices, appended after the config's rules so they win: a
 * container always has its /dev basics, and may mknod anything (the nodes
 * it creates are still checked on open). */
static const struct spec_device_rule default_rules[] = {
    {true, 'c', -1, -1, "m"},  {true, 'b', -1, -1, "m"},
    {true, 'c', 1, 3, "rwm"},  /* null */
    {true, 'c', 1, 8, "rwm"},  /* random */
    {true, 'c', 1, 7, "rwm"},  /* full */
    {true, 'c', 5, 0, "rwm"},  /* tty */
    {true, 'c', 1, 5, "rwm"},  /* zero */
    {true, 'c', 1, 9, "rwm"},  /* urandom */
    {true, 'c', 136, -1, "rwm"}, /* pts/N */
    {true, 'c', 5, 2, "rwm"},  /* ptmx */
    {true, 'c', 10, 200, "rwm"}, /* net/tun */
};
#define N_DEFAULT_RULES (sizeof default_rules / sizeof default_rules[0])

void cgroup_device_rules(const struct spec_device_rule *rules, size_t n,
                         struct spec_device_rule **out, size_t *n_out)
{
    struct spec_device_rule *v = xcalloc(n + N_DEFAULT_RULES, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        v[k++] = rules[i];
    for (size_t i = 0; i < N_DEFAULT_RULES; i++)
        v[k++] = default_rules[i];
    *out = v;
    *n_out = k;
}

/* ---- program generation ---- */

struct prog {
    struct bpf_insn *v;
    size_t n;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    p->v = xrealloc(p->v, (p->n + 1) * sizeof *p->v);
    p->v[p->n] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off,
                                   .imm = imm};
    p->n++;
}

static unsigned access_bits(const char *access)
{
    unsigned bits = 0;
    for (const char *c = access; *c; c++) {
        if (*c == 'r')
            bits |= BPF_DEVCG_ACC_READ;
        else if (*c == 'w')
            bits |= BPF_DEVCG_ACC_WRITE;
        else if (*c == 'm')
            bits |= BPF_DEVCG_ACC_MKNOD;
    }
    return bits;
}

/* Registers: R1 ctx (struct bpf_cgroup_dev_ctx), R2 device type, R3 access
 * bits still undecided, R4 major, R5 minor, R6 scratch.
 *
 * Rules are checked from the last to the first, so the first rule that
 * decides an access bit is the latest one naming it: an allow rule decides
 * its bits (clears them from R3; all decided: allow), a deny rule that names
 * an undecided bit denies. Bits no rule names stay undecided: deny. */
static void emit_rule(struct prog *p, const struct spec_device_rule *r)
{
    unsigned acc = access_bits(r->access);
    if (acc == 0)
        return;
    int conds = (r->type == 'c' || r->type == 'b') + (r->major >= 0) + (r->minor >= 0);
    int body = r->allow ? 4 : 5;
    int left = conds;
    if (r->type == 'c' || r->type == 'b')
        emit(p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_2, 0, (int16_t)(--left + body),
             r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
    if (r->major >= 0)
        emit(p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_4, 0, (int16_t)(--left + body),
             (int32_t)(uint32_t)r->major);
    if (r->minor >= 0)
        emit(p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_5, 0, (int16_t)(--left + body),
             (int32_t)(uint32_t)r->minor);
    if (r->allow) {
        emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_3, 0, 0, (int32_t)~acc);
        emit(p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_3, 0, 2, 0);
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    } else {
        emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_3, 0, 0);
        emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_6, 0, 0, (int32_t)acc);
        emit(p, BPF_JMP32 | BPF_JEQ | BPF_K, BPF_REG_6, 0, 2, 0);
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }
}

void cgroup_device_program(const struct spec_device_rule *rules, size_t n,
                           struct bpf_insn **insns, size_t *n_insns)
{
    struct prog p = {NULL, 0};
    /* R2 = ctx->access_type (access << 16 | type), R4 = major, R5 = minor */
    emit(&p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);
    emit(&p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0);
    emit(&p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0);
    emit(&p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
    emit(&p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
    emit(&p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
    for (size_t i = n; i-- > 0;)
        emit_rule(&p, &rules[i]);
    emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
    emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    *insns = p.v;
    *n_insns = p.n;
}

/* ---- loading and attaching ---- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static int load_program(const struct bpf_insn *insns, size_t n, struct nook_error *err)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = (uint32_t)n;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    int fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        return fd;
    int saved = errno;
    if (saved != EACCES && saved != EINVAL)
        return nook_error_set(err, saved, "load the device filter (bpf BPF_PROG_LOAD)");
    /* Load again with the verifier's log, for a useful message. */
    char vlog[4096];
    vlog[0] = '\0';
    attr.log_buf = (uint64_t)(uintptr_t)vlog;
    attr.log_size = sizeof vlog;
    attr.log_level = 1;
    fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        return fd;
    size_t len = strlen(vlog);
    while (len > 0 && vlog[len - 1] == '\n')
        vlog[--len] = '\0';
    const char *last = strrchr(vlog, '\n');
    return nook_error_set(err, saved, "load the device filter (verifier: %s)",
                          last ? last + 1 : vlog);
}

/* The ids of the device programs attached directly to the cgroup. */
static int attached_programs(int cgfd, uint32_t *ids, uint32_t *n, struct nook_error *err)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.query.target_fd = (uint32_t)cgfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = *n;
    if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
        return nook_error_sys(err, "list the device filters attached to the cgroup");
    *n = attr.query.prog_cnt;
    return 0;
}

static int detach_program(int cgfd, uint32_t id, struct nook_error *err)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_id = id;
    int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (fd < 0) {
        if (errno == ENOENT) /* gone in the meantime */
            return 0;
        return nook_error_sys(err, "open the old device filter (id %u)", id);
    }
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    int r = (int)sys_bpf(BPF_PROG_DETACH, &attr);
    int saved = errno;
    close(fd);
    if (r < 0 && saved != ENOENT)
        return nook_error_set(err, saved, "detach the old device filter (id %u)", id);
    return 0;
}

int cg_v2_apply_devices(const struct nook_cgroup *cg, const struct spec_device_rule *rules,
                         size_t n, struct nook_error *err)
{
    struct bpf_insn *insns;
    size_t n_insns;
    cgroup_device_program(rules, n, &insns, &n_insns);
    int prog = load_program(insns, n_insns, err);
    free(insns);
    if (prog < 0)
        return nook_error_wrap(err, "linux.resources.devices");
    /* BPF_PROG_ATTACH wants a real (not O_PATH) descriptor of the directory. */
    int cgfd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) {
        nook_error_sys(err, "open %s", cg->path);
        close(prog);
        return -1;
    }
    int ret = -1;
    uint32_t old[64];
    uint32_t n_old = sizeof old / sizeof old[0];
    if (attached_programs(cgfd, old, &n_old, err) < 0)
        goto out;
    /* Attach the new filter before detaching the old ones, so the cgroup is
     * never without one (with several attached, all must allow). */
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) {
        nook_error_sys(err, "attach the device filter to %s", cg->path);
        goto out;
    }
    for (uint32_t i = 0; i < n_old; i++)
        if (detach_program(cgfd, old[i], err) < 0)
            goto out;
    ret = 0;
out:
    close(cgfd);
    close(prog);
    return ret;
}
