/* OCI resource values (designed for cgroup v1) to cgroup v2 values, with the
 * formulas runc and crun use so a config means the same under each runtime. */
#include "cgroup.h"

#include <math.h>

/* runc >= 1.3.1 / crun >= 1.23 (opencontainers/cgroups): a quadratic in
 * log2(shares) that maps the v1 range [2, 262144] onto [1, 10000] and the
 * v1 default 1024 onto the v2 default 100:
 *   weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares).
 * The old linear formula mapped 1024 to 39, far below the default. */
uint64_t cgroup_cpu_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares <= 2)
        return 1;
    if (shares >= 262144)
        return 10000;
    double l = log2((double)shares);
    double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
    double v = pow(10.0, exponent);
    /* The result is an exact integer only for 1024 (exponent 2); elsewhere it
     * is at least 3e-6 away from one, far above libm's rounding error, so a tiny
     * slack keeps 100.0000000000001 from rounding up to 101. */
    v -= 1e-9;
    uint64_t w = (uint64_t)v;
    if ((double)w < v)
        w++;
    return w;
}

/* runc: linear from blkio [10, 1000] to io.weight [1, 10000]. */
uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight)
{
    if (weight == 0)
        return 0;
    if (weight < 10)
        weight = 10;
    return 1 + (weight - 10) * 9999 / 990;
}

/* OCI memory.swap is memory+swap; cgroup v2's memory.swap.max is swap alone.
 * Same cases as runc's ConvertMemorySwapToCgroupV2Value. */
int cgroup_memory_swap_max(int64_t swap, int64_t limit, int64_t *out, bool *set,
                           struct nook_error *err)
{
    *set = true;
    if (limit == -1 && swap == 0) {
        /* Unlimited memory and no swap setting: both unlimited, as on v1. */
        *out = -1;
        return 0;
    }
    if (swap == -1) {
        *out = -1;
        return 0;
    }
    if (swap == 0) {
        *set = false;
        *out = 0;
        return 0;
    }
    if (limit == -1) {
        *out = swap;
        return 0;
    }
    if (limit == 0)
        return nook_error_set(err, 0,
                              "linux.resources.memory.swap: a swap limit needs a memory limit");
    if (limit < 0)
        return nook_error_set(err, 0, "linux.resources.memory.limit: invalid value %lld",
                              (long long)limit);
    if (swap < limit)
        return nook_error_set(err, 0,
                              "linux.resources.memory.swap: %lld is below memory.limit %lld "
                              "(swap is the memory+swap total)",
                              (long long)swap, (long long)limit);
    *out = swap - limit;
    return 0;
}
