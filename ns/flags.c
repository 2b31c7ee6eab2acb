/* ns/flags.c: which CLONE_NEW* flags a spec asks for. */
#include "ns.h"

#include <sched.h>

int ns_clone_flag(enum spec_ns_type t)
{
    switch (t) {
    case SPEC_NS_PID:
        return CLONE_NEWPID;
    case SPEC_NS_NETWORK:
        return CLONE_NEWNET;
    case SPEC_NS_MOUNT:
        return CLONE_NEWNS;
    case SPEC_NS_IPC:
        return CLONE_NEWIPC;
    case SPEC_NS_UTS:
        return CLONE_NEWUTS;
    case SPEC_NS_USER:
        return CLONE_NEWUSER;
    case SPEC_NS_CGROUP:
        return CLONE_NEWCGROUP;
    case SPEC_NS_TIME:
        return CLONE_NEWTIME;
    case SPEC_NS_TYPES:
        break;
    }
    return 0;
}

int ns_new_flags(const struct spec *spec)
{
    int flags = 0;
    for (size_t i = 0; i < spec->n_namespaces; i++)
        if (spec->namespaces[i].path == NULL)
            flags |= ns_clone_flag(spec->namespaces[i].type);
    return flags;
}
